//! The texts of k6's progress display (k6 v1.1.0 `internal/ui/pb`,
//! `internal/cmd/ui.go` and each executor's progress function): the
//! `running (..)` header, one row per scenario with its status glyph,
//! its progress and its right-hand columns, and the rows laid out as k6
//! lays them out. Both the plain block (stdout not a terminal) and the
//! terminal's bars take their texts from here.

use std::fmt::Write as _;
use std::time::Duration;

use k6r_core::duration::Duration as GoDuration;
use k6r_core::plan::{ScenarioPlan, Work};
use k6r_engine::progress::ScenarioSnapshot;

use crate::run::paint::Paint;

/// Left texts longer than this are cut (k6's `maxLeftLength`).
const MAX_LEFT: usize = 30;

/// Characters inside a terminal bar's brackets: k6's widest bar.
pub const BAR: usize = 38;

/// Below this many characters inside the brackets k6 shows the
/// percentage instead of a bar.
const MIN_BAR: usize = 7;

/// What the header counts.
pub struct Counts {
    /// Active VUs.
    pub active_vus: u64,
    /// Initialised VUs.
    pub initialized_vus: u64,
    /// Complete iterations.
    pub complete: u64,
    /// Interrupted iterations.
    pub interrupted: u64,
}

/// What fixes the widths of the header's numbers: the test's max
/// possible VUs and its max duration.
#[derive(Clone, Copy, Debug, Default)]
pub struct Widths {
    /// The banner's `N max VUs`.
    pub max_vus: u64,
    /// The banner's max duration.
    pub max_duration: Duration,
}

/// The header: `running (01.0s), 05/14 VUs, 65 complete and 0
/// interrupted iterations`.
pub fn header(now: &Counts, elapsed: Duration, widths: Widths) -> String {
    let w = int_width(widths.max_vus);
    format!(
        "running ({}), {:0w$}/{:0w$} VUs, {} complete and {} interrupted iterations",
        fixed_duration(elapsed, widths.max_duration),
        now.active_vus,
        now.initialized_vus,
        now.complete,
        now.interrupted
    )
}

/// A scenario's status glyph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Before its `startTime`.
    Waiting,
    /// Running.
    Running,
    /// Past its regular end, iterations finishing within `gracefulStop`.
    Stopping,
    /// Ended below 100%.
    Interrupted,
    /// Ended at 100%.
    Done,
}

impl Status {
    /// k6's glyph, painted: dimmed while waiting, green when done, red
    /// when interrupted.
    pub fn painted(self, paint: Paint) -> String {
        let glyph = self.glyph().to_string();
        match self {
            Status::Waiting => paint.dim(&glyph),
            Status::Done => paint.green(&glyph),
            Status::Interrupted => paint.red(&glyph),
            Status::Running | Status::Stopping => glyph,
        }
    }

    /// k6's glyph.
    pub fn glyph(self) -> char {
        match self {
            Status::Waiting => '•',
            Status::Running => ' ',
            Status::Stopping => '↓',
            Status::Interrupted => '✗',
            Status::Done => '✓',
        }
    }
}

/// One scenario's row.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The scenario's name.
    pub name: String,
    /// Its status.
    pub status: Status,
    /// Its progress in 0..=1.
    pub progress: f64,
    /// The right-hand columns (`2 VUs`, `1.0s/2s`, `10/10 shared iters`).
    pub right: Vec<String>,
}

/// What a row needs besides the live counters: the scenario's plan and
/// its arrival rate per second, already scaled to this instance (the
/// constant rate, or the highest of a ramping one).
pub struct Lane {
    /// The scenario's plan for this instance.
    pub plan: ScenarioPlan,
    /// Iterations per second (arrival-rate executors).
    pub rate: Option<f64>,
    /// This instance's share of the test (a ramping rate's live value is
    /// scaled by it).
    pub share: f64,
}

