//! A run for `GET /metrics`: its merged metrics, its phase, each agent's
//! part and what became of the agents' metric deltas.

use k6r_api::RunState;
use k6r_prometheus::{Family, Series, Value};

use super::actor::RunActor;

/// Every phase a run's view shows, as `k6r_run_phase` labels them.
const PHASES: [RunState; 6] = [
    RunState::Waiting,
    RunState::Initializing,
    RunState::Setup,
    RunState::Running,
    RunState::Teardown,
    RunState::Finished,
];

/// A phase's label value, as the REST API spells it.
fn phase_name(state: RunState) -> String {
    serde_json::to_value(state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn labelled(name: &str, help: &str, series: Vec<Series>) -> Family {
    Family {
        name: name.into(),
        help: help.into(),
        unit: None,
        series,
    }
}

fn series(labels: &[(&str, &str)], value: Value) -> Series {
    Series {
        labels: labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        value,
    }
}

impl RunActor {
    /// The run's families: the merged k6 metrics, then k6r's own.
    pub(super) fn families(&self) -> Vec<Family> {
        // The state and agents only: the whole view would clone the
        // finished run's merged metrics at every scrape.
        let state = self.run_state();
        let agents = self.run_agents();
        let mut families = self.submission.merged.families();
        let run = self.id.as_str();
        families.push(labelled(
            "k6r_run_phase",
            "1 for the run's current phase, 0 for the others",
            PHASES
                .iter()
                .map(|&p| {
                    let value = if p == state { 1.0 } else { 0.0 };
                    series(
                        &[("run", run), ("phase", &phase_name(p))],
                        Value::Gauge(value),
                    )
                })
                .collect(),
        ));
        let tally = self.submission.merged.tally();
        families.push(labelled(
            "k6r_metric_deltas",
            "the agents' metric deltas by what became of them",
            [
                ("merged", tally.merged),
                ("missing", tally.missing),
                ("duplicate", tally.duplicates),
                ("invalid", tally.invalid),
            ]
            .iter()
            .map(|&(outcome, n)| {
                series(
                    &[("run", run), ("outcome", outcome)],
                    Value::Counter(n as f64),
                )
            })
            .collect(),
        ));
        let per_agent = |value: fn(&k6r_api::RunAgent) -> f64| {
            agents
                .iter()
                .map(|a| series(&[("run", run), ("agent", &a.name)], Value::Gauge(value(a))))
                .collect()
        };
        families.push(labelled(
            "k6r_run_agents_lost",
            "agents lost during the run",
            vec![series(
                &[("run", run)],
                Value::Gauge(agents.iter().filter(|a| a.state == "lost").count() as f64),
            )],
        ));
        families.push(labelled(
            "k6r_run_agent_vus",
            "each agent's active VUs in the run",
            per_agent(|a| a.vus as f64),
        ));
        families.push(labelled(
            "k6r_run_agent_iterations",
            "each agent's complete iterations in the run",
            per_agent(|a| a.iterations as f64),
        ));
        families
    }
}
