//! `http.asyncRequest()` against the reference `k6 run` (k6 v1.1.0): a
//! VU's async requests overlap (two or three take about the longest, not
//! the sum), their completions interleave with timers and synchronous
//! calls in k6's order, `Promise.race` and rejections (`throw: true`)
//! behave the same, and an iteration waits for the requests it started
//! without awaiting them. The server is the test's own (127.0.0.1, port
//! 0): `/delay/{ms}/{name}` answers `name` after `ms` milliseconds.

mod common;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use axum::extract::Path as UrlPath;
use axum::routing::get;
use axum::Router;

/// Two, then three requests of 500 ms at once; one started in a group and
/// awaited outside it (tagged with the group, as in k6).
const OVERLAP: &str = r#"
import http from 'k6/http';
import { check, group } from 'k6';
export const options = {
  iterations: 1,
  thresholds: { 'http_reqs{group:::g}': ['count>=0'], 'http_reqs{name:grouped}': ['count>=0'] },
};
const B = __ENV.TARGET;
export default async function () {
  let t0 = Date.now();
  const [a, b] = await Promise.all([
    http.asyncRequest('GET', `${B}/delay/500/a`),
    http.asyncRequest('GET', `${B}/delay/500/b`),
  ]);
  console.log(`elapsed two ${Date.now() - t0}`);
  console.log(`two ${a.status} ${a.body} ${b.status} ${b.body}`);
  t0 = Date.now();
  const three = await Promise.all(['c', 'd', 'e'].map((n) => http.asyncRequest('GET', `${B}/delay/500/${n}`)));
  console.log(`elapsed three ${Date.now() - t0}`);
  console.log(`three ${three.map((r) => r.body).join(' ')}`);
  check(a, { 'a is 200': (r) => r.status === 200 });
  check(three, { 'all three 200': (rs) => rs.every((r) => r.status === 200), 'fails': () => false });
  let grouped;
  group('g', () => {
    grouped = http.asyncRequest('GET', `${B}/delay/50/g`, null, { tags: { name: 'grouped' } });
  });
  console.log(`grouped ${(await grouped).body}`);
}
"#;

/// Completions run on the VU's thread between other JavaScript: after
/// the synchronous code that was running, in the order they came, among
/// timers; one that arrives during a synchronous `http.get` waits for it.
const ORDER: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
const B = __ENV.TARGET;
export default async function () {
  console.log('start');
  const slow = http.asyncRequest('GET', `${B}/delay/300/slow`).then((r) => console.log(`then ${r.body}`));
  http.asyncRequest('GET', `${B}/delay/0/fast`).then((r) => console.log(`then ${r.body}`));
  setTimeout(() => console.log('timer 150'), 150);
  setTimeout(() => console.log('timer 600'), 600);
  console.log('started');
  await slow;
  console.log('awaited slow');
  const during = http.asyncRequest('GET', `${B}/delay/100/during`).then((r) => console.log(`then ${r.body}`));
  const sync = http.get(`${B}/delay/500/sync`);
  console.log(`sync returned ${sync.body}`);
  await during;
  console.log('end');
}
"#;

/// `Promise.race` settles with the first; the iteration still waits for
/// the other (counted in `http_reqs`).
const RACE: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1 };
const B = __ENV.TARGET;
export default async function () {
  const first = await Promise.race([
    http.asyncRequest('GET', `${B}/delay/400/slow`),
    http.asyncRequest('GET', `${B}/delay/0/fast`),
  ]);
  console.log(`race ${first.body}`);
}
"#;

/// With `throw: true` a failed request rejects its promise (k6 rejects
/// with Go's error value, whose string is the message; k6r with the
/// `GoError` its synchronous requests throw, whose string adds `GoError: `).
const REJECT: &str = r#"
import http from 'k6/http';
export const options = { iterations: 1, throw: true };
const B = __ENV.TARGET;
export default async function () {
  try {
    await http.asyncRequest('GET', 'foo://bar');
    console.log('resolved');
  } catch (e) {
    console.log(`rejected ${String(e).replace(/^GoError: /, '')}`);
  }
  const all = await Promise.allSettled([
    http.asyncRequest('GET', `http://${__ENV.CLOSED}/`),
    http.asyncRequest('GET', `${B}/delay/0/ok`),
  ]);
  console.log(all.map((s) => s.status).join(' '));
  console.log(`reason ${String(all[0].reason).replace(/^GoError: /, '')}`);
  try {
    http.batch([`${B}/delay/0/ok`, 'foo://bar']);
    console.log('batch returned');
  } catch (e) {
    console.log(`batch threw ${e}`);
  }
}
"#;

