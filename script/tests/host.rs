//! VUs as contexts of one shared runtime ([`Host`]): the QuickJS internals
//! it relies on are found on this build, and VUs in one host keep their
//! own global state, stack limit and stack traces. (Interleaving VUs on
//! coroutines is the runner's; its tests run every VU in a host.)

mod common;

use std::rc::Rc;
use std::sync::Arc;

use common::config;
use k6r_script::{
    BlockOn, Call, CallKind, Config, Env, Host, MemoryFiles, MemoryLog, Outcome, Script, Vu,
};
use tokio_util::sync::CancellationToken;

const SOURCE: &str = r#"
    globalThis.mark = __VU;
    let calls = 0;
    function down(n) { return down(n + 1) + 1; }
    function named() { return new Error('here').stack; }
    export function setup() {
        calls++;
        let overflow = null;
        try { down(0); } catch (e) { overflow = e.constructor.name; }
        return { vu: __VU, mark: globalThis.mark, calls, overflow, stack: named() };
    }
"#;

fn setup_call() -> Call {
    Call {
        function: "setup".into(),
        kind: CallKind::Setup,
        data: None,
        cancel: CancellationToken::new(),
        timeout: None,
    }
}

fn vus_in(host: &Host, script: &Script, config: &Config, n: u64) -> Vec<Vu> {
    (1..=n)
        .map(|id| {
            let wait = Rc::new(BlockOn::default());
            Vu::in_host(host, script, id, &Env::new(), config, wait).unwrap()
        })
        .collect()
}

#[test]
fn vus_in_one_host_keep_their_own_state() {
    let script = Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", SOURCE)),
        "/t/main.js",
    );
    let host = Host::new(&script).expect("VUs can share a runtime on this build");
    let config = config(Arc::new(MemoryLog::default())).with_max_stack_size(256 * 1024);
    let vus = vus_in(&host, &script, &config, 3);
    for round in 1..=2 {
        for (vu, id) in vus.iter().zip(1..) {
            let result = vu.call(&setup_call());
            assert!(
                matches!(result.outcome, Outcome::Returned),
                "{:?}",
                result.outcome
            );
            let value: serde_json::Value =
                serde_json::from_str(result.value.as_deref().unwrap()).unwrap();
            assert_eq!(value["vu"], id);
            assert_eq!(value["mark"], id, "globals are the VU's own");
            assert_eq!(value["calls"], round, "module state is the VU's own");
            assert_eq!(value["overflow"], "RangeError");
            let stack = value["stack"].as_str().unwrap();
            assert!(
                stack.contains("named") && stack.contains("setup"),
                "{stack}"
            );
        }
    }
}

#[test]
fn a_vu_costs_a_context_not_a_runtime() {
    let script = Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", SOURCE)),
        "/t/main.js",
    );
    let host = Host::new(&script).unwrap();
    let config = config(Arc::new(MemoryLog::default()));
    let before = host.heap_size();
    let vus = vus_in(&host, &script, &config, 50);
    let per_vu = (host.heap_size() - before) / vus.len() as u64;
    // A context with k6's globals is ~60 KB on this build (a runtime of
    // its own adds ~130 KB more: atoms, shapes, class tables).
    assert!((20_000..100_000).contains(&per_vu), "{per_vu} bytes per VU");
}

#[test]
fn only_a_vu_that_uses_typed_arrays_pays_for_them() {
    let script = |source: &str| {
        Script::new(
            Arc::new(MemoryFiles::new().with("/t/main.js", source)),
            "/t/main.js",
        )
    };
    let without = common::heap_per_vu(&script(
        "export function setup() { return typeof Uint8Array === 'function' ? 0 : 1; }",
    ));
    let with = common::heap_per_vu(&script(
        "export function setup() { return new Uint8Array([1, 2]).length === 2 ? 0 : 1; }",
    ));
    eprintln!("heap per VU: {without} bytes, {with} once it made a Uint8Array");
    // `typeof` installs them too: the accessors answer every read.
    assert!(with.abs_diff(without) < 1024, "{with} vs {without}");
    let untouched = common::heap_per_vu(&script("export function setup() { return 0; }"));
    eprintln!("heap per VU: {untouched} bytes without touching them");
    // QuickJS's typed arrays are ~13 KB of a context.
    assert!(
        untouched + 10_000 < with,
        "{untouched} bytes untouched vs {with} with typed arrays"
    );
}
