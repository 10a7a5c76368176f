//! The control commands: `k6r-cli status|scale|pause|resume|stats|stop`
//! against a k6r run, and the reference `k6` commands against k6r and k6
//! (a real `k6 run --paused` on a free port): both print the same.

#[path = "control_harness.rs"]
mod harness;

use std::collections::BTreeMap;
use std::net::SocketAddr;

use harness::{cli, free_port, stop, until_metric, until_status, K6r, Outcome2, K6};

const K6R: &str = env!("CARGO_BIN_EXE_k6r-cli");

fn status_yaml(
    status: u8,
    paused: &str,
    vus: &str,
    max: &str,
    stopped: bool,
    running: bool,
) -> String {
    format!(
        "status: {status}\npaused: \"{paused}\"\nvus: \"{vus}\"\nvus-max: \"{max}\"\nstopped: {stopped}\nrunning: {running}\ntainted: false\n"
    )
}

#[test]
fn k6r_cli_against_a_k6r_run() {
    let mut run = K6r::start(true);
    let addr = run.addr;
    let ok = |stdout: String| Outcome2 {
        code: Some(0),
        stdout,
        msg: String::new(),
    };
    let err = |msg: &str| Outcome2 {
        code: Some(255),
        stdout: String::new(),
        msg: msg.to_string(),
    };
    assert_eq!(
        cli(K6R, &["status"], addr),
        ok(status_yaml(4, "true", "0", "5", false, false))
    );
    assert_eq!(
        cli(K6R, &["scale", "--vus", "2", "--max", "10"], addr),
        ok(status_yaml(4, "true", "0", "5", false, false))
    );
    assert_eq!(
        cli(K6R, &["pause"], addr),
        err("Pause error: execution is already paused")
    );
    assert_eq!(
        cli(K6R, &["scale"], addr),
        err("Specify either -u/--vus or -m/--max")
    );
    assert_eq!(cli(K6R, &["resume"], addr).code, Some(0));
    until_status(addr, |s| s["vus"] == 2 && s["status"] == 7);
    assert_eq!(
        cli(K6R, &["status"], addr),
        ok(status_yaml(7, "false", "2", "10", false, true))
    );
    assert_eq!(
        cli(K6R, &["pause"], addr),
        ok(status_yaml(7, "true", "0", "10", false, true))
    );
    assert_eq!(
        cli(K6R, &["pause"], addr),
        err("Pause error: test execution was already paused")
    );
    assert_eq!(
        cli(K6R, &["scale", "-u", "5"], addr),
        ok(status_yaml(7, "true", "0", "10", false, true))
    );
    assert_eq!(
        cli(K6R, &["resume"], addr),
        ok(status_yaml(7, "false", "5", "10", false, true))
    );
    assert_eq!(
        cli(K6R, &["scale", "-u", "1", "-m", "4"], addr),
        err("Config update error: the new number of max VUs cannot be lower than the starting number of max VUs (5)")
    );
    assert_eq!(
        cli(K6R, &["scale", "-u", "11"], addr),
        err("Config update error: invalid configuration supplied: the number of active VUs (11) must be less than or equal to the number of maxVUs (10)")
    );
    let stats = cli(K6R, &["stats"], addr);
    assert_eq!(stats.code, Some(0));
    assert!(stats.stdout.starts_with("- name: vus\n  type:\n    type: gauge\n    valid: true\n  contains:\n    type: default\n    valid: true\n  tainted: \"\"\n  sample:\n    value: "), "{}", stats.stdout);
    assert_eq!(
        cli(K6R, &["stop"], addr),
        ok(status_yaml(7, "false", "5", "10", true, true))
    );
    assert_eq!(run.wait(), 103);
}

#[test]
fn connection_errors_read_like_k6s() {
    let addr: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    for args in [
        &["status"][..],
        &["stats"],
        &["pause"],
        &["resume"],
        &["scale", "-u", "2"],
    ] {
        let (k6, ours) = (cli("k6", args, addr), cli(K6R, args, addr));
        assert_eq!(ours, k6, "{args:?}");
        assert_eq!(ours.code, Some(255));
        assert!(
            ours.msg.ends_with("connect: connection refused"),
            "{}",
            ours.msg
        );
    }
    let stop = cli(K6R, &["stop"], addr);
    assert_eq!(stop.code, Some(255));
    assert_eq!(
        stop.msg,
        format!(
            "Patch \\\"http://{addr}/v1/status\\\": dial tcp {addr}: connect: connection refused"
        )
    );
}

