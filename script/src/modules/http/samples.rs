//! The samples of one request: one set per hop, in k6's order (§6.1),
//! with the call's tags (§6.2).

use std::sync::Arc;
use std::time::SystemTime;

use k6r_core::metrics::{Builtin, Tags};
use k6r_http::{Exchange, RequestMetrics};

use crate::log::Level;
use crate::state::VuState;

/// Buffers the samples of every hop of `exchange`, taken at `time` with
/// the call's tags `base` as the request was made (an async request may
/// finish in another group), and counts its bytes into the call's
/// `data_sent`/`data_received`; logs a transport failure as k6 does
/// (`Request Failed`, unless it is to be thrown) and returns its text
/// ([`go_error`]).
pub(crate) fn record(
    state: &VuState,
    base: &Arc<Tags>,
    time: SystemTime,
    method: &str,
    exchange: &Exchange,
) -> Option<String> {
    for hop in &exchange.hops {
        let tags = cached_tags(state, base, hop);
        let t = &hop.timings;
        let values = [
            (Builtin::HttpReqs, hop.reqs as f64),
            (Builtin::HttpReqDuration, t.duration),
            (Builtin::HttpReqBlocked, t.blocked),
            (Builtin::HttpReqConnecting, t.connecting),
            (Builtin::HttpReqTlsHandshaking, t.tls_handshaking),
            (Builtin::HttpReqSending, t.sending),
            (Builtin::HttpReqWaiting, t.waiting),
            (Builtin::HttpReqReceiving, t.receiving),
        ];
        for (metric, value) in values {
            state.push_at(metric.metric(), Arc::clone(&tags), value, time);
        }
        if let Some(failed) = hop.failed {
            let value = if failed { 1.0 } else { 0.0 };
            state.push_at(Builtin::HttpReqFailed.metric(), tags, value, time);
        }
        if let Some(call) = state.call.borrow_mut().as_mut() {
            call.data_sent += hop.data_sent;
            call.data_received += hop.data_received;
        }
    }
    let error = go_error(method, &exchange.response)?;
    if !state.config.throw {
        state
            .log
            .log(Level::Warning, "Request Failed", &[("error", &error)]);
    }
    Some(error)
}

/// A transport failure as k6 logs and throws it: Go's `url.Error`
/// (`Get "http://127.0.0.1:1/": dial tcp 127.0.0.1:1: connect: connection
/// refused`); `None` without a failure.
fn go_error(method: &str, response: &k6r_http::Response) -> Option<String> {
    let failure = response.failure.as_ref()?;
    if failure.kind.before_request() {
        return Some(failure.message.clone());
    }
    let method = go_method(method);
    let url = failure.url.as_deref().unwrap_or(&response.url);
    Some(format!(
        "{method} \"{}\": {}",
        strip_password(url),
        failure.go_text()
    ))
}

/// `url` with its password shown as `***`, as Go's client errors show it.
fn strip_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    match authority[..at].split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***{}", &rest[at..]),
        None => url.to_owned(),
    }
}

/// `Get`, `Post`: how Go's `url.Error` names the operation.
fn go_method(method: &str) -> String {
    let mut chars = method.chars();
    match chars.next() {
        Some(first) => first.to_string() + &chars.as_str().to_ascii_lowercase(),
        None => String::new(),
    }
}

/// The tag set of a hop: the previous request's when nothing differs (a
/// load test repeats the same requests), so the hot path allocates none.
fn cached_tags(state: &VuState, base: &Arc<Tags>, hop: &RequestMetrics) -> Arc<Tags> {
    let mut cache = state.http_tags.borrow_mut();
    if let Some((cached_base, cached_hop, tags)) = &*cache {
        if Arc::ptr_eq(cached_base, base) && *cached_hop == hop.tags {
            return Arc::clone(tags);
        }
    }
    let tags = Arc::new(hop_tags(base, hop));
    *cache = Some((Arc::clone(base), hop.tags.clone(), Arc::clone(&tags)));
    tags
}

fn hop_tags(base: &Tags, hop: &RequestMetrics) -> Tags {
    let t = &hop.tags;
    let mut tags = base.clone();
    for (key, value) in &t.user {
        tags.insert(key.as_str(), value.as_str());
    }
    tags.insert("method", t.method.as_str());
    tags.insert("name", t.name());
    tags.insert("url", t.url.as_str());
    tags.insert("status", t.status.to_string());
    tags.insert("proto", t.proto);
    if let Some(error) = &t.error {
        tags.insert("error", error.as_str());
    }
    if let Some(code) = t.error_code {
        tags.insert("error_code", code.to_string());
    }
    if let Some(expected) = t.expected_response {
        tags.insert("expected_response", if expected { "true" } else { "false" });
    }
    if let Some(version) = &t.tls_version {
        tags.insert("tls_version", version.as_str());
    }
    tags
}
