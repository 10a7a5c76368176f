//! Real scripts against a local target, for every executor.

mod common;

use k6r_core::options::Options;
use k6r_runner::End;

use common::run_source;
use common::target::Target;

/// A script that does one GET per iteration, with `options`.
fn script(options: &str) -> String {
    format!(
        "import http from 'k6/http';\n\
         export const options = {options};\n\
         export default function () {{ http.get(__ENV.TARGET); }}\n"
    )
}

async fn run(options: &str) -> (common::Ran, Target) {
    let target = Target::start();
    let url = target.url();
    let ran = run_source(&script(options), &[("TARGET", &url)], Options::default()).await;
    assert_eq!(ran.result.error.as_ref().map(|e| e.to_string()), None);
    assert_eq!(ran.result.end, End::Finished);
    (ran, target)
}

/// VUs the run initialised (the `vus_max` gauge is sampled every second
/// from the start of VU initialisation, as k6 does, so these short runs
/// have none).
fn initialised_vus(ran: &common::Ran) -> u64 {
    ran.result.report.as_ref().unwrap().counters.initialized_vus
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_iterations_run_exactly_their_iterations() {
    let (ran, target) =
        run("{ scenarios: { s: { executor: 'shared-iterations', vus: 3, iterations: 10 } } }")
            .await;
    assert_eq!(ran.samples.sum("iterations"), 10.0);
    assert_eq!(ran.samples.sum("http_reqs"), 10.0);
    assert_eq!(target.requests(), 10);
    assert_eq!(initialised_vus(&ran), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn per_vu_iterations_run_iterations_times_vus() {
    let (ran, _target) =
        run("{ scenarios: { s: { executor: 'per-vu-iterations', vus: 4, iterations: 3 } } }").await;
    assert_eq!(ran.samples.sum("iterations"), 12.0);
    assert_eq!(ran.samples.sum("http_reqs"), 12.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constant_vus_loop_for_their_duration() {
    let (ran, _target) =
        run("{ scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '1s' } } }").await;
    let iterations = ran.samples.sum("iterations");
    assert!(iterations >= 2.0, "{iterations}");
    assert_eq!(ran.samples.sum("http_reqs"), iterations);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramping_vus_follow_their_stages() {
    let (ran, _target) = run("{ scenarios: { s: { executor: 'ramping-vus', startVUs: 1, stages: [{ duration: '300ms', target: 3 }, { duration: '300ms', target: 0 }], gracefulRampDown: '0s' } } }").await;
    assert!(ran.samples.sum("iterations") >= 1.0);
    assert_eq!(initialised_vus(&ran), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn constant_arrival_rate_starts_iterations_on_schedule() {
    let (ran, _target) = run("{ scenarios: { s: { executor: 'constant-arrival-rate', rate: 20, timeUnit: '1s', duration: '1s', preAllocatedVUs: 2, maxVUs: 5 } } }").await;
    // Ticks at 0, 50ms, ..., 1000ms: 21 iterations, as k6 runs (the tick
    // at the very end counts); none dropped with a fast target.
    assert_eq!(ran.samples.sum("iterations"), 21.0);
    assert_eq!(ran.samples.sum("dropped_iterations"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ramping_arrival_rate_starts_iterations() {
    let (ran, _target) = run("{ scenarios: { s: { executor: 'ramping-arrival-rate', startRate: 10, timeUnit: '1s', stages: [{ duration: '1s', target: 10 }], preAllocatedVUs: 2, maxVUs: 4 } } }").await;
    let iterations = ran.samples.sum("iterations");
    assert!((9.0..=10.0).contains(&iterations), "{iterations}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn externally_controlled_runs_its_vus_for_its_duration() {
    let (ran, _target) = run("{ scenarios: { s: { executor: 'externally-controlled', vus: 2, maxVUs: 3, duration: '400ms' } } }").await;
    assert!(ran.samples.sum("iterations") >= 2.0);
    assert_eq!(initialised_vus(&ran), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn arrival_rate_drops_iterations_without_free_vus() {
    let target = Target::start();
    let url = target.url();
    let source = "import http from 'k6/http';\n\
        export const options = { scenarios: { s: { executor: 'constant-arrival-rate', rate: 10, timeUnit: '1s', duration: '1s', preAllocatedVUs: 1, maxVUs: 1 } } };\n\
        export default function () { http.get(__ENV.TARGET + '/sleep/250'); }\n";
    let ran = run_source(source, &[("TARGET", &url)], Options::default()).await;
    let dropped = ran.samples.sum("dropped_iterations");
    let iterations = ran.samples.sum("iterations");
    assert!(dropped >= 4.0, "dropped {dropped}");
    assert_eq!(dropped + iterations, 11.0);
    for sample in ran.samples.of("dropped_iterations") {
        assert_eq!(sample.tags.get("scenario"), Some("s"));
        assert_eq!(sample.tags.get("group"), None);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_iterations_end_at_graceful_stop() {
    let source = "import { sleep } from 'k6';\n\
        export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '1s', gracefulStop: '0s' } } };\n\
        export default function () { if (__VU === 1) { while (true) {} } sleep(60); }\n";
    let started = std::time::Instant::now();
    let ran = run_source(source, &[], Options::default()).await;
    // Neither the busy loop nor the minute-long sleep holds the run up.
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let report = ran.result.report.as_ref().unwrap();
    assert_eq!(report.counters.interrupted, 2);
    assert_eq!(report.counters.complete, 0);
    assert_eq!(ran.samples.sum("iterations"), 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn segments_run_their_share_of_iterations() {
    let target = Target::start();
    let url = target.url();
    let source =
        script("{ scenarios: { s: { executor: 'shared-iterations', vus: 3, iterations: 10 } } }");
    for segment in ["0:1/3", "1/3:2/3", "2/3:1"] {
        let cli = Options {
            execution_segment: Some(k6r_core::segment::Segment::parse(segment).unwrap()),
            ..Options::default()
        };
        let ran = run_source(&source, &[("TARGET", &url)], cli).await;
        // k6 runs 3 iterations in each third (observed with k6 v1.1.0).
        assert_eq!(ran.samples.sum("iterations"), 3.0, "{segment}");
    }
}
