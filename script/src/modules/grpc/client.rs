//! `new grpc.Client()`: an object with k6's six methods over one
//! client's state (its known methods and its connection). The object
//! also carries, under a hidden symbol, the function `grpc.Stream` uses
//! to open a stream on it.

use std::cell::RefCell;
use std::rc::Rc;

use rquickjs::function::{Opt, Rest};
use rquickjs::object::Property;
use rquickjs::{Array, Ctx, Object, Symbol, Value};

use super::connection::{self, Connection};
use super::descriptors::{self, Methods};
use super::{invoke, reflection, stream};
use crate::js;
use crate::state::VuState;
use crate::wait;
use k6r_http::transport::stream::IoMarks;

/// Where a client object keeps its stream opener.
pub(super) const STREAM_KEY: &str = "k6r.grpc.stream";

/// One client's state.
#[derive(Default)]
pub(crate) struct ClientState {
    pub methods: Methods,
    pub connection: Option<Connection>,
}

type Shared = Rc<RefCell<ClientState>>;

/// The `Client` constructor of one VU.
pub(super) fn class<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Value<'js>> {
    let state = vu.clone();
    let make = move |ctx: Ctx<'js>| -> rquickjs::Result<Object<'js>> {
        let client: Shared = Rc::default();
        let object = Object::new(ctx.clone())?;
        methods(&ctx, &object, &state, &client)?;
        let vu = state.clone();
        let opener =
            move |ctx: Ctx<'js>, args: Rest<Value<'js>>| stream::open(&ctx, &vu, &client, args.0);
        let key = Symbol::new_global(ctx.clone(), STREAM_KEY)?;
        object.prop(key, Property::from(js::function(&ctx, "stream", opener)?))?;
        Ok(object)
    };
    let constructor = js::function(ctx, "Client", make)?;
    constructor.set_constructor(true);
    constructor.set("prototype", Object::new(ctx.clone())?)?;
    Ok(constructor.into_value())
}

/// Sets the six methods, in k6's (sorted) key order.
fn methods<'js>(
    ctx: &Ctx<'js>,
    object: &Object<'js>,
    vu: &Rc<VuState>,
    client: &Shared,
) -> rquickjs::Result<()> {
    let (state, shared) = (vu.clone(), client.clone());
    let async_invoke = move |ctx: Ctx<'js>,
                             method: Opt<Value<'js>>,
                             request: Opt<Value<'js>>,
                             params: Opt<Value<'js>>| {
        invoke::async_invoke(&ctx, &state, &shared, method.0, request.0, params.0)
    };
    object.set(
        "asyncInvoke",
        js::function(ctx, "asyncInvoke", async_invoke)?,
    )?;

    let shared = client.clone();
    let close = move || {
        // Dropping the channel closes the connection once no call uses it.
        shared.borrow_mut().connection = None;
    };
    object.set("close", js::function(ctx, "close", close)?)?;

    let (state, shared) = (vu.clone(), client.clone());
    let connect = move |ctx: Ctx<'js>, address: Opt<Value<'js>>, params: Opt<Value<'js>>| {
        connect(&ctx, &state, &shared, address.0, params.0)
    };
    object.set("connect", js::function(ctx, "connect", connect)?)?;

    let (state, shared) = (vu.clone(), client.clone());
    let invoke = move |ctx: Ctx<'js>,
                       method: Opt<Value<'js>>,
                       request: Opt<Value<'js>>,
                       params: Opt<Value<'js>>| {
        invoke::invoke(&ctx, &state, &shared, method.0, request.0, params.0)
    };
    object.set("invoke", js::function(ctx, "invoke", invoke)?)?;

    let (state, shared) = (vu.clone(), client.clone());
    let load = move |ctx: Ctx<'js>, paths: Opt<Value<'js>>, files: Rest<Value<'js>>| {
        load(&ctx, &state, &shared, paths.0, files.0)
    };
    object.set("load", js::function(ctx, "load", load)?)?;

    let (state, shared) = (vu.clone(), client.clone());
    let load_protoset =
        move |ctx: Ctx<'js>, path: Opt<Value<'js>>| load_protoset(&ctx, &state, &shared, path.0);
    object.set(
        "loadProtoset",
        js::function(ctx, "loadProtoset", load_protoset)?,
    )?;
    Ok(())
}

