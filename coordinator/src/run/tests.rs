//! The run's timing in paused time, without a network: agents are
//! registered straight into a registry, their messages published as
//! events.

use std::time::Duration;

use k6r_api::scenarios::State;
use k6r_api::{ArchiveBody, OnAgentLoss, RunRequest};
use k6r_core::exit::ExitCode;
use k6r_proto::v1::{self, agent_message::Kind, coordinator_message, CoordinatorMessage};
use tokio::{sync::mpsc, time::Instant};
use tokio_util::sync::CancellationToken;

use super::{RunsHandle, Settings, Submission, EVALUATION_PERIOD};
use crate::registry::{
    AgentEvent, AgentId, Capacity, Hello, RegistryHandle, SessionId, SessionLink, Version,
    MISSED_HEARTBEATS,
};

const HB: Duration = Duration::from_secs(1);
const START_DELAY: Duration = Duration::from_millis(100);

struct Agent {
    id: AgentId,
    session: SessionId,
    /// The session's queue, as the coordinator fills it.
    tx: mpsc::Sender<Result<CoordinatorMessage, tonic::Status>>,
    rx: mpsc::Receiver<Result<CoordinatorMessage, tonic::Status>>,
}

impl Agent {
    async fn next(&mut self) -> coordinator_message::Kind {
        let message = tokio::time::timeout(Duration::from_secs(60), self.rx.recv())
            .await
            .expect("no message within a minute")
            .expect("session closed")
            .expect("session ended with a status");
        message.kind.unwrap()
    }
}

async fn agent(registry: &RegistryHandle, name: &str) -> Agent {
    let (tx, rx) = mpsc::channel(64);
    let hello = Hello {
        name: name.into(),
        version: Version::current(),
        capacity: Capacity::default(),
        resumed_run_id: None,
    };
    let link = SessionLink {
        tx: tx.clone(),
        close: CancellationToken::new(),
    };
    let registration = registry.register(hello, link).await.unwrap().unwrap();
    Agent {
        id: registration.agent_id,
        session: registration.session,
        tx,
        rx,
    }
}

fn submission(options: serde_json::Value, on_agent_loss: OnAgentLoss) -> Submission {
    Submission::try_from(RunRequest {
        archive: ArchiveBody {
            entry: "/s.js".into(),
            files: [("/s.js".to_owned(), String::new())].into(),
        },
        options,
        env: Default::default(),
        exports: vec!["default".into()],
        agents: None,
        weights: Default::default(),
        on_agent_loss,
        breakdown: false,
        metrics: Vec::new(),
        autopilot: None,
    })
    .unwrap()
}

fn status(run: &str, state: v1::RunState) -> Kind {
    Kind::Status(v1::RunStatus {
        run_id: run.into(),
        state: state.into(),
        ..v1::RunStatus::default()
    })
}

/// Two agents assigned, ready and started; the instant of the start. The
/// run lives as long as the returned handle.
async fn running(
    options: serde_json::Value,
    on_agent_loss: OnAgentLoss,
) -> (RegistryHandle, RunsHandle, [Agent; 2], String, Instant) {
    let shutdown = CancellationToken::new();
    let (registry, _) = RegistryHandle::spawn(HB, shutdown.clone());
    let mut agents = [agent(&registry, "w1").await, agent(&registry, "w2").await];
    let settings = Settings {
        agents: 2,
        agents_timeout: Duration::from_secs(60),
        start_delay: START_DELAY,
        change_delay: START_DELAY,
    };
    let (runs, _) = RunsHandle::spawn(registry.clone(), settings, shutdown);
    let run = runs
        .submit(submission(options, on_agent_loss))
        .await
        .unwrap()
        .id;
    for a in &mut agents {
        assert!(matches!(
            a.next().await,
            coordinator_message::Kind::Assign(_)
        ));
        registry
            .publish(AgentEvent {
                agent: a.id.clone(),
                message: status(&run, v1::RunState::Ready),
            })
            .await;
    }
    let sent = Instant::now();
    for a in &mut agents {
        assert!(matches!(
            a.next().await,
            coordinator_message::Kind::Start(_)
        ));
    }
    (registry, runs, agents, run, sent + START_DELAY)
}

/// One iteration more in `r`.
fn add_iteration(r: &mut k6r_core::metrics::Registry) {
    r.add(&[k6r_core::metrics::Sample::now(
        k6r_core::metrics::Builtin::Iterations.metric(),
        std::sync::Arc::new(k6r_core::metrics::Tags::new()),
        1.0,
    )]);
}

