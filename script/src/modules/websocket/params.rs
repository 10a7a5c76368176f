//! The `params` argument both modules take (`headers`, `tags`, `jar`,
//! `compression`), read with k6's rules and errors. The two modules
//! differ in small ways, kept here under [`Dialect`].

use std::sync::Arc;

use k6r_http::CookieJar;
use rquickjs::{Ctx, Value};
use url::Url;

use super::dial::go_header_name;
use crate::js;
use crate::modules::http::custom_jar;
use crate::state::VuState;

/// Which module reads the params.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// `k6/ws`: unknown keys are ignored, an empty `compression` too.
    Ws,
    /// `k6/experimental/websockets`: unknown keys are errors.
    WebSockets,
}

impl Dialect {
    /// What an error about the `tags` param starts with.
    fn tags_error(self) -> &'static str {
        match self {
            Dialect::Ws => "invalid ws.connect() metric tags",
            Dialect::WebSockets => "invalid WebSocket tags option",
        }
    }
}

/// The cookie jar a connection uses.
#[derive(Clone)]
pub(crate) enum Jar {
    /// The VU's own (the default).
    Vu,
    /// One made by `new http.CookieJar()`.
    Own(Arc<CookieJar>),
}

/// What the params say.
#[derive(Clone)]
pub(crate) struct Params {
    /// The request's headers (`User-Agent` from the options first), Go's
    /// names, one value each.
    pub headers: Vec<(String, String)>,
    /// The script's tags, in its order.
    pub tags: Vec<(String, String)>,
    /// The jar.
    pub jar: Jar,
    /// `compression: 'deflate'` was asked for.
    pub compression: bool,
}

impl Params {
    /// The cookies of the jar for `url` (a `ws`/`wss` URL, looked up as
    /// its `http`/`https` twin, as gorilla does).
    pub(crate) fn cookies(&self, vu: &VuState, url: &Url) -> Vec<(String, String)> {
        let Some(http) = http_twin(url) else {
            return Vec::new();
        };
        match &self.jar {
            Jar::Vu => vu.client().jar().cookies_for(&http),
            Jar::Own(jar) => jar.cookies_for(&http),
        }
    }

    /// Keeps the cookies the server set in the upgrade's answer.
    pub(crate) fn store_cookies(&self, vu: &VuState, url: &Url, set_cookies: &[String]) {
        let Some(http) = http_twin(url) else {
            return;
        };
        if set_cookies.is_empty() {
            return;
        }
        let values = set_cookies.iter().map(String::as_str);
        match &self.jar {
            Jar::Vu => vu.client().jar().store_set_cookies(&http, values),
            Jar::Own(jar) => jar.store_set_cookies(&http, values),
        }
    }
}

/// `ws://h/p` as `http://h/p`, `wss://` as `https://`.
fn http_twin(url: &Url) -> Option<Url> {
    let scheme = match url.scheme() {
        "ws" => "http",
        "wss" => "https",
        other => other,
    };
    let rest = url.as_str().split_once(':')?.1;
    Url::parse(&format!("{scheme}:{rest}")).ok()
}

/// Reads `value` (absent, `undefined` and `null` are no params).
pub(crate) fn read<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    value: Option<&Value<'js>>,
    dialect: Dialect,
) -> rquickjs::Result<Params> {
    let mut params = Params {
        headers: Vec::new(),
        tags: Vec::new(),
        jar: Jar::Vu,
        compression: false,
    };
    if let Some(agent) = vu.client().options().user_agent.clone() {
        params.headers.push(("User-Agent".to_owned(), agent));
    }
    let Some(object) = value.filter(|v| !v.is_undefined() && !v.is_null()) else {
        return Ok(params);
    };
    let Some(object) = object.as_object() else {
        return Ok(params);
    };
    for key in object.keys::<String>() {
        let key = key?;
        let value: Value = object.get(key.as_str())?;
        match key.as_str() {
            "headers" => {
                let Some(headers) = value.as_object() else {
                    continue;
                };
                for name in headers.keys::<String>() {
                    let name = name?;
                    let text = js::to_string(&headers.get::<_, Value>(name.as_str())?)?;
                    set_header(&mut params.headers, &name, text);
                }
            }
            "tags" => {
                params.tags = tags(ctx, &value).map_err(|reason| {
                    js::throw_go_error(ctx, &format!("{}: {reason}", dialect.tags_error()))
                })?;
            }
            "jar" => {
                if let Some(jar) = custom_jar(ctx, vu, &value)? {
                    params.jar = Jar::Own(jar);
                }
            }
            "compression" => {
                let algorithm = js::to_string(&value)?;
                let algorithm = algorithm.trim();
                if algorithm.is_empty() && dialect == Dialect::Ws {
                    continue;
                }
                if algorithm != "deflate" {
                    let message = format!(
                        "unsupported compression algorithm '{algorithm}', supported algorithm is 'deflate'"
                    );
                    return Err(js::throw_go_error(ctx, &message));
                }
                params.compression = true;
            }
            _ if dialect == Dialect::WebSockets => {
                return Err(js::throw_go_error(
                    ctx,
                    &format!("unknown WebSocket's option {key}"),
                ));
            }
            _ => {}
        }
    }
    Ok(params)
}

/// Go's `Header.Set`: the canonical name, replacing an earlier value.
fn set_header(headers: &mut Vec<(String, String)>, name: &str, value: String) {
    let name = go_header_name(name);
    match headers.iter_mut().find(|(n, _)| *n == name) {
        Some((_, old)) => *old = value,
        None => headers.push((name, value)),
    }
}

/// The `tags` param: strings, booleans and numbers, as text.
fn tags<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> Result<Vec<(String, String)>, String> {
    if value.is_undefined() || value.is_null() {
        return Ok(Vec::new());
    }
    let Some(object) = value.as_object() else {
        return Ok(Vec::new());
    };
    let mut tags = Vec::new();
    let text = |e: rquickjs::Error| {
        let _ = ctx.catch();
        e.to_string()
    };
    for key in object.keys::<String>() {
        let key = key.map_err(text)?;
        let value: Value = object.get(key.as_str()).map_err(text)?;
        if !(value.is_string() || value.is_bool() || value.is_number()) {
            return Err(format!(
                "invalid value for metric tag '{key}': only String, Boolean and Number types are accepted as a metric tag values"
            ));
        }
        tags.push((key, js::to_string(&value).map_err(text)?));
    }
    Ok(tags)
}
