//! VUs sharing their worker's JavaScript runtime, suspended in the middle
//! of their JavaScript while others run: each keeps its stack traces, its
//! stack limit and its interrupt, and a promise callback that another VU
//! happens to run cannot suspend that VU.

mod common;

use k6r_core::options::Options;

use common::run_source;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vus_suspended_mid_stack_keep_their_traces_and_limits() {
    let source = r#"
        import { check, sleep } from 'k6';
        export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 40, iterations: 5 } } };
        function down(n) { return down(n + 1) + 1; }
        function level3(vu) { sleep(0.001 * (vu % 7)); return [vu, new Error('x').stack]; }
        function level2(vu) { const r = level3(vu); sleep(0.002); return r; }
        function level1(vu) { return level2(vu); }
        export default function () {
            const [vu, stack] = level1(__VU);
            let overflow = null;
            if (__VU % 3 === 0) {
                try { down(0); } catch (e) { overflow = e instanceof RangeError; }
            }
            check(stack, {
                'own VU': () => vu === __VU,
                'whole trace': (s) => /level3[\s\S]*level2[\s\S]*level1[\s\S]*default/.test(s),
                'overflow caught': () => overflow !== false,
            });
        }
    "#;
    let ran = run_source(source, &[], Options::default()).await;
    assert_eq!(ran.result.exit_code(), 0);
    assert_eq!(ran.samples.sum("iterations"), 200.0);
    let checks = ran.samples.of("checks");
    assert_eq!(checks.len(), 600);
    let failed: Vec<_> = checks.iter().filter(|c| c.value != 1.0).collect();
    assert!(
        failed.is_empty(),
        "{} checks failed: {:?}",
        failed.len(),
        failed.first()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_run_by_another_vu_does_not_suspend_it() {
    // The callback is queued, then its VU suspends in `sleep`: whichever
    // VU drains the queue next runs it. Run elsewhere, its `sleep` returns
    // at once; nothing crashes and every iteration completes.
    let source = r#"
        import { sleep } from 'k6';
        export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 20, iterations: 5 } } };
        export default async function () {
            Promise.resolve().then(() => sleep(0.001));
            sleep(0.002);
            await Promise.resolve();
        }
    "#;
    let ran = run_source(source, &[], Options::default()).await;
    assert_eq!(ran.result.exit_code(), 0);
    assert_eq!(ran.samples.sum("iterations"), 100.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_busy_vu_is_interrupted_at_the_graceful_stop() {
    let source = r#"
        import { sleep } from 'k6';
        export const options = { scenarios: { s: { executor: 'constant-vus', vus: 6, duration: '1s', gracefulStop: '200ms' } } };
        export default function () {
            if (__VU === 1) { while (true) {} }
            sleep(0.01);
        }
    "#;
    let ran = run_source(source, &[], Options::default()).await;
    assert_eq!(ran.result.exit_code(), 0);
    // VU 1 never completes an iteration and holds its worker thread (as
    // a busy VU does in any design where VUs share threads); the three
    // VUs of the other worker loop for the second. The run still ends.
    let done = ran.samples.sum("iterations");
    assert!(done >= 3.0 * 20.0, "{done}");
}