/// k6's answer to `load`: `{package, service, full_method, name,
/// is_client_stream, is_server_stream}` per method added.
fn method_infos<'js>(
    ctx: &Ctx<'js>,
    added: &[prost_reflect::MethodDescriptor],
) -> rquickjs::Result<Value<'js>> {
    let array = Array::new(ctx.clone())?;
    for (i, method) in added.iter().enumerate() {
        let info = Object::new(ctx.clone())?;
        let service = method.parent_service();
        info.set("package", service.package_name())?;
        info.set("service", service.name())?;
        info.set(
            "full_method",
            format!("/{}/{}", service.full_name(), method.name()),
        )?;
        info.set("name", method.name())?;
        info.set("is_client_stream", method.is_client_streaming())?;
        info.set("is_server_stream", method.is_server_streaming())?;
        array.set(i, info)?;
    }
    Ok(array.into_value())
}

fn load<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    client: &Shared,
    paths: Option<Value<'js>>,
    files: Vec<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    vu.require_init(ctx, "load must be called in the init context")?;
    let mut import_paths = Vec::new();
    if let Some(array) = paths.as_ref().and_then(Value::as_array) {
        for item in js::array_items(array)? {
            import_paths.push(js::to_string(&item)?);
        }
    }
    let mut names = Vec::new();
    for file in &files {
        names.push(js::to_string(file)?);
    }
    let pool = descriptors::load(vu.files.clone(), &vu.entry_dir, &import_paths, &names)
        .map_err(|e| js::throw_go_error(ctx, &e))?;
    let added = client.borrow_mut().methods.add_pool(&pool);
    method_infos(ctx, &added)
}

fn load_protoset<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    client: &Shared,
    path: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    vu.require_init(ctx, "load must be called in the init context")?;
    let name = match path {
        Some(value) if !value.is_undefined() => js::to_string(&value)?,
        _ => String::new(),
    };
    let path = descriptors::script_path(&vu.entry_dir, &name);
    let content = vu.files.read(&path).map_err(|_| {
        js::throw_go_error(
            ctx,
            &format!(
                "couldn't open protoset: stat {}: no such file or directory",
                path.display()
            ),
        )
    })?;
    let pool = descriptors::load_protoset(&content).map_err(|e| js::throw_go_error(ctx, &e))?;
    let added = client.borrow_mut().methods.add_pool(&pool);
    method_infos(ctx, &added)
}

fn connect<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    client: &Shared,
    address: Option<Value<'js>>,
    params: Option<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    vu.forbid_in_init(
        ctx,
        "connecting to a gRPC server in the init context is not supported",
    )?;
    let address = match address {
        Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value)?,
        _ => String::new(),
    };
    let params = connection::params(ctx, params.as_ref())?;
    let endpoint =
        connection::endpoint(&address, &params).map_err(|e| js::throw_go_error(ctx, &e))?;
    let (timeout, reflect, metadata) = (params.timeout, params.reflect, params.reflect_metadata);
    let marks = IoMarks::new();
    let marking = marks.clone();
    let hosts = vu.config.http.hosts.clone();
    let work = async move {
        let channel = connection::open(endpoint, timeout, marking, hosts).await?;
        let pool = if reflect {
            let walk = reflection::reflect(channel.clone(), metadata);
            match tokio::time::timeout(timeout, walk).await {
                Ok(pool) => Some(pool?),
                Err(_) => return Err("context deadline exceeded".to_owned()),
            }
        } else {
            None
        };
        Ok((channel, pool))
    };
    let outcome = wait::block(vu, async move { Box::pin(work).await })
        .ok_or_else(|| js::throw_go_error(ctx, "context canceled"))?;
    vu.claim_bytes(&marks);
    let (channel, pool) = outcome.map_err(|e| js::throw_go_error(ctx, &e))?;
    let mut client = client.borrow_mut();
    if let Some(pool) = pool {
        client.methods.add_pool(&pool);
    }
    client.connection = Some(Connection {
        channel,
        address,
        max_receive: params.max_receive,
        max_send: params.max_send,
        marks,
    });
    Ok(Value::new_bool(ctx.clone(), true))
}