/// The row of `lane` with the counters `now`; `test_elapsed` is the time
/// since the test started (a waiting scenario counts down to its start).
pub fn row(lane: &Lane, now: &ScenarioSnapshot, test_elapsed: Duration) -> Row {
    let plan = &lane.plan;
    let Some(spent) = now.elapsed else {
        let start = plan.start_time.to_std();
        return Row {
            name: plan.name.clone(),
            status: Status::Waiting,
            progress: 0.0,
            right: vec![
                "waiting".into(),
                fixed_duration(start.saturating_sub(test_elapsed), start),
            ],
        };
    };
    let regular = regular_end(&plan.work);
    let status = if now.ended {
        if now.progress >= 1.0 {
            Status::Done
        } else {
            Status::Interrupted
        }
    } else if regular.is_some_and(|r| spent > r) && !plan.graceful_stop.to_std().is_zero() {
        Status::Stopping
    } else {
        Status::Running
    };
    Row {
        name: plan.name.clone(),
        status,
        progress: now.progress.clamp(0.0, 1.0),
        right: right(lane, now, spent),
    }
}

/// When no iteration starts any more, for the executors that have such
/// an end.
fn regular_end(work: &Work) -> Option<Duration> {
    Some(match work {
        Work::SharedIterations { max_duration, .. }
        | Work::PerVuIterations { max_duration, .. } => max_duration.to_std(),
        Work::ConstantVus { duration, .. } => duration.to_std(),
        Work::RampingVus { regular_end, .. } => regular_end.to_std(),
        Work::ConstantArrivalRate { schedule, .. } => schedule.duration.to_std(),
        Work::RampingArrivalRate { schedule, .. } => schedule.duration().to_std(),
        Work::ExternallyControlled { .. } => return None,
    })
}

/// The executor's right-hand columns, as its k6 progress function words
/// them.
fn right(lane: &Lane, now: &ScenarioSnapshot, spent: Duration) -> Vec<String> {
    match &lane.plan.work {
        Work::SharedIterations {
            vus,
            iterations,
            max_duration,
        } => {
            let (v, i) = (int_width(*vus), int_width(*iterations));
            vec![
                format!("{vus:0v$} VUs"),
                format!(
                    "{}/{max_duration}",
                    fixed_duration(spent, max_duration.to_std())
                ),
                format!("{:0i$}/{iterations:0i$} shared iters", now.complete),
            ]
        }
        Work::PerVuIterations {
            vus,
            iterations_per_vu,
            max_duration,
        } => {
            let total = vus.saturating_mul(*iterations_per_vu);
            let (v, i) = (int_width(*vus), int_width(total));
            vec![
                format!("{vus:0v$} VUs"),
                spent_of(spent, *max_duration, false),
                format!(
                    "{:0i$}/{total:0i$} iters, {iterations_per_vu} per VU",
                    now.complete
                ),
            ]
        }
        Work::ConstantVus { vus, duration } => {
            vec![format!("{vus} VUs"), spent_of(spent, *duration, false)]
        }
        Work::RampingVus { regular_end, .. } => {
            let max = lane.plan.max_vus();
            let w = int_width(max);
            vec![
                format!("{:0w$}/{max:0w$} VUs", now.active_vus),
                spent_of(spent, *regular_end, true),
            ]
        }
        Work::ConstantArrivalRate {
            max_vus, schedule, ..
        } => {
            let rate = lane.rate.unwrap_or(0.0);
            vec![
                arrival_vus(now, *max_vus),
                spent_of(spent, schedule.duration, false),
                format!("{} iters/s", fixed_float(rate, rate)),
            ]
        }
        Work::RampingArrivalRate {
            max_vus, schedule, ..
        } => {
            let rate = schedule_rate(schedule, spent) * lane.share;
            let max = lane.rate.unwrap_or(rate);
            vec![
                arrival_vus(now, *max_vus),
                spent_of(spent, schedule.duration(), false),
                format!("{} iters/s", fixed_float(rate, max)),
            ]
        }
        Work::ExternallyControlled {
            max_vus, duration, ..
        } => {
            let max = (*max_vus).max(now.active_vus);
            let w = int_width(max);
            vec![
                format!("{:0w$}/{max:0w$} VUs", now.active_vus),
                spent_of(spent, duration.unwrap_or(GoDuration::ZERO), false),
                String::new(),
            ]
        }
    }
}

