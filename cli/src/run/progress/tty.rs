//! The progress on a terminal: indicatif redraws the header and one bar
//! per scenario in place. Each bar's prefix (name and status glyph) and
//! message (the right-hand columns) are the texts of [`text::lines`]'s
//! layout, so both displays say the same.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use k6r_runner::Snapshot;

use super::text::{self, Row};
use super::{Board, BAR};

/// Positions per bar: the progress fraction in thousandths.
const STEPS: u64 = 1000;

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
        let header = multi.add(ProgressBar::new(1).with_style(plain));
        let style = ProgressStyle::with_template(&format!("{{prefix}}[{{bar:{BAR}}}]{{msg}}"))
            .expect("a valid template")
            .progress_chars("=>-");
        let rows = board
            .lanes
            .iter()
            .map(|_| multi.add(ProgressBar::new(STEPS).with_style(style.clone())))
            .collect();
        Bars {
            multi,
            header,
            rows,
        }
    }

    /// Redraws every bar with the counters `now`.
    pub fn draw(&self, board: &Board, now: &Snapshot, elapsed: Duration) {
        self.header.set_message(board.header(now, elapsed));
        let rows: Vec<Row> = board.rows(now, elapsed);
        for ((bar, row), laid) in self.rows.iter().zip(&rows).zip(text::layout(&rows)) {
            bar.set_prefix(laid.left);
            bar.set_message(laid.right);
            bar.set_position((row.progress * STEPS as f64) as u64);
        }
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