/// One step of the control sequence.
enum Step {
    /// A command, and the status fields whose values are volatile then.
    Run(&'static [&'static str], &'static [&'static str]),
    /// Wait until the run shows this many active VUs.
    Vus(u64),
    /// Wait until the run has samples of this metric (k6 emits the VU
    /// gauges once a second).
    Metric(&'static str),
}

fn sequence() -> Vec<Step> {
    use Step::*;
    vec![
        Run(&["status"], &[]),
        Run(&["scale", "--vus", "2", "--max", "10"], &[]),
        Run(&["pause"], &[]),
        Run(&["scale"], &[]),
        // Resuming starts the test: the phase, `running` and the VUs move
        // as it answers (k6 itself answers `running: false` or `true`).
        Run(&["resume"], &["status", "vus", "vus-max", "running"]),
        Vus(2),
        Run(&["status"], &[]),
        // Running iterations finish after the answer.
        Run(&["pause"], &["vus"]),
        Run(&["pause"], &[]),
        Run(&["scale", "-u", "5"], &["vus"]),
        Run(&["resume"], &["vus"]),
        Vus(5),
        Run(&["status"], &[]),
        Run(&["scale", "-u", "1", "-m", "4"], &[]),
        Run(&["scale", "-u", "11"], &[]),
        Metric("vus"),
        Metric("vus_max"),
        Run(&["stats"], &[]),
    ]
}