/// `1.0s/2s` while running, `2s` once past `total`; `fixed_total` prints
/// the total at the fixed width too (`1.0s/2.0s`, ramping-vus).
fn spent_of(spent: Duration, total: GoDuration, fixed_total: bool) -> String {
    let std_total = total.to_std();
    if spent > std_total {
        return total.to_string();
    }
    let total_text = if fixed_total {
        fixed_duration(std_total, std_total)
    } else {
        total.to_string()
    };
    format!("{}/{total_text}", fixed_duration(spent, std_total))
}

/// `running/active VUs` of an arrival-rate scenario: VUs in an iteration
/// over the VUs it holds.
fn arrival_vus(now: &ScenarioSnapshot, max_vus: u64) -> String {
    let w = int_width(max_vus);
    format!("{:0w$}/{:0w$} VUs", now.busy_vus, now.active_vus)
}

/// A ramping arrival rate's rate per second `spent` into its stages
/// (unscaled), the rate moving linearly through each stage.
fn schedule_rate(schedule: &k6r_core::plan::RampingSchedule, spent: Duration) -> f64 {
    let unit = schedule.time_unit.as_secs_f64();
    if unit <= 0.0 {
        return 0.0;
    }
    let mut from = schedule.start_rate as f64;
    let mut at = spent.as_secs_f64();
    for (duration, target) in &schedule.stages {
        let d = duration.as_secs_f64();
        let to = *target as f64;
        if at < d {
            return (from + (to - from) * at / d) / unit;
        }
        at -= d;
        from = to;
    }
    from / unit
}

/// The digits of `max` (k6's `GetFixedLengthIntFormat`).
fn int_width(max: u64) -> usize {
    max.checked_ilog10().map_or(1, |l| l as usize + 1)
}

/// `value` with two decimals, zero-padded to the width of `max` (k6's
/// `GetFixedLengthFloatFormat(max, 2)`).
fn fixed_float(value: f64, max: f64) -> String {
    let max = max.abs();
    let whole = if max >= 10.0 {
        1 + max.log10() as usize
    } else {
        1
    };
    let w = whole + 3;
    format!("{value:0w$.2}")
}

/// `d` rounded to 0.1s at a fixed width that `max` decides (k6's
/// `GetFixedLengthDuration`): `5.0s` under 10s, `05.0s` under a minute,
/// `0m05.0s`, `00m05.0s`, `0h00m05.0s`, `00h00m05.0s`, then days.
pub fn fixed_duration(d: Duration, max: Duration) -> String {
    let tenth = GoDuration::from_millis(100);
    let go = |d: Duration| GoDuration::from_nanos(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    let max = go(max.max(d)).round(tenth).to_std();
    let mut u = (go(d).round(tenth).as_nanos() / tenth.as_nanos()) as u64;
    let tenths = u % 10;
    u /= 10;
    let secs = u % 10;
    u /= 10;
    if max < Duration::from_secs(10) {
        return format!("{secs}.{tenths}s");
    }
    let secs = secs + 10 * (u % 6);
    u /= 6;
    if max < Duration::from_secs(60) {
        return format!("{secs:02}.{tenths}s");
    }
    let minutes = u % 10;
    u /= 10;
    if max < Duration::from_secs(600) {
        return format!("{minutes}m{secs:02}.{tenths}s");
    }
    let minutes = minutes + 10 * (u % 6);
    u /= 6;
    if max < Duration::from_secs(3600) {
        return format!("{minutes:02}m{secs:02}.{tenths}s");
    }
    let hours = u % 24;
    u /= 24;
    let rest = format!("{minutes:02}m{secs:02}.{tenths}s");
    if max < Duration::from_secs(10 * 3600) {
        return format!("{hours}h{rest}");
    }
    if max < Duration::from_secs(24 * 3600) {
        return format!("{hours:02}h{rest}");
    }
    let mut digits = 1;
    let mut powers = max.as_secs() / (240 * 3600);
    while powers > 0 {
        digits += 1;
        powers /= 10;
    }
    format!("{u:0digits$}d{hours:02}h{rest}")
}

/// A row laid out: what comes before its progress and what after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Laid {
    /// The name, padded (and cut at 30), and the status glyph.
    pub left: String,
    /// The right-hand columns, each but the last padded to the widest of
    /// its kind.
    pub right: String,
}

