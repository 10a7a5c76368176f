//! The run's metrics: the registry sink fed by a real run (custom metrics
//! with their declared types, checks, submetrics), the 2 s threshold
//! evaluation with `abortOnFail`/`delayAbortEval` on paused time,
//! `handleSummary` on a VU of its own, and the `vus` gauge sampled from
//! VU initialisation to the end of teardown.

mod common;

use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use k6r_core::metrics::{Builtin, MetricType, Registry, Sample, Stat, Tags, ValueType};
use k6r_core::options::Options;
use k6r_core::summary::{data::handle_summary_data, Options as SummaryOptions, RunFacts};
use k6r_runner::metrics::Metrics;
use k6r_runner::summary::handle_summary;
use k6r_runner::thresholds::{watch, EVALUATION_PERIOD};
use k6r_runner::{Config, SampleSink};
use k6r_script::{Env, Script};
use serde_json::json;
use tokio_util::sync::CancellationToken;

const SCRIPT: &str = r#"import { check } from 'k6';
import { Counter, Trend, Rate } from 'k6/metrics';
import exec from 'k6/execution';
const c = new Counter('my_counter');
const t = new Trend('my_time', true);
const r = new Rate('my_rate');
export const options = {
  iterations: 8, vus: 2,
  thresholds: { my_time: ['max<5'], 'my_time{kind:odd}': ['avg>0'], my_rate: ['rate>0.1'] },
};
export default function () {
  c.add(2);
  // The test-wide iteration number: how iterations split over the VUs varies.
  const i = exec.scenario.iterationInTest;
  t.add(i % 4, { kind: i % 2 ? 'odd' : 'even' });
  r.add(true);
  check(__ITER, { small: (i) => i < 100 });
}
export function handleSummary(data) {
  return { stdout: `${data.metrics.my_counter.values.count} ${data.metrics.my_time.contains}` };
}
"#;

fn script(dir: &tempfile::TempDir) -> (Script, Env, k6r_script::Inspection) {
    let path = dir.path().join("script.js");
    std::fs::write(&path, SCRIPT).unwrap();
    let env = Env::default();
    let inspection = k6r_script::inspect(&path, &env).expect("init context");
    (Script::from_path(&path).unwrap(), env, inspection)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registry_sink_gathers_a_run_with_declared_custom_metrics() {
    let dir = tempfile::tempdir().unwrap();
    let (script, env, inspection) = script(&dir);
    let names: Vec<&str> = inspection.metrics.iter().map(|m| &*m.name).collect();
    assert_eq!(names, ["my_counter", "my_rate", "my_time"]);

    let metrics =
        Metrics::for_script(&inspection.metrics, k6r_core::metrics::Breakdown::None).unwrap();
    let (mut options, _) = Options::from_json(&inspection.options).unwrap();
    let mut thresholds = metrics
        .thresholds(options.thresholds.as_ref().unwrap())
        .unwrap();
    options.unset_vus = 1;
    options.derive_scenarios().unwrap();
    let config = Config::new(script.clone(), env.clone(), options, inspection.exports)
        .with_workers(2)
        .with_sink(Box::new(metrics.clone()));
    let result = k6r_runner::run(config, CancellationToken::new())
        .await
        .unwrap();
    assert_eq!(result.exit_code(), 0);

    let evaluation = metrics.read(|r| thresholds.evaluate(r, Duration::from_secs(1), false));
    assert!(evaluation.passed(), "{evaluation:?}");
    metrics.read(|r| {
        let entry = r.get("my_time").unwrap();
        assert_eq!(
            (entry.metric.kind, entry.metric.contains),
            (MetricType::Trend, ValueType::Time)
        );
        let count = |name: &str| {
            r.sink(name)
                .unwrap()
                .stat(Stat::Count, Duration::from_secs(1))
        };
        assert_eq!(count("my_counter"), Some(16.0));
        assert_eq!(count("my_time"), Some(8.0));
        assert_eq!(count("my_time{kind:odd}"), Some(4.0));
        assert_eq!(count("iterations"), Some(8.0));
        let checks = r.checks().all();
        assert_eq!((checks[0].passes, checks[0].fails), (8, 0));
    });

    // handleSummary on a VU of its own, with the registry's data.
    let data = metrics.read(|r| {
        handle_summary_data(
            r,
            Some(&thresholds),
            &SummaryOptions::default(),
            &RunFacts::default(),
        )
    });
    let outputs = tokio::task::spawn_blocking(move || {
        handle_summary(&script, &env, &k6r_script::Config::default(), &data)
    })
    .await
    .unwrap()
    .unwrap()
    .unwrap();
    assert_eq!(outputs, vec![("stdout".to_owned(), b"16 time".to_vec())]);
}

/// k6 samples `vus` and `vus_max` every second from the start of VU
/// initialisation to the end of teardown: a slow `setup()` and `teardown()`
/// read 0 active VUs (checked against k6 v1.1.0 with `--out json`). Each
/// stage lasts long enough that every tick falls well inside one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_vu_gauges_tick_through_setup_the_scenarios_and_teardown() {
    let source = r#"
        import { sleep } from 'k6';
        export const options = { scenarios: { s: { executor: 'constant-vus', vus: 2, duration: '1.5s' } } };
        export function setup() { sleep(1.3); }
        export default function () { sleep(0.25); }
        export function teardown() { sleep(0.9); }
    "#;
    let ran = common::run_source(source, &[], Options::default()).await;
    assert_eq!(ran.result.exit_code(), 0, "{:?}", ran.lines());
    let values =
        |name: &str| -> Vec<f64> { ran.samples.of(name).iter().map(|s| s.value).collect() };
    // Ticks at 1 s (setup, until 1.3 s), 2 s (the scenario, until 2.8 s)
    // and 3 s (teardown, until 3.7 s).
    assert_eq!(values("vus"), [0.0, 2.0, 0.0]);
    assert_eq!(values("vus_max"), [2.0, 2.0, 2.0]);
}

