//! One VU's JavaScript world: a QuickJS context with k6's globals,
//! module loader and limits, after its init code ran, in a runtime of its
//! own ([`Vu::new`], [`Vu::with_wait`]) or a [`Host`]'s ([`Vu::in_host`]).
//!
//! Creating a [`Vu`] *is* running its init context: the entry module is
//! compiled (which loads every static import, recursively), evaluated,
//! and any top-level `await` driven to completion, all under
//! [`Config::init_timeout`]. What is left is a module namespace from
//! which options and exported functions are read.

use std::io;
use std::rc::Rc;
use std::time::Duration;

use rquickjs::{
    CatchResultExt, CaughtError, Context, Ctx, Module, Object, Persistent, Promise, Runtime, Value,
};

use crate::config::Config;
use crate::env::Env;
use crate::error::{Error, Result};
use crate::exception::JsException;
use crate::globals;
use crate::host::{entry_dir, Host};
use crate::interrupt::{Interrupt, Stop};
use crate::loader::{self, LoaderState, ModuleError};
use crate::options::{to_json, ToJsonError};
use crate::script::Script;
use crate::state::VuState;
use crate::wait::{BlockOn, Wait};

/// Where in the life of a module an exception came from: only a
/// `SyntaxError` raised while compiling is a parse error with a location.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Compile,
    Run,
}

/// A VU whose init context has run.
///
/// Not `Send`: a VU lives and dies on the thread that created it.
pub struct Vu {
    // Field order is drop order: JS values before the context (which
    // owns the runtime).
    pub(crate) namespace: Persistent<Object<'static>>,
    /// The setup data, decoded on the first call that gets it (§7.5).
    pub(crate) data: std::cell::RefCell<Option<Persistent<Value<'static>>>>,
    pub(crate) context: Context,
    pub(crate) state: Rc<VuState>,
    loader: Rc<LoaderState>,
    init_timeout: Duration,
}

impl Vu {
    /// Creates VU `id` (`__VU`; 0 for the VU that only reads options) for
    /// `script` and runs its init code. It waits (`sleep`, requests) by
    /// blocking the thread ([`BlockOn`]).
    pub fn new(script: &Script, id: u64, env: &Env, config: &Config) -> Result<Self> {
        Self::with_wait(script, id, env, config, Rc::new(BlockOn::default()))
    }

    /// Like [`Vu::new`], with the VU waiting through `wait`.
    pub fn with_wait(
        script: &Script,
        id: u64,
        env: &Env,
        config: &Config,
        wait: Rc<dyn Wait>,
    ) -> Result<Self> {
        let runtime = Runtime::new()?;
        runtime.set_max_stack_size(config.max_stack_size);
        if let Some(limit) = config.memory_limit {
            runtime.set_memory_limit(limit);
        }
        let loader = loader::install(&runtime, script.files().clone(), entry_dir(script));
        let context = new_context(&runtime)?;
        let state = Rc::new(VuState::new(id, env, script, config, wait));
        let handler: Rc<Interrupt> = state.interrupt.clone();
        runtime.set_interrupt_handler(Some(Box::new(move || handler.should_stop())));
        Self::init(script, context, state, loader, config)
    }

    /// Like [`Vu::with_wait`], as a context of `host`'s runtime: call it
    /// at the top of the stack the VU runs on (its coroutine's), and only
    /// ever run the VU on that stack. No memory limit applies to one VU.
    pub fn in_host(
        host: &Host,
        script: &Script,
        id: u64,
        env: &Env,
        config: &Config,
        wait: Rc<dyn Wait>,
    ) -> Result<Self> {
        let mut state = VuState::new(id, env, script, config, wait);
        let seat = host.seat(config.max_stack_size, Rc::clone(&state.interrupt));
        seat.enter();
        let context = new_context(&host.runtime)?;
        state.seat = Some(seat);
        Self::init(script, context, Rc::new(state), host.loader.clone(), config)
    }

    /// Installs the globals and runs the init code.
    fn init(
        script: &Script,
        context: Context,
        state: Rc<VuState>,
        loader: Rc<LoaderState>,
        config: &Config,
    ) -> Result<Self> {
        let source = read_entry(script)?;
        enter(&context, &state, |ctx| {
            globals::install(&ctx, &state, &loader)
        })?;
        let init = Init {
            state: &state,
            loader: &loader,
        };
        state.interrupt.arm(config.init_timeout);
        let namespace = enter(&context, &state, |ctx| {
            init.evaluate(&ctx, &script.url(), source)
        });
        state.interrupt.disarm();
        let namespace = match state.interrupt.stopped() {
            // Interrupted, even if the script caught what was thrown.
            Some(stop) => return Err(stop_error(stop)),
            None => namespace?,
        };

        Ok(Self {
            namespace,
            data: std::cell::RefCell::new(None),
            context,
            state,
            loader,
            init_timeout: config.init_timeout,
        })
    }

