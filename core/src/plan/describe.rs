//! The execution description `k6 run` prints under its banner: one header
//! (segment share, scenarios, max VUs, max duration) and one line per
//! scenario in `(startTime, name)` order, worded per executor exactly as
//! k6 v1.1.0 words it (`lib/executor/*.go`, `GetDescription`).
//!
//! VU counts are this instance's share (k6's `ScaleInt64`; shared-iterations
//! re-segments its iterations by its VUs), arrival rates are per second
//! with two decimals and scaled like k6 scales them (constant-arrival-rate
//! by its scaled `maxVUs` over its `maxVUs`, ramping-arrival-rate by the
//! segment's length). externally-controlled prints its unscaled config.

use std::fmt::Write as _;

use num_rational::Ratio;

use super::TestPlan;
use crate::duration::Duration;
use crate::options::{Executor, Options, Scenario, Stage};
use crate::segment::Tuple;

/// The header after `scenarios: `, e.g. `(100.00%) 2 scenarios, 6 max
/// VUs, 10m30s max duration (incl. graceful stop):`.
pub fn header(plan: &TestPlan) -> String {
    let count = plan.scenarios().len();
    let scenarios = if count == 1 {
        "1 scenario".to_string()
    } else {
        format!("{count} scenarios")
    };
    format!(
        "({:.2}%) {scenarios}, {} max VUs, {} max duration (incl. graceful stop):",
        plan.tuple().segment().length_percent(),
        plan.max_possible_vus(),
        plan.total_duration().round(Duration::from_millis(100)),
    )
}

/// Each scenario's `(name, description)`, in `(startTime, name)` order,
/// for the instance of `tuple`.
pub fn scenarios(options: &Options, tuple: &Tuple) -> Vec<(String, String)> {
    options
        .scenarios_in_order()
        .into_iter()
        .map(|s| (s.name.clone(), scenario(s, tuple)))
        .collect()
}

/// One scenario's description for the instance of `tuple`, e.g. `10
/// iterations shared among 2 VUs (maxDuration: 5s, gracefulStop: 30s)`.
pub fn scenario(scenario: &Scenario, tuple: &Tuple) -> String {
    let scale = |v: i64| tuple.scale(v.max(0));
    match &scenario.executor {
        Executor::SharedIterations(c) => {
            let iterations = tuple
                .resegment(c.vus())
                .map_or(0, |t| t.scale(c.iterations()));
            format!(
                "{iterations} iterations shared among {} VUs{}",
                scale(c.vus()),
                facts(scenario, Some(format!("maxDuration: {}", c.max_duration())))
            )
        }
        Executor::PerVuIterations(c) => format!(
            "{} iterations for each of {} VUs{}",
            c.iterations(),
            scale(c.vus()),
            facts(scenario, Some(format!("maxDuration: {}", c.max_duration())))
        ),
        Executor::ConstantVus(c) => format!(
            "{} looping VUs for {}{}",
            scale(c.vus()),
            c.duration(),
            facts(scenario, None)
        ),
        Executor::RampingVus(c) => format!(
            "Up to {} looping VUs for {} over {} stages{}",
            scale(max_target(c.start_vus(), c.stages())),
            stages_duration(c.stages()),
            c.stages().len(),
            facts(
                scenario,
                Some(format!("gracefulRampDown: {}", c.graceful_ramp_down()))
            )
        ),
        Executor::ConstantArrivalRate(c) => {
            let (pre, max) = (scale(c.pre_allocated_vus()), scale(c.max_vus()));
            let mut range = format!("maxVUs: {pre}");
            if max > pre {
                let _ = write!(range, "-{max}");
            }
            let rate = arrival_rate(scenario, tuple).unwrap_or(0.0);
            format!(
                "{rate:.2} iterations/s for {}{}",
                c.duration(),
                facts(scenario, Some(range))
            )
        }
        Executor::RampingArrivalRate(c) => {
            let mut range = format!("maxVUs: {}", scale(c.pre_allocated_vus()));
            if c.max_vus() > c.pre_allocated_vus() {
                let _ = write!(range, "-{}", scale(c.max_vus()));
            }
            let rate = arrival_rate(scenario, tuple).unwrap_or(0.0);
            format!(
                "Up to {rate:.2} iterations/s for {} over {} stages{}",
                stages_duration(c.stages()),
                c.stages().len(),
                facts(scenario, Some(range))
            )
        }
        Executor::ExternallyControlled(c) => {
            let duration = match c.duration() {
                d if d == Duration::ZERO => "infinite".to_string(),
                d => d.to_string(),
            };
            format!(
                "Externally controlled execution with {} VUs, {} max VUs, {duration} duration",
                c.vus(),
                c.max_vus()
            )
        }
    }
}

