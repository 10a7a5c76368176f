//! Script options: the JSON of `export const options` (and of config
//! files and `POST /v1/runs`), and the `K6_*` environment layer, taken
//! through what `k6 run` does with them: layering, the shortcut scenarios,
//! validation, TLS settings, thresholds and the execution plan.

use k6r_core::metrics::Registry;
use k6r_core::options::{self, Options, Purpose};
use k6r_core::plan::{TestPlan, Work};
use k6r_core::threshold::Thresholds;

/// The input as options JSON and, line by line (`NAME=value`), as the
/// environment; both layered over the defaults.
pub fn run(data: &[u8]) {
    let text = crate::text(data);
    let env: Vec<(&str, &str)> = text.lines().filter_map(|l| l.split_once('=')).collect();
    let from_env = options::from_env(|name| {
        env.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    });
    let from_json = serde_json::from_slice(crate::capped(data))
        .ok()
        .and_then(|value| Options::from_json(&value).ok())
        .map(|(options, _warnings)| options);
    if let Some(options) = from_json.clone() {
        consume(options, &[]);
    }
    if let Ok(env_layer) = from_env {
        let mut layered = Options::default();
        if let Some(script) = from_json {
            let _ = layered.apply(script, "script");
        }
        let _ = layered.apply(env_layer, "env");
        consume(layered, &[]);
    }
}

/// What the runner (or the coordinator, or an agent with its part) does
/// with options once read; `pinned` scenarios run whole.
pub fn consume(mut options: Options, pinned: &[String]) {
    let _ = options.to_json();
    let _ = options.tls();
    if options.consolidate(Purpose::Run, None).is_err() {
        return;
    }
    let _ = (options.setup_timeout(), options.teardown_timeout());
    let _ = options.to_test_json();
    if let Some(option) = &options.thresholds {
        let _ = Thresholds::build(option, &mut Registry::new());
    }
    let Ok(plan) = TestPlan::with_pinned(&options, pinned) else {
        return;
    };
    let _ = (
        plan.max_planned_vus(),
        plan.max_possible_vus(),
        plan.total_duration(),
    );
    for scenario in plan.scenarios() {
        let _ = (scenario.has_work(), scenario.max_vus());
        match &scenario.work {
            Work::ConstantArrivalRate { schedule, .. } => {
                let _ = schedule.ticks().take(256).count();
            }
            Work::RampingArrivalRate { schedule, .. } => {
                let _ = schedule.ticks().take(256).count();
            }
            _ => {}
        }
    }
}
