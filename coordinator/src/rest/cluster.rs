//! k6's REST control API (`/v1/status`, `/v1/metrics`, `/v1/groups`,
//! `/v1/setup`) for the cluster's current run: a [`k6r_rest::Backend`]
//! whose every answer comes from the run actor, so `k6 status -a COORD`
//! and `k6r-cli status|scale|pause|resume|stats|stop` work against the
//! coordinator.
//!
//! With no run (none submitted yet, or the last one's actor gone) it
//! answers like a k6 that has nothing running: status `0` (created),
//! not running, 0 VUs, no metrics, the root group only; a PATCH is
//! refused (`vus` → `Execution config error`, pause → `Pause error`),
//! and `stopped: true` does nothing. After a run, the last one answers
//! (ended, its merged metrics) until the next submission.
//!
//! k6r's `/v1/scenarios` lists the run's scenarios summed over the agents
//! and applies a live change on every agent at one instant
//! (`run::steer`).
//!
//! `/v1/setup` reads and replaces the run's setup data on every agent,
//! and `POST /v1/setup` runs `setup()` again on the lead (`run::setup`
//! says when each is allowed). `POST /v1/teardown` is refused: teardown
//! runs once, on the lead, when the scenarios end.

use k6r_api::{GroupResource, MetricResource, Status};
use k6r_core::steer::{Change, ChangeError};
use k6r_rest::{Backend, BoxFuture, ControlError, SetupData, SetupError, StatusPatch};
use serde_json::value::RawValue;

use k6r_prometheus::{Family, Series, Unit, Value};

use crate::registry::{AgentInfo, AgentState, RegistryHandle};
use crate::run::RunsHandle;

/// The backend over the current run.
#[derive(Clone, Debug)]
pub struct Cluster {
    runs: RunsHandle,
    registry: RegistryHandle,
}

impl Cluster {
    /// A backend answering for `runs`' current run; `/metrics` also
    /// counts `registry`'s agents.
    pub fn new(runs: RunsHandle, registry: RegistryHandle) -> Self {
        Self { runs, registry }
    }

    /// The runs it answers for.
    pub fn runs(&self) -> &RunsHandle {
        &self.runs
    }

    /// The agents it counts.
    pub fn registry(&self) -> &RegistryHandle {
        &self.registry
    }
}

/// The agents as `/metrics` shows them: how many are connected, and the
/// time since each was last heard from.
fn agent_families(agents: &[AgentInfo]) -> Vec<Family> {
    let connected = agents
        .iter()
        .filter(|a| a.state == AgentState::Connected)
        .count();
    let ages = agents
        .iter()
        .filter(|a| a.state == AgentState::Connected)
        .map(|a| Series {
            labels: vec![("agent".into(), a.name.clone())],
            value: Value::Gauge(a.last_heartbeat_age.as_secs_f64()),
        })
        .collect();
    vec![
        Family::one(
            "k6r_agents_connected",
            "agents connected to the coordinator",
            Value::Gauge(connected as f64),
        ),
        Family {
            name: "k6r_agent_heartbeat_age".into(),
            help: "time since each connected agent was last heard from".into(),
            unit: Some(Unit::Seconds),
            series: ages,
        },
    ]
}

fn idle() -> Status {
    Status {
        paused: Some(false),
        vus: Some(0),
        vus_max: Some(0),
        ..Status::default()
    }
}

impl Backend for Cluster {
    async fn status(&mut self) -> Status {
        match self.runs.current().await {
            Some(run) => run.status().await.unwrap_or_else(idle),
            None => idle(),
        }
    }

    async fn patch_status(&mut self, patch: StatusPatch) -> Result<Status, ControlError> {
        let Some(run) = self.runs.current().await else {
            return idle_patch(patch);
        };
        match run.patch(patch).await {
            Some(answer) => answer,
            None => idle_patch(patch),
        }
    }

    async fn metrics(&mut self) -> Vec<MetricResource> {
        match self.runs.current().await {
            Some(run) => run.metrics().await.unwrap_or_default(),
            None => Vec::new(),
        }
    }

    async fn groups(&mut self) -> Vec<GroupResource> {
        let groups = match self.runs.current().await {
            Some(run) => run.groups().await,
            None => None,
        };
        groups
            .unwrap_or_else(|| k6r_rest::convert::groups(&Default::default(), &Default::default()))
    }

    async fn families(&mut self) -> Vec<Family> {
        let mut families = match self.runs.current().await {
            Some(run) => run.families().await.unwrap_or_default(),
            None => Vec::new(),
        };
        families.extend(agent_families(
            &self.registry.list().await.unwrap_or_default(),
        ));
        families
    }

    async fn setup_data(&mut self) -> SetupData {
        let data = match self.runs.current().await {
            Some(run) => run.setup_data().await.flatten(),
            None => None,
        };
        raw(data)
    }

    async fn set_setup_data(&mut self, data: SetupData) -> Result<SetupData, SetupError> {
        let run = self.runs.current().await.ok_or_else(no_run)?;
        let data = data.map(|d| d.get().to_owned());
        run.set_setup_data(data).await.ok_or_else(no_run)?.map(raw)
    }

    fn run_setup(&mut self) -> BoxFuture<Result<SetupData, SetupError>> {
        let runs = self.runs.clone();
        Box::pin(async move {
            let run = runs.current().await.ok_or_else(no_run)?;
            run.run_setup().await.ok_or_else(no_run)?.map(raw)
        })
    }

    async fn scenarios(&mut self) -> Vec<k6r_api::scenarios::ScenarioResource> {
        match self.runs.current().await {
            Some(run) => run.scenarios().await.unwrap_or_default(),
            None => Vec::new(),
        }
    }

    async fn autopilot(&mut self) -> Option<k6r_core::autopilot::Report> {
        self.runs.current().await?.autopilot().await.flatten()
    }

    fn patch_scenario(
        &mut self,
        name: String,
        change: Change,
    ) -> BoxFuture<Result<k6r_api::scenarios::ScenarioResource, ChangeError>> {
        let runs = self.runs.clone();
        Box::pin(async move {
            let none = || ChangeError::NoScenario(name.clone());
            let run = runs.current().await.ok_or_else(none)?;
            run.change_scenario(name.clone(), change)
                .await
                .ok_or_else(none)?
        })
    }

    fn run_teardown(&mut self) -> BoxFuture<Result<(), SetupError>> {
        Box::pin(async {
            Err(SetupError::Refused(
                "teardown() runs once, on the lead agent, when the scenarios end".into(),
            ))
        })
    }
}

/// Without a run (none yet, or its actor gone) setup data reaches nothing.
fn no_run() -> SetupError {
    SetupError::Refused("no test run is in progress".into())
}

/// The run's JSON text as the API's raw value.
fn raw(data: Option<String>) -> SetupData {
    data.and_then(|d| RawValue::from_string(d).ok())
}

fn idle_patch(patch: StatusPatch) -> Result<Status, ControlError> {
    if patch.stopped {
        return Ok(idle());
    }
    if patch.changes_vus() {
        return Err(ControlError::NotExternallyControlled);
    }
    if patch.paused.is_some() {
        return Err(ControlError::Pause("no test run is in progress".into()));
    }
    Ok(idle())
}
