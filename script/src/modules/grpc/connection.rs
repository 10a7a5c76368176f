//! `client.connect(address, params)`: the parameters k6 takes and the
//! HTTP/2 channel (plaintext, or TLS with the system's roots or the
//! script's `cacerts`, and a client certificate).

use std::sync::Arc;
use std::time::Duration;

use rquickjs::{Ctx, Object, Value};
use tonic::metadata::MetadataMap;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint, Identity};

use super::counted::Connector;
use crate::js;
use k6r_http::transport::stream::IoMarks;

/// k6's default `timeout` of `connect` (and of each call).
pub(super) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// An open connection.
#[derive(Clone)]
pub(super) struct Connection {
    pub channel: Channel,
    /// What the script passed as `address` (the `url` tag).
    pub address: String,
    pub max_receive: usize,
    pub max_send: usize,
    /// The bytes it moved, not yet settled.
    pub marks: Arc<IoMarks>,
}

/// `connect`'s params.
pub(super) struct ConnectParams {
    pub plaintext: bool,
    pub reflect: bool,
    pub reflect_metadata: MetadataMap,
    pub timeout: Duration,
    pub max_receive: usize,
    pub max_send: usize,
    pub tls: Option<Tls>,
}

/// `params.tls`.
#[derive(Default)]
pub(super) struct Tls {
    pub cacerts: Vec<String>,
    pub cert: Option<String>,
    pub key: Option<String>,
    pub password: Option<String>,
}

/// k6's prefix of every error of `connect`'s params.
const PARAMS: &str = "invalid grpc.connect() parameters";

/// gRPC's default receive limit (4 MiB), which k6 keeps.
const DEFAULT_MAX_RECEIVE: usize = 4 * 1024 * 1024;

/// Reads `connect`'s params, throwing k6's errors for unknown or
/// mistyped ones.
pub(super) fn params<'js>(
    ctx: &Ctx<'js>,
    value: Option<&Value<'js>>,
) -> rquickjs::Result<ConnectParams> {
    let mut out = ConnectParams {
        plaintext: false,
        reflect: false,
        reflect_metadata: MetadataMap::new(),
        timeout: DEFAULT_TIMEOUT,
        max_receive: DEFAULT_MAX_RECEIVE,
        max_send: usize::MAX,
        tls: None,
    };
    let Some(object) = value.and_then(|v| v.as_object()) else {
        return Ok(out);
    };
    for entry in object.props::<String, Value>() {
        let (key, value) = entry?;
        match key.as_str() {
            "plaintext" => out.plaintext = boolean(ctx, &value, "plaintext")?,
            "reflect" => out.reflect = boolean(ctx, &value, "reflect")?,
            "reflectMetadata" => out.reflect_metadata = metadata(ctx, &value, "reflectMetadata")?,
            "timeout" => {
                out.timeout = timeout(ctx, &value).map_err(|_| {
                    let _ = ctx.catch();
                    let text = js::to_string(&value).unwrap_or_default();
                    js::throw_go_error(
                        ctx,
                        &format!(
                            "{PARAMS}: invalid timeout value: time: invalid duration {text:?}"
                        ),
                    )
                })?
            }
            "maxReceiveSize" => out.max_receive = size(ctx, &value, "maxReceiveSize")?,
            "maxSendSize" => out.max_send = size(ctx, &value, "maxSendSize")?,
            "tls" => out.tls = Some(tls(ctx, &value)?),
            other => {
                return Err(js::throw_go_error(
                    ctx,
                    &format!("{PARAMS}: unknown connect param: {other:?}"),
                ))
            }
        }
    }
    Ok(out)
}

/// A param's value as k6 quotes it (its JSON).
fn quoted<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> String {
    match ctx.json_stringify(value.clone()) {
        Ok(Some(json)) => json.to_string().unwrap_or_default(),
        Ok(None) => "undefined".to_owned(),
        Err(_) => {
            let _ = ctx.catch();
            String::new()
        }
    }
}