/// The rows laid out as k6 lays them out (`renderMultipleBars`), the
/// glyphs painted with `paint`.
pub fn layout(rows: &[Row], paint: Paint) -> Vec<Laid> {
    let max_left = rows
        .iter()
        .map(|r| r.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_LEFT);
    // k6 aligns the first two columns over every row's columns but its
    // last.
    let mut widths = [0usize; 2];
    for r in rows {
        let aligned = r.right.len().saturating_sub(1);
        for (i, col) in r.right.iter().enumerate().take(aligned) {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(col.chars().count());
            }
        }
    }
    rows.iter()
        .map(|r| {
            let mut right = String::new();
            for (i, col) in r.right.iter().enumerate() {
                let pad = widths.get(i).copied().unwrap_or(0) + 1;
                let _ = write!(right, " {col:<pad$}");
            }
            Laid {
                left: format!(
                    "{:<max_left$} {} ",
                    cut(&r.name, max_left),
                    r.status.painted(paint)
                ),
                right,
            }
        })
        .collect()
}

/// The rows as lines, without newlines: [`layout`] around the progress
/// (`[ 100% ]`, or a `[====>---]` bar of `bar` characters inside).
pub fn lines(rows: &[Row], bar: Option<usize>, paint: Paint) -> Vec<String> {
    layout(rows, paint)
        .into_iter()
        .zip(rows)
        .map(|(laid, row)| {
            let progress = progress(row.progress, bar, paint);
            format!("{}{progress}{}", laid.left, laid.right)
        })
        .collect()
}

/// The bar k6 draws for `rows` on a terminal of `columns`: [`BAR`]
/// characters inside the brackets, narrower when the longest row would
/// not end before the last column, and none (the percentage) below
/// [`MIN_BAR`]. An unknown width gets the widest bar.
pub fn bar_for(rows: &[Row], columns: Option<usize>) -> Option<usize> {
    let Some(columns) = columns else {
        return Some(BAR);
    };
    let longest = layout(rows, Paint::OFF)
        .iter()
        .map(|l| l.left.chars().count() + l.right.chars().count() + BAR + 2)
        .max()
        .unwrap_or(0);
    let room = (columns.saturating_sub(1) + BAR).saturating_sub(longest);
    Some(room.min(BAR)).filter(|&bar| bar >= MIN_BAR)
}

/// `[ 100% ]`, or k6's bar of `width` characters inside the brackets,
/// its empty part dimmed by `paint`.
pub fn progress(fraction: f64, bar: Option<usize>, paint: Paint) -> String {
    let Some(space) = bar else {
        return format!("[ {:3.0}% ]", fraction * 100.0);
    };
    let filled = ((space as f64 * fraction) as usize).min(space);
    let fill = match filled {
        0 => String::new(),
        f if f < space => format!("{}>", "=".repeat(f - 1)),
        f => "=".repeat(f),
    };
    format!("[{fill}{}]", paint.dim(&"-".repeat(space - filled)))
}

/// `name` cut to `max` characters with `...`, as k6 cuts a left text.
fn cut(name: &str, max: usize) -> String {
    if name.chars().count() > max && max > 3 {
        let kept: String = name.chars().take(max - 3).collect();
        format!("{kept}...")
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests;