/// Requests started and never awaited: each iteration still waits for
/// them, and their handlers run.
const UNAWAITED: &str = r#"
import http from 'k6/http';
export const options = { iterations: 2 };
const B = __ENV.TARGET;
export default function () {
  http.asyncRequest('GET', `${B}/delay/300/a`).then((r) => console.log(`then ${r.body}`));
  http.asyncRequest('GET', `${B}/delay/100/b`);
  console.log('returned');
}
"#;

/// The iteration awaits a request that outlasts the scenario: it is
/// interrupted at the end of `gracefulStop`, its requests dropped.
const INTERRUPTED: &str = r#"
import http from 'k6/http';
export const options = { scenarios: { s: { executor: 'constant-vus', vus: 1, duration: '1s', gracefulStop: '200ms' } } };
const B = __ENV.TARGET;
export default async function () {
  console.log('start');
  http.asyncRequest('GET', `${B}/delay/5000/x`).then((r) => console.log(`then ${r.body}`));
  await http.asyncRequest('GET', `${B}/delay/5000/y`);
  console.log('after await');
}
"#;

/// What one run showed: its console lines (`level msg`), its summary, and
/// how long it took.
struct Ran {
    lines: Vec<String>,
    metrics: serde_json::Value,
    took: Duration,
}

impl Ran {
    fn count(&self, metric: &str) -> f64 {
        self.metrics[metric]["count"].as_f64().unwrap_or(-1.0)
    }

    fn checks(&self) -> [f64; 2] {
        let checks = &self.metrics["checks"];
        [
            checks["passes"].as_f64().unwrap_or(-1.0),
            checks["fails"].as_f64().unwrap_or(-1.0),
        ]
    }

    /// The milliseconds of the console line `elapsed <what> <ms>`.
    fn elapsed(&self, what: &str) -> Duration {
        let prefix = format!("info elapsed {what} ");
        let line = self
            .lines
            .iter()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {:?}", self.lines));
        Duration::from_millis(line.parse().unwrap())
    }

    /// The lines, without the ones that measure time.
    fn stable_lines(&self) -> Vec<&str> {
        self.lines
            .iter()
            .map(String::as_str)
            .filter(|line| !line.starts_with("info elapsed "))
            .collect()
    }

    /// How long the (only) iteration took.
    fn iteration(&self) -> Duration {
        let ms = self.metrics["iteration_duration"]["max"]
            .as_f64()
            .unwrap_or(0.0);
        Duration::from_secs_f64(ms / 1e3)
    }
}

fn run(binary: &str, dir: &Path, script: &str, target: &str, closed: &str) -> Ran {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let started = std::time::Instant::now();
    let out = Command::new(binary)
        .current_dir(dir)
        // No REST API: k6's default port may be taken by a parallel test.
        .args(["run", "-q", "-a", "", "--summary-export", "summary.json"])
        .args(["-e", &format!("TARGET={target}")])
        .args(["-e", &format!("CLOSED={closed}")])
        .arg("script.js")
        .output()
        .expect("binary runs");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{binary}: {stderr}");
    let lines = common::log_lines(&stderr)
        .iter()
        .map(common::LogLine::level_and_msg)
        .collect();
    let summary: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
    Ran {
        lines,
        metrics: summary["metrics"].clone(),
        took,
    }
}

/// Serves `/delay/{ms}/{name}` on 127.0.0.1 (port 0) until `runtime` goes.
fn serve(runtime: &tokio::runtime::Runtime) -> String {
    async fn delayed(UrlPath((ms, name)): UrlPath<(u64, String)>) -> String {
        tokio::time::sleep(Duration::from_millis(ms)).await;
        name
    }
    let app = Router::new().route("/delay/{ms}/{name}", get(delayed));
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    runtime.spawn(async move { axum::serve(listener, app).await });
    base
}

/// Runs `script` in k6, then in k6r, against the same server.
fn both(script: &str) -> (Ran, Ran) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let target = serve(&runtime);
    // Where nobody listens: bound, then let go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    let k6 = run("k6", dir.path(), script, &target, &closed);
    let k6r = run(
        env!("CARGO_BIN_EXE_k6r-cli"),
        dir.path(),
        script,
        &target,
        &closed,
    );
    (k6, k6r)
}

