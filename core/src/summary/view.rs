//! Which metrics the summary shows, with which values, under which
//! heading and in which order.

use std::cmp::Ordering;
use std::time::Duration;

use crate::metrics::{MetricType, Registry, Sink, Stat, ValueType};

use super::{Mode, Options};

/// A metric or submetric as the summary sees it.
#[derive(Clone, Copy, Debug)]
pub struct View<'a> {
    /// Its name (`parent{suffix}` for submetrics).
    pub name: &'a str,
    /// Its type.
    pub kind: MetricType,
    /// What its values are.
    pub contains: ValueType,
    /// Its aggregate.
    pub sink: &'a Sink,
}

impl View<'_> {
    /// The values k6 reports, keyed as k6 keys them: counter `count,
    /// rate`; gauge `value, min, max`; rate `rate, passes, fails` (rate 0
    /// when empty); trend the `summaryTrendStats`.
    pub fn values(&self, opts: &Options, elapsed: Duration) -> Vec<(String, f64)> {
        let get = |s: Stat| self.sink.stat(s, elapsed).unwrap_or(0.0);
        let named =
            |pairs: &[(&str, Stat)]| pairs.iter().map(|&(k, s)| (k.to_owned(), get(s))).collect();
        match self.kind {
            MetricType::Counter => named(&[("count", Stat::Count), ("rate", Stat::Rate)]),
            MetricType::Gauge => named(&[
                ("value", Stat::Value),
                ("min", Stat::Min),
                ("max", Stat::Max),
            ]),
            MetricType::Rate => named(&[
                ("rate", Stat::Rate),
                ("passes", Stat::Passes),
                ("fails", Stat::Fails),
            ]),
            MetricType::Trend => opts
                .trend_stats
                .iter()
                .map(|(k, s)| (k.clone(), get(*s)))
                .collect(),
        }
    }
}

/// Every observed metric and submetric of `registry`.
pub fn observed(registry: &Registry) -> Vec<View<'_>> {
    let mut out = Vec::new();
    for e in registry.entries() {
        if e.observed {
            out.push(View {
                name: &e.metric.name,
                kind: e.metric.kind,
                contains: e.metric.contains,
                sink: &e.sink,
            });
        }
        for sm in e.submetrics.iter().filter(|sm| sm.observed) {
            out.push(View {
                name: &sm.name,
                kind: e.metric.kind,
                contains: e.metric.contains,
                sink: &sm.sink,
            });
        }
    }
    out
}

/// A heading of the metrics part, in k6's order of display.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// `CUSTOM`: everything not below.
    Custom,
    /// `HTTP`
    Http,
    /// `EXECUTION`
    Execution,
    /// `NETWORK`
    Network,
    /// `BROWSER`
    Browser,
    /// `WEB_VITALS`
    WebVitals,
    /// `GRPC`
    Grpc,
    /// `WEBSOCKET`
    WebSocket,
}

impl Section {
    /// The heading as printed.
    pub fn title(self) -> &'static str {
        match self {
            Section::Custom => "CUSTOM",
            Section::Http => "HTTP",
            Section::Execution => "EXECUTION",
            Section::Network => "NETWORK",
            Section::Browser => "BROWSER",
            Section::WebVitals => "WEB_VITALS",
            Section::Grpc => "GRPC",
            Section::WebSocket => "WEBSOCKET",
        }
    }
}

const HTTP: &[&str] = &[
    "http_reqs",
    "http_req_duration",
    "http_req_blocked",
    "http_req_connecting",
    "http_req_tls_handshaking",
    "http_req_sending",
    "http_req_waiting",
    "http_req_receiving",
    "http_req_failed",
];
const EXECUTION: &[&str] = &[
    "vus",
    "vus_max",
    "iterations",
    "iteration_duration",
    "dropped_iterations",
];
const NETWORK: &[&str] = &["data_sent", "data_received"];
const WEB_VITALS: &[&str] = &["browser_web_vital_"];
const BROWSER: &[&str] = &["browser_"];
const GRPC: &[&str] = &["grpc_"];
const WEBSOCKET: &[&str] = &["ws_"];
/// `k6r_scenario_change`: the changes have their own block (LIVE
/// CHANGES), and a run without any prints what k6 prints.
const HIDDEN_ALWAYS: &[&str] = &["checks", "group_duration", "k6r_scenario_change"];
const HIDDEN_COMPACT: &[&str] = &[
    "http_req_blocked",
    "http_req_connecting",
    "http_req_receiving",
    "http_req_sending",
    "http_req_tls_handshaking",
    "http_req_waiting",
];