fn iterations(n: usize) -> Vec<Sample> {
    let tags = Arc::new(Tags::new().with("scenario", "default"));
    (0..n)
        .map(|_| Sample {
            metric: Builtin::Iterations.metric(),
            tags: Arc::clone(&tags),
            time: UNIX_EPOCH,
            value: 1.0,
        })
        .collect()
}

fn abort_after(delay: Option<&str>) -> (Metrics, k6r_core::threshold::Thresholds) {
    let metrics = Metrics::new(Registry::new());
    let mut threshold = json!({"threshold": "count<3", "abortOnFail": true});
    if let Some(delay) = delay {
        threshold["delayAbortEval"] = json!(delay);
    }
    let option = json!({ "iterations": [threshold] });
    let thresholds = metrics.thresholds(option.as_object().unwrap()).unwrap();
    (metrics, thresholds)
}

#[tokio::test(start_paused = true)]
async fn abort_on_fail_stops_the_run_at_the_first_failing_evaluation() {
    let (mut metrics, thresholds) = abort_after(None);
    let (stop, done) = (CancellationToken::new(), CancellationToken::new());
    let start = tokio::time::Instant::now();
    let task = tokio::spawn(watch(
        metrics.clone(),
        thresholds,
        start,
        stop.clone(),
        done.clone(),
    ));
    metrics.add(&iterations(2));
    tokio::time::sleep(EVALUATION_PERIOD + Duration::from_millis(1)).await;
    assert!(!stop.is_cancelled(), "count=2 passes");
    metrics.add(&iterations(2));
    tokio::time::sleep(EVALUATION_PERIOD).await;
    assert!(stop.is_cancelled(), "count=4 fails at the 4 s evaluation");
    let watched = task.await.unwrap();
    let aborted = watched.aborted.expect("aborted");
    assert_eq!(aborted.breached, ["iterations"]);
    assert_eq!(
        start.elapsed(),
        Duration::from_secs(4) + Duration::from_millis(1)
    );
}

#[tokio::test(start_paused = true)]
async fn delay_abort_eval_holds_the_abort_back() {
    let (mut metrics, thresholds) = abort_after(Some("5s"));
    let (stop, done) = (CancellationToken::new(), CancellationToken::new());
    let start = tokio::time::Instant::now();
    metrics.add(&iterations(10));
    let task = tokio::spawn(watch(
        metrics.clone(),
        thresholds,
        start,
        stop.clone(),
        done.clone(),
    ));
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert!(
        !stop.is_cancelled(),
        "failing at 2 s and 4 s, but held back"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(stop.is_cancelled(), "aborted at the 6 s evaluation");
    assert!(task.await.unwrap().aborted.is_some());
}

#[tokio::test(start_paused = true)]
async fn the_loop_ends_with_the_run_and_an_earlier_stop_wins() {
    let (mut metrics, thresholds) = abort_after(None);
    let (stop, done) = (CancellationToken::new(), CancellationToken::new());
    metrics.add(&iterations(10));
    // Stopped for another reason (an interrupt) before any evaluation.
    stop.cancel();
    let watched = watch(
        metrics.clone(),
        thresholds,
        tokio::time::Instant::now(),
        stop.clone(),
        done.clone(),
    )
    .await;
    assert!(watched.aborted.is_none());

    let (metrics, thresholds) = abort_after(None);
    let (stop, done) = (CancellationToken::new(), CancellationToken::new());
    let task = tokio::spawn(watch(
        metrics,
        thresholds,
        tokio::time::Instant::now(),
        stop.clone(),
        done.clone(),
    ));
    tokio::time::sleep(Duration::from_secs(5)).await;
    done.cancel();
    let watched = task.await.unwrap();
    assert!(watched.aborted.is_none() && !stop.is_cancelled());
    // Evaluated during the run (empty metrics are skipped): not tainted.
    assert_eq!(watched.thresholds.metrics[0].tainted, None);
}
