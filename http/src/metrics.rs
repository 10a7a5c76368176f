//! The samples one request hop produces, returned (not emitted) so the
//! engine can add its own tags (`scenario`, `group`, run tags) and emit them
//! in k6's order: `http_reqs, http_req_duration, http_req_blocked,
//! http_req_connecting, http_req_tls_handshaking, http_req_sending,
//! http_req_waiting, http_req_receiving, http_req_failed`.

use crate::response::Timings;

/// The system tags of §6.2 for one hop, plus the request's own tags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tags {
    /// `method`.
    pub method: String,
    /// `url`, and `name` too (see [`Tags::name`]): the `name` tag's value
    /// if the request set one, else the URL.
    pub url: String,
    /// `status` (0 for a transport failure).
    pub status: u16,
    /// `proto` ("" for a transport failure).
    pub proto: &'static str,
    /// `error`, only for transport failures.
    pub error: Option<String>,
    /// `error_code`, when non-zero (also 1000+status for 4xx/5xx).
    pub error_code: Option<u32>,
    /// `expected_response`; `None` when no expected-status predicate is set.
    pub expected_response: Option<bool>,
    /// `tls_version` for TLS connections, when known.
    pub tls_version: Option<String>,
    /// Tags from the request params other than `name`, in order.
    pub user: Vec<(String, String)>,
}

impl Tags {
    /// `name`: always the same as `url` (the request's `name` tag, else
    /// the URL).
    pub fn name(&self) -> &str {
        &self.url
    }
}

/// The metric values of one hop (each redirect hop is its own request).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestMetrics {
    /// `http_reqs`: always 1.
    pub reqs: u64,
    /// `http_req_duration` and the other phases, in ms.
    pub timings: Timings,
    /// `http_req_failed`; `None` when no predicate is set (no sample).
    pub failed: Option<bool>,
    /// Bytes written for this hop (`data_sent`).
    pub data_sent: u64,
    /// Bytes read for this hop (`data_received`).
    pub data_received: u64,
    /// The tags shared by all the samples above.
    pub tags: Tags,
}

impl RequestMetrics {
    /// The metrics of one hop that was sent: one request, `http_req_failed`
    /// from the tags' `expected_response` (none without a predicate).
    pub fn of_hop(tags: Tags, timings: Timings, data_sent: u64, data_received: u64) -> Self {
        RequestMetrics {
            reqs: 1,
            timings,
            failed: tags.expected_response.map(|e| !e),
            data_sent,
            data_received,
            tags,
        }
    }
}
