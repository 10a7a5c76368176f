//! Following a submitted run to its end: `GET /v1/runs/{id}` every
//! second, a progress block each time (k6's header, then the run's state
//! and its agents, lost ones counted apart; then k6's row per scenario,
//! its counters summed over the agents), ctrl-c to stop it.
//!
//! A poll the coordinator refuses (a 4xx) ends the command; one that
//! does not reach it (or a 5xx) is retried on the next second; after
//! [`GIVE_UP_AFTER`] without an answer the CLI gives up. The first
//! ctrl-c or SIGTERM asks the coordinator to stop the run (and keeps
//! following, to print the summary); a second one exits 105 at once.

use std::io::Write;
use std::time::Duration;

use k6r_api::{RunState, RunView};
use tokio::time::{interval, Instant, MissedTickBehavior};

use k6r_signals::{Signal, StopSignals};

use super::client::Client;
use super::EXIT;
use crate::run::paint::Paint;
use crate::run::progress::text::{self, header, Counts, Widths};
use crate::run::progress::Board;
use crate::run::verdict::signal_failure;
use crate::{log, Failure};

/// How long the coordinator may stay unreachable.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(10);

/// How the run is shown while it runs: the whole test's board (none
/// with `-q`, or when its plan does not compile) and the paint.
pub struct Shown {
    /// The scenarios' rows and the header's widths.
    pub board: Option<Board>,
    /// The colours.
    pub paint: Paint,
}

/// Follows the run `first` describes until it is finished; with it, the
/// signal that stopped it, if one did.
pub async fn follow(
    client: &Client,
    first: RunView,
    shown: &Shown,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<(RunView, Option<Signal>), Failure> {
    let mut signals = StopSignals::install()
        .map_err(|e| Failure::new(EXIT, format!("can't install signal handlers: {e}")))?;
    let mut view = first;
    let mut interrupt = Interrupt {
        client,
        id: view.id.clone(),
        stopping: None,
    };
    let mut last_answer = Instant::now();
    let mut ticks = interval(Duration::from_secs(1));
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        if view.state == RunState::Finished {
            return Ok((view, interrupt.stopping));
        }
        tokio::select! {
            _ = ticks.tick() => {}
            signal = signals.next() => {
                interrupt.signal(signal, err).await?;
                continue;
            }
        }
        let answer = tokio::select! {
            answer = client.view(&interrupt.id) => answer,
            signal = signals.next() => {
                interrupt.signal(signal, err).await?;
                continue;
            }
        };
        match answer {
            Ok(next) => {
                last_answer = Instant::now();
                view = next;
                if let Some(board) = &shown.board {
                    let _ = out.write_all(block(&view, board, shown.paint).as_bytes());
                    let _ = out.flush();
                }
            }
            Err(e) if !e.transient => return Err(e.failure),
            Err(e) if last_answer.elapsed() > GIVE_UP_AFTER => {
                return Err(Failure::new(
                    EXIT,
                    format!(
                        "gave up on run {}: no answer for over {}s ({})",
                        interrupt.id,
                        GIVE_UP_AFTER.as_secs(),
                        e.failure.message
                    ),
                ));
            }
            Err(_) => {}
        }
    }
}

/// What a signal does: stop the run, then quit.
struct Interrupt<'a> {
    client: &'a Client,
    id: String,
    /// The first signal, once one came.
    stopping: Option<Signal>,
}

impl Interrupt<'_> {
    async fn signal(&mut self, signal: Signal, err: &mut dyn Write) -> Result<(), Failure> {
        if self.stopping.is_some() {
            return Err(signal_failure(signal));
        }
        self.stopping = Some(signal);
        log::warning(
            err,
            "stopping the run on the cluster (ctrl-c again to quit at once)",
            &[("run".into(), self.id.clone())],
        );
        if let Err(failure) = self.client.stop(&self.id).await {
            log::warning(
                err,
                "can't stop the run",
                &[("error".into(), failure.message)],
            );
        }
        Ok(())
    }
}

/// The progress block of `view`: an empty line, [`line`], and a row per
/// scenario (percentages, as k6 shows them when not redrawing).
fn block(view: &RunView, board: &Board, paint: Paint) -> String {
    let elapsed = Duration::from_millis(view.elapsed_ms);
    let mut block = format!("\n{}\n", line(view, board.widths()));
    for row in text::lines(&board.cluster_rows(&view.scenarios, elapsed), None, paint) {
        block.push_str(&row);
        block.push('\n');
    }
    block
}

