//! k6's built-in modules (`k6`, `k6/http`, `k6/metrics`, `k6/execution`,
//! `k6/timers`, `k6/encoding`, `k6/crypto`, `k6/crypto/x509`, `k6/html`,
//! `k6/data`, `k6/experimental/fs`, `k6/experimental/csv`,
//! `k6/experimental/streams`, `k6/experimental/redis`, `k6/secrets`,
//! `k6/net/grpc`, `k6/ws` and `k6/experimental/websockets`).
//!
//! # Layout
//! - `k6`, `http/`, `metrics`, `execution`, `timers`: the modules of those
//!   names.
//! - `encoding` (with `encoding/decode`, Go's base64 decoding): `k6/encoding`.
//! - `crypto/`: `k6/crypto` (hashes, HMAC, hashers, random bytes) and
//!   `crypto/x509`, `k6/crypto/x509`.
//! - `html/`: `k6/html`: `parseHTML`, selections and elements, parsed on
//!   first use.
//! - `data`, `fs`, `csv`, `secrets`: `k6/data`, `k6/experimental/fs`,
//!   `k6/experimental/csv`, `k6/secrets` (shared through
//!   [`crate::shared`] and [`crate::secrets`]).
//! - `grpc/`: `k6/net/grpc` (clients, calls and streams over tonic).
//! - `streams/`: `k6/experimental/streams` (`ReadableStream` and its
//!   reader), JavaScript of k6r's own in `streams/readable.js`.
//! - `redis/`: `k6/experimental/redis` (`Client`, its commands as
//!   promises over a per-client connection pool, cluster and sentinel).
//! - `websocket/`: `k6/ws` and `k6/experimental/websockets` over one
//!   connection core (dial, upgrade, connection task, `ws_*` samples).
//!
//! Each module is built per VU: its functions are Rust closures holding
//! the VU's [`VuState`]. QuickJS declares native modules through a
//! stateless [`ModuleDef`], so each context carries a hidden factory
//! function (under `Symbol.for("k6r.builtins")`) that the module's
//! `evaluate` calls to get the VU's exports object; the default export
//! is that object and the named exports are its properties, as in k6.
//!
//! # How to add a built-in module
//! 1. Create `modules/<name>.rs` with a unit struct implementing
//!    [`BuiltinModule`]: its specifier, its export names (including
//!    `"default"`) and `build`, which returns the exports object.
//! 2. Add `entry::<YourModule>()` to [`MODULES`].
//! 3. If it keeps per-VU state, add a field to [`VuState`].
//! 4. Import it from a fixture in `tests/` to prove it loads.

pub(crate) mod crypto;
pub(crate) mod csv;
pub(crate) mod data;
pub(crate) mod encoding;
pub(crate) mod execution;
pub(crate) mod fs;
pub(crate) mod grpc;
pub(crate) mod html;
pub(crate) mod http;
pub(crate) mod k6;
pub(crate) mod metrics;
pub(crate) mod redis;
pub(crate) mod secrets;
pub(crate) mod streams;
pub(crate) mod timers;
pub(crate) mod websocket;

use std::marker::PhantomData;
use std::rc::Rc;

use crate::compiled::Compiled;
use rquickjs::module::{Declarations, Exports, ModuleDef};
use rquickjs::object::Property;
use rquickjs::{Ctx, Function, Module, Object, Symbol, Value};

use crate::js;
use crate::loader::{self, LoaderState};
use crate::state::VuState;
use rquickjs::function::Opt;

/// One built-in module.
pub(crate) trait BuiltinModule {
    /// The specifier scripts import (`k6/http`).
    const NAME: &'static str;
    /// Every export, `"default"` included.
    const EXPORTS: &'static [&'static str];
    /// The exports object of one VU: every name of [`Self::EXPORTS`]
    /// but `default` must be a property of it.
    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>>;
}

type DeclareFn = for<'js> fn(Ctx<'js>) -> rquickjs::Result<Module<'js>>;
type BuildFn = for<'js> fn(&Ctx<'js>, &Rc<VuState>) -> rquickjs::Result<Object<'js>>;

struct Entry {
    name: &'static str,
    declare: DeclareFn,
    build: BuildFn,
}

const fn entry<M: BuiltinModule + 'static>() -> Entry {
    Entry {
        name: M::NAME,
        declare: declare_builtin::<M>,
        build: M::build,
    }
}

