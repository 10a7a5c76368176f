//! What `run` prints on stdout: a short banner and, at the end, the
//! counts that show the run worked. A stand-in for the core's summary.

use std::io::Write;

use k6r_core::metrics::{MetricType, ValueType};
use k6r_core::options::Options;
use k6r_runner::{RunResult, Total};

/// The banner and execution description.
pub fn banner(out: &mut dyn Write, script: &str, options: &Options) {
    let scenarios = options.scenarios_in_order();
    let _ = writeln!(
        out,
        "\n  k6r\n\n     execution: local\n        script: {script}\n        output: -\n\n     scenarios: {} scenario{}\n",
        scenarios.len(),
        if scenarios.len() == 1 { "" } else { "s" }
    );
    let _ = out.flush();
}

/// The plain progress line k6 prints every second when stdout is not a
/// terminal.
pub fn progress_line(now: &k6r_runner::Snapshot, elapsed: std::time::Duration) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "running ({:.1}s), {:02}/{:02} VUs, {} complete and {} interrupted iterations",
        elapsed.as_secs_f64(),
        now.active_vus,
        now.initialized_vus,
        now.complete,
        now.interrupted
    );
    let _ = out.flush();
}

/// One line per metric, k6-style.
pub fn counts(out: &mut dyn Write, result: &RunResult) {
    let seconds = result
        .report
        .as_ref()
        .map(|r| r.duration.as_secs_f64())
        .unwrap_or_default()
        .max(1e-9);
    let _ = writeln!(out);
    for (name, total) in result.totals.all() {
        let line = match total.kind {
            MetricType::Counter => {
                format!("{}  {:.6}/s", value(total.sum, &total), total.sum / seconds)
            }
            MetricType::Rate => format!(
                "{:.2}% {} out of {}",
                100.0 * total.non_zero as f64 / total.count.max(1) as f64,
                total.non_zero,
                total.count
            ),
            MetricType::Gauge => format!(
                "{} min={} max={}",
                value(total.last, &total),
                value(total.min, &total),
                value(total.max, &total)
            ),
            MetricType::Trend => format!(
                "avg={} min={} max={}",
                value(total.sum / total.count.max(1) as f64, &total),
                value(total.min, &total),
                value(total.max, &total)
            ),
        };
        let dots = ".".repeat(32usize.saturating_sub(name.len()));
        let _ = writeln!(out, "    {name}{dots}: {line}");
    }
    if let Some(report) = &result.report {
        let _ = writeln!(
            out,
            "\nrunning ({:.1}s), {:02}/{:02} VUs, {} complete and {} interrupted iterations",
            report.duration.as_secs_f64(),
            report.counters.active_vus,
            report.counters.initialized_vus,
            report.counters.complete,
            report.counters.interrupted
        );
    }
    let _ = out.flush();
}

fn value(v: f64, total: &Total) -> String {
    match total.contains {
        ValueType::Time => format!("{v:.2}ms"),
        ValueType::Data => format!("{v} B"),
        ValueType::Default => format!("{v}"),
    }
}
