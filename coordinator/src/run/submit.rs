//! Validating a `POST /v1/runs` body: [`Submission`] is a [`RunRequest`]
//! the coordinator can run (archive decoded, options parsed and
//! validated). Every refusal names the field at fault.

use std::collections::BTreeMap;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use k6r_api::{OnAgentLoss, RunRequest};
use k6r_core::autopilot::{AutopilotError, Plan};
use k6r_core::metrics::{Breakdown, Metric};
use k6r_core::options::{ExecutorKind, Options, Purpose};
use k6r_proto::convert::OptionsWireError;
use k6r_proto::v1;

use super::merge::Merged;

/// Why a submission is refused (400).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The body is not a `RunRequest`.
    #[error("body: {0}")]
    Body(String),
    /// The archive's entry is not one of its files.
    #[error("archive.entry: {0:?} is not in archive.files")]
    MissingEntry(String),
    /// A file is not base64.
    #[error("archive.files[{path:?}]: not base64: {reason}")]
    NotBase64 {
        /// The file's path.
        path: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// The options do not parse or validate.
    #[error("options: {0}")]
    Options(String),
    /// `agents` is 0.
    #[error("agents: must be at least 1")]
    NoAgents,
    /// A weight is 0.
    #[error("weights[{0:?}]: must be at least 1")]
    ZeroWeight(String),
    /// The declared metrics or the thresholds on them do not build
    /// ([`MergedError`](super::merge::MergedError)'s text, which names the field).
    #[error("{0}")]
    Metrics(String),
    /// The autopilot's scenario or SLOs don't fit the test.
    #[error("autopilot: {0}")]
    Autopilot(String),
    /// The options do not convert for the agents' Assign
    /// ([`OptionsWireError`]'s text, which names the field).
    #[error("{0}")]
    Wire(String),
}

/// A run the coordinator accepted.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The entry module's path.
    pub entry: String,
    /// Every file, decoded.
    pub files: BTreeMap<String, Bytes>,
    /// [`Submission::options`] as the agents' Assign carries them.
    pub wire_options: v1::Options,
    /// The options, consolidated for a run.
    pub options: Options,
    /// `__ENV`.
    pub env: BTreeMap<String, String>,
    /// Agents wanted (`None`: the coordinator's `--agents`).
    pub agents: Option<usize>,
    /// Weights by agent name.
    pub weights: BTreeMap<String, u32>,
    /// What to do when an agent is lost.
    pub on_agent_loss: OnAgentLoss,
    /// Whether `setup()` runs: exported and not `noSetup`.
    pub run_setup: bool,
    /// Whether the script exports `setup()` (`POST /v1/setup` runs it
    /// even with `noSetup`, as k6 does).
    pub has_setup: bool,
    /// Scenarios that must run whole on one agent.
    pub pinned: Vec<String>,
    /// What the merged metrics keep of each scenario (the headline
    /// metrics for the dashboard's charts by scenario, everything for the
    /// full summary).
    pub breakdown: Breakdown,
    /// The run's registry, from the script's declared metrics, and its
    /// thresholds, ready for the agents' deltas.
    pub merged: Merged,
    /// `autopilot`: what it steers, and its SLOs' names in `merged`.
    pub autopilot: Option<(Plan, Vec<String>)>,
}

impl TryFrom<RunRequest> for Submission {
    type Error = SubmitError;

    fn try_from(request: RunRequest) -> Result<Self, SubmitError> {
        let archive = request.archive;
        if !archive.files.contains_key(&archive.entry) {
            return Err(SubmitError::MissingEntry(archive.entry));
        }
        let mut files = BTreeMap::new();
        for (path, text) in archive.files {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text.as_bytes())
                .map_err(|e| SubmitError::NotBase64 {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            files.insert(path, Bytes::from(bytes));
        }
        let (mut options, _warnings) = Options::from_json(&request.options)
            .map_err(|e| SubmitError::Options(e.to_string()))?;
        let exports = (!request.exports.is_empty()).then_some(request.exports.as_slice());
        options
            .consolidate(Purpose::Run, exports)
            .map_err(|e| SubmitError::Options(e.to_string()))?;
        if request.agents == Some(0) {
            return Err(SubmitError::NoAgents);
        }
        if let Some((name, _)) = request.weights.iter().find(|(_, w)| **w == 0) {
            return Err(SubmitError::ZeroWeight(name.clone()));
        }
        let pinned = options
            .scenarios
            .iter()
            .flat_map(|m| m.values())
            .filter(|s| s.executor.kind() == ExecutorKind::ExternallyControlled)
            .map(|s| s.name.clone())
            .collect();
        let custom: Vec<Arc<Metric>> = request
            .metrics
            .iter()
            .map(|m| Arc::new(Metric::new(m.name.as_str(), m.kind, m.contains)))
            .collect();
        let scenarios = options.scenarios.as_ref().map_or(0, |s| s.len());
        let breakdown = Breakdown::charted(request.breakdown, scenarios);
        let mut merged = Merged::new(&custom, options.thresholds.as_ref(), breakdown)
            .map_err(|e| SubmitError::Metrics(e.to_string()))?;
        let autopilot = match &request.autopilot {
            None => None,
            Some(asked) => {
                let refused = |e: AutopilotError| SubmitError::Autopilot(e.to_string());
                let window = asked.window_ms.map(std::time::Duration::from_millis);
                let plan =
                    Plan::new(&asked.scenario, &asked.slos, window, &options).map_err(refused)?;
                let names = merged.slos(&plan.slos).map_err(refused)?;
                Some((plan, names))
            }
        };
        // After the thresholds built: only a threshold whose JSON does not
        // parse fails here, and Merged has refused that already.
        let wire_options = v1::Options::try_from(&options)
            .map_err(|e: OptionsWireError| SubmitError::Wire(e.to_string()))?;
        let has_setup = request.exports.iter().any(|e| e == "setup");
        let run_setup = has_setup && options.no_setup != Some(true);
        Ok(Self {
            entry: archive.entry,
            files,
            wire_options,
            options,
            env: request.env,
            agents: request.agents,
            weights: request.weights,
            on_agent_loss: request.on_agent_loss,
            run_setup,
            has_setup,
            pinned,
            breakdown,
            merged,
            autopilot,
        })
    }
}

#[cfg(test)]
mod tests {
    use k6r_api::ArchiveBody;
    use serde_json::json;