/// An arrival-rate scenario's iterations per second for the instance of
/// `tuple`, as its description and progress print it: constant-arrival-rate
/// scaled by the share of `maxVUs` the instance got, ramping-arrival-rate
/// its highest rate scaled by the segment's length. `None` for the other
/// executors.
pub fn arrival_rate(scenario: &Scenario, tuple: &Tuple) -> Option<f64> {
    match &scenario.executor {
        Executor::ConstantArrivalRate(c) => {
            let max = tuple.scale(c.max_vus().max(0));
            Some(if max == 0 {
                0.0
            } else {
                per_second(c.rate(), c.time_unit(), Ratio::new(max, c.max_vus()))
            })
        }
        Executor::RampingArrivalRate(c) => {
            let (from, to) = tuple.segment().bounds();
            Some(per_second(
                max_target(c.start_rate(), c.stages()),
                c.time_unit(),
                to - from,
            ))
        }
        _ => None,
    }
}

/// k6's `getBaseInfo`: the executor's own fact, then `exec` if set,
/// `startTime` and `gracefulStop` if positive, in parentheses.
fn facts(scenario: &Scenario, own: Option<String>) -> String {
    let mut facts: Vec<String> = own.into_iter().collect();
    if let Some(exec) = &scenario.exec {
        facts.push(format!("exec: {exec}"));
    }
    if scenario.start_time() > Duration::ZERO {
        facts.push(format!("startTime: {}", scenario.start_time()));
    }
    if scenario.graceful_stop() > Duration::ZERO {
        facts.push(format!("gracefulStop: {}", scenario.graceful_stop()));
    }
    if facts.is_empty() {
        String::new()
    } else {
        format!(" ({})", facts.join(", "))
    }
}

/// The highest of the start value and the stage targets.
fn max_target(start: i64, stages: &[Stage]) -> i64 {
    stages.iter().filter_map(|s| s.target).fold(start, i64::max)
}

fn stages_duration(stages: &[Stage]) -> Duration {
    stages.iter().fold(Duration::ZERO, |acc, s| {
        acc + s.duration.unwrap_or_default()
    })
}