/// Every built-in module k6r provides.
const MODULES: &[Entry] = &[
    entry::<k6::K6>(),
    entry::<http::Http>(),
    entry::<metrics::Metrics>(),
    entry::<execution::Execution>(),
    entry::<timers::Timers>(),
    entry::<encoding::Encoding>(),
    entry::<crypto::Crypto>(),
    entry::<crypto::x509::X509>(),
    entry::<html::Html>(),
    entry::<data::Data>(),
    entry::<fs::Fs>(),
    entry::<csv::Csv>(),
    entry::<secrets::SecretsModule>(),
    entry::<streams::Streams>(),
    entry::<redis::Redis>(),
    entry::<grpc::Grpc>(),
    entry::<websocket::ws::Ws>(),
    entry::<websocket::websockets::WebSockets>(),
];

fn find(name: &str) -> Option<&'static Entry> {
    MODULES.iter().find(|entry| entry.name == name)
}

/// The canonical name of the built-in module `specifier`, if there is one.
pub(crate) fn lookup(specifier: &str) -> Option<&'static str> {
    find(specifier).map(|entry| entry.name)
}

/// Declares the built-in module `name` in `ctx` (for the loader).
pub(crate) fn declare<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Module<'js>> {
    match find(name) {
        Some(entry) => (entry.declare)(ctx.clone()),
        None => Err(js::throw_go_error(ctx, &format!("unknown module: {name}"))),
    }
}

const FACTORY_KEY: &str = "k6r.builtins";
/// Where a module's exports object keeps named exports of its own.
const NAMED_KEY: &str = "k6r.named";

/// Gives `ctx` the factory that builds this VU's module objects. Called
/// without a name, the factory is the getter of the lazy `require`
/// global (see [`loader::require`]), which so costs no object of its own.
pub(crate) fn install<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    loader: &Rc<LoaderState>,
) -> rquickjs::Result<()> {
    let (vu, loader) = (vu.clone(), loader.clone());
    let factory = js::function(
        ctx,
        "builtins",
        move |ctx: Ctx<'js>, name: Opt<String>| -> rquickjs::Result<Value<'js>> {
            let Some(name) = name.0 else {
                return loader::require::define(&ctx, &vu, &loader);
            };
            match find(&name) {
                Some(entry) => Ok((entry.build)(&ctx, &vu)?.into_value()),
                None => Err(js::throw_go_error(&ctx, &format!("unknown module: {name}"))),
            }
        },
    )?;
    loader::require::install_lazy(ctx, &factory)?;
    let key = Symbol::new_global(ctx.clone(), FACTORY_KEY)?;
    ctx.globals().prop(key, Property::from(factory))
}

/// The module object of the built-in module `name` in `ctx`, built by
/// the factory [`install`] gave it.
pub(crate) fn build<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Object<'js>> {
    let key = Symbol::new_global(ctx.clone(), FACTORY_KEY)?;
    let factory: Function = ctx.globals().get(key)?;
    factory.call((name,))
}

fn declare_builtin<'js, M: BuiltinModule + 'static>(
    ctx: Ctx<'js>,
) -> rquickjs::Result<Module<'js>> {
    Module::declare_def::<Builtin<M>, _>(ctx, M::NAME)
}

struct Builtin<M>(PhantomData<M>);

impl<M: BuiltinModule> ModuleDef for Builtin<M> {
    fn declare(declarations: &Declarations<'_>) -> rquickjs::Result<()> {
        for name in M::EXPORTS {
            declarations.declare(*name)?;
        }
        Ok(())
    }

    fn evaluate<'js>(ctx: &Ctx<'js>, exports: &Exports<'js>) -> rquickjs::Result<()> {
        let object = build(ctx, M::NAME)?;
        // A module whose named exports differ from its default export's
        // properties (live views of getters that throw in init code)
        // keeps them under `Symbol.for("k6r.named")`.
        let named = Symbol::new_global(ctx.clone(), NAMED_KEY)?;
        let named = match object.get::<_, Option<Object>>(named)? {
            Some(named) => named,
            None => object.clone(),
        };
        for name in M::EXPORTS {
            if *name == "default" {
                exports.export("default", object.clone())?;
            } else {
                exports.export(*name, named.get::<_, Value>(*name)?)?;
            }
        }
        Ok(())
    }
}

/// Runs `glue`, a JavaScript function expression, and calls it with
/// `natives`: for the parts of a module that are easier to state in
/// JavaScript (classes, getters).
pub(crate) fn glue<'js>(
    ctx: &Ctx<'js>,
    glue: &'static Compiled,
    natives: Object<'js>,
) -> rquickjs::Result<Object<'js>> {
    let function: Function = glue.load(ctx)?;
    function.call((natives,))
}
