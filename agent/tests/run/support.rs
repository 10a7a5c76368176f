//! The fake coordinator's side of a run and what the agent reports.

use std::{
    sync::Arc,
    time::{Duration, SystemTime},
};

use k6r_agent::{Runner, ScriptRunner};
use k6r_core::metrics::{Delta, Registry, Sink};
use k6r_proto::{
    convert::to_unix_nanos,
    v1::{
        self, agent_message::Kind as Up, control::Action, coordinator_message::Kind as Down,
        Archive, Assign, Control, RunDone, RunState, RunStatus, Scale, Start,
    },
};

use crate::common::{
    agent_config,
    fake::{self, Session},
    start_agent_with, TestAgent,
};

pub const ENTRY: &str = "/test/script.js";

pub fn assign(run_id: &str, script: &str, options: serde_json::Value) -> Assign {
    Assign {
        run_id: run_id.into(),
        archive: Some(Archive {
            entry: ENTRY.into(),
            files: [(ENTRY.to_owned(), script.as_bytes().to_vec().into())].into(),
        }),
        options: Some(wire_options(&options)),
        metrics_interval_ms: 100,
        ..Assign::default()
    }
}

/// `options` (k6's JSON) as the coordinator sends them: parsed, not
/// derived. `null` is an Assign with options where no layer set anything.
pub fn wire_options(options: &serde_json::Value) -> v1::Options {
    let (options, _) = k6r_core::options::Options::from_json(options).unwrap();
    v1::Options::try_from(&options).unwrap()
}

/// An agent with the real runner on a fake coordinator, its session open.
pub async fn agent() -> (TestAgent, Session, ScriptRunner, fake::Fake) {
    agent_holding(None).await
}

/// An agent started with `--max-vus max_vus`.
pub async fn agent_holding(max_vus: Option<u64>) -> (TestAgent, Session, ScriptRunner, fake::Fake) {
    let mut fake = fake::start().await;
    let runner = ScriptRunner::new().with_workers(1).with_max_vus(max_vus);
    let agent = start_agent_with(
        agent_config(fake.url(), "a1"),
        Arc::new(runner.clone()) as Arc<dyn Runner>,
    );
    let session = fake.session().await;
    (agent, session, runner, fake)
}

/// Everything the agent reports about a run.
#[derive(Default)]
pub struct Seen {
    pub statuses: Vec<RunStatus>,
    pub seqs: Vec<u64>,
    pub merged: Registry,
    /// `(scenario, metric)` of every per-scenario slice in the deltas.
    pub slices: Vec<(String, String)>,
    pub done: Option<RunDone>,
}

impl Seen {
    pub fn take(&mut self, kind: Up) -> Option<Up> {
        match kind {
            Up::Status(status) => self.statuses.push(status),
            Up::Metrics(delta) => {
                self.seqs.push(delta.seq);
                let delta = Delta::try_from(&delta).unwrap();
                self.slices.extend(
                    delta
                        .slices
                        .iter()
                        .map(|s| (s.scenario.clone(), s.metric.name.clone())),
                );
                self.merged.apply_delta(&delta).unwrap();
            }
            Up::Done(done) => self.done = Some(done),
            other => return Some(other),
        }
        None
    }

    /// Reads until `until` holds; other messages are returned to the test
    /// in order.
    pub async fn until(&mut self, session: &mut Session, until: impl Fn(&Seen) -> bool) -> Vec<Up> {
        let mut others = Vec::new();
        while !until(self) {
            if let Some(other) = self.take(session.recv().await) {
                others.push(other);
            }
        }
        others
    }

    /// The next message that is not a status, a delta or RunDone.
    pub async fn next_other(&mut self, session: &mut Session) -> Up {
        loop {
            if let Some(other) = self.take(session.recv().await) {
                return other;
            }
        }
    }

    pub fn last_state(&self) -> Option<RunState> {
        self.statuses.last().map(|s| s.state())
    }

    pub fn counter(&self, name: &str) -> f64 {
        match self.merged.sink(name) {
            Some(Sink::Counter(c)) => c.count(),
            _ => 0.0,
        }
    }
}

pub async fn until_ready(session: &mut Session, seen: &mut Seen) {
    let others = seen
        .until(session, |s| s.last_state() == Some(RunState::Ready))
        .await;
    assert!(others.is_empty(), "unexpected: {others:?}");
    assert_eq!(seen.statuses[0].state(), RunState::Initializing);
}

pub fn start(run_id: &str, after: Duration, data: &str) -> (Down, SystemTime) {
    let at = SystemTime::now() + after;
    let start = Start {
        run_id: run_id.into(),
        start_unix_nanos: to_unix_nanos(at),
        setup_data_json: data.into(),
    };
    (Down::Start(start), at)
}

pub fn control(run_id: &str, seq: u64, vus: i64) -> Down {
    Down::Control(Control {
        run_id: run_id.into(),
        seq,
        action: Some(Action::Scale(Scale {
            vus: Some(vus),
            vus_max: None,
        })),
    })
}