/// `rate` per `time_unit`, times `share`, per second: one rounding at
/// the end, like k6's rational arithmetic.
fn per_second(rate: i64, time_unit: Duration, share: Ratio<i64>) -> f64 {
    let num = i128::from(rate) * 1_000_000_000 * i128::from(*share.numer());
    let den = i128::from(time_unit.as_nanos()) * i128::from(*share.denom());
    if den == 0 {
        return 0.0;
    }
    num as f64 / den as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::options::Purpose;
    use crate::segment::{Segment, Tuple};

    fn options(scenarios: serde_json::Value) -> Options {
        let (mut options, _) =
            Options::from_json(&serde_json::json!({ "scenarios": scenarios })).expect("options");
        options
            .consolidate(Purpose::Inspect, None)
            .expect("consolidate");
        options
    }

    /// The seven executors of the differential test, as k6 v1.1.0 printed
    /// them.
    fn seven() -> Options {
        options(serde_json::json!({
            "a_si": { "executor": "shared-iterations", "vus": 2, "iterations": 10, "maxDuration": "5s" },
            "b_pvi": { "executor": "per-vu-iterations", "vus": 2, "iterations": 3, "maxDuration": "5s",
                       "exec": "other", "startTime": "1s", "gracefulStop": "2s" },
            "c_cv": { "executor": "constant-vus", "vus": 2, "duration": "2s", "gracefulStop": "0s" },
            "d_rv": { "executor": "ramping-vus", "startVUs": 1, "gracefulRampDown": "1s",
                      "stages": [{ "duration": "1s", "target": 3 }, { "duration": "1s", "target": 0 }] },
            "e_car": { "executor": "constant-arrival-rate", "rate": 10, "timeUnit": "1s",
                       "duration": "2s", "preAllocatedVUs": 1, "maxVUs": 2 },
            "f_rar": { "executor": "ramping-arrival-rate", "startRate": 5, "timeUnit": "2s",
                       "preAllocatedVUs": 1, "maxVUs": 1,
                       "stages": [{ "duration": "1s", "target": 10 }, { "duration": "1s", "target": 0 }] },
            "g_ec": { "executor": "externally-controlled", "vus": 1, "maxVUs": 2, "duration": "3s" }
        }))
    }

    fn lines(options: &Options, tuple: &Tuple) -> Vec<String> {
        scenarios(options, tuple)
            .into_iter()
            .map(|(name, d)| format!("{name}: {d}"))
            .collect()
    }

    #[test]
    fn every_executor_is_worded_as_k6_words_it() {
        let options = seven();
        let plan = TestPlan::new(&options).unwrap();
        assert_eq!(
            header(&plan),
            "(100.00%) 7 scenarios, 14 max VUs, 35s max duration (incl. graceful stop):"
        );
        assert_eq!(
            lines(&options, plan.tuple()),
            [
                "a_si: 10 iterations shared among 2 VUs (maxDuration: 5s, gracefulStop: 30s)",
                "c_cv: 2 looping VUs for 2s",
                "d_rv: Up to 3 looping VUs for 2s over 2 stages (gracefulRampDown: 1s, gracefulStop: 30s)",
                "e_car: 10.00 iterations/s for 2s (maxVUs: 1-2, gracefulStop: 30s)",
                "f_rar: Up to 5.00 iterations/s for 2s over 2 stages (maxVUs: 1, gracefulStop: 30s)",
                "g_ec: Externally controlled execution with 1 VUs, 2 max VUs, 3s duration",
                "b_pvi: 3 iterations for each of 2 VUs (maxDuration: 5s, exec: other, startTime: 1s, gracefulStop: 2s)",
            ]
        );
    }

    #[test]
    fn a_segment_scales_vus_and_rates_but_not_the_controlled_scenario() {
        let mut options = seven();
        options.execution_segment = Some(Segment::parse("1/3:2/3").unwrap());
        let plan = TestPlan::new(&options).unwrap();
        assert_eq!(
            header(&plan),
            "(33.33%) 7 scenarios, 6 max VUs, 35s max duration (incl. graceful stop):"
        );
        assert_eq!(
            lines(&options, plan.tuple()),
            [
                "a_si: 5 iterations shared among 1 VUs (maxDuration: 5s, gracefulStop: 30s)",
                "c_cv: 1 looping VUs for 2s",
                "d_rv: Up to 1 looping VUs for 2s over 2 stages (gracefulRampDown: 1s, gracefulStop: 30s)",
                "e_car: 5.00 iterations/s for 2s (maxVUs: 0-1, gracefulStop: 30s)",
                "f_rar: Up to 1.67 iterations/s for 2s over 2 stages (maxVUs: 0, gracefulStop: 30s)",
                "g_ec: Externally controlled execution with 1 VUs, 2 max VUs, 3s duration",
                "b_pvi: 3 iterations for each of 1 VUs (maxDuration: 5s, exec: other, startTime: 1s, gracefulStop: 2s)",
            ]
        );
    }

    #[test]
    fn one_scenario_and_an_endless_controlled_one() {
        let options = options(serde_json::json!({
            "ext": { "executor": "externally-controlled", "vus": 0, "maxVUs": 3, "duration": "0" }
        }));
        let plan = TestPlan::new(&options).unwrap();
        assert_eq!(
            header(&plan),
            "(100.00%) 1 scenario, 3 max VUs, 0s max duration (incl. graceful stop):"
        );
        assert_eq!(
            lines(&options, plan.tuple()),
            ["ext: Externally controlled execution with 0 VUs, 3 max VUs, infinite duration"]
        );
    }
}
