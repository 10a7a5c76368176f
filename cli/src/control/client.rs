//! A small client of the v1 API whose errors read like k6's Go client's:
//! `Get "http://127.0.0.1:6599/v1/status": dial tcp 127.0.0.1:6599:
//! connect: connection refused`, or `<title>: <detail>` from an error body.
//! An answer in no shape of k6's is named by its status and text, never by
//! the JSON decoder's complaint.

use k6r_api::scenarios::{ScenarioEnvelope, ScenarioPatch, ScenarioResource};
use k6r_api::{ErrorsBody, MetricResource, MetricsEnvelope, Status, StatusEnvelope};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::{AddressArgs, EXIT};
use crate::failure::Failure;

pub struct Client {
    address: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    pub fn new(args: &AddressArgs) -> Client {
        Client {
            address: args.address.clone(),
            token: args.token.clone(),
            http: reqwest::Client::new(),
        }
    }

    pub async fn status(&self) -> Result<Status, Failure> {
        let env: StatusEnvelope = self.call(Method::GET, "/v1/status", None).await?;
        Ok(env.data.attributes)
    }

    pub async fn patch_status(&self, status: Status) -> Result<Status, Failure> {
        let body = serde_json::to_vec(&status.into_envelope()).map_err(fail)?;
        let env: StatusEnvelope = self.call(Method::PATCH, "/v1/status", Some(body)).await?;
        Ok(env.data.attributes)
    }

    pub async fn patch_scenario(
        &self,
        name: &str,
        change: ScenarioPatch,
    ) -> Result<ScenarioResource, Failure> {
        let body = serde_json::to_vec(&change.into_envelope(name)).map_err(fail)?;
        let path = format!("/v1/scenarios/{name}");
        let env: ScenarioEnvelope = self.call(Method::PATCH, &path, Some(body)).await?;
        Ok(env.data)
    }

    pub async fn metrics(&self) -> Result<Vec<MetricResource>, Failure> {
        let env: MetricsEnvelope = self.call(Method::GET, "/v1/metrics", None).await?;
        Ok(env.data)
    }

    async fn call<T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<T, Failure> {
        let url = format!("http://{}{path}", self.address);
        let go_method = go_method(&method);
        let mut request = self.http.request(method, &url);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.body(body);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) => {
                let cause = self.dial_error(&e).await;
                return Err(Failure::new(
                    EXIT,
                    format!("{go_method} \"{url}\": {cause}"),
                ));
            }
        };
        let status = response.status();
        let bytes = response.bytes().await.map_err(fail)?;
        if status.as_u16() >= 400 {
            return Err(Failure::new(EXIT, refusal(status, &bytes)));
        }
        serde_json::from_slice(&bytes).map_err(|_| {
            Failure::new(
                EXIT,
                format!(
                    "{go_method} \"{url}\": the answer ({status}) is not k6's JSON: {}",
                    excerpt(&bytes)
                ),
            )
        })
    }

    /// Go's wording of a failed connection.
    async fn dial_error(&self, e: &reqwest::Error) -> String {
        let refused = source_chain(e).any(|s| {
            s.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused)
        });
        let addr = tokio::net::lookup_host(&self.address)
            .await
            .ok()
            .and_then(|mut addrs| addrs.next());
        match (refused, addr) {
            (true, Some(addr)) => format!("dial tcp {addr}: connect: connection refused"),
            (_, None) => {
                let host = self
                    .address
                    .rsplit_once(':')
                    .map_or(&*self.address, |(h, _)| h);
                format!("dial tcp: lookup {host}: no such host")
            }
            (false, Some(_)) => {
                let last = source_chain(e).last().map(|s| s.to_string());
                last.unwrap_or_else(|| e.to_string())
            }
        }
    }
}

/// What a refusal says: `title: detail` of k6's error shape, as k6's
/// client prints it; for a body in another shape (Go's `404 page not
/// found`, k6's empty 405) the status and the body's text.
fn refusal(status: StatusCode, body: &[u8]) -> String {
    if let Some(message) = serde_json::from_slice::<ErrorsBody>(body)
        .ok()
        .and_then(|errors| errors.message())
    {
        return message;
    }
    match excerpt(body) {
        text if text.is_empty() => status.to_string(),
        text => format!("{status}: {text}"),
    }
}

/// The start of a body, as text, for an error line.
fn excerpt(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_owned(),
    }
}

fn source_chain<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| e.source())
}

/// Go's `url.Error` spells the method in title case.
fn go_method(method: &Method) -> &'static str {
    match *method {
        Method::PATCH => "Patch",
        Method::PUT => "Put",
        Method::POST => "Post",
        _ => "Get",
    }
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::new(EXIT, e.to_string())
}
