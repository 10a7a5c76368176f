//! A coordinator and agents as real processes on 127.0.0.1, driven by
//! `k6r-cli run --coordinator` as a user drives them (issue 6).

use std::process::Command;
use std::time::{Duration, Instant};

use k6r_e2e::{cli, cli_spawn, show, signal, text, Cluster, Target};

fn write(source: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), source).unwrap();
    dir
}

fn count(export: &serde_json::Value, metric: &str) -> f64 {
    export["metrics"][metric]["count"]
        .as_f64()
        .unwrap_or_else(|| panic!("no {metric} count in {export}"))
}

fn wait_for(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

#[test]
fn shared_iterations_split_over_three_agents_as_k6_splits_three_segments() {
    let cluster = Cluster::start(3);
    let dir = write(
        "export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 10, iterations: 3000 } } };\n\
         export default function () {}\n",
    );
    let (out, export) = cluster.run_script(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(count(&export, "iterations"), 3000.0);

    let run = cluster.last_run();
    let mut split: Vec<(String, u64)> = run["agents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["segment"].as_str().unwrap().to_owned(),
                a["iterations"].as_u64().unwrap(),
            )
        })
        .collect();
    split.sort();
    let segments: Vec<&str> = split.iter().map(|(s, _)| s.as_str()).collect();
    assert_eq!(segments, ["0:1/3", "1/3:2/3", "2/3:1"]);
    let ours: Vec<u64> = split.iter().map(|(_, n)| *n).collect();
    assert_eq!(ours.iter().sum::<u64>(), 3000);
    // The scenario's counters summed over the three, and its row in the
    // CLI's last progress block, as k6 shows the whole scenario.
    let scenario = &run["scenarios"][0];
    assert_eq!(scenario["name"], "s", "{run}");
    assert_eq!(scenario["complete"], 3000, "{run}");
    assert_eq!(scenario["ended"], true, "{run}");
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("s ✓ [ 100% ] 10 VUs") && stdout.contains("3000/3000 shared iters"),
        "{stdout}"
    );

    // The reference k6 run per segment of the same sequence, when on PATH
    // (CI installs it): the same share on each.
    let mut theirs = Vec::new();
    for segment in &segments {
        let k6 = Command::new("k6")
            .current_dir(dir.path())
            .args(["run", "-q", "--execution-segment", segment])
            .args(["--execution-segment-sequence", "0,1/3,2/3,1"])
            .args(["--summary-export", "k6.json", "script.js"])
            .output();
        let Ok(k6) = k6 else { return };
        assert!(k6.status.success(), "{}", show(&k6));
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("k6.json")).unwrap())
                .unwrap();
        theirs.push(count(&json, "iterations") as u64);
    }
    assert_eq!(ours, theirs, "per segment: k6r {ours:?}, k6 {theirs:?}");
}

#[test]
fn time_based_totals_match_a_single_process_run() {
    let target = Target::start();
    let cluster = Cluster::start(2);
    let dir = write(
        "import http from 'k6/http';\nimport { sleep } from 'k6';\nimport { Counter } from 'k6/metrics';\n\
         const looped = new Counter('looped');\nconst arrived = new Counter('arrived');\n\
         export const options = { scenarios: {\n\
           steady: { executor: 'constant-vus', vus: 4, duration: '3s', exec: 'steady' },\n\
           rate: { executor: 'constant-arrival-rate', rate: 50, timeUnit: '1s', duration: '3s', preAllocatedVUs: 10, exec: 'rate' },\n\
         } };\n\
         export function steady() { http.get(__ENV.TARGET); looped.add(1); sleep(0.1); }\n\
         export function rate() { http.get(__ENV.TARGET); arrived.add(1); }\n",
    );
    let env = format!("TARGET={}/", target.url());
    let (out, cluster_export) = cluster.run_script(dir.path(), &["-e", &env]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let local = cli(
        dir.path(),
        &[
            "run",
            "-q",
            "--summary-export",
            "local.json",
            "-e",
            &env,
            "script.js",
        ],
    );
    assert_eq!(local.status.code(), Some(0), "{}", show(&local));
    let local_export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("local.json")).unwrap())
            .unwrap();

    // Arrival rate: 150 iterations (3 s × 50/s) either way, each run or
    // counted as dropped (k6's accounting). Tolerance: one iteration per
    // process — the tick falling exactly on the scenario's end may run
    // (a known deviation from k6, which never runs it).
    let scheduled = |export: &serde_json::Value| {
        let dropped = export["metrics"]["dropped_iterations"]["count"]
            .as_f64()
            .unwrap_or(0.0);
        count(export, "arrived") + dropped
    };
    let (cluster_total, local_total) = (scheduled(&cluster_export), scheduled(&local_export));
    assert!(
        (150.0..=152.0).contains(&cluster_total),
        "cluster of 2: {cluster_total}\n{cluster_export}"
    );
    assert!(
        (150.0..=151.0).contains(&local_total),
        "single process: {local_total}\n{local_export}"
    );
    // Looping VUs: 4 VUs × 3 s / ~0.1 s each ≈ 120; the cluster within 20 %
    // of the single process (scheduling noise on a shared 2-core machine).
    let (ours, single) = (
        count(&cluster_export, "looped"),
        count(&local_export, "looped"),
    );
    assert!(
        (ours - single).abs() <= single * 0.2,
        "constant-vus: cluster {ours}, single process {single}"
    );
}

