use super::*;
use k6r_core::options::{Options, Purpose};
use k6r_core::plan::{describe, TestPlan};

fn row(name: &str, status: Status, progress: f64, right: &[&str]) -> Row {
    Row {
        name: name.into(),
        status,
        progress,
        right: right.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn rows_are_laid_out_as_k6_lays_them_out() {
    // k6 v1.1.0's block one second into the seven-executor script.
    let rows = [
        row(
            "a_si",
            Status::Done,
            1.0,
            &["2 VUs", "0.0s/5s", "10/10 shared iters"],
        ),
        row("c_cv", Status::Running, 0.5, &["2 VUs", "1.0s/2s"]),
        row("d_rv", Status::Running, 0.5, &["2/3 VUs", "1.0s/2.0s"]),
        row(
            "e_car",
            Status::Running,
            0.5,
            &["0/1 VUs", "1.0s/2s", "10.00 iters/s"],
        ),
        row(
            "f_rar",
            Status::Running,
            0.5,
            &["0/1 VUs", "1.0s/2s", "4.82 iters/s"],
        ),
        row("g_ec", Status::Running, 0.33, &["1/2 VUs", "1.0s/3s", ""]),
        row("b_pvi", Status::Waiting, 0.0, &["waiting", "0.0s"]),
    ];
    assert_eq!(
        lines(&rows, None, Paint::OFF),
        [
            "a_si  ✓ [ 100% ] 2 VUs    0.0s/5s  10/10 shared iters",
            "c_cv    [  50% ] 2 VUs    1.0s/2s ",
            "d_rv    [  50% ] 2/3 VUs  1.0s/2.0s",
            "e_car   [  50% ] 0/1 VUs  1.0s/2s  10.00 iters/s",
            "f_rar   [  50% ] 0/1 VUs  1.0s/2s  4.82 iters/s",
            "g_ec    [  33% ] 1/2 VUs  1.0s/3s   ",
            "b_pvi • [   0% ] waiting  0.0s    ",
        ]
    );
}

#[test]
fn a_terminal_bar_fills_as_k6_fills_it() {
    let off = Paint::OFF;
    assert_eq!(progress(0.0, Some(10), off), "[----------]");
    assert_eq!(progress(0.55, Some(10), off), "[====>-----]");
    assert_eq!(progress(1.0, Some(10), off), "[==========]");
    assert_eq!(progress(0.999, None, off), "[ 100% ]");
    // On a terminal, k6 dims the empty part.
    let on = Paint::ON;
    assert_eq!(progress(0.55, Some(10), on), "[====>\x1b[2m-----\x1b[22m]");
    assert_eq!(progress(1.0, Some(10), on), "[==========\x1b[2m\x1b[22m]");
    assert_eq!(Status::Done.painted(on), "\x1b[32m✓\x1b[0m");
    assert_eq!(Status::Interrupted.painted(on), "\x1b[31m✗\x1b[0m");
    assert_eq!(Status::Stopping.painted(on), "↓");
    assert_eq!(Status::Waiting.painted(on), "\x1b[2m•\x1b[22m");
}

#[test]
fn long_names_are_cut_at_thirty_characters() {
    let name = "a".repeat(40);
    let laid = layout(&[row(&name, Status::Running, 0.0, &["1 VUs"])], Paint::OFF);
    assert_eq!(laid[0].left, format!("{}...   ", "a".repeat(27)));
}

#[test]
fn times_keep_the_width_the_max_duration_gives() {
    let s = Duration::from_secs_f64;
    assert_eq!(fixed_duration(s(0.5), s(5.0)), "0.5s");
    assert_eq!(fixed_duration(s(1.04), s(35.0)), "01.0s");
    assert_eq!(fixed_duration(s(5.0), s(300.0)), "0m05.0s");
    assert_eq!(fixed_duration(s(65.0), s(630.0)), "01m05.0s");
    assert_eq!(fixed_duration(s(5.0), s(7200.0)), "0h00m05.0s");
    assert_eq!(fixed_duration(s(3725.0), s(12.0 * 3600.0)), "01h02m05.0s");
    assert_eq!(fixed_duration(s(5.0), s(26.0 * 3600.0)), "0d00h00m05.0s");
    // A time past the max widens it.
    assert_eq!(fixed_duration(s(12.0), s(5.0)), "12.0s");
}

#[test]
fn the_header_pads_vus_to_the_max_vus() {
    let counts = Counts {
        active_vus: 5,
        initialized_vus: 13,
        complete: 65,
        interrupted: 0,
    };
    let widths = Widths {
        max_vus: 14,
        max_duration: Duration::from_secs(35),
    };
    assert_eq!(
        header(&counts, Duration::from_millis(1000), widths),
        "running (01.0s), 05/13 VUs, 65 complete and 0 interrupted iterations"
    );
}

/// The lanes of the seven executors of `describe`'s tests.
fn lanes() -> Vec<Lane> {
    let scenarios = serde_json::json!({
        "a_si": { "executor": "shared-iterations", "vus": 2, "iterations": 10, "maxDuration": "5s" },
        "b_pvi": { "executor": "per-vu-iterations", "vus": 2, "iterations": 3, "maxDuration": "5s",
                   "startTime": "1s", "gracefulStop": "2s" },
        "c_cv": { "executor": "constant-vus", "vus": 2, "duration": "2s", "gracefulStop": "0s" },
        "d_rv": { "executor": "ramping-vus", "startVUs": 1, "gracefulRampDown": "1s",
                  "stages": [{ "duration": "1s", "target": 3 }, { "duration": "1s", "target": 0 }] },
        "e_car": { "executor": "constant-arrival-rate", "rate": 10, "timeUnit": "1s",
                   "duration": "2s", "preAllocatedVUs": 1, "maxVUs": 2 },
        "f_rar": { "executor": "ramping-arrival-rate", "startRate": 5, "timeUnit": "2s",
                   "preAllocatedVUs": 1, "maxVUs": 1,
                   "stages": [{ "duration": "1s", "target": 10 }, { "duration": "1s", "target": 0 }] },
        "g_ec": { "executor": "externally-controlled", "vus": 1, "maxVUs": 2, "duration": "3s" }
    });
    let (mut options, _) =
        Options::from_json(&serde_json::json!({ "scenarios": scenarios })).expect("options");
    options
        .consolidate(Purpose::Inspect, None)
        .expect("consolidate");
    let plan = TestPlan::new(&options).unwrap();
    let configs = options.scenarios_in_order();
    plan.scenarios()
        .iter()
        .zip(configs)
        .map(|(p, s)| Lane {
            plan: p.clone(),
            rate: describe::arrival_rate(s, plan.tuple()),
            share: 1.0,
        })
        .collect()
}

fn counters(name: &str, secs: Option<f64>, ended: bool, progress: f64) -> ScenarioSnapshot {
    ScenarioSnapshot {
        name: name.into(),
        elapsed: secs.map(Duration::from_secs_f64),
        ended,
        progress,
        ..ScenarioSnapshot::default()
    }
}

#[test]
fn each_executor_words_its_columns_as_k6_does() {
    let lanes = lanes();
    let lane = |name: &str| lanes.iter().find(|l| l.plan.name == name).unwrap();
    let at = Duration::from_secs(1);
    let check = |name: &str, now: ScenarioSnapshot, status: Status, right: &[&str]| {
        let r = super::row(lane(name), &now, at);
        assert_eq!(
            (r.status, r.right.clone()),
            (
                status,
                right.iter().map(|s| s.to_string()).collect::<Vec<_>>()
            ),
            "{name}"
        );
    };
    let done_si = ScenarioSnapshot {
        complete: 10,
        ..counters("a_si", Some(0.01), true, 1.0)
    };
    check(
        "a_si",
        done_si,
        Status::Done,
        &["2 VUs", "0.0s/5s", "10/10 shared iters"],
    );
    let pvi = ScenarioSnapshot {
        complete: 6,
        ..counters("b_pvi", Some(0.01), true, 1.0)
    };
    check(
        "b_pvi",
        pvi,
        Status::Done,
        &["2 VUs", "0.0s/5s", "6/6 iters, 3 per VU"],
    );
    check(
        "b_pvi",
        counters("b_pvi", None, false, 0.0),
        Status::Waiting,
        &["waiting", "0.0s"],
    );
    check(
        "c_cv",
        counters("c_cv", Some(1.0), false, 0.5),
        Status::Running,
        &["2 VUs", "1.0s/2s"],
    );
    check(
        "c_cv",
        counters("c_cv", Some(2.01), true, 1.0),
        Status::Done,
        &["2 VUs", "2s"],
    );
    let rv = ScenarioSnapshot {
        active_vus: 2,
        ..counters("d_rv", Some(1.0), false, 0.5)
    };
    check("d_rv", rv, Status::Running, &["2/3 VUs", "1.0s/2.0s"]);
    let rv = counters("d_rv", Some(2.5), false, 1.0);
    check("d_rv", rv, Status::Stopping, &["0/3 VUs", "2s"]);
    let car = ScenarioSnapshot {
        active_vus: 1,
        ..counters("e_car", Some(1.0), false, 0.5)
    };
    check(
        "e_car",
        car,
        Status::Running,
        &["0/1 VUs", "1.0s/2s", "10.00 iters/s"],
    );
    let rar = ScenarioSnapshot {
        active_vus: 1,
        busy_vus: 1,
        ..counters("f_rar", Some(1.0), false, 0.5)
    };
    check(
        "f_rar",
        rar,
        Status::Running,
        &["1/1 VUs", "1.0s/2s", "5.00 iters/s"],
    );
    let rar = counters("f_rar", Some(1.7), true, 0.85);
    check(
        "f_rar",
        rar,
        Status::Interrupted,
        &["0/0 VUs", "1.7s/2s", "1.50 iters/s"],
    );
    let ec = ScenarioSnapshot {
        active_vus: 1,
        ..counters("g_ec", Some(1.0), false, 0.33)
    };
    check("g_ec", ec, Status::Running, &["1/2 VUs", "1.0s/3s", ""]);
}

#[test]
fn bars_narrow_to_the_terminal_as_k6_s_do() {
    // The longest row is 84 characters with k6's widest bar.
    let rows = [
        row(
            "a_si",
            Status::Done,
            1.0,
            &["2 VUs", "0.5s/5s", "10/10 shared iters"],
        ),
        row(
            "c_pvi",
            Status::Done,
            1.0,
            &["2 VUs", "0.3s/5s", "6/6 iters, 3 per VU"],
        ),
    ];
    assert_eq!(bar_for(&rows, None), Some(BAR));
    assert_eq!(bar_for(&rows, Some(120)), Some(BAR));
    assert_eq!(bar_for(&rows, Some(80)), Some(33));
    assert_eq!(bar_for(&rows, Some(54)), Some(7));
    assert_eq!(bar_for(&rows, Some(53)), None);
    assert_eq!(bar_for(&rows, Some(0)), None);
}
