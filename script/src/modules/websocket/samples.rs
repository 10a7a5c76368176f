//! The `ws_*` samples of a WebSocket and the tags they carry, as k6
//! emits them: the call's tags (`group`, `scenario`, ...) and the
//! script's, then `url` (k6/experimental/websockets also `name`, and
//! both the script's `name` tag when it sets one), then, once the
//! server answered, `status` and `subproto`. `ws_sessions` and
//! `ws_connecting` are taken when the dial ends (failed or not), timed
//! at its start; the bytes on the wire count into `data_sent` and
//! `data_received`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use k6r_core::metrics::{Builtin, Tags};

use super::dial::Answer;
use crate::state::VuState;

/// The tags and start of one session.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// The samples' tags.
    pub tags: Arc<Tags>,
    /// When the dial started.
    pub started: SystemTime,
}

/// Which module's `url`/`name` rule applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Naming {
    /// k6/ws: `url` only.
    UrlOnly,
    /// k6/experimental/websockets: `url` and `name` are the URL, or
    /// both the script's `name` tag.
    UrlAndName,
}

impl Session {
    /// The tags of a session to `url` with the script's `user` tags,
    /// started now.
    pub(crate) fn new(
        vu: &VuState,
        url: &str,
        user: &[(String, String)],
        naming: Naming,
    ) -> Session {
        let mut tags = (*vu.tags()).clone();
        for (key, value) in user {
            tags.insert(key.as_str(), value.as_str());
        }
        match naming {
            Naming::UrlOnly => tags.insert("url", url),
            Naming::UrlAndName => match tags.get("name").map(str::to_owned) {
                Some(name) => tags.insert("url", name),
                None => {
                    tags.insert("url", url);
                    tags.insert("name", url);
                }
            },
        }
        Session {
            tags: Arc::new(tags),
            started: SystemTime::now(),
        }
    }

    /// Adds `status` and `subproto` from the server's answer.
    pub(crate) fn answered(&mut self, answer: &Answer, protocol: &str) {
        let mut tags = (*self.tags).clone();
        tags.insert("status", answer.status.to_string());
        tags.insert("subproto", protocol);
        self.tags = Arc::new(tags);
    }

    /// `ws_sessions` and `ws_connecting`.
    pub(crate) fn connected(&self, vu: &VuState, connecting: Duration) {
        self.push_at(vu, Builtin::WsSessions, 1.0, self.started);
        self.push_at(vu, Builtin::WsConnecting, ms(connecting), self.started);
    }

    /// `ws_session_duration`, taken at `at`.
    pub(crate) fn ended(&self, vu: &VuState, at: SystemTime) {
        let duration = SystemTime::now()
            .duration_since(self.started)
            .unwrap_or_default();
        self.push_at(vu, Builtin::WsSessionDuration, ms(duration), at);
    }

    /// One `ws_msgs_received`.
    pub(crate) fn received(&self, vu: &VuState, at: SystemTime) {
        self.push_at(vu, Builtin::WsMsgsReceived, 1.0, at);
    }

    /// One `ws_msgs_sent`.
    pub(crate) fn sent(&self, vu: &VuState) {
        self.push_at(vu, Builtin::WsMsgsSent, 1.0, SystemTime::now());
    }

    /// One `ws_ping` of `rtt`.
    pub(crate) fn ping(&self, vu: &VuState, rtt: Duration) {
        self.push_at(vu, Builtin::WsPing, ms(rtt), SystemTime::now());
    }

    fn push_at(&self, vu: &VuState, metric: Builtin, value: f64, at: SystemTime) {
        vu.push_at(metric.metric(), Arc::clone(&self.tags), value, at);
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