#[test]
fn an_externally_controlled_scenario_stays_whole_on_one_agent_and_scale_reaches_it() {
    let cluster = Cluster::start(2);
    let dir = write(
        "import { sleep } from 'k6';\n\
         export const options = { scenarios: {\n\
           ext: { executor: 'externally-controlled', vus: 2, maxVUs: 10, duration: '1m' },\n\
           steady: { executor: 'constant-vus', vus: 4, duration: '1m' },\n\
         } };\n\
         export default function () { sleep(0.1); }\n",
    );
    let url = cluster.url();
    let mut run = cli_spawn(dir.path(), &["run", "--coordinator", &url, "script.js"]);
    let agents = |cluster: &Cluster| {
        let run = cluster.last_run();
        let mut agents: Vec<(Vec<String>, u64)> = run["agents"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                let pinned = a["pinned"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap().to_owned())
                    .collect();
                (pinned, a["vus"].as_u64().unwrap())
            })
            .collect();
        agents.sort();
        (run["state"].as_str().unwrap_or_default().to_owned(), agents)
    };
    wait_for("both scenarios running", Duration::from_secs(30), || {
        let (state, a) = agents(&cluster);
        state == "running" && a.iter().map(|(_, v)| v).sum::<u64>() == 6
    });
    // The pinned agent runs ext's 2 VUs and its half of steady's 4.
    let (_, before) = agents(&cluster);
    assert_eq!(
        before,
        vec![(vec![], 2), (vec!["ext".to_owned()], 4)],
        "{before:?}"
    );

    let addr = cluster.addr.to_string();
    let scale = cli(dir.path(), &["scale", "--vus", "7", "-a", &addr]);
    assert!(scale.status.success(), "{}", show(&scale));
    wait_for("the pinned agent at 9 VUs", Duration::from_secs(10), || {
        agents(&cluster).1 == vec![(vec![], 2), (vec!["ext".to_owned()], 9)]
    });
    let status = cli(dir.path(), &["status", "-a", &addr]);
    assert!(
        text(&status.stdout).contains("vus: \"11\""),
        "{}",
        show(&status)
    );
    // The reference k6's own control commands work against the coordinator
    // (when k6 is on PATH; CI installs it).
    if let Ok(k6) = Command::new("k6").args(["status", "-a", &addr]).output() {
        assert!(k6.status.success(), "{}", show(&k6));
        assert!(text(&k6.stdout).contains("vus: \"11\""), "{}", show(&k6));
        let scaled = Command::new("k6")
            .args(["scale", "--vus", "8", "-a", &addr])
            .output()
            .unwrap();
        assert!(scaled.status.success(), "{}", show(&scaled));
        wait_for(
            "the pinned agent at 10 VUs",
            Duration::from_secs(10),
            || agents(&cluster).1 == vec![(vec![], 2), (vec!["ext".to_owned()], 10)],
        );
    }
    let too_many = cli(dir.path(), &["scale", "--vus", "50", "-a", &addr]);
    assert_eq!(too_many.status.code(), Some(255), "{}", show(&too_many));

    let stop = cli(dir.path(), &["stop", "-a", &addr]);
    assert!(stop.status.success(), "{}", show(&stop));
    let deadline = Instant::now() + Duration::from_secs(30);
    while run.try_wait().unwrap().is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(103), "{}", show(&out));
}

