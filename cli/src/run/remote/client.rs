//! The coordinator's `/v1/runs` endpoints, with errors a person can act
//! on: who could not be reached, which token was refused, the server's
//! own text for a refused run.

use std::time::Duration;

use k6r_api::{ErrorsBody, RunRequest, RunView};
use k6r_core::exit::ExitCode;
use reqwest::{Method, StatusCode};

use super::EXIT;
use crate::Failure;

/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// How long submitting (uploading the archive) may take.
const SUBMIT_TIMEOUT: Duration = Duration::from_secs(60);

/// A failed call: what to tell the user, and whether trying again may
/// help (the coordinator was not reached, or failed on its side).
#[derive(Debug)]
pub struct CallError {
    /// The failure as the user sees it.
    pub failure: Failure,
    /// Unreached, timed out or a 5xx: the next poll may succeed.
    pub transient: bool,
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        e.failure
    }
}

/// A client of one coordinator.
pub struct Client {
    base: String,
    token: Option<String>,
    http: reqwest::Client,
}

impl Client {
    /// A client of the coordinator at `url` (`http://` is prepended when
    /// no scheme is given).
    pub fn new(url: &str, token: Option<&str>) -> Result<Client, Failure> {
        let url = url.trim().trim_end_matches('/');
        if url.is_empty() {
            return Err(Failure::new(EXIT, "--coordinator needs a URL"));
        }
        let base = if url.contains("://") {
            url.to_owned()
        } else {
            format!("http://{url}")
        };
        let http = reqwest::Client::builder()
            .connect_timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|e| Failure::new(EXIT, format!("can't build the HTTP client: {e}")))?;
        Ok(Client {
            base,
            token: token.map(str::to_owned),
            http,
        })
    }

    /// The coordinator's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// `POST /v1/runs`.
    pub async fn submit(&self, request: &RunRequest) -> Result<RunView, Failure> {
        let body = serde_json::to_vec(request)
            .map_err(|e| Failure::new(EXIT, format!("can't encode the run: {e}")))?;
        Ok(self
            .call(Method::POST, "/v1/runs", Some(body), SUBMIT_TIMEOUT)
            .await?)
    }

    /// `GET /v1/runs/{id}`.
    pub async fn view(&self, id: &str) -> Result<RunView, CallError> {
        let path = format!("/v1/runs/{id}");
        self.call(Method::GET, &path, None, REQUEST_TIMEOUT).await
    }

    /// `POST /v1/runs/{id}/stop`.
    pub async fn stop(&self, id: &str) -> Result<(), Failure> {
        let path = format!("/v1/runs/{id}/stop");
        self.call::<serde_json::Value>(Method::POST, &path, None, REQUEST_TIMEOUT)
            .await
            .map(drop)
            .map_err(Failure::from)
    }

    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<Vec<u8>>,
        timeout: Duration,
    ) -> Result<T, CallError> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method, &url).timeout(timeout);
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body);
        }
        let unreachable = |e: reqwest::Error| CallError {
            failure: Failure::new(
                EXIT,
                format!(
                    "can't reach the coordinator at {}: {}",
                    self.base,
                    cause(&e)
                ),
            ),
            transient: true,
        };
        let response = request.send().await.map_err(unreachable)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            return Err(CallError {
                failure: self.refused(status, &bytes),
                transient: status.is_server_error(),
            });
        }
        if bytes.is_empty() {
            return serde_json::from_slice(b"null").map_err(|e| self.garbled(&e));
        }
        serde_json::from_slice(&bytes).map_err(|e| self.garbled(&e))
    }

    fn garbled(&self, e: &serde_json::Error) -> CallError {
        CallError {
            failure: Failure::new(
                EXIT,
                format!(
                    "the coordinator at {} answered something unexpected: {e}",
                    self.base
                ),
            ),
            transient: false,
        }
    }

    /// The failure for an error answer.
    fn refused(&self, status: StatusCode, body: &[u8]) -> Failure {
        let text = server_text(body).unwrap_or_else(|| status.to_string());
        match status {
            StatusCode::UNAUTHORIZED => {
                let what = if self.token.is_some() {
                    "refused the token (--token / K6R_TOKEN)"
                } else {
                    "requires a token (--token / K6R_TOKEN)"
                };
                Failure::new(
                    EXIT,
                    format!("the coordinator at {} {what}: {text}", self.base),
                )
            }
            StatusCode::BAD_REQUEST => Failure::new(ExitCode::InvalidConfig, text),
            _ => Failure::new(EXIT, text),
        }
    }
}

/// The error text of an answer: the coordinator's `{"error":"..."}`,
/// k6's `{"errors":[...]}` as `title: detail`, else the body itself.
fn server_text(body: &[u8]) -> Option<String> {
    if let Ok(serde_json::Value::Object(map)) = serde_json::from_slice(body) {
        if let Some(serde_json::Value::String(error)) = map.get("error") {
            return Some(error.clone());
        }
    }
    if let Ok(errors) = serde_json::from_slice::<ErrorsBody>(body) {
        if let Some(message) = errors.message() {
            return Some(message);
        }
    }
    let text = String::from_utf8_lossy(body).trim().to_owned();
    (!text.is_empty()).then_some(text)
}

/// The innermost cause of a transport error (`connection refused`).
fn cause(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return "timed out".to_owned();
    }
    let mut last: &dyn std::error::Error = e;
    while let Some(source) = last.source() {
        last = source;
    }
    last.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_without_scheme_is_http_and_loses_its_trailing_slash() {
        let base = |url: &str| Client::new(url, None).map(|c| c.base().to_owned());
        assert_eq!(
            base("127.0.0.1:6565/"),
            Ok("http://127.0.0.1:6565".to_owned())
        );
        assert_eq!(
            base("https://c.example/"),
            Ok("https://c.example".to_owned())
        );
        assert!(base(" ").is_err());
    }

    #[test]
    fn the_server_text_is_k6s_error_or_the_body() {
        let body = serde_json::to_vec(&ErrorsBody::one(409, "busy", "run r0")).unwrap();
        assert_eq!(server_text(&body).as_deref(), Some("busy: run r0"));
        assert_eq!(server_text(b" no \n").as_deref(), Some("no"));
        assert_eq!(server_text(b""), None);
        let body = br#"{"error":"a run is active (r0)"}"#;
        assert_eq!(server_text(body).as_deref(), Some("a run is active (r0)"));
    }
}