    use super::*;

    fn request(options: serde_json::Value) -> RunRequest {
        RunRequest {
            archive: ArchiveBody {
                entry: "/s.js".into(),
                files: [(
                    "/s.js".to_owned(),
                    "ZXhwb3J0IGRlZmF1bHQgKCkgPT4ge30=".to_owned(),
                )]
                .into(),
            },
            options,
            env: BTreeMap::new(),
            exports: vec!["default".into(), "setup".into()],
            agents: None,
            weights: BTreeMap::new(),
            on_agent_loss: OnAgentLoss::Abort,
            breakdown: false,
            metrics: Vec::new(),
            autopilot: None,
        }
    }

    #[test]
    fn a_good_request_is_accepted() {
        let s = Submission::try_from(request(json!({"vus": 2, "duration": "1s"}))).unwrap();
        assert_eq!(&s.files["/s.js"][..], b"export default () => {}");
        assert!(s.run_setup);
        assert!(s.pinned.is_empty());
        assert!(s.options.scenarios.is_some());
    }

    #[test]
    fn the_coordinator_and_its_agents_run_the_same_consolidated_options() {
        use k6r_core::options::Executor;
        let s = Submission::try_from(request(json!({
            "stages": [{"duration": "10s", "target": 3}],
        })))
        .unwrap();
        let mut sent = Options::try_from(&s.wire_options).unwrap();
        assert_eq!(sent, s.options);
        // What the agent does with them changes nothing.
        sent.consolidate(Purpose::Run, None).unwrap();
        assert_eq!(sent, s.options);
        let start_vus = |o: &Options| match &o.scenarios.as_ref().unwrap()["default"].executor {
            Executor::RampingVus(c) => c.start_vus(),
            other => panic!("{other:?}"),
        };
        // An unset vus is k6 run's 1 on both sides.
        assert_eq!(start_vus(&s.options), 1);
        assert_eq!(start_vus(&sent.part(None, None, &[])), 1);
    }

    #[test]
    fn refusals_name_the_field() {
        let mut r = request(json!({}));
        r.archive.entry = "/other.js".into();
        assert!(matches!(
            Submission::try_from(r),
            Err(SubmitError::MissingEntry(_))
        ));
        let mut r = request(json!({}));
        r.archive.files.insert("/x".into(), "%%%".into());
        let e = Submission::try_from(r).unwrap_err().to_string();
        assert!(e.starts_with("archive.files[\"/x\"]"), "{e}");
        let e = Submission::try_from(request(json!({"vus": "x"})))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("options: "), "{e}");
        let mut r = request(json!({}));
        r.agents = Some(0);
        assert_eq!(Submission::try_from(r).unwrap_err(), SubmitError::NoAgents);
    }

    #[test]
    fn thresholds_build_on_the_declared_metrics_when_submitted() {
        let options = json!({"thresholds": {"my_trend": ["p(95)<100"]}});
        let e = Submission::try_from(request(options.clone()))
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("options.thresholds: "), "{e}");
        let mut r = request(options);
        r.metrics = vec![k6r_api::MetricDeclaration {
            name: "my_trend".into(),
            kind: k6r_core::metrics::MetricType::Trend,
            contains: k6r_core::metrics::ValueType::Time,
        }];
        let mut s = Submission::try_from(r).unwrap();
        let eval = s.merged.evaluate(std::time::Duration::ZERO, false).unwrap();
        assert!(eval.passed());
        let mut r = request(json!({}));
        r.metrics = vec![k6r_api::MetricDeclaration {
            name: "http_reqs".into(),
            kind: k6r_core::metrics::MetricType::Gauge,
            contains: k6r_core::metrics::ValueType::Default,
        }];
        let e = Submission::try_from(r).unwrap_err().to_string();
        assert!(e.starts_with("metrics: "), "{e}");
    }

    #[test]
    fn externally_controlled_scenarios_are_pinned_and_no_setup_skips_setup() {
        let s = Submission::try_from(request(json!({
            "noSetup": true,
            "scenarios": {
                "ctl": {"executor": "externally-controlled", "vus": 1, "maxVUs": 5, "duration": "10s"},
                "load": {"executor": "constant-vus", "vus": 2, "duration": "10s"},
            }
        })))
        .unwrap();
        assert_eq!(s.pinned, vec!["ctl".to_owned()]);
        assert!(!s.run_setup);
    }
}