    /// Runs `f` in the VU's context (taking its seat when it shares a
    /// runtime).
    pub(crate) fn enter<R>(&self, f: impl FnOnce(Ctx<'_>) -> R) -> R {
        enter(&self.context, &self.state, f)
    }

    /// `__VU`.
    pub fn id(&self) -> u64 {
        self.state.id
    }

    /// The exported `options` as JSON (`{}` when there are none).
    pub fn options(&self) -> Result<serde_json::Value> {
        self.with_namespace(|ctx, namespace, init| {
            let options: Value = namespace
                .get("options")
                .catch(ctx)
                .map_err(|caught| init.error(ctx, caught, Phase::Run))?;
            match to_json(options, "options") {
                Ok(Some(serde_json::Value::Null)) | Ok(None) => {
                    Ok(serde_json::Value::Object(serde_json::Map::new()))
                }
                Ok(Some(json)) => Ok(json),
                Err(ToJsonError::Convert(error)) => Err(Error::Options(error)),
                Err(ToJsonError::Js(error)) => {
                    Err(init.error(ctx, CaughtError::from_error(ctx, error), Phase::Run))
                }
            }
        })
    }

    /// The names of the entry module's exports that are functions
    /// (`default`, `setup`, `teardown`, `handleSummary`, scenario `exec`s).
    pub fn exported_functions(&self) -> Result<Vec<String>> {
        self.with_namespace(|ctx, namespace, init| {
            let mut names = Vec::new();
            let keys: Vec<String> = namespace
                .keys()
                .collect::<rquickjs::Result<_>>()
                .catch(ctx)
                .map_err(|caught| init.error(ctx, caught, Phase::Run))?;
            for key in keys {
                let value: Value = namespace
                    .get(key.as_str())
                    .catch(ctx)
                    .map_err(|caught| init.error(ctx, caught, Phase::Run))?;
                if value.is_function() {
                    names.push(key);
                }
            }
            Ok(names)
        })
    }

    /// Runs `f` on the module namespace, under the init deadline (reading
    /// exports may run getters or `toJSON`).
    fn with_namespace<T>(
        &self,
        f: impl for<'js> FnOnce(&Ctx<'js>, Object<'js>, &Init<'_>) -> Result<T>,
    ) -> Result<T> {
        let init = Init {
            state: &self.state,
            loader: &self.loader,
        };
        self.state.interrupt.arm(self.init_timeout);
        let result = self.enter(|ctx| {
            let namespace = self.namespace.clone().restore(&ctx)?;
            f(&ctx, namespace, &init)
        });
        self.state.interrupt.disarm();
        match self.state.interrupt.stopped() {
            Some(stop) => Err(stop_error(stop)),
            None => result,
        }
    }
}

impl Drop for Vu {
    fn drop(&mut self) {
        // Freeing the context runs in the runtime on this VU's stack.
        if let Some(seat) = &self.state.seat {
            seat.enter();
        }
    }
}

/// A context with the standard objects k6's JavaScript runtime has:
/// QuickJS's own extras (`performance`, `atob`/`btoa`, `WeakRef`,
/// `FinalizationRegistry`) are left out, as k6 has none of them (and each
/// would cost every VU memory). The typed arrays, `Map`/`Set` and `Date`
/// come on first use (`globals::lazy`).
fn new_context(runtime: &Runtime) -> rquickjs::Result<Context> {
    use rquickjs::context::intrinsic::{Eval, Json, Promise, Proxy, RegExp, RegExpCompiler};
    Context::custom::<(Eval, RegExpCompiler, RegExp, Json, Proxy, Promise)>(runtime)
}

/// Runs `f` in `context`: through rquickjs's lock for a runtime of the
/// VU's own, from its seat in a shared one. Timers and pending operations
/// `f` leaves (its event loop ended by an exception or an interrupt) are
/// dropped before it returns, timers with k6's warnings: nothing outlives
/// the call that started it.
fn enter<R>(context: &Context, state: &VuState, f: impl FnOnce(Ctx<'_>) -> R) -> R {
    let run = |ctx: Ctx<'_>| {
        let result = f(ctx);
        globals::event_loop::stop_all(state);
        result
    };
    match &state.seat {
        None => context.with(run),
        Some(seat) => {
            seat.enter();
            run(seat.ctx(context))
        }
    }
}

