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
