//! `new redis.Client(...)`: a plain object (as k6's, not an
//! `instanceof` anything) with the 41 methods as its own properties.
//!
//! The options are read at once (bad ones throw), nothing connects: the
//! client is made on the first command in VU code (`isConnected()`
//! turns true then, whether or not the server answers), and each
//! connection when a command needs one. In init code every command
//! rejects, as k6's do. A command returns a promise at once; its work is
//! a pending operation of the VU ([`crate::pending`]), settled on the
//! VU's thread with the reply, or rejected with k6's error value.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;

use k6r_http::transport::stream::IoMarks;
use redis::{Cmd, Value};
use rquickjs::function::Rest;
use rquickjs::object::Property;
use rquickjs::{Ctx, Function, Object};

use super::args::Args;
use super::cluster::Cluster;
use super::commands::{self, Prepared};
use super::conn::Dialer;
use super::error::Error;
use super::options::{Mode, Options};
use super::pool::{Pool, Target};
use super::reply;
use super::sentinel::Masters;
use crate::js;
use crate::pending;
use crate::state::{Stage, VuState};

/// What runs the commands of a connected client.
enum Backend {
    Pool(Rc<Pool>),
    Cluster(Rc<Cluster>),
    /// Options no client can be made of (a malformed cluster address):
    /// every command rejects with this.
    Broken(Error),
}

/// One `redis.Client`.
pub(super) struct Client {
    options: Options,
    backend: OnceCell<Backend>,
    traffic: Arc<IoMarks>,
}

type Work = Pin<Box<dyn Future<Output = Result<Value, Error>>>>;

impl Client {
    pub(super) fn new(options: Options) -> Client {
        Client {
            options,
            backend: OnceCell::new(),
            traffic: IoMarks::new(),
        }
    }

    /// xk6-redis's `connect`: refused in init code, else the backend
    /// (made once).
    fn connect(&self, vu: &VuState) -> Result<&Backend, Error> {
        if vu.stage.get() == Stage::Init {
            return Err(Error::InitContext);
        }
        Ok(self.backend.get_or_init(|| self.make_backend(vu)))
    }

    fn make_backend(&self, vu: &VuState) -> Backend {
        let settings = self.options.settings();
        let insecure = vu.config.http.tls.options().insecure_skip_verify;
        let dialer = Dialer {
            hosts: vu.config.http.hosts.clone(),
            insecure,
            settings: settings.clone(),
            node: self.options.node.clone(),
            traffic: Arc::clone(&self.traffic),
        };
        let first = self.options.addrs.first().cloned().unwrap_or_default();
        match &self.options.mode {
            Mode::Single => Backend::Pool(Rc::new(Pool::new(dialer, Target::Addr(first)))),
            Mode::Sentinel(sentinel) => {
                let masters = Masters::new(
                    self.options.addrs.clone(),
                    sentinel.clone(),
                    self.options.node.tls.is_some(),
                    insecure,
                );
                Backend::Pool(Rc::new(Pool::new(dialer, Target::Sentinel(masters))))
            }
            Mode::Cluster(cluster) => {
                match Cluster::new(&self.options, cluster, &settings, insecure) {
                    Ok(cluster) => Backend::Cluster(Rc::new(cluster)),
                    Err(error) => Backend::Broken(error),
                }
            }
        }
    }

    fn is_connected(&self) -> bool {
        self.backend.get().is_some()
    }

    /// The work of `command` (made, like its sockets, only once polled).
    fn work(backend: &Backend, command: Cmd) -> Work {
        match backend {
            Backend::Pool(pool) => Box::pin(Rc::clone(pool).process(command)),
            Backend::Cluster(cluster) => Box::pin(Rc::clone(cluster).process(command)),
            Backend::Broken(error) => {
                let error = error.clone();
                Box::pin(async move { Err(error) })
            }
        }
    }
}

/// The client object of `options`.
pub(super) fn object<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    options: Options,
) -> rquickjs::Result<Object<'js>> {
    let client = Rc::new(Client::new(options));
    let object = Object::new(ctx.clone())?;
    let mut names: Vec<&str> = commands::METHODS.to_vec();
    names.push("isConnected");
    names.sort_unstable();
    for name in names {
        let method = if name == "isConnected" {
            let client = Rc::clone(&client);
            js::function(ctx, name, move || client.is_connected())?
        } else {
            command_method(ctx, vu, &client, name)?
        };
        object.prop(name, Property::from(method).enumerable())?;
    }
    Ok(object)
}

fn command_method<'js>(
    ctx: &Ctx<'js>,
    vu: &Rc<VuState>,
    client: &Rc<Client>,
    name: &'static str,
) -> rquickjs::Result<Function<'js>> {
    let (vu, client) = (Rc::clone(vu), Rc::clone(client));
    js::function(
        ctx,
        name,
        move |ctx: Ctx<'js>, args: Rest<rquickjs::Value<'js>>| {
            call(&ctx, &vu, &client, name, &args.0)
        },
    )
}

/// One command method call: a promise, rejected at once for what k6
/// rejects before sending (init code, an unsupported argument).
fn call<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    client: &Rc<Client>,
    name: &str,
    args: &[rquickjs::Value<'js>],
) -> rquickjs::Result<rquickjs::Value<'js>> {
    let backend = match client.connect(vu) {
        Ok(backend) => backend,
        Err(error) => return rejected(ctx, &error),
    };
    let Prepared { command, reply } = match commands::prepare(name, &Args::new(args))? {
        Ok(prepared) => prepared,
        Err(error) => return rejected(ctx, &error),
    };
    let work = Client::work(backend, command);
    let traffic = Arc::clone(&client.traffic);
    let promise = pending::promise(ctx, vu, work, move |ctx, vu, result| {
        // The bytes count in the call that sees the reply.
        vu.claim_bytes(&traffic);
        let error = match result.map(|value| reply::to_js(ctx, reply, value)) {
            Ok(converted) => match converted? {
                Ok(value) => return Ok(value),
                Err(error) => error,
            },
            Err(error) => error,
        };
        Err(ctx.throw(error.to_js(ctx)?))
    })?;
    Ok(promise.into_value())
}

/// A promise already rejected with `error`.
fn rejected<'js>(ctx: &Ctx<'js>, error: &Error) -> rquickjs::Result<rquickjs::Value<'js>> {
    let (promise, _, reject) = ctx.promise()?;
    reject.call::<_, ()>((error.to_js(ctx)?,))?;
    Ok(promise.into_value())
}
