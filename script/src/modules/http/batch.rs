//! `http.batch()`: several requests sent at once, their responses in an
//! array or object shaped as the argument.

use std::time::SystemTime;

use k6r_http::Request;
use rquickjs::{Array, Class, Ctx, Object, Value};

use super::deferred::Kit;
use super::response::response_value;
use super::send::{interrupted, prepared_client};
use super::{convert, samples};
use crate::js;
use crate::state::VuState;
use crate::wait;

/// `http.batch(requests)`: an array (or object) of URLs, `[method, url,
/// body, params]` arrays or `{method, url, body, params}` objects.
pub(super) fn batch<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    requests: Option<Value<'js>>,
    kit: &Class<'js, Kit<'js>>,
) -> rquickjs::Result<Value<'js>> {
    let Some(requests) = requests.and_then(|r| r.into_object()) else {
        return Err(js::throw_go_error(
            ctx,
            "batch() expects an array or an object",
        ));
    };
    let is_array = requests.is_array();
    let mut keys = Vec::new();
    let mut list: Vec<Request> = Vec::new();
    for entry in requests.props::<String, Value>() {
        let (key, item) = entry?;
        list.push(batch_item(ctx, vu, &item)?);
        keys.push(key);
    }
    let methods: Vec<String> = list.iter().map(|r| r.method.clone()).collect();
    let client = prepared_client(vu);
    let token = vu.interrupt.token().unwrap_or_default();
    let tags = vu.tags();
    let Some(outcomes) = wait::block(
        vu,
        async move { Box::pin(client.batch(list, &token)).await },
    ) else {
        return Err(interrupted(ctx));
    };
    let out = if is_array {
        Array::new(ctx.clone())?.into_object()
    } else {
        Object::new(ctx.clone())?
    };
    let now = SystemTime::now();
    let mut first_failure = None;
    for ((key, method), outcome) in keys.into_iter().zip(methods).zip(outcomes) {
        let Some(exchange) = outcome.done() else {
            return Err(interrupted(ctx));
        };
        let failed = samples::record(vu, &tags, now, &method, &exchange);
        first_failure = first_failure.or(failed);
        let value = response_value(exchange.response, kit)?;
        match key.parse::<usize>() {
            Ok(index) if is_array => out.set(index as u32, value)?,
            _ => out.set(key, value)?,
        }
    }
    // `throw: true`: as in k6, the batch throws its first failure once
    // every request is done.
    if let Some(error) = first_failure.filter(|_| vu.config.throw) {
        return Err(js::throw_go_error(ctx, &error));
    }
    Ok(out.into_value())
}

fn batch_item<'js>(ctx: &Ctx<'js>, vu: &VuState, item: &Value<'js>) -> rquickjs::Result<Request> {
    if let Some(array) = item.as_array() {
        let get = |i: usize| array.get::<Value>(i);
        let method = js::to_string(&get(0)?)?;
        let (body, params) = (get(2)?, get(3)?);
        return convert::request(ctx, vu, &method, &get(1)?, Some(&body), Some(&params));
    }
    if let Some(object) = item.as_object().filter(|_| !item.is_string()) {
        let method: Value = object.get("method")?;
        let method = if method.is_undefined() {
            "GET".to_owned()
        } else {
            js::to_string(&method)?
        };
        let url: Value = object.get("url")?;
        let (body, params): (Value, Value) = (object.get("body")?, object.get("params")?);
        return convert::request(ctx, vu, &method, &url, Some(&body), Some(&params));
    }
    convert::request(ctx, vu, "GET", item, None, None)
}
