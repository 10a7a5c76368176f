//! The coordinator's dashboard during a real cluster run: `/` serves the
//! page, and two viewers' event streams see the same frames, whose
//! numbers change as the run goes; at the end the saved report holds
//! the run's points.

use std::time::{Duration, Instant};

use k6r_e2e::{cli_spawn, get, show, sse::Events, Cluster, Target};
use serde_json::Value;

/// About 4 s against the demo target, with a threshold: `load` (4 VUs)
/// gets pages, `misses` (2 VUs) gets 404s, so each scenario has its own
/// failure share.
const SCRIPT: &str = "import http from 'k6/http';\n\
    import { check, sleep } from 'k6';\n\
    export const options = {\n\
      scenarios: {\n\
        load: { executor: 'constant-vus', vus: 4, duration: '4s' },\n\
        misses: { executor: 'constant-vus', vus: 2, duration: '4s', exec: 'misses' },\n\
      },\n\
      thresholds: { http_req_duration: ['p(95)<5000'] },\n\
    };\n\
    export default function () {\n\
      check(http.get(__ENV.TARGET), { ok: (r) => r.status === 200 });\n\
      sleep(0.02);\n\
    }\n\
    export function misses() {\n\
      http.get(__ENV.TARGET + '/status/404');\n\
      sleep(0.05);\n\
    }\n";

/// Whether `frame`'s scenarios have their own request metrics: `load`
/// with no failure, `misses` with nothing but failures.
fn scenarios_apart(frame: &Value) -> bool {
    let scenarios = &frame["run"]["point"]["scenarios"];
    let (load, misses) = (&scenarios["load"], &scenarios["misses"]);
    load["http_reqs_rate"].as_f64() > Some(0.0)
        && load["http_req_failed"] == 0.0
        && load["p95"].as_f64() > Some(0.0)
        && misses["http_reqs_rate"].as_f64() > Some(0.0)
        && misses["http_req_failed"] == 1.0
}

/// Frames until the run is finished (60 s at most).
fn frames_of_the_run(events: &Events) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut frames = Vec::new();
    while Instant::now() < deadline {
        let Some(frame) = events.next(Duration::from_secs(5)) else {
            panic!("no frame within 5 s after {frames:?}");
        };
        let finished = frame["run"]["state"] == "finished";
        frames.push(frame);
        if finished {
            return frames;
        }
    }
    panic!("the run never finished: {frames:?}");
}

#[test]
fn two_viewers_follow_a_cluster_run() {
    let target = Target::start();
    let cluster = Cluster::start(2);
    let (status, page) = get(cluster.addr, "/").expect("GET /");
    assert_eq!(status, 200);
    assert!(page.contains("<title>k6r dashboard</title>"), "{page}");

    let viewers = [
        Events::open(cluster.addr, "/v1/dashboard/events", None),
        Events::open(cluster.addr, "/v1/dashboard/events", None),
    ];
    for viewer in &viewers {
        assert_eq!(viewer.status, "HTTP/1.1 200 OK");
        // The first frame may predate the agents' arrival: a second's.
        let idle = (0..5)
            .filter_map(|_| viewer.next(Duration::from_secs(5)))
            .find(|f| f["agents"].as_array().map(Vec::len) == Some(2))
            .expect("a frame with both agents");
        assert_eq!(idle["run"], Value::Null, "{idle}");
    }

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    let url = cluster.url();
    let target_env = format!("TARGET={}", target.url());
    let cli = cli_spawn(
        dir.path(),
        &["run", "--coordinator", &url, "-e", &target_env, "script.js"],
    );
    let seen: Vec<Vec<Value>> = viewers.iter().map(frames_of_the_run).collect();
    let out = cli.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));

    for frames in &seen {
        let running: Vec<&Value> = frames
            .iter()
            .filter(|f| f["run"]["state"] == "running")
            .collect();
        let mut requests: Vec<u64> = running
            .iter()
            .filter_map(|f| f["run"]["http_reqs"].as_u64())
            .collect();
        requests.dedup();
        assert!(
            requests.len() >= 3,
            "the counts hardly changed: {requests:?}"
        );
        assert!(requests.windows(2).all(|w| w[0] < w[1]), "{requests:?}");
        let busy = running
            .iter()
            .find(|f| f["run"]["point"]["http_reqs_rate"].as_f64() > Some(0.0))
            .unwrap_or_else(|| panic!("no request rate in {running:?}"));
        let point = &busy["run"]["point"];
        assert!(point["vus"].as_u64() > Some(0), "{point}");
        assert!(point["p95"].as_f64() > Some(0.0), "{point}");
        assert!(point["p50"].as_f64() <= point["p99"].as_f64(), "{point}");
        // Each scenario's part, summed over both agents.
        let by_scenario = running
            .iter()
            .map(|f| &f["run"]["point"]["scenarios"])
            .find(|s| {
                s["load"]["vus"] == 4
                    && s["misses"]["vus"] == 2
                    && s["load"]["iterations_rate"].as_f64() > Some(0.0)
            });
        assert!(
            by_scenario.is_some(),
            "no frame with the scenarios' 4 and 2 VUs: {running:?}"
        );
        assert!(
            running.iter().any(|f| scenarios_apart(f)),
            "no frame with each scenario's requests: {running:?}"
        );
        // And each agent's part, 3 VUs and its own requests each.
        let by_agent = running.iter().find(|f| {
            let agents = &f["run"]["point"]["agents"];
            ["agent-1", "agent-2"].iter().all(|a| {
                agents[a]["vus"] == 3
                    && agents[a]["http_reqs_rate"].as_f64() > Some(0.0)
                    && agents[a]["p95"].as_f64() > Some(0.0)
            })
        });
        assert!(
            by_agent.is_some(),
            "no frame with each agent's 3 VUs and requests: {running:?}"
        );
        let last = frames.last().unwrap();
        assert_eq!(last["run"]["exit_code"], 0, "{last}");
        assert_eq!(
            last["run"]["thresholds"],
            serde_json::json!([{"metric": "http_req_duration", "source": "p(95)<5000", "failing": false}])
        );
        for agent in last["agents"].as_array().unwrap() {
            assert!(agent["cpus"].as_u64() > Some(0), "{agent}");
            assert!(agent["heartbeat_age_secs"].as_f64() < Some(5.0), "{agent}");
            assert!(agent["iterations"].as_u64() > Some(0), "{agent}");
        }
    }
    // The viewers share the frames: the same tick is the same frame.
    let tick = |f: &Value| f["tick"].as_u64();
    let common = seen[0]
        .iter()
        .find(|a| seen[1].iter().any(|b| tick(a) == tick(b)))
        .expect("a tick both saw");
    assert!(seen[1].contains(common));

    let (status, report) = get(cluster.addr, "/v1/dashboard/report").expect("the report");
    assert_eq!(status, 200);
    let id = seen[0].last().unwrap()["run"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(report.contains(&format!("k6r report: {id}")), "{report}");
    let (_, history) = get(cluster.addr, "/v1/dashboard/history").expect("the history");
    let history: Value = serde_json::from_str(&history).unwrap();
    let points = history["points"].as_array().unwrap();
    assert!(points.len() >= 3, "{history}");
}

