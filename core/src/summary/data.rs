//! The `data` argument of `handleSummary(data)` (§6.7).

use serde_json::{json, Map, Value};

use crate::metrics::Registry;
use crate::threshold::Thresholds;

use super::export::number;
use super::groups::root_group;
use super::view::observed;
use super::{Options, RunFacts};

/// Builds `handleSummary`'s `data`: `root_group` (arrays), `options`,
/// `state`, `setup_data` when there is some, and `metrics` with `type`,
/// `contains`, `values` and `thresholds` (`{ok}` per source).
pub fn handle_summary_data(
    registry: &Registry,
    thresholds: Option<&Thresholds>,
    opts: &Options,
    facts: &RunFacts,
) -> Value {
    let mut metrics = Map::new();
    for v in observed(registry) {
        let values: Map<String, Value> = v
            .values(opts, facts.duration)
            .into_iter()
            .map(|(k, x)| (k, number(x)))
            .collect();
        let mut m = Map::new();
        m.insert("type".into(), v.kind.as_str().into());
        m.insert("contains".into(), v.contains.as_str().into());
        m.insert("values".into(), values.into());
        if let Some(t) = thresholds.and_then(|t| t.of(v.name)) {
            let map: Map<String, Value> = t
                .thresholds
                .iter()
                .map(|t| (t.source.clone(), json!({"ok": !t.last_failed})))
                .collect();
            m.insert("thresholds".into(), map.into());
        }
        metrics.insert(v.name.to_owned(), m.into());
    }
    let stats: Vec<&str> = opts.trend_stats.iter().map(|(s, _)| s.as_str()).collect();
    let mut doc = Map::new();
    doc.insert("root_group".into(), root_group(registry).to_data());
    doc.insert(
        "options".into(),
        json!({
            "summaryTrendStats": stats,
            "summaryTimeUnit": opts.time_unit.map_or("", |u| u.as_str()),
            "noColor": opts.no_color,
        }),
    );
    doc.insert(
        "state".into(),
        json!({
            "isStdOutTTY": facts.is_stdout_tty,
            "isStdErrTTY": facts.is_stderr_tty,
            "testRunDurationMs": number(facts.duration.as_secs_f64() * 1000.0),
        }),
    );
    if let Some(setup) = &facts.setup_data {
        doc.insert("setup_data".into(), setup.clone());
    }
    doc.insert("metrics".into(), metrics.into());
    doc.into()
}