#[test]
fn setup_and_teardown_run_once_and_setup_data_reaches_every_agent() {
    let cluster = Cluster::start(3);
    let dir = write(
        "import { check } from 'k6';\nimport { Counter } from 'k6/metrics';\n\
         const setups = new Counter('setups');\nconst teardowns = new Counter('teardowns');\n\
         export const options = { scenarios: { s: { executor: 'shared-iterations', vus: 6, iterations: 60 } } };\n\
         export function setup() { setups.add(1); return { n: 7 }; }\n\
         export default function (data) { check(data, { 'data arrived': (d) => d.n === 7 }); }\n\
         export function teardown(data) { teardowns.add(data.n); }\n",
    );
    let (out, export) = cluster.run_script(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    assert_eq!(count(&export, "setups"), 1.0);
    assert_eq!(count(&export, "teardowns"), 7.0);
    assert_eq!(export["metrics"]["checks"]["passes"], 60, "{export}");
    assert_eq!(export["metrics"]["checks"]["fails"], 0, "{export}");
}

#[test]
fn a_failing_threshold_on_the_merged_metrics_exits_99() {
    let cluster = Cluster::start(2);
    let dir = write(
        "export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 4, iterations: 5 } },\n\
           thresholds: { iterations: ['count<20'] } };\n\
         export default function () {}\n",
    );
    let (out, export) = cluster.run_script(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(99), "{}", show(&out));
    // 4 VUs split 2 + 2, 5 iterations each: 20, which fails count<20 only merged.
    assert_eq!(count(&export, "iterations"), 20.0);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("thresholds on metrics 'iterations' have been crossed"),
        "{}",
        show(&out)
    );
}

const STEADY: &str = "import http from 'k6/http';\nimport { sleep } from 'k6';\n\
     export const options = { scenarios: { s: { executor: 'constant-vus', vus: 6, duration: __ENV.DURATION } } };\n\
     export default function () { http.get(__ENV.TARGET); sleep(0.05); }\n";

/// A steady load over `agents` agents, running once the target sees it.
struct Steady {
    target: Target,
    cluster: Cluster,
    run: std::process::Child,
    started: Instant,
    _dir: tempfile::TempDir,
}

fn steady(agents: usize, duration: &str, extra: &[&str]) -> Steady {
    let target = Target::start();
    let cluster = Cluster::start(agents);
    let dir = write(STEADY);
    let url = cluster.url();
    let env = format!("TARGET={}/", target.url());
    let duration = format!("DURATION={duration}");
    let mut args = vec!["run", "--coordinator", &url, "-e", &env, "-e", &duration];
    args.extend_from_slice(extra);
    args.push("script.js");
    let started = Instant::now();
    let run = cli_spawn(dir.path(), &args);
    wait_for("load on the target", Duration::from_secs(30), || {
        target.requests() > 50
    });
    Steady {
        target,
        cluster,
        run,
        started,
        _dir: dir,
    }
}

#[test]
fn a_killed_agent_aborts_the_run_within_5_seconds_with_a_partial_summary() {
    let mut steady = steady(3, "60s", &[]);
    steady.cluster.agents[1].kill();
    let killed = Instant::now();
    let out = steady.run.wait_with_output().unwrap();
    let took = killed.elapsed();
    assert_eq!(out.status.code(), Some(111), "{}", show(&out));
    assert!(took < Duration::from_secs(5), "the abort took {took:?}");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("partial result: lost agent(s) agent-2 (1/3:2/3)"),
        "{}",
        show(&out)
    );
    assert!(text(&out.stdout).contains("http_reqs"), "{}", show(&out));
}

#[test]
fn with_continue_a_killed_agent_leaves_the_others_running_and_the_summary_partial() {
    let mut steady = steady(3, "4s", &["--on-agent-loss", "continue"]);
    steady.cluster.agents[2].kill();
    let out = steady.run.wait_with_output().unwrap();
    // Finished and passed, but degraded: 112.
    assert_eq!(out.status.code(), Some(112), "{}", show(&out));
    // It ran to its planned end, not stopped at the loss.
    assert!(steady.started.elapsed() >= Duration::from_secs(4));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("partial result: lost agent(s) agent-3 (2/3:1)"),
        "{}",
        show(&out)
    );
}

#[test]
fn killing_the_coordinator_stops_the_agents_load() {
    let mut steady = steady(2, "60s", &[]);
    steady.cluster.coordinator.kill();
    let killed = Instant::now();
    // Within 10 s the requests stop: two readings 1 s apart agree.
    let mut last = steady.target.requests();
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = steady.target.requests();
        if now == last {
            break;
        }
        last = now;
        assert!(
            killed.elapsed() < Duration::from_secs(10),
            "the agents still send requests {:?} after the coordinator died",
            killed.elapsed()
        );
    }
    let _ = steady.run.kill();
    let _ = steady.run.wait();
}

