//! [`Vu::call`]: running an exported function in the VU context.

use std::sync::Arc;
use std::time::SystemTime;

use k6r_core::metrics::{Builtin, Tags};
use rquickjs::promise::PromiseState;
use rquickjs::{CatchResultExt, CaughtError, Ctx, Function, Persistent, Value};

use crate::call::{Call, CallKind, CallResult, Outcome};
use crate::exception::JsException;
use crate::interrupt::Stop;
use crate::log::Level;
use crate::runtime::Vu;
use crate::state::{CallState, Stage};

impl Vu {
    /// Runs `call` (an iteration, `setup` or `teardown`) to its end, or
    /// until it is interrupted, times out or aborts the test. An exception
    /// thrown by an iteration is logged here, with its stack.
    pub fn call(&self, call: &Call) -> CallResult {
        let state = &self.state;
        state.stage.set(Stage::Vu);
        state.interrupt.begin(Some(call.cancel.clone()));
        match call.timeout {
            Some(timeout) => state.interrupt.arm(timeout),
            None => state.interrupt.disarm(),
        }
        if let CallKind::Iteration(info) = &call.kind {
            info.scenario.started.get_or_init(SystemTime::now);
            if let Some(client) = state.client.get() {
                client.begin_iteration();
            }
        }
        *state.call.borrow_mut() = Some(CallState::new(
            call.kind.clone(),
            &state.config.tags,
            &state.tag_overrides.borrow(),
        ));

        let result = self.enter(|ctx| self.invoke(&ctx, call));
        state.interrupt.disarm();

        if let Some(done) = state.call.borrow_mut().take() {
            // data_sent/data_received close every call, zero or not, with
            // the call's root tags (`group: ""` for iterations).
            let tags = match &done.kind {
                CallKind::Iteration(info) if state.tag_overrides.borrow().is_empty() => {
                    Arc::clone(&info.scenario.root_tags)
                }
                CallKind::Iteration(_) => Arc::new((*done.base).clone().with("group", "")),
                _ => Arc::clone(&done.tags),
            };
            state.push_builtin(Builtin::DataSent, Arc::clone(&tags), done.data_sent as f64);
            state.push_builtin(Builtin::DataReceived, tags, done.data_received as f64);
        }
        state.flush_samples();

        let outcome = match state.interrupt.stopped() {
            Some(Stop::Interrupted) => Outcome::Interrupted,
            Some(Stop::Deadline(after)) => Outcome::TimedOut(after),
            Some(Stop::Aborted(reason)) => Outcome::Aborted(reason),
            None => match result {
                Ok(value) => {
                    return CallResult {
                        outcome: Outcome::Returned,
                        value,
                    }
                }
                Err(Thrown {
                    exception,
                    in_promise,
                }) => {
                    if let CallKind::Iteration(info) = &call.kind {
                        let scenario = &info.scenario;
                        let mut fields = vec![
                            ("executor", scenario.executor.as_ref()),
                            ("scenario", scenario.name.as_ref()),
                        ];
                        // As k6 logs them: a rejected async function's
                        // error is "uncaught (in promise)", without source.
                        let message = if in_promise {
                            format!("Uncaught (in promise) {exception}")
                        } else {
                            fields.push(("source", "stacktrace"));
                            exception.to_string()
                        };
                        state.log.log(Level::Error, &message, &fields);
                    }
                    Outcome::Threw(exception)
                }
            },
        };
        CallResult {
            outcome,
            value: None,
        }
    }

    /// Calls the function; the JSON of what it returned, or what it threw.
    fn invoke<'js>(&self, ctx: &Ctx<'js>, call: &Call) -> Result<Option<String>, Thrown> {
        let caught = |caught: CaughtError<'js>| JsException::from_caught(ctx, caught);
        if let CallKind::Iteration(info) = &call.kind {
            ctx.globals()
                .set("__ITER", info.vu_iteration_in_instance as f64)
                .catch(ctx)
                .map_err(caught)?;
            // A scenario's `env` is laid over `__ENV` (rebuilt only when
            // the VU moves between scenarios that need it).
            let wanted = (!info.scenario.env.is_empty()).then(|| Arc::clone(&info.scenario.name));
            let mut current = self.state.env_scenario.borrow_mut();
            if *current != wanted {
                crate::globals::set_env(ctx, &self.state, &info.scenario.env)
                    .catch(ctx)
                    .map_err(caught)?;
                *current = wanted;
            }
        }
        let namespace = self
            .namespace
            .clone()
            .restore(ctx)
            .catch(ctx)
            .map_err(caught)?;
        let function: Value = namespace.get(&*call.function).catch(ctx).map_err(caught)?;
        let Some(function) = function.into_function() else {
            return Err(JsException {
                name: Some("TypeError".into()),
                message: format!("{} is not an exported function", call.function),
                stack: Vec::new(),
            }
            .into());
        };
        let returned: Value = match self.data(ctx, call).catch(ctx).map_err(caught)? {
            Some(data) => function.call((data,)),
            None => Function::call(&function, ()),
        }
        .catch(ctx)
        .map_err(caught)?;
        let promise = returned.as_promise().cloned();
        let returned = self.settle(ctx, returned).catch(ctx).map_err(|e| Thrown {
            exception: caught(e),
            in_promise: promise.is_some_and(|p| p.state() == PromiseState::Rejected),
        })?;
        if returned.is_undefined() {
            return Ok(None);
        }
        let json = ctx.json_stringify(returned).catch(ctx).map_err(caught)?;
        Ok(json.and_then(|json| json.to_string().ok()))
    }

    /// The setup data, parsed on first use and kept (§7.5: mutations
    /// persist within the VU).
    fn data<'js>(&self, ctx: &Ctx<'js>, call: &Call) -> rquickjs::Result<Option<Value<'js>>> {
        let Some(json) = &call.data else {
            return Ok(None);
        };
        if let Some(data) = &*self.data.borrow() {
            return data.clone().restore(ctx).map(Some);
        }
        let value = ctx.json_parse(json.as_bytes().to_vec())?;
        *self.data.borrow_mut() = Some(Persistent::save(ctx, value.clone()));
        Ok(Some(value))
    }

    /// Runs the event loop for what a call returned: until no timer or
    /// pending operation is left and, for a promise (an async function's), until it settles;
    /// the value, or what the promise resolved to (`undefined` when it
    /// never settles or the call was interrupted).
    pub(crate) fn settle<'js>(
        &self,
        ctx: &Ctx<'js>,
        value: Value<'js>,
    ) -> rquickjs::Result<Value<'js>> {
        let promise = value.as_promise().cloned();
        let settled = crate::globals::event_loop::run(ctx, &self.state, promise.as_ref())?;
        Ok(match promise {
            None => value,
            Some(_) => settled.unwrap_or_else(|| Value::new_undefined(ctx.clone())),
        })
    }
}

/// What a call threw, and whether it was the rejection of the promise it
/// returned (an async function's).
struct Thrown {
    exception: JsException,
    in_promise: bool,
}

impl From<JsException> for Thrown {
    fn from(exception: JsException) -> Self {
        Thrown {
            exception,
            in_promise: false,
        }
    }
}

/// Tags of a scenario's samples: run tags, the scenario's own `tags`, and
/// `scenario`.
pub fn scenario_tags(run: &Tags, scenario: &str, own: &[(String, String)]) -> Tags {
    let mut tags = run.clone();
    for (key, value) in own {
        tags.insert(key.as_str(), value.as_str());
    }
    tags.with("scenario", scenario)
}