/// Heartbeats of `agent` every half interval until its session ends.
fn keep_beating(registry: &RegistryHandle, agent: &Agent) -> tokio::task::JoinHandle<()> {
    let registry = registry.clone();
    let (id, session) = (agent.id.clone(), agent.session);
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(HB / 2);
        loop {
            ticks.tick().await;
            if registry.seen(id.clone(), session).await.is_err() {
                return;
            }
        }
    })
}

#[tokio::test(start_paused = true)]
async fn abort_on_fail_is_decided_at_the_first_two_second_tick() {
    let options = serde_json::json!({"vus": 2, "duration": "1m", "thresholds": {
        "iterations": [{"threshold": "count<1", "abortOnFail": true}]
    }});
    let (registry, _runs, mut agents, run, started) = running(options, OnAgentLoss::Abort).await;
    let mut r = k6r_core::metrics::Registry::new();
    add_iteration(&mut r);
    registry
        .publish(AgentEvent {
            agent: agents[0].id.clone(),
            message: Kind::Metrics(v1::MetricDelta::new(run.clone(), 1, &r.take_delta())),
        })
        .await;
    for a in &mut agents {
        // Heartbeats would arrive meanwhile; the registry is told so.
        registry.seen(a.id.clone(), a.session).await.unwrap();
        match a.next().await {
            coordinator_message::Kind::Abort(abort) => assert_eq!(abort.exit_code, 99),
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(Instant::now() - started, EVALUATION_PERIOD);
}

#[tokio::test(start_paused = true)]
async fn a_silent_agent_aborts_the_run_after_three_missed_heartbeats() {
    let options = serde_json::json!({"vus": 2, "duration": "1m"});
    let (registry, _runs, mut agents, _run, _) = running(options, OnAgentLoss::Abort).await;
    registry
        .seen(agents[1].id.clone(), agents[1].session)
        .await
        .unwrap();
    let silent_since = Instant::now();
    // w1 keeps beating; w2 says nothing more.
    let beats = keep_beating(&registry, &agents[0]);
    match agents[0].next().await {
        coordinator_message::Kind::Abort(abort) => {
            assert_eq!(abort.exit_code, ExitCode::AgentLost.code());
            assert!(abort.reason.contains("w2 (1/2:1) was lost"), "{abort:?}");
        }
        other => panic!("{other:?}"),
    }
    let waited = Instant::now() - silent_since;
    assert!(
        waited >= HB * MISSED_HEARTBEATS && waited < HB * (MISSED_HEARTBEATS + 1),
        "aborted after {waited:?}"
    );
    beats.abort();
}

#[tokio::test(start_paused = true)]
async fn agents_that_never_end_their_scenarios_fail_the_run_after_the_plan_and_slack() {
    // 5 s of constant VUs, no gracefulStop: 5 s of plan.
    let options = serde_json::json!({"scenarios": {"s": {
        "executor": "constant-vus", "vus": 2, "duration": "5s", "gracefulStop": "0s"
    }}});
    let (registry, _runs, mut agents, _run, started) = running(options, OnAgentLoss::Abort).await;
    // Both agents keep beating but never report DONE.
    let beats: Vec<_> = agents.iter().map(|a| keep_beating(&registry, a)).collect();
    for a in &mut agents {
        match a.next().await {
            coordinator_message::Kind::Abort(abort) => {
                assert!(
                    abort
                        .reason
                        .contains("did not end within the plan's duration"),
                    "{abort:?}"
                );
            }
            other => panic!("{other:?}"),
        }
    }
    let waited = Instant::now() - started;
    let limit = Duration::from_secs(5) + super::lifecycle::RUNNING_SLACK;
    assert!(
        waited >= limit && waited < limit + Duration::from_secs(1),
        "failed after {waited:?}"
    );
    beats.into_iter().for_each(|b| b.abort());
}

/// The cluster's `vus`/`vus_max` are sampled once a second while the
/// scenarios run, from a second and a half after the common start, from
/// the agents' last statuses; a status alone records nothing, and the
/// zeros of agents whose scenarios ended are not the last value.
#[tokio::test(start_paused = true)]
async fn vu_gauges_are_sampled_every_second_while_the_scenarios_run() {
    let options = serde_json::json!({"vus": 4, "duration": "1m"});
    let (registry, runs, agents, run, started) = running(options, OnAgentLoss::Abort).await;
    let beats: Vec<_> = agents.iter().map(|a| keep_beating(&registry, a)).collect();
    let link = runs.current().await.expect("a run");
    let gauge = |metrics: &[k6r_api::MetricResource], name: &str| {
        metrics
            .iter()
            .find(|m| m.id == name)
            .map(|m| m.attributes.sample["value"])
    };
    let report = async |state: v1::RunState, vus: [u64; 2]| {
        for (a, vus) in agents.iter().zip(vus) {
            registry
                .publish(AgentEvent {
                    agent: a.id.clone(),
                    message: Kind::Status(v1::RunStatus {
                        run_id: run.clone(),
                        state: state.into(),
                        vus,
                        vus_max: 2,
                        ..v1::RunStatus::default()
                    }),
                })
                .await;
        }
    };
    let tick = Duration::from_millis(1);
    report(v1::RunState::Running, [3, 1]).await;
    tokio::time::sleep_until(started + Duration::from_millis(1499)).await;
    let metrics = link.metrics().await.unwrap();
    assert_eq!(
        gauge(&metrics, "vus"),
        None,
        "no sample before the first second"
    );
    tokio::time::sleep_until(started + Duration::from_millis(1500) + tick).await;
    let metrics = link.metrics().await.unwrap();
    assert_eq!(gauge(&metrics, "vus"), Some(4.0));
    assert_eq!(gauge(&metrics, "vus_max"), Some(4.0));
    report(v1::RunState::Done, [0, 0]).await;
    tokio::time::sleep_until(started + Duration::from_millis(3500) + tick).await;
    let metrics = link.metrics().await.unwrap();
    assert_eq!(
        gauge(&metrics, "vus"),
        Some(4.0),
        "no sample once they ended"
    );
    beats.into_iter().for_each(|b| b.abort());
}

/// A run actor stalled (waiting to send to an agent whose session queue is
/// full) while another agent streams far more metric deltas than the
/// event queue holds: the agent's stream waits (back-pressure), and once
/// the stall ends every delta is merged, none lost.
#[tokio::test(start_paused = true)]
async fn a_stalled_run_loses_no_agent_message() {
    const DELTAS: u64 = 3 * crate::registry::EVENT_BUFFER as u64;
    let options = serde_json::json!({"vus": 2, "duration": "1m"});
    let (registry, runs, mut agents, run, _) = running(options, OnAgentLoss::Abort).await;
    let link = runs.current().await.expect("a run");
    // w1 stops reading: its session queue fills up, and the actor's next
    // message to it (the stop) waits for room.
    while agents[0]
        .tx
        .try_send(Ok(CoordinatorMessage::default()))
        .is_ok()
    {}
    let stopping = tokio::spawn({
        let link = link.clone();
        async move { link.stop().await }
    });
    let streaming = tokio::spawn({
        let registry = registry.clone();
        let (agent, run) = (agents[1].id.clone(), run.clone());
        async move {
            let mut r = k6r_core::metrics::Registry::new();
            for seq in 1..=DELTAS {
                add_iteration(&mut r);
                registry
                    .publish(AgentEvent {
                        agent: agent.clone(),
                        message: Kind::Metrics(v1::MetricDelta::new(
                            run.clone(),
                            seq,
                            &r.take_delta(),
                        )),
                    })
                    .await;
            }
        }
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(!stopping.is_finished(), "the actor is not stalled");
    assert!(
        !streaming.is_finished(),
        "the agent's messages did not wait for the stalled run"
    );
    // The stall ends: w1 reads its queue.
    while !stopping.is_finished() {
        let _ = agents[0].rx.recv().await;
    }
    streaming.await.unwrap();
    // Queued is not yet merged: read until the actor has taken them all.
    let count = async || {
        let metrics = link.metrics().await.unwrap();
        let iterations = metrics.iter().find(|m| m.id == "iterations").unwrap();
        iterations.attributes.sample["count"]
    };
    let all = tokio::time::timeout(Duration::from_secs(60), async {
        while count().await < DELTAS as f64 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(all.is_ok(), "merged {} of {DELTAS} deltas", count().await);
    assert_eq!(count().await, DELTAS as f64, "every delta merged once");
}

/// Agents' statuses are wire values: counts that overflow `u64` when
/// summed and start instants at both ends of `i64` neither panic the run's
/// actor nor wrap; the sums saturate.
#[tokio::test(start_paused = true)]
async fn extreme_agent_statuses_saturate_the_run_view() {
    let options = serde_json::json!({"vus": 4, "duration": "1m"});
    let (registry, runs, agents, run, started) = running(options, OnAgentLoss::Abort).await;
    let beats: Vec<_> = agents.iter().map(|a| keep_beating(&registry, a)).collect();
    for ((a, started_unix_nanos), (elapsed_ms, ended)) in agents
        .iter()
        .zip([i64::MIN, i64::MAX])
        .zip([(u64::MAX, true), (7, false)])
    {
        registry
            .publish(AgentEvent {
                agent: a.id.clone(),
                message: Kind::Status(v1::RunStatus {
                    run_id: run.clone(),
                    state: v1::RunState::Running.into(),
                    vus: u64::MAX,
                    vus_max: u64::MAX,
                    iterations_complete: u64::MAX,
                    iterations_interrupted: u64::MAX,
                    started_unix_nanos,
                    exit_code: 0,
                    scenarios: vec![v1::ScenarioStatus {
                        name: "s".into(),
                        vus: u64::MAX,
                        iterations_complete: u64::MAX,
                        iterations_interrupted: u64::MAX,
                        busy_vus: u64::MAX,
                        dropped: u64::MAX,
                        started: true,
                        elapsed_ms,
                        ended,
                        live: None,
                    }],
                    cpu: Vec::new(),
                }),
            })
            .await;
    }
    // Past the first VU gauge sample, which sums the agents' VUs too.
    tokio::time::sleep_until(started + Duration::from_secs(2)).await;
    let view = runs.view(&run).await.unwrap();
    assert_eq!(
        (view.vus, view.vus_max, view.iterations, view.interrupted),
        (u64::MAX, u64::MAX, u64::MAX, u64::MAX)
    );
    assert_eq!(view.start_skew_ms, Some(u64::MAX as f64 / 1e6));
    // Each scenario's sums saturate; its time is the longest; it has not
    // ended while one agent still runs it.
    let s = &view.scenarios[0];
    assert_eq!(
        (s.vus, s.busy_vus, s.complete, s.interrupted, s.dropped),
        (u64::MAX, u64::MAX, u64::MAX, u64::MAX, u64::MAX)
    );
    assert_eq!((s.elapsed_ms, s.ended), (Some(u64::MAX), false));
    let status = runs.current().await.unwrap().status().await.unwrap();
    assert_eq!(status.vus, Some(i64::MAX));
    // The dashboard's per-scenario sums saturate too.
    let sample = runs.link().await.unwrap().sample().await.unwrap();
    assert_eq!(
        (sample.scenarios[0].vus, sample.scenarios[0].iterations),
        (u64::MAX, u64::MAX)
    );
    // Agents that sent no metrics made no request: each has a line at 0
    // (the dashboard's requests by agent), not none.
    assert!(!sample.agents.is_empty());
    assert!(sample
        .agents
        .iter()
        .all(|a| a.headline.is_some_and(|h| h.totals.http_reqs == 0.0)));
    beats.into_iter().for_each(|b| b.abort());
}

/// A scenario's VUs on a cluster are the sum of every agent's part: while
/// one agent's status says its part is set and the other's has not come
/// yet, the listing shows no `vus-target` rather than one agent's part.
#[tokio::test(start_paused = true)]
async fn a_scenarios_vus_are_listed_once_every_agent_set_its_part() {
    let options = serde_json::json!({"scenarios": {"v": {
        "executor": "constant-vus", "vus": 2, "duration": "1m"}}});
    let (registry, runs, agents, run, _) = running(options, OnAgentLoss::Abort).await;
    let beats: Vec<_> = agents.iter().map(|a| keep_beating(&registry, a)).collect();
    let part = |vus: Option<u64>| v1::RunStatus {
        run_id: run.clone(),
        state: v1::RunState::Running.into(),
        scenarios: vec![v1::ScenarioStatus {
            name: "v".into(),
            started: true,
            live: vus.map(|vus| v1::ScenarioLive {
                vus: Some(vus),
                end_nanos: Some(60_000_000_000),
                ..v1::ScenarioLive::default()
            }),
            ..v1::ScenarioStatus::default()
        }],
        ..v1::RunStatus::default()
    };
    // Paused time moves on only once every task is idle: the statuses
    // published are taken in by then.
    let listed = async || {
        tokio::time::sleep(Duration::from_millis(1)).await;
        let link = runs.link().await.unwrap();
        let scenarios = link.scenarios().await.unwrap();
        let v = &scenarios[0].attributes;
        (v.state, v.vus_target)
    };
    for (a, vus) in agents.iter().zip([Some(1), None]) {
        let message = Kind::Status(part(vus));
        registry
            .publish(AgentEvent {
                agent: a.id.clone(),
                message,
            })
            .await;
    }
    assert_eq!(
        listed().await,
        (State::Running, None),
        "one agent's part is not the scenario's"
    );
    let message = Kind::Status(part(Some(1)));
    registry
        .publish(AgentEvent {
            agent: agents[1].id.clone(),
            message,
        })
        .await;
    assert_eq!(listed().await, (State::Running, Some(2)));
    beats.into_iter().for_each(|b| b.abort());
}