fn prefixed(name: &str, list: &[&str]) -> bool {
    list.iter().any(|p| name.starts_with(p))
}

/// The heading of `name`, or `None` when k6 hides it. Membership is by
/// name prefix, as in k6: `http_reqs_custom` lands under HTTP and
/// `checks_foo` is hidden.
pub fn section_of(name: &str, mode: Mode) -> Option<Section> {
    if prefixed(name, HIDDEN_ALWAYS) || (mode == Mode::Compact && prefixed(name, HIDDEN_COMPACT)) {
        return None;
    }
    let table: [(&[&str], Section); 7] = [
        (HTTP, Section::Http),
        (EXECUTION, Section::Execution),
        (NETWORK, Section::Network),
        (WEB_VITALS, Section::WebVitals),
        (BROWSER, Section::Browser),
        (GRPC, Section::Grpc),
        (WEBSOCKET, Section::WebSocket),
    ];
    Some(
        table
            .iter()
            .find(|(list, _)| prefixed(name, list))
            .map_or(Section::Custom, |&(_, s)| s),
    )
}

fn collation_key(c: char) -> (u32, u32) {
    // An approximation of `String#localeCompare` (ICU root collation):
    // punctuation before digits before letters, letters case-insensitive.
    match c {
        '0'..='9' => (1_000 + c as u32, 0),
        c if c.is_alphabetic() => {
            let lower = c.to_lowercase().next().unwrap_or(c);
            (10_000 + lower as u32, u32::from(c.is_uppercase()))
        }
        c => (c as u32 % 1_000, 0),
    }
}

/// `a.localeCompare(b)` for metric, group and scenario names.
pub fn collate(a: &str, b: &str) -> Ordering {
    let primary = |s: &str| s.chars().map(|c| collation_key(c).0).collect::<Vec<_>>();
    let tertiary = |s: &str| s.chars().map(|c| collation_key(c).1).collect::<Vec<_>>();
    primary(a)
        .cmp(&primary(b))
        .then_with(|| tertiary(a).cmp(&tertiary(b)))
        .then_with(|| a.cmp(b))
}

/// k6's metric order: by parent name, then by submetric suffix.
pub fn by_name(a: &str, b: &str) -> Ordering {
    fn split(s: &str) -> (&str, &str) {
        s.find('{').map_or((s, ""), |i| (&s[..i], &s[i..]))
    }
    let ((pa, sa), (pb, sb)) = (split(a), split(b));
    collate(pa, pb).then_with(|| collate(sa, sb))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_follow_k6s_prefix_rules() {
        assert_eq!(
            section_of("http_reqs_custom", Mode::Compact),
            Some(Section::Http)
        );
        assert_eq!(section_of("vus_x", Mode::Compact), Some(Section::Execution));
        assert_eq!(section_of("checks_foo", Mode::Full), None);
        assert_eq!(section_of("k6r_scenario_change", Mode::Full), None);
        assert_eq!(section_of("http_req_waiting", Mode::Compact), None);
        assert_eq!(
            section_of("http_req_waiting", Mode::Full),
            Some(Section::Http)
        );
        assert_eq!(section_of("my_trend", Mode::Compact), Some(Section::Custom));
        assert_eq!(
            section_of("http_req_duration{status:200}", Mode::Compact),
            Some(Section::Http)
        );
    }

    #[test]
    fn ordering_is_locale_like() {
        let mut names = vec![
            "iterations",
            "iteration_duration",
            "Zeta",
            "alpha",
            "a2",
            "my_time{kind:odd}",
            "my_time",
        ];
        names.sort_by(|a, b| by_name(a, b));
        assert_eq!(
            names,
            [
                "a2",
                "alpha",
                "iteration_duration",
                "iterations",
                "my_time",
                "my_time{kind:odd}",
                "Zeta"
            ]
        );
    }
}