/// Waits until the target sees no more requests (two readings 1 s apart
/// agree), within `within` of now.
fn until_quiet(target: &Target, within: Duration, what: &str) {
    let since = Instant::now();
    let mut last = target.requests();
    loop {
        std::thread::sleep(Duration::from_secs(1));
        let now = target.requests();
        if now == last {
            return;
        }
        last = now;
        assert!(
            since.elapsed() < within,
            "requests still arrive {:?} after {what}",
            since.elapsed()
        );
    }
}

#[test]
fn sigterm_to_the_cli_stops_its_cluster_run_and_still_prints_the_summary() {
    let steady = steady(2, "60s", &[]);
    signal(steady.run.id(), "TERM");
    let out = steady.run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(105), "{}", show(&out));
    assert!(
        text(&out.stderr)
            .contains("test run was aborted because k6 received a 'terminated' signal"),
        "{}",
        show(&out)
    );
    assert!(text(&out.stdout).contains("http_reqs"), "{}", show(&out));
    // Nothing is left running: the load stops and the cluster takes a new
    // run.
    until_quiet(&steady.target, Duration::from_secs(10), "the CLI's SIGTERM");
    let dir = write(STEADY);
    let env = format!("TARGET={}/", steady.target.url());
    let again = cli(
        dir.path(),
        &[
            "run",
            "-q",
            "--coordinator",
            &steady.cluster.url(),
            "-e",
            &env,
            "-e",
            "DURATION=1s",
            "script.js",
        ],
    );
    assert_eq!(again.status.code(), Some(0), "{}", show(&again));
}

#[test]
fn sigterm_to_the_coordinator_mid_run_still_delivers_the_interrupted_result() {
    let mut steady = steady(2, "60s", &[]);
    signal(steady.cluster.coordinator.id(), "TERM");
    let out = steady.run.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(105), "{}", show(&out));
    assert!(
        text(&out.stderr).contains("test run was aborted because the coordinator is shutting down"),
        "{}",
        show(&out)
    );
    assert!(text(&out.stdout).contains("http_reqs"), "{}", show(&out));
    until_quiet(
        &steady.target,
        Duration::from_secs(10),
        "the coordinator's SIGTERM",
    );
    // The coordinator exits by itself once the result was read.
    let ended = Instant::now();
    while steady.cluster.coordinator.try_wait().is_none() {
        assert!(
            ended.elapsed() < Duration::from_secs(15),
            "the coordinator is still up after delivering the result"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A 60 s test whose `teardown` counts itself; `end` is what cuts it short.
fn cut_short(end: &str) -> String {
    format!(
        "import exec from 'k6/execution';\nimport {{ sleep }} from 'k6';\nimport {{ Counter }} from 'k6/metrics';\n\
         const teardowns = new Counter('teardowns');\n\
         export const options = {{ scenarios: {{ s: {{ executor: 'constant-vus', vus: 4, duration: '60s' }} }}, {end} }};\n\
         export default function () {{\n\
           if (__ENV.ABORT && exec.vu.idInTest === 1 && exec.vu.iterationInScenario === 3) exec.test.abort('enough');\n\
           sleep(0.1);\n\
         }}\n\
         export function teardown() {{ teardowns.add(1); }}\n"
    )
}

#[test]
fn a_script_abort_on_the_lead_stops_every_agent_and_teardown_still_runs() {
    let cluster = Cluster::start(2);
    let dir = write(&cut_short("thresholds: {}"));
    let started = Instant::now();
    let (out, export) = cluster.run_script(dir.path(), &["-e", "ABORT=1"]);
    assert_eq!(out.status.code(), Some(108), "{}", show(&out));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the abort took {:?}",
        started.elapsed()
    );
    assert_eq!(count(&export, "teardowns"), 1.0, "{}", show(&out));
}

#[test]
fn abort_on_fail_stops_every_agent_and_teardown_still_runs() {
    let cluster = Cluster::start(2);
    let dir = write(&cut_short(
        "thresholds: { iterations: [{ threshold: 'count<10', abortOnFail: true }] }",
    ));
    let started = Instant::now();
    let (out, export) = cluster.run_script(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(99), "{}", show(&out));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the abort took {:?}",
        started.elapsed()
    );
    assert_eq!(count(&export, "teardowns"), 1.0, "{}", show(&out));
}
