//! [`AutopilotError`]: what is wrong with an autopilot's flags.

/// Why the autopilot can't steer the run; every message names the flag.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum AutopilotError {
    /// An `--slo` is not `METRIC: EXPRESSION`.
    #[error("--slo {slo:?}: {reason} (an SLO is a metric and a k6 threshold expression, as in 'http_req_duration: p(95)<200')")]
    Slo {
        /// The SLO as given.
        slo: String,
        /// What is wrong with it.
        reason: String,
    },
    /// `--autopilot` without any `--slo`.
    #[error("--autopilot needs at least one --slo (as in --slo 'http_req_duration: p(95)<200')")]
    NoSlo,
    /// `--slo` without `--autopilot`.
    #[error("--slo and --autopilot-report need --autopilot SCENARIO")]
    NoAutopilot,
    /// The scenario does not exist.
    #[error("--autopilot {0:?}: the test has no such scenario")]
    NoScenario(String),
    /// The scenario's executor has no rate to steer.
    #[error("--autopilot {scenario:?}: the autopilot steers the rate of a constant-arrival-rate scenario, and this one is {executor}")]
    NotArrivalRate {
        /// The scenario.
        scenario: String,
        /// Its executor.
        executor: String,
    },
    /// A setting is out of range.
    #[error("{flag}: {reason}")]
    Setting {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}
