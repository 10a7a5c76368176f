//! `k6r-cli run`'s live progress, as k6 shows it: when stdout is not a
//! terminal, a block every second (the `running (..)` header, then one
//! row per scenario); on a terminal, bars redrawn in place ten times a
//! second. Either way the last state is printed once more after the
//! summary, as k6 does. `-q` shows none of it (no [`Display`] is made).
//!
//! # Layout
//! - [`text`]: the header, each executor's row and k6's layout of rows.
//! - `tty`: the terminal's bars (indicatif), fed the same rows.

pub mod text;
mod tty;

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k6r_api::ScenarioView;
use k6r_core::options::Options;
use k6r_core::plan::{describe, TestPlan};
use k6r_engine::progress::{progress_of, ScenarioSnapshot};
use k6r_runner::{ProgressFn, Report, Snapshot};

use text::{Counts, Lane, Row, Widths};

use super::paint::Paint;

/// The scenarios shown and the widths the header keeps.
pub struct Board {
    lanes: Vec<Lane>,
    widths: Widths,
}

impl Board {
    /// The board of `options` for their execution segment; `None` if the
    /// plan does not compile (the run reports why). Scenarios with no
    /// work in this segment get no row, as in k6.
    pub fn new(options: &Options) -> Option<Board> {
        let plan = TestPlan::new(options).ok()?;
        let share = plan.tuple().segment().length_percent() / 100.0;
        let configs = options.scenarios_in_order();
        let lanes = plan
            .scenarios()
            .iter()
            .filter(|p| p.has_work())
            .map(|p| Lane {
                rate: configs
                    .iter()
                    .find(|s| s.name == p.name)
                    .and_then(|s| describe::arrival_rate(s, plan.tuple())),
                plan: p.clone(),
                share,
            })
            .collect();
        Some(Board {
            lanes,
            widths: widths(&plan),
        })
    }

    /// The header line now.
    pub fn header(&self, now: &Snapshot, elapsed: Duration) -> String {
        let counts = Counts {
            active_vus: now.active_vus,
            initialized_vus: now.initialized_vus,
            complete: now.complete,
            interrupted: now.interrupted,
        };
        text::header(&counts, elapsed, self.widths)
    }

    /// The widths the header keeps.
    pub fn widths(&self) -> Widths {
        self.widths
    }

    /// Every shown scenario's row on a cluster: its counters summed over
    /// the agents, its progress measured against the whole scenario.
    pub fn cluster_rows(&self, scenarios: &[ScenarioView], elapsed: Duration) -> Vec<Row> {
        self.lanes
            .iter()
            .filter_map(|lane| {
                let view = scenarios.iter().find(|s| s.name == lane.plan.name)?;
                let spent = view.elapsed_ms.map(Duration::from_millis);
                let now = ScenarioSnapshot {
                    name: view.name.clone(),
                    complete: view.complete,
                    interrupted: view.interrupted,
                    dropped: view.dropped,
                    active_vus: view.vus,
                    busy_vus: view.busy_vus,
                    elapsed: spent,
                    ended: view.ended,
                    progress: progress_of(&lane.plan, view.complete, spent),
                };
                Some(text::row(lane, &now, elapsed))
            })
            .collect()
    }

    /// Every shown scenario's row now.
    pub fn rows(&self, now: &Snapshot, elapsed: Duration) -> Vec<Row> {
        self.lanes
            .iter()
            .filter_map(|lane| {
                let counters = now.scenarios.iter().find(|s| s.name == lane.plan.name)?;
                Some(text::row(lane, counters, elapsed))
            })
            .collect()
    }

    /// The whole block: an empty line, the header, the rows (with bars of
    /// `bar` characters, or percentages), painted with `paint`.
    pub fn block(
        &self,
        now: &Snapshot,
        elapsed: Duration,
        bar: Option<usize>,
        paint: Paint,
    ) -> String {
        let mut block = format!("\n{}\n", self.header(now, elapsed));
        for line in text::lines(&self.rows(now, elapsed), bar, paint) {
            block.push_str(&line);
            block.push('\n');
        }
        block
    }
}

/// The header's widths of a plan: its max possible VUs and duration.
pub fn widths(plan: &TestPlan) -> Widths {
    Widths {
        max_vus: plan.max_possible_vus(),
        max_duration: plan.total_duration().to_std(),
    }
}

/// The live display of one run.
pub struct Display {
    board: Board,
    /// The bars, when stdout is a terminal.
    tty: Option<tty::Bars>,
    paint: Paint,
    /// The final report, printed after the summary.
    last: Mutex<Option<(Snapshot, Duration)>>,
}

impl Display {
    /// The display of a run of `options` on this process's stdout,
    /// painted with `paint`.
    pub fn new(options: &Options, paint: Paint) -> Option<Arc<Display>> {
        let board = Board::new(options)?;
        let tty = std::io::stdout()
            .is_terminal()
            .then(|| tty::Bars::new(&board));
        Some(Arc::new(Display {
            board,
            tty,
            paint,
            last: Mutex::new(None),
        }))
    }

    /// The runner's progress callback and its period (k6: 1s for a plain
    /// stdout, 100ms for a terminal).
    pub fn reporter(self: &Arc<Self>) -> (ProgressFn, Duration) {
        let every = if self.tty.is_some() {
            Duration::from_millis(100)
        } else {
            Duration::from_secs(1)
        };
        let display = Arc::clone(self);
        let report: ProgressFn =
            Arc::new(move |now: &Snapshot, elapsed, report| display.report(now, elapsed, report));
        (report, every)
    }

    fn report(&self, now: &Snapshot, elapsed: Duration, report: Report) {
        match (report, &self.tty) {
            (Report::Periodic, Some(bars)) => bars.draw(&self.board, now, elapsed, self.paint),
            (Report::Periodic, None) => {
                let mut out = std::io::stdout().lock();
                let block = self.board.block(now, elapsed, None, self.paint);
                let _ = out.write_all(block.as_bytes());
                let _ = out.flush();
            }
            (Report::Final, _) => {
                if let Some(bars) = &self.tty {
                    bars.clear();
                }
                if let Ok(mut last) = self.last.lock() {
                    *last = Some((now.clone(), elapsed));
                }
            }
        }
    }

    /// Prints the final state (after the summary, as k6 does).
    pub fn finish(&self, out: &mut dyn Write) {
        let last = self.last.lock().ok().and_then(|mut l| l.take());
        if let Some((now, elapsed)) = last {
            let bar = match &self.tty {
                Some(bars) => text::bar_for(&self.board.rows(&now, elapsed), bars.columns()),
                None => None,
            };
            let block = self.board.block(&now, elapsed, bar, self.paint);
            let _ = out.write_all(block.as_bytes());
            let _ = out.flush();
        }
    }
}
