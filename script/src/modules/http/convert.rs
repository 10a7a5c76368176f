//! JavaScript arguments → [`k6r_http::Request`].

use std::time::Duration;

use k6r_http::{Auth, Body, Compression, Params, Request, RequestCookie, ResponseType};
use rquickjs::{Ctx, Object, TypedArray, Value};

use super::form;
use crate::js;
use crate::state::VuState;

/// A request from `(method, url, body, params)`.
pub(crate) fn request<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    method: &str,
    url: &Value<'js>,
    body: Option<&Value<'js>>,
    params: Option<&Value<'js>>,
) -> rquickjs::Result<Request> {
    let mut request = Request::new(method.to_ascii_uppercase(), url_of(url)?);
    if let Some(body) = body {
        request.body = body_of(body)?;
    }
    if let Some(params) = params.and_then(|p| p.as_object()) {
        apply_params(ctx, vu, &mut request, params)?;
    }
    Ok(request)
}

/// k6's warning for a `compression` param whose algorithms differ from
/// a `Content-Encoding` header the script set (the header wins).
pub(crate) fn encoding_mismatch(request: &Request) -> Option<String> {
    let wanted = request.params.compression.as_deref()?;
    let wanted = k6r_http::compression::header_value(&Compression::parse_list(wanted).ok()?);
    let (_, given) = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-encoding"))?;
    (!wanted.is_empty() && *given != wanted).then(|| {
        format!(
            "There's a mismatch between the desired `compression` the manually set `Content-Encoding` header in the {} request for '{}', the custom header has precedence and won't be overwritten. This may result in invalid data being sent to the server.",
            request.method, request.url
        )
    })
}

/// A string URL, or the `url` of an `http.url` object.
fn url_of(url: &Value<'_>) -> rquickjs::Result<String> {
    if let Some(object) = url.as_object() {
        let inner: Value = object.get("url")?;
        if inner.is_string() {
            return js::to_string(&inner);
        }
    }
    js::to_string(url)
}

const BYTES: &str = "(x) => Array.from(x instanceof ArrayBuffer ? new Uint8Array(x) : new Uint8Array(x.buffer, x.byteOffset, x.byteLength))";

fn body_of(body: &Value<'_>) -> rquickjs::Result<Body> {
    if body.is_undefined() || body.is_null() {
        return Ok(Body::None);
    }
    if let Some(object) = body.as_object() {
        let binary = crate::binary::is_array_buffer(object)
            || TypedArray::<u8>::from_object(object.clone()).is_ok();
        if binary {
            return Ok(Body::Bytes(bytes_of(body)?));
        }
        return form::body(object, bytes_of);
    }
    Ok(Body::Text(js::to_string(body)?))
}

/// The bytes of an `ArrayBuffer` or typed array, copied through
/// JavaScript: reading the engine's buffer directly would need `unsafe`.
/// Anything else gives its `String()`.
pub(crate) fn bytes_of(value: &Value<'_>) -> rquickjs::Result<Vec<u8>> {
    let Some(object) = value.as_object() else {
        return Ok(js::to_string(value)?.into_bytes());
    };
    let binary = crate::binary::is_array_buffer(object)
        || TypedArray::<u8>::from_object(object.clone()).is_ok();
    if !binary {
        return Ok(js::to_string(value)?.into_bytes());
    }
    let copy: rquickjs::Function = object.ctx().eval(BYTES)?;
    copy.call((object.clone(),))
}

fn apply_params<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    request: &mut Request,
    params: &Object<'js>,
) -> rquickjs::Result<()> {
    let mut out = Params::default();
    if let Some(headers) = params.get::<_, Value>("headers")?.into_object() {
        for entry in headers.props::<String, Value>() {
            let (name, value) = entry?;
            if !value.is_undefined() && !value.is_null() {
                request.headers.push((name, js::to_string(&value)?));
            }
        }
    }
    if let Some(tags) = params.get::<_, Value>("tags")?.into_object() {
        for entry in tags.props::<String, Value>() {
            let (name, value) = entry?;
            out.tags.push((name, js::to_string(&value)?));
        }
    }
    let timeout: Value = params.get("timeout")?;
    if let Some(ms) = timeout.as_number() {
        out.timeout = Duration::try_from_secs_f64(ms / 1000.0).unwrap_or(out.timeout);
    } else if timeout.is_string() {
        let text = js::to_string(&timeout)?;
        let parsed = k6r_core::Duration::parse_extended(&text)
            .ok()
            .map(|d| d.to_std())
            .ok_or_else(|| js::throw_go_error(ctx, &format!("invalid timeout value {text}")))?;
        out.timeout = parsed;
    }
    let redirects: Value = params.get("redirects")?;
    if let Some(n) = redirects.as_number() {
        out.redirects = Some(n.max(0.0) as u32);
    }
    let response_type: Value = params.get("responseType")?;
    if response_type.is_string() {
        out.response_type = Some(match js::to_string(&response_type)?.as_str() {
            "binary" => ResponseType::Binary,
            "none" => ResponseType::None,
            "text" => ResponseType::Text,
            other => {
                return Err(js::throw_go_error(
                    ctx,
                    &format!("unknown ResponseType {other}"),
                ))
            }
        });
    }
    let auth: Value = params.get("auth")?;
    if auth.is_string() {
        // k6 takes any other string as basic auth from the URL.
        match js::to_string(&auth)?.as_str() {
            "digest" => out.auth = Some(Auth::Digest),
            "ntlm" => out.auth = Some(Auth::Ntlm),
            _ => {}
        }
    }
    if let Some(auth) = auth.as_object() {
        let user: Value = auth.get("username")?;
        let password: Value = auth.get("password")?;
        out.auth = Some(Auth::Basic {
            user: js::to_string(&user)?,
            password: js::to_string(&password)?,
        });
    }
    if let Some(cookies) = params.get::<_, Value>("cookies")?.into_object() {
        for entry in cookies.props::<String, Value>() {
            let (name, value) = entry?;
            let cookie = match value.as_object() {
                Some(object) if !value.is_string() => RequestCookie {
                    name,
                    value: js::to_string(&object.get::<_, Value>("value")?)?,
                    replace: object.get::<_, Value>("replace")?.as_bool() == Some(true),
                },
                _ => RequestCookie {
                    name,
                    value: js::to_string(&value)?,
                    replace: false,
                },
            };
            out.cookies.push(cookie);
        }
    }
    let jar: Value = params.get("jar")?;
    if !jar.is_undefined() {
        out.jar = super::jar::choice(ctx, vu, &jar)?;
    }
    let compression: Value = params.get("compression")?;
    if !compression.is_undefined() {
        out.compression = Some(js::to_string(&compression)?);
    }
    request.params = out;
    Ok(())
}