fn boolean<'js>(ctx: &Ctx<'js>, value: &Value<'js>, key: &str) -> rquickjs::Result<bool> {
    value.as_bool().ok_or_else(|| {
        let text = quoted(ctx, value);
        js::throw_go_error(
            ctx,
            &format!("{PARAMS}: invalid {key} value: '{text}', it needs to be boolean"),
        )
    })
}

/// The longest timeout honoured (about three years): gRPC's
/// `grpc-timeout` header cannot say much more, and tonic panics past it.
const MAX_TIMEOUT: Duration = Duration::from_secs(100_000_000);

/// A `timeout` param: milliseconds as a number, or a duration string (at
/// most [`MAX_TIMEOUT`]).
pub(super) fn timeout(ctx: &Ctx<'_>, value: &Value<'_>) -> rquickjs::Result<Duration> {
    parse_timeout(ctx, value).map(|timeout| timeout.min(MAX_TIMEOUT))
}

fn parse_timeout(ctx: &Ctx<'_>, value: &Value<'_>) -> rquickjs::Result<Duration> {
    if let Some(ms) = value.as_number() {
        return Duration::try_from_secs_f64(ms.max(0.0) / 1000.0)
            .map_err(|_| js::throw_go_error(ctx, &format!("invalid timeout value: {ms}")));
    }
    let text = js::to_string(value)?;
    k6r_core::Duration::parse_extended(&text)
        .ok()
        .map(|d| d.to_std())
        .ok_or_else(|| {
            js::throw_go_error(
                ctx,
                &format!("invalid timeout value: unable to parse timeout value: {text:?}"),
            )
        })
}

fn size<'js>(ctx: &Ctx<'js>, value: &Value<'js>, key: &str) -> rquickjs::Result<usize> {
    match value.as_number() {
        Some(n) if n.fract() == 0.0 && n > 0.0 => Ok(n.min(usize::MAX as f64) as usize),
        _ => Err(js::throw_go_error(
            ctx,
            &format!(
                "{PARAMS}: invalid {key} value: '{}', it needs to be an integer",
                quoted(ctx, value)
            ),
        )),
    }
}

/// A metadata object (`{key: value}`) as gRPC metadata; keys ending in
/// `-bin` carry binary values (a string's bytes or an ArrayBuffer's).
pub(super) fn metadata<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
    what: &str,
) -> rquickjs::Result<MetadataMap> {
    let mut map = MetadataMap::new();
    let Some(object) = value.as_object() else {
        if value.is_undefined() || value.is_null() {
            return Ok(map);
        }
        return Err(js::throw_go_error(
            ctx,
            &format!("invalid {what} param: must be an object with key-value pairs"),
        ));
    };
    for entry in object.props::<String, Value>() {
        let (key, value) = entry?;
        let key = key.to_ascii_lowercase();
        let bad = || js::throw_go_error(ctx, &format!("invalid {what} param: bad key {key:?}"));
        if key.ends_with("-bin") {
            let bytes = match crate::binary::buffer_bytes(&value)? {
                Some(bytes) => bytes,
                None => js::to_string(&value)?.into_bytes(),
            };
            let key = tonic::metadata::BinaryMetadataKey::from_bytes(key.as_bytes())
                .map_err(|_| bad())?;
            map.append_bin(
                key,
                tonic::metadata::BinaryMetadataValue::from_bytes(&bytes),
            );
        } else {
            let Some(text) = value.as_string() else {
                return Err(js::throw_go_error(
                    ctx,
                    &format!("invalid {what} param: metadata {key:?} value must be a string or an ArrayBuffer"),
                ));
            };
            let text = text.to_string()?;
            let key =
                tonic::metadata::AsciiMetadataKey::from_bytes(key.as_bytes()).map_err(|_| bad())?;
            let value = text.parse().map_err(|_| bad())?;
            map.append(key, value);
        }
    }
    Ok(map)
}

