//! The VU context of the built-in modules, through whole runs: setup
//! data, checks, groups, custom metrics, HTTP samples and tags, abort,
//! exceptions and deep recursion.

mod common;

use k6r_core::options::Options;
use k6r_runner::End;

use common::run_source;
use common::target::Target;

async fn run(source: &str) -> (common::Ran, Target) {
    let target = Target::start();
    let url = target.url();
    let ran = run_source(source, &[("TARGET", &url)], Options::default()).await;
    (ran, target)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_data_reaches_every_vu_and_teardown() {
    let source = r#"
        import { check } from 'k6';
        import { Counter } from 'k6/metrics';
        const seen = new Counter('seen');
        export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 2 } } };
        export function setup() { return { x: 1, list: [1, 2], nothing: null }; }
        export default function (data) {
            check(data, { 'x is 1': (d) => d.x === 1, 'list kept': (d) => d.list.length === 2 + __ITER });
            data.list.push(3); // mutations persist within the VU only
        }
        export function teardown(data) { seen.add(data.list.length); }
    "#;
    let (ran, _target) = run(source).await;
    assert!(ran.result.error.is_none(), "{:?}", ran.lines());
    let checks = ran.samples.of("checks");
    assert_eq!(checks.len(), 8);
    assert!(checks.iter().all(|c| c.value == 1.0), "{:?}", ran.lines());
    let seen = ran.samples.of("seen");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].value, 2.0);
    assert_eq!(seen[0].tags.get("group"), Some("::teardown"));
    assert_eq!(seen[0].tags.get("scenario"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checks_and_groups_tag_their_samples() {
    let source = r#"
        import http from 'k6/http';
        import { check, group } from 'k6';
        export const options = { tags: { run: 'r' }, scenarios: { s: { executor: 'shared-iterations', iterations: 1, tags: { st: 'v' } } } };
        export default function () {
            const passed = check(1, { 'one': (v) => v === 1, 'two': (v) => v === 2, 'truthy': 1 }, { extra: 'e' });
            if (passed) throw new Error('check() should have failed');
            group('outer', () => {
                group('inner', () => { http.get(__ENV.TARGET); });
                check(null, { 'in group': () => true });
            });
        }
    "#;
    let (ran, _target) = run(source).await;
    let checks = ran.samples.of("checks");
    let summary: Vec<(String, f64, String)> = checks
        .iter()
        .map(|c| {
            (
                c.tags.get("check").unwrap().to_owned(),
                c.value,
                c.tags.get("group").unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("one".to_owned(), 1.0, String::new()),
            ("two".to_owned(), 0.0, String::new()),
            ("truthy".to_owned(), 1.0, String::new()),
            ("in group".to_owned(), 1.0, "::outer".to_owned()),
        ]
    );
    assert_eq!(checks[0].tags.get("extra"), Some("e"));
    for sample in ran.samples.0.lock().unwrap().iter() {
        let name = &*sample.metric.name;
        if name == "vus" || name == "vus_max" {
            assert_eq!(sample.tags.get("scenario"), None, "{name}");
            assert_eq!(sample.tags.get("run"), Some("r"), "{name}");
            continue;
        }
        assert_eq!(sample.tags.get("run"), Some("r"), "{name}");
        assert_eq!(sample.tags.get("st"), Some("v"), "{name}");
        assert_eq!(sample.tags.get("scenario"), Some("s"), "{name}");
    }
    let groups: Vec<String> = ran
        .samples
        .of("group_duration")
        .iter()
        .map(|g| g.tags.get("group").unwrap().to_owned())
        .collect();
    assert_eq!(groups, ["::outer::inner", "::outer"]);
    let reqs = ran.samples.of("http_reqs");
    assert_eq!(reqs[0].tags.get("group"), Some("::outer::inner"));
    for sample in ran.samples.of("iterations") {
        assert_eq!(sample.tags.get("group"), Some(""));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_samples_come_in_k6s_order_with_k6s_tags() {
    let source = r#"
        import http from 'k6/http';
        export const options = { iterations: 1 };
        export default function () {
            const r = http.get(__ENV.TARGET + '/json', { tags: { name: 'named', mine: 'x' } });
            if (r.json('a.b.1') !== 2 || r.json().name !== 'k6r') throw new Error('json() ' + r.body);
            if (r.status !== 200 || r.timings.duration < 0 || r.error_code !== 0) throw new Error('fields');
            const missing = http.get(__ENV.TARGET + '/status/404');
            if (missing.error_code !== 1404) throw new Error('error_code ' + missing.error_code);
            const refused = http.get('http://127.0.0.1:1/');
            if (refused.status !== 0 || refused.error_code !== 1212) throw new Error('refused ' + refused.error_code);
        }
    "#;
    let (ran, _target) = run(source).await;
    assert!(
        !ran.lines().iter().any(|l| l.contains("source=stacktrace")),
        "{:?}",
        ran.lines()
    );
    let samples = ran.samples.0.lock().unwrap().clone();
    let http: Vec<&str> = samples
        .iter()
        .map(|s| &*s.metric.name)
        .filter(|n| n.starts_with("http_req"))
        .take(9)
        .collect();
    assert_eq!(
        http,
        [
            "http_reqs",
            "http_req_duration",
            "http_req_blocked",
            "http_req_connecting",
            "http_req_tls_handshaking",
            "http_req_sending",
            "http_req_waiting",
            "http_req_receiving",
            "http_req_failed"
        ]
    );
    let reqs = ran.samples.of("http_reqs");
    assert_eq!(reqs.len(), 3);
    let first: Vec<(&str, &str)> = reqs[0].tags.iter().collect();
    assert_eq!(
        first,
        [
            ("expected_response", "true"),
            ("group", ""),
            ("method", "GET"),
            ("mine", "x"),
            ("name", "named"),
            ("proto", "HTTP/1.1"),
            ("scenario", "default"),
            ("status", "200"),
            ("url", "named"),
        ]
    );
    assert_eq!(reqs[1].tags.get("error_code"), Some("1404"));
    assert_eq!(reqs[1].tags.get("expected_response"), Some("false"));
    assert_eq!(reqs[2].tags.get("error_code"), Some("1212"));
    assert_eq!(reqs[2].tags.get("status"), Some("0"));
    assert_eq!(ran.samples.sum("http_req_failed"), 2.0);
    // Logged with Go's `url.Error` text, as k6 logs it.
    let failed = ran
        .lines()
        .into_iter()
        .find(|l| l.contains("Request Failed"))
        .expect("a Request Failed line");
    assert!(
        failed.contains(r#"error="Get \"http://127.0.0.1:1/\": dial tcp 127.0.0.1:1: connect: connection refused""#),
        "{failed}"
    );
    let sent = ran.samples.of("data_sent");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].value > 0.0);
    assert_eq!(sent[0].tags.get("group"), Some(""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_metrics_take_values_and_tags() {
    let source = r#"
        import { Counter, Gauge, Rate, Trend } from 'k6/metrics';
        const c = new Counter('c_one'), g = new Gauge('g_one'), r = new Rate('r_one'), t = new Trend('t_one', true);
        export const options = { iterations: 1 };
        export default function () {
            c.add(2, { k: 'v' }); c.add(true); g.add(5); g.add(3); r.add(true); r.add(0); t.add(12.5);
            c.add('abc');
        }
    "#;
    let (ran, _target) = run(source).await;
    assert_eq!(ran.samples.sum("c_one"), 3.0);
    assert_eq!(ran.samples.of("c_one")[0].tags.get("k"), Some("v"));
    assert_eq!(ran.result.totals.get("g_one").unwrap().last, 3.0);
    assert_eq!(ran.samples.sum("r_one"), 1.0);
    let trend = ran.samples.of("t_one");
    assert_eq!(trend[0].value, 12.5);
    assert_eq!(trend[0].metric.contains, k6r_core::metrics::ValueType::Time);
    assert!(ran.lines().iter().any(|l| l.contains(
        "'abc' is an invalid value for metric 'c_one', a number or a boolean value is expected"
    )));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn abort_stops_the_test_and_teardown_still_runs() {
    let source = r#"
        import exec from 'k6/execution';
        import { sleep } from 'k6';
        export const options = { scenarios: { s: { executor: 'constant-vus', vus: 3, duration: '1m' } } };
        export default function () {
            if (__VU === 1 && __ITER === 1) exec.test.abort('enough');
            sleep(0.05);
        }
        export function teardown() { console.log('teardown ran'); }
    "#;
    let (ran, _target) = run(source).await;
    // As in k6, the reason names where abort was called.
    match &ran.result.end {
        End::Aborted(Some(reason)) => assert!(
            reason.starts_with("enough at default (file://") && reason.contains("script.js:"),
            "{reason}"
        ),
        other => panic!("{other:?}"),
    }
    assert_eq!(ran.result.exit_code(), 108);
    assert!(ran.lines().iter().any(|l| l.contains("teardown ran")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exception_is_logged_and_the_iteration_counts() {
    let source = r#"
        export const options = { iterations: 2 };
        export default function () { throw new Error('boom'); }
    "#;
    let (ran, _target) = run(source).await;
    assert_eq!(ran.result.exit_code(), 0);
    assert_eq!(ran.samples.sum("iterations"), 2.0);
    let line = ran
        .lines()
        .into_iter()
        .find(|l| l.contains("boom"))
        .expect("a logged exception");
    assert!(
        line.contains("msg=\"Error: boom\\n\\tat default (file://"),
        "{line}"
    );
    assert!(line.contains("source=stacktrace"), "{line}");
    assert!(line.contains("scenario=default"), "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn infinite_recursion_is_a_catchable_range_error() {
    let source = r#"
        import { check } from 'k6';
        export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 2 } } };
        function down(n) { return down(n + 1) + 1; }
        export default function () {
            let error;
            try { down(0); } catch (e) { error = e; }
            check(error, { 'range error': (e) => e instanceof RangeError });
        }
    "#;
    let (ran, _target) = run(source).await;
    let checks = ran.samples.of("checks");
    assert_eq!(checks.len(), 4);
    assert!(checks.iter().all(|c| c.value == 1.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn execution_info_matches_the_iteration() {
    let source = r#"
        import exec from 'k6/execution';
        export const options = { scenarios: { s: { executor: 'per-vu-iterations', vus: 2, iterations: 2, tags: { st: 'v' } } } };
        export default function () {
            console.log(JSON.stringify([__VU, __ITER, exec.vu.idInInstance, exec.vu.idInTest,
                exec.vu.iterationInInstance, exec.vu.iterationInScenario, exec.scenario.name,
                exec.scenario.executor, exec.vu.tags.st, exec.vu.tags.scenario, exec.test.options.scenarios.s.vus]));
        }
        export function setup() {
            try { exec.scenario.name; } catch (e) { console.log('setup: ' + e.message); }
        }
    "#;
    let (ran, _target) = run(source).await;
    let lines = ran.lines();
    let mut seen: Vec<String> = lines
        .iter()
        .filter_map(|l| l.split("msg=\"").nth(1))
        .filter(|m| m.starts_with('['))
        .map(|m| m.split("\" ").next().unwrap().replace("\\\"", "\""))
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            r#"[1,0,1,1,0,0,"s","per-vu-iterations","v","s",2]"#,
            r#"[1,1,1,1,1,1,"s","per-vu-iterations","v","s",2]"#,
            r#"[2,0,2,2,0,0,"s","per-vu-iterations","v","s",2]"#,
            r#"[2,1,2,2,1,1,"s","per-vu-iterations","v","s",2]"#,
        ]
    );
    assert!(lines.iter().any(|l| l.contains(
        "setup: getting scenario information outside of the VU context is not supported"
    )));
}

/// `progress <scenario> <vu> <value>` lines, in log order, per
/// `(scenario, vu)`.
fn progress_of(ran: &common::Ran) -> std::collections::BTreeMap<(String, String), Vec<f64>> {
    let mut seen = std::collections::BTreeMap::<_, Vec<f64>>::new();
    for line in ran.lines() {
        let Some(message) = line.split("msg=\"progress ").nth(1) else {
            continue;
        };
        let message = message.split('"').next().unwrap();
        let [scenario, vu, value] = message.split(' ').collect::<Vec<_>>()[..] else {
            panic!("bad line {line}");
        };
        seen.entry((scenario.to_owned(), vu.to_owned()))
            .or_default()
            .push(value.parse().unwrap());
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_progress_counts_complete_iterations() {
    // k6 v1.1.0 prints 0, 0.1, ..., 0.9 for the shared iterations: the
    // complete ones over the total, the running one not counted.
    let source = r#"
        import exec from 'k6/execution';
        export const options = { scenarios: {
            shared: { executor: 'shared-iterations', vus: 1, iterations: 10 },
            pervu: { executor: 'per-vu-iterations', vus: 1, iterations: 4 },
        } };
        export default function () {
            console.log(`progress ${exec.scenario.name} ${exec.vu.idInTest} ${exec.scenario.progress}`);
        }
    "#;
    let ran = run_source(source, &[], Options::default()).await;
    assert!(ran.result.error.is_none(), "{:?}", ran.lines());
    let seen: Vec<(String, Vec<f64>)> = progress_of(&ran)
        .into_iter()
        .map(|((scenario, _), values)| (scenario, values))
        .collect();
    let tenths: Vec<f64> = (0..10).map(|i| f64::from(i) / 10.0).collect();
    assert_eq!(
        seen,
        [
            ("pervu".to_owned(), vec![0.0, 0.25, 0.5, 0.75]),
            ("shared".to_owned(), tenths),
        ],
        "{:?}",
        ran.lines()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scenario_progress_of_constant_vus_is_elapsed_over_duration() {
    // Read at the start and at the end of each iteration.
    let source = r#"
        import exec from 'k6/execution';
        import { sleep } from 'k6';
        export const options = { scenarios: {
            cv: { executor: 'constant-vus', vus: 2, duration: '1s' },
        } };
        const log = () => console.log(`progress ${exec.scenario.name} ${exec.vu.idInTest} ${exec.scenario.progress}`);
        export default function () { log(); sleep(0.1); log(); }
    "#;
    let ran = run_source(source, &[], Options::default()).await;
    assert!(ran.result.error.is_none(), "{:?}", ran.lines());
    let seen = progress_of(&ran);
    assert_eq!(seen.len(), 2, "{seen:?}");
    for values in seen.values() {
        assert!(values.len() >= 4, "{values:?}");
        assert!(values.iter().all(|p| *p > 0.0 && *p <= 1.0), "{values:?}");
        assert!(values.windows(2).all(|w| w[0] <= w[1]), "{values:?}");
        // No iteration starts after the regular end, so the last one
        // ends at or after it: its last read is only the return from
        // JavaScript before the end.
        let (first, last) = (values[0], values[values.len() - 1]);
        assert!(first < last, "{values:?}");
        assert!(last >= 0.9, "{values:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_env_is_laid_over_env() {
    let source = r#"
        export const options = { scenarios: {
            a: { executor: 'per-vu-iterations', vus: 1, iterations: 1, env: { WHO: 'a' } },
            b: { executor: 'per-vu-iterations', vus: 1, iterations: 1, startTime: '100ms' },
        } };
        export default function () { console.log(`env ${__ENV.WHO} ${__ENV.BASE}`); }
    "#;
    let target = Target::start();
    let url = target.url();
    let ran = run_source(
        source,
        &[("TARGET", &url), ("BASE", "x")],
        Options::default(),
    )
    .await;
    let mut envs: Vec<String> = ran
        .lines()
        .iter()
        .filter_map(|l| l.split("msg=\"env ").nth(1))
        .map(|m| m.split('"').next().unwrap().to_owned())
        .collect();
    envs.sort();
    assert_eq!(envs, ["a x", "undefined x"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_runs_after_the_vus_are_initialised() {
    let source = r#"
        console.log('init ' + __VU);
        export const options = { vus: 2, iterations: 2 };
        export function setup() { console.log('setup'); }
        export default function () {}
        export function teardown() { console.log('teardown'); }
    "#;
    let (ran, _target) = run(source).await;
    let order: Vec<String> = ran
        .lines()
        .iter()
        .filter_map(|l| l.split("msg=").nth(1))
        .map(|m| m.split(" source=").next().unwrap().replace('"', ""))
        .collect();
    let position = |what: &str| order.iter().position(|l| l == what).unwrap();
    assert!(position("init 1") < position("setup"), "{order:?}");
    assert!(position("init 2") < position("setup"), "{order:?}");
    assert!(position("setup") < position("teardown"), "{order:?}");
    assert_eq!(
        order.iter().filter(|l| *l == "init 0").count(),
        2,
        "{order:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn responses_have_k6s_fields_in_k6s_order() {
    let source = r#"
        import http from 'k6/http';
        export const options = { iterations: 1 };
        export default function () {
            const r = http.post(__ENV.TARGET + '/redirect', { a: 'b', c: 'd' }, { headers: { 'X-Mine': '1' } });
            console.log('keys ' + Object.keys(r).join(','));
            console.log('timings ' + Object.keys(r.timings).join(','));
            console.log('request ' + r.request.method + ' ' + r.request.headers['X-Mine'] + ' ' + r.url + ' ' + r.status);
            const [a, b] = http.batch([__ENV.TARGET + '/json', ['GET', __ENV.TARGET + '/status/201']]);
            console.log('batch ' + a.json('name') + ' ' + b.status);
        }
    "#;
    let (ran, target) = run(source).await;
    let lines = ran.lines().join("\n");
    assert!(lines.contains("keys remote_ip,remote_port,url,status,status_text,proto,headers,cookies,body,timings,tls_version,tls_cipher_suite,ocsp,error,error_code,request"), "{lines}");
    assert!(lines.contains("timings duration,blocked,looking_up,connecting,tls_handshaking,sending,waiting,receiving"), "{lines}");
    // The 302 to `/` turns the POST into a GET (Go's client does the same).
    assert!(
        lines.contains(&format!("request GET 1 {}/ 200", target.url())),
        "{lines}"
    );
    assert!(lines.contains("batch k6r 201"), "{lines}");
    assert_eq!(ran.samples.sum("http_reqs"), 4.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookie_jars_and_the_throw_option() {
    let source = r#"
        import http from 'k6/http';
        export const options = { iterations: 1, throw: true };
        export default function () {
            const jar = http.cookieJar();
            jar.set(__ENV.TARGET, 'k', 'v');
            console.log('jar ' + JSON.stringify(jar.cookiesForURL(__ENV.TARGET + '/')));
            const r = http.get(__ENV.TARGET);
            console.log('sent ' + JSON.stringify(r.request.cookies.k.map((c) => c.value)));
            try { http.get('http://127.0.0.1:1/'); console.log('no throw'); }
            catch (e) { console.log('threw ' + e.message); }
        }
    "#;
    let (ran, _target) = run(source).await;
    let lines = ran.lines().join("\n");
    assert!(lines.contains(r#"jar {\"k\":[\"v\"]}"#), "{lines}");
    assert!(lines.contains(r#"sent [\"v\"]"#), "{lines}");
    // k6 throws Go's `url.Error` text.
    assert!(
        lines.contains(r#"threw Get \"http://127.0.0.1:1/\": dial tcp 127.0.0.1:1: connect: connection refused"#),
        "{lines}"
    );
    // The failed request still counts.
    assert_eq!(ran.samples.sum("http_reqs"), 2.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_request_returns_a_promise_of_the_response() {
    let source = r#"
        import http from 'k6/http';
        export const options = { iterations: 1 };
        try { http.asyncRequest('GET', __ENV.TARGET); } catch (e) { console.log('init ' + e); }
        export default async function () {
            const p = http.asyncRequest('GET', __ENV.TARGET + '/json');
            console.log('promise ' + (p instanceof Promise));
            const r = await p;
            console.log('resolved ' + r.status + ' ' + r.json('name'));
            const refused = await http.asyncRequest('GET', 'http://127.0.0.1:1/');
            console.log('refused ' + refused.status + ' ' + refused.error_code);
        }
    "#;
    let (ran, _target) = run(source).await;
    let lines = ran.lines().join("\n");
    assert!(
        lines.contains("init GoError: Making http requests in the init context is not supported"),
        "{lines}"
    );
    assert!(lines.contains("promise true"), "{lines}");
    assert!(lines.contains("resolved 200 k6r"), "{lines}");
    assert!(lines.contains("refused 0 1212"), "{lines}");
    assert_eq!(ran.samples.sum("http_reqs"), 2.0);
    assert_eq!(ran.samples.sum("iterations"), 1.0);
}