#[test]
fn a_local_run_serves_its_dashboard_and_writes_the_report() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};

    let target = Target::start();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), SCRIPT).unwrap();
    let report = dir.path().join("report.html");
    let mut run = Command::new(k6r_e2e::bin("k6r-cli"))
        .current_dir(dir.path())
        .env("K6_WEB_DASHBOARD", "true")
        .env("K6_WEB_DASHBOARD_PORT", "0")
        .env("K6_WEB_DASHBOARD_EXPORT", &report)
        .env("K6_WEB_DASHBOARD_PERIOD", "500ms")
        .args([
            "run",
            "-a",
            "",
            "-e",
            &format!("TARGET={}", target.url()),
            "script.js",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("k6r-cli starts");
    let stdout = run.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.trim().strip_prefix("web dashboard: http://") {
                let _ = tx.send(url.parse::<std::net::SocketAddr>().expect("an address"));
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    let addr = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the banner names the dashboard");
    let (status, page) = get(addr, "/").expect("GET /");
    assert_eq!(status, 200);
    assert!(page.contains("<title>k6r dashboard</title>"), "{page}");
    // The API is beside the page: its controls call it on this origin.
    let (status, body) = get(addr, "/v1/status").expect("GET /v1/status");
    assert_eq!(status, 200, "{body}");

    let events = Events::open(addr, "/v1/dashboard/events", None);
    let deadline = Instant::now() + Duration::from_secs(30);
    let running = loop {
        assert!(Instant::now() < deadline, "no busy frame");
        let frame = events
            .next(Duration::from_secs(5))
            .expect("a frame a second");
        if frame["run"]["state"] == "running" && scenarios_apart(&frame) {
            break frame;
        }
    };
    assert_eq!(running["run"]["id"], "local");
    assert_eq!(running["run"]["point"]["vus"], 6);
    assert_eq!(running["run"]["point"]["scenarios"]["load"]["vus"], 4);
    assert_eq!(running["run"]["thresholds"][0]["source"], "p(95)<5000");

    let out = run.wait_with_output().expect("k6r-cli ends");
    let stdout = reader.join().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&report).expect("the report is written");
    let start =
        html.find("id=\"k6r-report\">").expect("the run's data") + "id=\"k6r-report\">".len();
    let end = start + html[start..].find("</script>").unwrap();
    let history: Value = serde_json::from_str(&html[start..end]).unwrap();
    assert_eq!(history["frame"]["run"]["state"], "finished", "{history}");
    assert!(
        history["points"].as_array().is_some_and(|p| p.len() >= 2),
        "{history}"
    );
    // K6_WEB_DASHBOARD_PERIOD: points half a second apart (the closest
    // two; a busy machine may delay some).
    let mut at: Vec<u64> = history["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["elapsed_ms"].as_u64())
        .collect();
    at.dedup();
    let closest = at.windows(2).map(|w| w[1] - w[0]).min();
    assert!(closest < Some(900), "points {at:?}");
    assert!(
        history["frame"]["run"]["http_reqs"].as_u64() > Some(10),
        "{history}"
    );
}