fn tls<'js>(ctx: &Ctx<'js>, value: &Value<'js>) -> rquickjs::Result<Tls> {
    let Some(object) = value.as_object() else {
        return Err(js::throw_go_error(
            ctx,
            "invalid tls value: 'tls' should be an object",
        ));
    };
    let mut out = Tls::default();
    let string = |key: &str| -> rquickjs::Result<Option<String>> {
        let value: Value = object.get(key)?;
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        Ok(Some(js::to_string(&value)?))
    };
    out.cert = string("cert")?;
    out.key = string("key")?;
    out.password = string("password")?;
    let cacerts: Value = object.get("cacerts")?;
    if let Some(array) = cacerts.as_array() {
        for item in js::array_items(array)? {
            out.cacerts.push(js::to_string(&item)?);
        }
    } else if !cacerts.is_undefined() && !cacerts.is_null() {
        out.cacerts.push(js::to_string(&cacerts)?);
    }
    if out.cert.is_some() != out.key.is_some() {
        return Err(js::throw_go_error(
            ctx,
            "invalid tls value: both 'cert' and 'key' must be set",
        ));
    }
    Ok(out)
}

/// The endpoint of `address` as `params` ask, or why there is none.
pub(super) fn endpoint(address: &str, params: &ConnectParams) -> Result<Endpoint, String> {
    let scheme = if params.plaintext { "http" } else { "https" };
    let mut endpoint = Endpoint::from_shared(format!("{scheme}://{address}"))
        .map_err(|e| format!("invalid address {address:?}: {e}"))?
        .connect_timeout(params.timeout);
    if !params.plaintext {
        let mut config = ClientTlsConfig::new();
        match &params.tls {
            Some(tls) if !tls.cacerts.is_empty() => {
                for pem in &tls.cacerts {
                    config = config.ca_certificate(Certificate::from_pem(pem));
                }
            }
            _ => config = config.with_native_roots(),
        }
        if let Some(tls) = &params.tls {
            if let (Some(cert), Some(key)) = (&tls.cert, &tls.key) {
                let key = match tls.password.as_deref().filter(|p| !p.is_empty()) {
                    Some(password) => decrypted_pem(key, password)?,
                    None => key.clone(),
                };
                config = config.identity(Identity::from_pem(cert, key));
            }
        }
        endpoint = endpoint
            .tls_config(config)
            .map_err(|e| format!("invalid tls config: {e}"))?;
    }
    Ok(endpoint)
}

/// `key` (PEM-encrypted the legacy way) decrypted with `password`, as PEM.
fn decrypted_pem(key: &str, password: &str) -> Result<String, String> {
    use base64::Engine as _;
    let (label, der) =
        k6r_http::decrypt_legacy_pem_key(key, password).map_err(|e| e.to_string())?;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let mut pem = format!("-----BEGIN {label}-----\n");
    for line in body.as_bytes().chunks(64) {
        pem.push_str(&String::from_utf8_lossy(line));
        pem.push('\n');
    }
    pem.push_str(&format!("-----END {label}-----\n"));
    Ok(pem)
}

/// Connects, within the timeout, after the `hosts` option, counting the
/// bytes into `marks`.
pub(super) async fn open(
    endpoint: Endpoint,
    timeout: Duration,
    marks: Arc<IoMarks>,
    hosts: k6r_http::Hosts,
) -> Result<Channel, String> {
    let connector = Connector { marks, hosts };
    match tokio::time::timeout(timeout, endpoint.connect_with_connector(connector)).await {
        Ok(Ok(channel)) => Ok(channel),
        Ok(Err(error)) => Err(dial_error(&error)),
        Err(_) => Err("context deadline exceeded".to_owned()),
    }
}

/// A failed dial as gRPC-go words it (`connection error: desc =
/// "transport: ..."`), k6's words for a refused connection included.
fn dial_error(error: &(dyn std::error::Error + 'static)) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    let mut innermost = error.to_string();
    while let Some(cause) = source {
        // The dial's own error, in Go's words (`dial tcp ADDR: connect:
        // connection refused`).
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            return format!("connection error: desc = \"transport: error while dialing: {io}\"");
        }
        innermost = cause.to_string();
        source = cause.source();
    }
    format!("connection error: desc = \"transport: {innermost}\"")
}

/// Reads a params object's own keys (for `invoke`'s params, which k6
/// checks one by one).
pub(super) fn keys<'js>(object: &Object<'js>) -> rquickjs::Result<Vec<(String, Value<'js>)>> {
    object.props::<String, Value>().collect()
}