/// The entry script's source, or k6's "couldn't be found" (exit 255).
fn read_entry(script: &Script) -> Result<Vec<u8>> {
    script.files().read(script.entry()).map_err(|error| {
        let specifier = script.specifier().to_owned();
        let path = script.entry().to_owned();
        Error::Entry(match error.kind() {
            io::ErrorKind::NotFound => ModuleError::NotFound { specifier, path },
            _ => ModuleError::Unreadable {
                specifier,
                path,
                reason: error.to_string(),
            },
        })
    })
}

fn stop_error(stop: Stop) -> Error {
    match stop {
        Stop::Deadline(after) => Error::Timeout { after },
        Stop::Aborted(reason) => Error::Aborted { reason },
        Stop::Interrupted => Error::Interrupted,
    }
}

/// Evaluation of the entry module and the mapping of what it throws.
struct Init<'a> {
    state: &'a VuState,
    loader: &'a LoaderState,
}

impl Init<'_> {
    fn evaluate<'js>(
        &self,
        ctx: &Ctx<'js>,
        url: &str,
        source: Vec<u8>,
    ) -> Result<Persistent<Object<'static>>> {
        let source = loader::javascript(ctx, url, source)
            .catch(ctx)
            .map_err(|caught| self.error(ctx, caught, Phase::Run))?;
        let commonjs = self
            .loader
            .commonjs(ctx, url, &source)
            .catch(ctx)
            .map_err(|caught| self.error(ctx, caught, Phase::Compile))?;
        if let Some(function) = commonjs {
            return self.evaluate_commonjs(ctx, url, function);
        }
        let module = Module::declare(ctx.clone(), url, source)
            .catch(ctx)
            .map_err(|caught| self.error(ctx, caught, Phase::Compile))?;
        let (module, promise) = module
            .eval()
            .catch(ctx)
            .map_err(|caught| self.error(ctx, caught, Phase::Run))?;
        self.settle(ctx, &promise)?;
        let namespace = module
            .namespace()
            .catch(ctx)
            .map_err(|caught| self.error(ctx, caught, Phase::Run))?;
        Ok(Persistent::save(ctx, namespace))
    }

    /// A CommonJS entry script: what k6 reads its options and functions
    /// from is its `module.exports`.
    fn evaluate_commonjs<'js>(
        &self,
        ctx: &Ctx<'js>,
        url: &str,
        function: rquickjs::Function<'js>,
    ) -> Result<Persistent<Object<'static>>> {
        let exports = loader::commonjs::evaluate(ctx, url, function)
            .catch(ctx)
            .map_err(|caught| self.error(ctx, caught, Phase::Run))?;
        let (done, resolve, _) = ctx.promise()?;
        resolve.call::<_, ()>(())?;
        self.settle(ctx, &done)?;
        let namespace = match exports.into_object() {
            Some(object) => object,
            None => Object::new(ctx.clone())?,
        };
        Ok(Persistent::save(ctx, namespace))
    }

    /// Runs the event loop until the module's evaluation promise settles
    /// (it stays pending only with top-level `await`) and no timer is
    /// left.
    fn settle<'js>(&self, ctx: &Ctx<'js>, promise: &Promise<'js>) -> Result<()> {
        let settled = globals::event_loop::run(ctx, self.state, Some(promise))
            .catch(ctx)
            .map_err(|caught| self.error(ctx, caught, Phase::Run))?;
        match (settled, self.state.interrupt.stopped()) {
            (_, Some(stop)) => Err(stop_error(stop)),
            (Some(_), None) => Ok(()),
            (None, None) => Err(Error::Stalled),
        }
    }

    /// What an exception caught at the top level means.
    fn error<'js>(&self, ctx: &Ctx<'js>, caught: CaughtError<'js>, phase: Phase) -> Error {
        if let Some(stop) = self.state.interrupt.stopped() {
            return stop_error(stop);
        }
        let exception = JsException::from_caught(ctx, caught);
        if let Some(failure) = self.loader.take_failure(&exception.message) {
            return Error::Import {
                importer: failure.importer,
                error: failure.error,
            };
        }
        if phase == Phase::Compile {
            if let Some((file, line, column)) = exception.syntax_location() {
                return Error::Syntax {
                    file,
                    line,
                    column,
                    message: exception.message,
                };
            }
        }
        Error::Exception(exception)
    }
}
