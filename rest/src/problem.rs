//! [`Problem`]: an error answer in k6's shape,
//! `{"errors":[{"status":"404","title":"Not Found","detail":"..."}]}`,
//! with its status code; the one way every error body of the API and of
//! the coordinator's own routes is written.
//!
//! axum's own rejections (a body that cannot be read or is over the
//! limit, a path parameter that does not decode) convert into one, so a
//! handler that takes `Result<Extractor, Rejection>` answers them in the
//! shape with `?`.

use std::borrow::Cow;

use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use k6r_api::ErrorsBody;

/// The content type of an error body unless a route says otherwise.
const JSON: &str = "application/json";

/// An error answer: status code, k6's title and detail, content type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    status: StatusCode,
    title: Cow<'static, str>,
    detail: String,
    content_type: &'static str,
}

impl Problem {
    /// An answer with `status`, `title` and `detail`, as
    /// `application/json`.
    pub fn new(
        status: StatusCode,
        title: impl Into<Cow<'static, str>>,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            status,
            title: title.into(),
            detail: detail.into(),
            content_type: JSON,
        }
    }

    /// An answer titled with the status's reason phrase (`Not Found`), as
    /// k6 titles its 404s.
    pub fn status(status: StatusCode, detail: impl Into<String>) -> Problem {
        Problem::new(status, status.canonical_reason().unwrap_or("Error"), detail)
    }

    /// The same answer with another content type (k6's are per route).
    pub fn with_content_type(mut self, content_type: &'static str) -> Problem {
        self.content_type = content_type;
        self
    }

    /// Its status code.
    pub fn code(&self) -> StatusCode {
        self.status
    }

    /// Its body.
    pub fn body(&self) -> ErrorsBody {
        ErrorsBody::one(
            self.status.as_u16(),
            self.title.as_ref(),
            self.detail.as_str(),
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        // A body of three strings always serializes.
        let body = serde_json::to_vec(&self.body()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        response
    }
}

impl From<BytesRejection> for Problem {
    fn from(rejection: BytesRejection) -> Problem {
        Problem::status(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for Problem {
    fn from(rejection: PathRejection) -> Problem {
        Problem::status(rejection.status(), rejection.body_text())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_body_is_k6s_shape_with_the_status_as_a_string() {
        let problem = Problem::status(StatusCode::NOT_FOUND, "no run r-9");
        assert_eq!(
            serde_json::to_string(&problem.body()).unwrap(),
            r#"{"errors":[{"status":"404","title":"Not Found","detail":"no run r-9"}]}"#
        );
        let response = problem.with_content_type("text/plain").into_response();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/plain");
    }
}