fn mask(stdout: &str, fields: &[&str]) -> String {
    stdout
        .lines()
        .map(|l| match l.split_once(": ") {
            Some((k, _)) if fields.contains(&k) => format!("{k}: *"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `stats` blocks by metric name, sample values masked.
fn stats(stdout: &str) -> BTreeMap<String, String> {
    let mut blocks = BTreeMap::new();
    for block in stdout.split("- name: ").skip(1) {
        let (name, rest) = block.split_once('\n').unwrap_or((block, ""));
        let masked: Vec<String> = rest
            .lines()
            .map(
                |l| match l.strip_prefix("    ").and_then(|x| x.split_once(": ")) {
                    Some((k, _)) if !matches!(k, "type" | "valid") => format!("    {k}: *"),
                    _ => l.to_string(),
                },
            )
            .collect();
        blocks.insert(name.to_string(), masked.join("\n"));
    }
    blocks
}

/// Runs the sequence with `program` against `addr`; one outcome per
/// command, volatile values masked.
fn walk(program: &str, addr: SocketAddr) -> Vec<(String, Outcome2)> {
    let mut outcomes = Vec::new();
    for step in sequence() {
        match step {
            Step::Vus(n) => until_status(addr, |s| s["vus"] == n && s["status"] == 7),
            Step::Metric(name) => until_metric(addr, name),
            Step::Run(args, volatile) => {
                let mut o = cli(program, args, addr);
                if args == ["stats"] {
                    let blocks = stats(&o.stdout);
                    // k6r's test backend only has the VU gauges.
                    o.stdout = ["vus", "vus_max"]
                        .iter()
                        .map(|n| format!("{n}:\n{}", blocks.get(*n).cloned().unwrap_or_default()))
                        .collect();
                } else {
                    o.stdout = mask(&o.stdout, volatile);
                }
                outcomes.push((args.join(" "), o));
            }
        }
    }
    outcomes
}

fn stop_and_wait_k6(mut k6: K6) {
    let r = stop(k6.addr);
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains(r#""stopped":true"#));
    assert_eq!(k6.wait(), Some(103));
}

#[test]
fn k6s_commands_print_the_same_against_k6r_as_against_k6() {
    let k6 = K6::start();
    let reference = walk("k6", k6.addr);
    stop_and_wait_k6(k6);
    for program in ["k6", K6R] {
        let mut run = K6r::start(true);
        let ours = walk(program, run.addr);
        for ((step, want), (_, got)) in reference.iter().zip(&ours) {
            assert_eq!(
                got, want,
                "`{program} {step}` against k6r differs from `k6 {step}` against k6"
            );
        }
        assert_eq!(ours.len(), reference.len());
        let r = stop(run.addr);
        assert_eq!(r.status, 200);
        assert_eq!(run.wait(), 103);
    }
}

#[test]
fn k6r_cli_prints_what_k6_prints_against_k6() {
    let k6 = K6::start();
    let addr = k6.addr;
    let first = walk(K6R, addr);
    stop_and_wait_k6(k6);
    let k6 = K6::start();
    let reference = walk("k6", k6.addr);
    stop_and_wait_k6(k6);
    for ((step, want), (_, got)) in reference.iter().zip(&first) {
        assert_eq!(
            got, want,
            "`k6r-cli {step}` against k6 differs from `k6 {step}`"
        );
    }
}

/// In-process: `Cli::try_parse_from` + `k6r_cli::run`.
fn in_process(args: &[&str]) -> (i32, String, String) {
    use clap::Parser;
    let cli = k6r_cli::Cli::try_parse_from(args).expect("valid flags");
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = k6r_cli::run(cli, &mut out, &mut err);
    (
        code,
        String::from_utf8(out).unwrap(),
        String::from_utf8(err).unwrap(),
    )
}

#[test]
fn in_process_commands_and_flags() {
    use clap::Parser;
    let mut run = K6r::start(false);
    let addr = run.addr.to_string();
    // The first change may be staged until the scenario takes commands:
    // wait until it shows.
    let r = harness::raw(
        run.addr,
        "PATCH",
        "/v1/status",
        br#"{"data":{"attributes":{"vus":3,"vus-max":10}}}"#,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    until_status(run.addr, |s| s["status"] == 7 && s["vus"] == 3);
    let (code, out, err) = in_process(&["k6r-cli", "status", "--address", &addr]);
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (
            0,
            status_yaml(7, "false", "3", "10", false, true).as_str(),
            ""
        )
    );
    let (code, out, _) =
        in_process(&["k6r-cli", "scale", "-a", &addr, "--max", "12", "--vus", "4"]);
    assert_eq!(
        (code, out),
        (0, status_yaml(7, "false", "4", "12", false, true))
    );
    let (code, out, err) = in_process(&["k6r-cli", "scale", "-a", &addr, "-u", "-1"]);
    assert_eq!((code, out.as_str()), (255, ""));
    assert!(
        err.contains(r#"level=error msg="Config update error: invalid configuration supplied: the number of VUs can't be negative""#),
        "{err}"
    );
    let (code, out, _) = in_process(&["k6r-cli", "stop", "-a", &addr]);
    assert_eq!(
        (code, out),
        (0, status_yaml(7, "false", "4", "12", true, true))
    );
    assert_eq!(run.wait(), 103);
    // After the end nothing answers any more.
    drop(run);

    let parsed = k6r_cli::Cli::try_parse_from(["k6r-cli", "pause"]).unwrap();
    match parsed.command {
        k6r_cli::Command::Pause(a) => {
            assert_eq!(a.address.address, "localhost:6565");
            assert_eq!(a.scenario, None);
        }
        other => panic!("{other:?}"),
    }
    let parsed = k6r_cli::Cli::try_parse_from(["k6r-cli", "resume", "--scenario", "s"]).unwrap();
    match parsed.command {
        k6r_cli::Command::Resume(a) => assert_eq!(a.scenario.as_deref(), Some("s")),
        other => panic!("{other:?}"),
    }
    // k6r's scenario flags: only with --scenario, never with -m.
    assert!(k6r_cli::Cli::try_parse_from(["k6r-cli", "scale", "--rate", "5"]).is_err());
    assert!(
        k6r_cli::Cli::try_parse_from(["k6r-cli", "scale", "--scenario", "s", "-m", "5"]).is_err()
    );
    assert!(
        k6r_cli::Cli::try_parse_from(["k6r-cli", "scale", "--scenario", "s", "--rate", "5"])
            .is_ok()
    );
    assert!(k6r_cli::Cli::try_parse_from(["k6r-cli", "scale", "-u"]).is_err());
    assert!(k6r_cli::Cli::try_parse_from(["k6r-cli", "scale", "-u", "x"]).is_err());
}
