//! A real Prometheus scrapes the coordinator's `/metrics` during a
//! cluster run: at the end its query API agrees with the run's summary,
//! and its quantiles over the histogram agree with the summary's
//! percentiles within a bucket of k6r's histograms.

use std::time::Duration;

use k6r_e2e::prometheus::Prometheus;
use k6r_e2e::{show, Cluster, Target};

/// A run of 3 s over two agents against the demo target.
const SCRIPT: &str = "import http from 'k6/http';\n\
    import { sleep } from 'k6';\n\
    export const options = {\n\
      scenarios: { load: { executor: 'constant-vus', vus: 4, duration: '3s' } },\n\
    };\n\
    export default function () { http.get(__ENV.TARGET); sleep(0.01); }\n";

#[test]
fn prometheus_scrapes_the_merged_metrics_of_a_cluster_run() {
    let target = Target::start();
    let cluster = Cluster::start(2);
    let prometheus = Prometheus::start(&format!(
        "  - job_name: k6r\n    scrape_interval: 1s\n    static_configs:\n      - targets: ['{}']\n",
        cluster.addr
    ));
    prometheus.wait_for("k6r_agents_connected", Duration::from_secs(30), |n| {
        n == 2.0
    });

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    let target_env = format!("TARGET={}", target.url());
    let (out, export) = cluster.run_script(dir.path(), &["-e", &target_env]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let reqs = export["metrics"]["http_reqs"]["count"]
        .as_f64()
        .unwrap_or_else(|| panic!("no http_reqs in {export}"));
    assert!(reqs > 20.0, "{export}");

    // The coordinator keeps the finished run's metrics: the next scrapes
    // reach the summary's count.
    let scraped = prometheus.wait_for("k6_http_reqs_total", Duration::from_secs(30), |n| n == reqs);
    assert_eq!(scraped, reqs);
    // Scraped during the run too: an earlier sample was below the end's.
    let earliest = prometheus
        .query("min_over_time(k6_http_reqs_total[10m])")
        .expect("k6_http_reqs_total has samples");
    assert!(
        earliest < reqs,
        "every scrape saw {earliest}: none during the run"
    );

    // Prometheus's median from the buckets is within a few buckets (each
    // 1/128 wide) of the summary's: the two count ranks from 0 and 1, so
    // they may land in neighbouring buckets.
    let med = prometheus
        .query("histogram_quantile(0.5, k6_http_req_duration_seconds_bucket)")
        .expect("a median of the histogram");
    let summary_med = export["metrics"]["http_req_duration"]["med"]
        .as_f64()
        .expect("the summary's med")
        / 1000.0;
    assert!(
        (med - summary_med).abs() <= summary_med / 32.0,
        "prometheus {med} s, summary {summary_med} s"
    );
    let phase = prometheus.query("k6r_run_phase{phase=\"finished\"}");
    assert_eq!(phase, Some(1.0));
    let merged = prometheus
        .query("sum(k6r_metric_deltas_total{outcome=\"merged\"})")
        .expect("the deltas merged");
    assert!(merged >= 2.0, "{merged} deltas merged");
}

#[test]
fn remote_write_pushes_a_local_runs_metrics_into_prometheus() {
    let target = Target::start();
    let prometheus = Prometheus::start("");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("script.js"),
        SCRIPT.replace("4, duration: '3s'", "2, duration: '2s'"),
    )
    .unwrap();
    let out = std::process::Command::new(k6r_e2e::bin("k6r-cli"))
        .current_dir(dir.path())
        .env("K6_PROMETHEUS_RW_SERVER_URL", prometheus.write_url())
        .env("K6_PROMETHEUS_RW_PUSH_INTERVAL", "500ms")
        .env("K6_PROMETHEUS_RW_TREND_STATS", "p(99),count")
        .env("K6_PROMETHEUS_RW_LABELS", "testid=rw-1")
        .args([
            "run",
            "-o",
            "experimental-prometheus-rw",
            "--summary-export",
            "summary.json",
        ])
        .args(["-e", &format!("TARGET={}", target.url()), "script.js"])
        .output()
        .expect("k6r-cli runs");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!(
            "output: experimental-prometheus-rw ({})",
            prometheus.write_url()
        )),
        "{stdout}"
    );
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    let reqs = export["metrics"]["http_reqs"]["count"].as_f64().unwrap();
    assert!(reqs > 10.0, "{export}");

    // The last push, at the end, carries the summary's totals.
    let pushed = prometheus.wait_for(
        "k6_http_reqs_total{testid=\"rw-1\"}",
        Duration::from_secs(10),
        |n| n == reqs,
    );
    assert_eq!(pushed, reqs);
    // Pushed during the run too.
    let earliest = prometheus
        .query("min_over_time(k6_http_reqs_total[10m])")
        .expect("samples of k6_http_reqs_total");
    assert!(
        earliest < reqs,
        "every push carried {earliest}: none during the run"
    );
    // k6's trend-stat gauges beside the histogram.
    let count = prometheus
        .query("k6_http_req_duration_count")
        .expect("the stat count");
    assert_eq!(count, reqs);
    let p99 = prometheus
        .query("k6_http_req_duration_p99")
        .expect("the stat p(99)");
    let summary_p99 = export["metrics"]["http_req_duration"]["p(99)"].as_f64();
    // The summary export has no p(99) by default; the max bounds it.
    let max = export["metrics"]["http_req_duration"]["max"]
        .as_f64()
        .unwrap()
        / 1000.0;
    assert!(
        p99 > 0.0 && p99 <= max * 1.01,
        "p99 {p99} s, max {max} s, {summary_p99:?}"
    );
    assert!(prometheus
        .query("k6_http_req_duration_seconds_count")
        .is_some());
}

#[test]
fn with_stale_markers_every_series_ends_stale() {
    let target = Target::start();
    let prometheus = Prometheus::start("");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("script.js"),
        SCRIPT.replace("4, duration: '3s'", "1, duration: '1s'"),
    )
    .unwrap();
    let out = std::process::Command::new(k6r_e2e::bin("k6r-cli"))
        .current_dir(dir.path())
        .env("K6_PROMETHEUS_RW_SERVER_URL", prometheus.write_url())
        .env("K6_PROMETHEUS_RW_LABELS", "testid=stale-1")
        .env("K6_PROMETHEUS_RW_STALE_MARKERS", "true")
        .args(["run", "-q", "-o", "experimental-prometheus-rw"])
        .args(["--summary-export", "summary.json"])
        .args(["-e", &format!("TARGET={}", target.url()), "script.js"])
        .output()
        .expect("k6r-cli runs");
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    let reqs = export["metrics"]["http_reqs"]["count"].as_f64().unwrap();
    // The totals arrived (over the range), then the marker: no value now.
    let series = "k6_http_reqs_total{testid=\"stale-1\"}";
    let pushed = prometheus.wait_for(
        &format!("max_over_time({series}[10m])"),
        Duration::from_secs(10),
        |n| n == reqs,
    );
    assert_eq!(pushed, reqs);
    assert_eq!(prometheus.query(series), None, "{series} is not stale");
}