#[test]
fn async_requests_of_one_vu_overlap() {
    let (k6, k6r) = both(OVERLAP);
    for ran in [&k6, &k6r] {
        // About the longest (500 ms), far from the sum (1 s and 1.5 s).
        let two = ran.elapsed("two");
        assert!(two >= Duration::from_millis(490), "{two:?}");
        assert!(two < Duration::from_millis(850), "{two:?}");
        let three = ran.elapsed("three");
        assert!(three >= Duration::from_millis(490), "{three:?}");
        assert!(three < Duration::from_millis(1100), "{three:?}");
    }
    assert_eq!(k6r.stable_lines(), k6.stable_lines());
    assert_eq!(k6r.count("http_reqs"), 6.0);
    assert_eq!(k6r.count("http_reqs"), k6.count("http_reqs"));
    assert_eq!(k6r.checks(), k6.checks());
    for tagged in ["http_reqs{group:::g}", "http_reqs{name:grouped}"] {
        assert_eq!(k6r.count(tagged), 1.0, "{tagged}: {}", k6r.metrics);
        assert_eq!(k6r.count(tagged), k6.count(tagged), "{tagged}");
    }
}

#[test]
fn completions_interleave_with_timers_and_synchronous_calls_as_in_k6() {
    let (k6, k6r) = both(ORDER);
    assert_eq!(
        k6.lines,
        [
            "info start",
            "info started",
            "info then fast",
            "info timer 150",
            "info then slow",
            "info awaited slow",
            "info sync returned sync",
            "info then during",
            // The completion's promise jobs (down to the function's end)
            // run before the timer that came after it.
            "info end",
            "info timer 600",
        ],
        "the test's own timing assumption"
    );
    assert_eq!(k6r.lines, k6.lines);
    assert_eq!(k6r.count("http_reqs"), k6.count("http_reqs"));
}

#[test]
fn a_race_settles_with_the_first_and_the_iteration_waits_for_the_rest() {
    let (k6, k6r) = both(RACE);
    assert_eq!(k6r.lines, k6.lines);
    assert_eq!(k6r.lines, ["info race fast"]);
    assert_eq!(k6r.count("http_reqs"), 2.0);
    assert_eq!(k6r.count("http_reqs"), k6.count("http_reqs"));
    assert!(
        k6r.iteration() >= Duration::from_millis(390),
        "{:?}",
        k6r.iteration()
    );
}

#[test]
fn a_failed_request_rejects_its_promise_under_throw() {
    let (k6, k6r) = both(REJECT);
    assert_eq!(k6r.lines, k6.lines);
    assert!(
        k6r.lines.contains(
            &r#"info rejected Get "foo://bar": unsupported protocol scheme "foo""#.to_owned()
        ),
        "{:?}",
        k6r.lines
    );
    assert_eq!(k6r.count("http_reqs"), k6.count("http_reqs"));
}

#[test]
fn an_iteration_waits_for_requests_it_did_not_await() {
    let (k6, k6r) = both(UNAWAITED);
    assert_eq!(k6r.lines, k6.lines);
    assert_eq!(k6r.count("http_reqs"), 4.0);
    assert_eq!(k6r.count("http_reqs"), k6.count("http_reqs"));
    assert_eq!(k6r.count("iterations"), k6.count("iterations"));
    assert!(
        k6r.iteration() >= Duration::from_millis(290),
        "{:?}",
        k6r.iteration()
    );
}

#[test]
fn an_interrupted_iteration_drops_its_requests() {
    let (k6, k6r) = both(INTERRUPTED);
    assert_eq!(
        k6r.lines,
        [
            "info start",
            "warning No script iterations fully finished, consider making the test duration longer"
        ]
    );
    // k6 also settles the awaited request (with an error) and runs the
    // code after the `await` once the iteration is cancelled; k6r stops
    // the iteration's JavaScript at once. Otherwise the same lines.
    let k6_lines: Vec<&str> = k6
        .lines
        .iter()
        .map(String::as_str)
        .filter(|line| *line != "info after await")
        .collect();
    assert_eq!(k6r.lines, k6_lines);
    // Neither counts a request nor waits for the server's answer.
    assert_eq!(k6r.count("http_reqs"), k6.count("http_reqs"));
    assert!(k6r.took < Duration::from_secs(4), "{:?}", k6r.took);
}
