//! The progress on a terminal: indicatif redraws the header and one bar
//! per scenario in place. Each bar's line is [`text::lines`]'s, with
//! k6's bar for the terminal's width ([`text::bar_for`]), so both
//! displays say the same.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use k6r_runner::Snapshot;

use super::text;
use super::Board;
use crate::run::paint::Paint;

/// The bars of one run.
pub struct Bars {
    multi: MultiProgress,
    header: ProgressBar,
    rows: Vec<ProgressBar>,
}

impl Bars {
    /// A header and one bar per row of `board`, drawn on stdout.
    pub fn new(board: &Board) -> Bars {
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stdout());
        let plain = ProgressStyle::with_template("{msg}").expect("a valid template");
        let header = multi.add(ProgressBar::new(1).with_style(plain.clone()));
        let rows = board
            .lanes
            .iter()
            .map(|_| multi.add(ProgressBar::new(1).with_style(plain.clone())))
            .collect();
        Bars {
            multi,
            header,
            rows,
        }
    }

    /// Redraws every bar with the counters `now`, painted with `paint`.
    pub fn draw(&self, board: &Board, now: &Snapshot, elapsed: Duration, paint: Paint) {
        self.header.set_message(board.header(now, elapsed));
        let rows = board.rows(now, elapsed);
        let lines = text::lines(&rows, text::bar_for(&rows, self.columns()), paint);
        for (bar, line) in self.rows.iter().zip(lines) {
            bar.set_message(line);
        }
    }

    /// The terminal's width in columns, when known.
    pub fn columns(&self) -> Option<usize> {
        console::Term::stdout()
            .size_checked()
            .map(|(_, columns)| usize::from(columns))
    }

    /// Takes the bars off the screen (the final state is printed after
    /// the summary).
    pub fn clear(&self) {
        // Finished bars are not drawn again when dropped at exit.
        for bar in std::iter::once(&self.header).chain(&self.rows) {
            bar.finish_and_clear();
        }
        let _ = self.multi.clear();
    }
}
