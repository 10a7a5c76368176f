//! The timer globals and the VU's event loop: a call ends when no timer
//! is left, as in k6 (checked against k6 v1.1.0 by hand and in
//! `cli/tests/run_differential.rs`).

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::config;
use k6r_script::{Call, CallKind, Env, MemoryFiles, MemoryLog, Outcome, Script, Vu};
use tokio_util::sync::CancellationToken;

fn vu(source: &str) -> (Vu, Arc<MemoryLog>) {
    let script = Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", source)),
        "/t/main.js",
    );
    let log = Arc::new(MemoryLog::default());
    let vu = Vu::new(&script, 1, &Env::new(), &config(Arc::clone(&log))).expect("init");
    (vu, log)
}

fn setup(timeout: Option<Duration>) -> Call {
    Call {
        function: "setup".into(),
        kind: CallKind::Setup,
        data: None,
        cancel: CancellationToken::new(),
        timeout,
    }
}

#[test]
fn a_call_ends_when_no_timer_is_left() {
    let (vu, log) = vu(r#"
        const seen = [];
        setTimeout((what) => seen.push(what), 5, 'init');
        export function setup() {
            seen.push(`init timer fired before the first call: ${seen.length}`);
            setTimeout(() => seen.push('last'), 40);
            return seen;
        }
    "#);
    let started = Instant::now();
    let result = vu.call(&setup(None));
    assert!(
        matches!(result.outcome, Outcome::Returned),
        "{:?}",
        result.outcome
    );
    assert!(started.elapsed() >= Duration::from_millis(40));
    let seen: Vec<String> = serde_json::from_str(result.value.as_deref().unwrap()).unwrap();
    assert_eq!(
        seen,
        ["init", "init timer fired before the first call: 1", "last"]
    );
    assert!(log.lines().is_empty(), "{:?}", log.lines());
}

#[test]
fn timers_fire_by_due_time_then_order_with_their_arguments() {
    let (vu, _log) = vu(r#"
        export function setup() {
            const seen = [];
            // Far behind the interval's ticks (2, 4, 6 ms), so that a busy
            // machine stalling the thread for a while keeps the order.
            setTimeout(() => seen.push('b'), 200);
            setTimeout(() => seen.push('a'), 200);
            setTimeout((x, y) => seen.push(`zero ${x} ${y}`), undefined, 1, 'two');
            clearTimeout(setTimeout(() => seen.push('cleared'), 1));
            let ticks = 0;
            const every = setInterval(() => { seen.push(`tick ${++ticks}`); if (ticks === 3) clearInterval(every); }, 2);
            return new Promise((resolve) => setTimeout(() => resolve(seen), 250));
        }
    "#);
    let result = vu.call(&setup(None));
    assert!(
        matches!(result.outcome, Outcome::Returned),
        "{:?}",
        result.outcome
    );
    let seen: Vec<String> = serde_json::from_str(result.value.as_deref().unwrap()).unwrap();
    assert_eq!(seen, ["zero 1 two", "tick 1", "tick 2", "tick 3", "b", "a"]);
}

#[test]
fn ids_count_up_per_vu_across_init_and_calls() {
    let (vu, _log) = vu(r#"
        const ids = [setTimeout(() => {}, 0)];
        export function setup() { ids.push(setTimeout(() => {}, 0), setInterval(() => {}, 0)); clearInterval(ids[ids.length - 1]); return ids; }
    "#);
    let result = vu.call(&setup(None));
    assert_eq!(result.value.as_deref(), Some("[1,2,3]"));
    let result = vu.call(&setup(None));
    assert_eq!(result.value.as_deref(), Some("[1,2,3,4,5]"));
}

#[test]
fn a_throwing_callback_ends_the_call_and_drops_the_other_timers() {
    let (vu, log) = vu(r#"
        export function setup() {
            setTimeout(() => { throw new Error('boom in timer'); }, 5);
            setTimeout(() => {}, 1000);
        }
    "#);
    let started = Instant::now();
    let result = vu.call(&setup(None));
    assert!(started.elapsed() < Duration::from_millis(900));
    match result.outcome {
        Outcome::Threw(e) => assert_eq!(e.message, "boom in timer"),
        other => panic!("{other:?}"),
    }
    let lines = log.lines();
    assert!(
        lines.iter().any(|l| l.contains("level=warning")
            && l.contains("setTimeout 2 was stopped because the VU iteration was interrupted")),
        "{lines:?}"
    );
}

#[test]
fn an_endless_interval_is_stopped_by_the_calls_deadline() {
    let (vu, log) = vu("export function setup() { setInterval(() => {}, 10); }");
    let result = vu.call(&setup(Some(Duration::from_millis(100))));
    assert!(
        matches!(result.outcome, Outcome::TimedOut(_)),
        "{:?}",
        result.outcome
    );
    assert!(
        log.lines()
            .iter()
            .any(|l| l.contains("setInterval 1 was stopped")),
        "{:?}",
        log.lines()
    );
}

#[test]
fn a_callback_that_is_not_a_function_is_refused_as_k6_refuses_it() {
    let (vu, _log) = vu(r#"
        export function setup() {
            const out = [];
            for (const bad of [[], ['nope', 1]]) {
                try { setTimeout(...bad); } catch (e) { out.push(`${e.name}: ${e.message}`); }
            }
            return out;
        }
    "#);
    let result = vu.call(&setup(None));
    let out: Vec<String> = serde_json::from_str(result.value.as_deref().unwrap()).unwrap();
    assert_eq!(
        out,
        [
            "GoError: setTimeout's callback isn't a callable function",
            "TypeError: could not convert function call parameter 0: could not convert nope to sobek.Callable",
        ]
    );
}