/// The local run's header, with the run's state and agents: `[running,
/// 2 agents]`, or `[running, 2 agents, 1 lost]` once agents were lost
/// (a lost agent no longer counts as in the run).
fn line(view: &RunView, widths: Widths) -> String {
    let counts = Counts {
        active_vus: view.vus,
        initialized_vus: view.vus_max,
        complete: view.iterations,
        interrupted: view.interrupted,
    };
    let state = serde_json::to_value(view.state)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let lost = view.agents.iter().filter(|a| a.state == "lost").count();
    let agents = view.agents.len() - lost;
    let lost = if lost > 0 {
        format!(", {lost} lost")
    } else {
        String::new()
    };
    format!(
        "{} [{state}, {agents} agent{}{lost}]",
        header(&counts, Duration::from_millis(view.elapsed_ms), widths),
        if agents == 1 { "" } else { "s" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use k6r_api::RunAgent;

    fn agent(name: &str, state: &str) -> RunAgent {
        RunAgent {
            id: name.into(),
            name: name.into(),
            segment: "0:1/2".into(),
            pinned: Vec::new(),
            lead: false,
            state: state.into(),
            vus: 1,
            vus_max: 1,
            iterations: 3,
        }
    }

    #[test]
    fn the_live_line_counts_lost_agents_apart() {
        let view = RunView {
            id: "run-1".into(),
            state: RunState::Running,
            elapsed_ms: 2_000,
            vus: 1,
            vus_max: 2,
            iterations: 6,
            interrupted: 0,
            agents: vec![agent("a1", "running"), agent("a2", "lost")],
            scenarios: Vec::new(),
            start_skew_ms: None,
            result: None,
            autopilot: None,
        };
        let widths = Widths {
            max_vus: 10,
            max_duration: Duration::from_secs(35),
        };
        assert_eq!(
            line(&view, widths),
            "running (02.0s), 01/02 VUs, 6 complete and 0 interrupted iterations \
             [running, 1 agent, 1 lost]"
        );
        let view = RunView {
            agents: vec![agent("a1", "running"), agent("a2", "running")],
            ..view
        };
        assert!(line(&view, widths).ends_with("[running, 2 agents]"));
    }

    #[test]
    fn the_block_has_a_row_per_scenario_summed_over_agents() {
        use k6r_api::ScenarioView;
        use k6r_core::options::{Options, Purpose};

        let (mut options, _) = Options::from_json(&serde_json::json!({"scenarios": {
            "si": {"executor": "shared-iterations", "vus": 4, "iterations": 40},
            "cv": {"executor": "constant-vus", "vus": 2, "duration": "10s", "startTime": "5s"},
        }}))
        .unwrap();
        options.consolidate(Purpose::Run, None).unwrap();
        let board = Board::new(&options).unwrap();
        let view = RunView {
            id: "run-1".into(),
            state: RunState::Running,
            elapsed_ms: 3_000,
            vus: 4,
            vus_max: 6,
            iterations: 10,
            interrupted: 0,
            agents: vec![agent("a1", "running"), agent("a2", "running")],
            // Both agents' 2 VUs and 5 iterations each, summed.
            scenarios: vec![
                ScenarioView {
                    name: "si".into(),
                    vus: 4,
                    complete: 10,
                    elapsed_ms: Some(3_000),
                    ..ScenarioView::default()
                },
                ScenarioView {
                    name: "cv".into(),
                    ..ScenarioView::default()
                },
            ],
            start_skew_ms: None,
            result: None,
            autopilot: None,
        };
        let block = block(&view, &board, Paint::OFF);
        let lines: Vec<&str> = block.lines().collect();
        assert_eq!(lines[0], "");
        assert!(lines[1].ends_with("[running, 2 agents]"), "{block}");
        // The whole scenario's progress: 10 of 40.
        assert_eq!(
            lines[2],
            "si   [  25% ] 4 VUs    00m03.0s/10m0s  10/40 shared iters"
        );
        assert!(lines[3].starts_with("cv • [   0% ] waiting "), "{block}");
    }
}
