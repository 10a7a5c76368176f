//! `k6/net/grpc` against the reference `k6 run` (k6 v1.1.0), both aimed
//! at the demo target's gRPC service (`k6r_demo::grpc`, served by the
//! test on 127.0.0.1, port 0, with server reflection): `load` and
//! `invoke` (messages, metadata, headers, trailers, error statuses, a
//! timeout that expires), `reflect`, `asyncInvoke`, every kind of
//! stream, the errors a script can make, and the metric samples (names,
//! counts and tags) each run writes with `--out json`, the bytes it
//! counts in `data_sent` and `data_received`; and the calls k6's gRPC
//! examples make (unary, reflected, server and client streams) against
//! the demo's route guide services, in scripts of our own (k6's examples
//! are k6's code: `scripts/k6-examples` runs them from a k6 checkout,
//! never copied here), their checks and samples compared.
//!
//! Scripts print what they get through `canon()`, which sorts object
//! keys (k6 writes a message's fields in Go's random map order) and
//! blanks `date` headers (Go's protojson puts a no-break space in its
//! errors, which k6's log escapes and k6r's does not: the scripts print
//! a space); a
//! rejection's `GoError: ` prefix (k6 rejects with Go's error value,
//! k6r with a `GoError`, as `http.asyncRequest` does) is dropped.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

/// Prints `value` with its keys sorted and `date` headers blanked, after
/// a trip through JSON (k6's statuses and codes are Go values, objects
/// whose JSON is their number; k6r's are numbers).
const CANON: &str = r#"
function canon(value) {
  return sorted(value === undefined ? value : JSON.parse(JSON.stringify(value)));
}
function sorted(value) {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = key === 'date' ? ['-'] : sorted(value[key]);
    return out;
  }
  return value;
}
const show = (label, value) => console.log(`${label} ${JSON.stringify(canon(value))}`);
"#;

/// Unary calls: a message of every JSON kind, metadata out and headers
/// back, error statuses, a deadline, the errors `invoke` throws.
const UNARY: &str = r#"
import grpc from 'k6/net/grpc';
import { check } from 'k6';
export const options = { iterations: 1 };
const client = new grpc.Client();
show('load', client.load(['protos'], 'demo.proto'));
try { client.connect(__ENV.G, { plaintext: true }); } catch (e) { console.log(`init connect ${e}`); }
try { client.invoke('k6r.demo.Demo/Echo', {}); } catch (e) { console.log(`init invoke ${e}`); }
export default function () {
  try { client.load([], 'demo.proto'); } catch (e) { console.log(`vu load ${e}`); }
  try { client.invoke('k6r.demo.Demo/Echo', {}); } catch (e) { console.log(`unconnected ${e}`); }
  console.log(`connect ${client.connect(__ENV.G, { plaintext: true, timeout: '5s' })}`);
  const ok = client.invoke('k6r.demo.Demo/Echo',
    { message: 'hi', big: '9007199254740993', tags: ['a', 'b'], color: 'COLOR_BLUE', data: 'AAEC' },
    { metadata: { 'x-demo': 'from-k6' }, tags: { mine: 'yes' } });
  show('ok', ok);
  console.log(`keys ${Object.keys(ok).sort().join(',')}`);
  check(ok, { 'status is OK': (r) => r.status === grpc.StatusOK });
  show('slashed', client.invoke('/k6r.demo.Demo/Echo', { message: 'slash' }).message);
  try { client.invoke('k6r.demo.Demo/Echo', '{"message":"text"}'); console.log('string taken'); } catch (e) { console.log('string threw'); }
  for (const code of [grpc.StatusNotFound, grpc.StatusPermissionDenied, grpc.StatusInternal, grpc.StatusUnauthenticated]) {
    show(`code ${code}`, client.invoke('k6r.demo.Demo/Echo', { message: 'no', failCode: code }));
  }
  show('deadline', client.invoke('k6r.demo.Demo/Echo', { message: 'late', delayMs: 3000 }, { timeout: '200ms' }));
  show('deadline ms', client.invoke('k6r.demo.Demo/Echo', { message: 'late', delayMs: 3000 }, { timeout: 150 }));
  show('discarded', client.invoke('k6r.demo.Demo/Echo', { message: 'x' }, { discardResponseMessage: true }).message);
  for (const method of ['k6r.demo.Demo/Nope', '']) {
    try { client.invoke(method, {}); } catch (e) { console.log(`method ${JSON.stringify(method)} ${e}`); }
  }
  try { client.invoke('k6r.demo.Demo/Echo', {}, { bogus: 1 }); } catch (e) { console.log(`param ${e}`); }
  try { client.invoke('k6r.demo.Demo/Echo', { nosuch: 1 }); console.log('no throw'); } catch (e) { console.log(`unknown field ${String(e).replace('\u00a0', ' ')}`); }
  try { client.invoke('k6r.demo.Demo/Echo', { message: 'm', other: { a: 1 } }); console.log('no throw'); } catch (e) { console.log(`unknown later field ${String(e).replace('\u00a0', ' ')}`); }
  client.close();
  try { client.invoke('k6r.demo.Demo/Echo', {}); } catch (e) { console.log(`closed ${e}`); }
  const statuses = Object.entries(grpc).filter(([k]) => k.startsWith('Status')).sort((a, b) => a[1] - b[1]);
  console.log(`statuses ${statuses.map(([k, v]) => `${k}=${v}`).join(' ')}`);
}
"#;

/// `reflect` (no `.proto` loaded) and `asyncInvoke`: calls in flight
/// together, a rejection for what `invoke` would throw.
const REFLECT_ASYNC: &str = r#"
import grpc from 'k6/net/grpc';
export const options = { iterations: 1 };
const client = new grpc.Client();
export default async function () {
  try { client.connect(__ENV.G, { plaintext: true, bogus: true }); } catch (e) { console.log(`param ${e}`); }
  console.log(`connect ${client.connect(__ENV.G, { plaintext: true, reflect: true, reflectMetadata: { 'x-demo': 'r' } })}`);
  const started = Date.now();
  const all = await Promise.all([300, 300, 300].map((ms, i) =>
    client.asyncInvoke('k6r.demo.Demo/Echo', { message: `m${i}`, delayMs: ms }, { metadata: { 'x-demo': `md${i}` } })));
  const took = Date.now() - started;
  console.log(`overlapped ${took < 800}`);
  show('all', all.map((r) => [r.status, r.message.message, r.message.metadata]));
  const failed = await client.asyncInvoke('k6r.demo.Demo/Echo', { failCode: grpc.StatusAborted });
  show('failed', failed.error);
  try { await client.asyncInvoke('k6r.demo.Demo/Missing', {}); console.log('resolved'); } catch (e) { console.log(`rejected ${String(e).replace(/^GoError: /, '')}`); }
  const other = new grpc.Client();
  try { other.connect(__ENV.CLOSED, { plaintext: true, timeout: '1s' }); console.log('connected'); } catch (e) { console.log(`closed port ${e.message.replace(/dial tcp [0-9.:]+: /, '')}`); }
}
"#;

/// Server, client and bidirectional streams; an error ends a stream
/// with `error` then `end`; unknown events warn; a write after `end()`
/// is dropped.
const STREAMS: &str = r#"
import grpc from 'k6/net/grpc';
export const options = { iterations: 1 };
const client = new grpc.Client();
client.load(['protos'], 'demo.proto');
function run(method, params, body) {
  return new Promise((resolve) => {
    const s = new grpc.Stream(client, method, params);
    console.log(`members ${Object.keys(s).sort().join(',')}`);
    s.on('data', (m, meta) => show(`${method} data`, [m, typeof meta.ts]));
    s.on('error', (e, meta) => show(`${method} error`, [e, typeof meta.ts, Object.keys(e).sort(), e.error()]));
    s.on('end', (...args) => { show(`${method} end`, [args.length, args[0]]); resolve(); });
    body(s);
  });
}
export default async function () {
  try { new grpc.Stream(client, 'k6r.demo.Demo/Chat'); } catch (e) { console.log(`unconnected ${e}`); }
  client.connect(__ENV.G, { plaintext: true });
  await run('k6r.demo.Demo/Countdown', { tags: { kind: 'server' } }, (s) => { s.write({ count: 3 }); s.end(); });
  await run('k6r.demo.Demo/Sum', {}, (s) => { for (const v of [1, 2, 39]) s.write({ value: v }); s.end(); });
  await run('k6r.demo.Demo/Chat', { metadata: { 'x-demo': 'c' } }, (s) => {
    let n = 0;
    s.on('data', () => { if (++n === 3) s.end(); });
    for (const m of ['one', 'two', 'three']) s.write({ message: m, color: 'COLOR_RED' });
  });
  await run('k6r.demo.Demo/Echo', {}, (s) => { s.write({ message: 'bad', failCode: 9 }); s.end(); });
  await run('k6r.demo.Demo/Chat', {}, (s) => {
    s.on('bogus', () => {});
    s.end();
    s.write({ message: 'late' });
  });
  try { new grpc.Stream(client, 'k6r.demo.Demo/Nope'); } catch (e) { console.log(`nope ${e}`); }
  try { new grpc.Stream({}, 'k6r.demo.Demo/Chat'); } catch (e) { console.log(`not a client ${e}`); }
  console.log('done');
}
"#;

/// A stream's own `timeout` (the whole stream's deadline) and a stream
/// write past `maxSendSize` (refused before sending; the stream ends with
/// the error).
const STREAM_LIMITS: &str = r#"
import grpc from 'k6/net/grpc';
export const options = { iterations: 1 };
const client = new grpc.Client();
client.load(['protos'], 'demo.proto');
const small = new grpc.Client();
small.load(['protos'], 'demo.proto');
function run(label, on, params, body) {
  return new Promise((resolve) => {
    const s = new grpc.Stream(on, 'k6r.demo.Demo/Chat', params);
    s.on('data', (m) => show(`${label} data`, m));
    s.on('error', (e) => show(`${label} error`, [e, e.error()]));
    s.on('end', () => { console.log(`${label} end`); resolve(); });
    body(s);
  });
}
export default async function () {
  client.connect(__ENV.G, { plaintext: true });
  const started = Date.now();
  // Never ended by the script: only the deadline ends it.
  await run('deadline', client, { timeout: '300ms' }, (s) => s.write({ message: 'in time' }));
  const took = Date.now() - started;
  console.log(`deadline took ${took >= 250 && took < 3000 ? 'about 300ms' : took}`);
  await run('deadline ms', client, { timeout: 200 }, () => {});
  small.connect(__ENV.G, { plaintext: true, maxSendSize: 10 });
  const unary = small.invoke('k6r.demo.Demo/Echo', { message: 'a message longer than ten bytes' });
  show('unary too large', [unary.status, unary.error]);
  // k6 fires the failed write's error twice, the second time before or
  // after the end: the events are compared once they have all come.
  const seen = [];
  const s = new grpc.Stream(small, 'k6r.demo.Demo/Chat');
  s.on('data', (m) => seen.push(`data ${JSON.stringify(m)}`));
  s.on('error', (e) => seen.push(`error ${e.code} ${e.error()}`));
  s.on('end', () => seen.push('end'));
  s.write({ message: 'a message longer than ten bytes' });
  s.write({ message: 'after' });
  s.end();
  await new Promise((resolve) => setTimeout(resolve, 500));
  show('too large', seen.sort());
  console.log('done');
}
"#;

/// Dials after the `hosts` option, and the errors of dials that fail
/// (a refused port, a name no server knows) in Go's words.
const DIALS: &str = r#"
import grpc from 'k6/net/grpc';
export const options = { iterations: 1, hosts: { 'demo.test': __ENV.G } };
const client = new grpc.Client();
client.load(['protos'], 'demo.proto');
export default function () {
  client.connect('demo.test:1', { plaintext: true, timeout: '5s' });
  console.log(`via hosts ${client.invoke('k6r.demo.Demo/Echo', { message: 'mapped' }).message.message}`);
  client.close();
  for (const address of ['127.0.0.1:1', 'nosuchhost.invalid:5']) {
    try { client.connect(address, { plaintext: true, timeout: '2s' }); } catch (e) { console.log(`${address} ${e}`); }
  }
}
"#;

/// `loadProtoset`, files that are missing or no protoset, the size
/// limits of `connect` and its mistyped params.
const PROTOSET_AND_LIMITS: &str = r#"
import grpc from 'k6/net/grpc';
export const options = { iterations: 1 };
const client = new grpc.Client();
const infos = client.loadProtoset('demo.protoset');
console.log(`protoset ${infos.map((i) => i.full_method).sort().join(',')}`);
try { new grpc.Client().loadProtoset('missing.protoset'); } catch (e) { console.log(`missing ${e}`); }
try { new grpc.Client().loadProtoset('protos/demo.proto'); } catch (e) { console.log(`bad threw`); }
try { new grpc.Client().load(['protos'], 'nope.proto'); } catch (e) { console.log(`noproto ${e}`); }
export default function () {
  try { client.loadProtoset('demo.protoset'); } catch (e) { console.log(`vu protoset ${e}`); }
  client.connect(__ENV.G, { plaintext: true, maxReceiveSize: 10 });
  const r = client.invoke('k6r.demo.Demo/Echo', { message: 'a message longer than ten bytes' });
  console.log(`small receive ${r.status} ${r.error && r.error.code}`);
  client.close();
  client.connect(__ENV.G, { plaintext: true, maxSendSize: 10 });
  const s = client.invoke('k6r.demo.Demo/Echo', { message: 'a message longer than ten bytes' });
  console.log(`small send ${s.status} ${s.error && s.error.code}`);
  client.close();
  try { client.connect(__ENV.G, { plaintext: true, maxReceiveSize: 'x' }); } catch (e) { console.log(`bad size ${e}`); }
  try { client.connect(__ENV.G, { plaintext: 'yes' }); } catch (e) { console.log(`bad plaintext ${e}`); }
  try { client.connect(__ENV.G, { plaintext: true, timeout: 'abc' }); } catch (e) { console.log(`bad timeout ${e}`); }
}
"#;

/// TLS: the demo's authority trusted through `cacerts` (an array or a
/// string), with and without a client certificate (one with a key
/// encrypted with `password`); untrusted without it.
const TLS: &str = r#"
import grpc from 'k6/net/grpc';
export const options = { iterations: 1 };
const client = new grpc.Client();
client.load(['protos'], 'demo.proto');
const ca = open('ca.pem');
const cert = open('client.pem');
const key = open('client-key.pem');
const encryptedKey = open('encrypted-key.pem');
export default function () {
  client.connect(__ENV.G, { tls: { cacerts: [ca], cert, key } });
  const mutual = client.invoke('k6r.demo.Demo/Echo', { message: 'mutual' });
  show('mutual', [mutual.status, mutual.message.message, mutual.headers['x-demo-client-cert']]);
  client.close();
  client.connect(__ENV.G, { tls: { cacerts: [ca], cert, key: encryptedKey, password: 'secret' } });
  const encrypted = client.invoke('k6r.demo.Demo/Echo', { message: 'encrypted key' });
  show('encrypted key', [encrypted.status, encrypted.headers['x-demo-client-cert']]);
  client.close();
  client.connect(__ENV.G, { tls: { cacerts: ca } });
  const plain = client.invoke('k6r.demo.Demo/Echo', { message: 'server only' });
  show('server only', [plain.status, plain.message.message, plain.headers['x-demo-client-cert']]);
  client.close();
  try {
    new grpc.Client().connect(__ENV.G, { timeout: '2s' });
    console.log('untrusted connected');
  } catch (e) {
    console.log('untrusted threw');
  }
}
"#;

/// Extreme inputs (K6R_ONLY: k6's Go durations overflow where k6r
/// clamps, so k6 is not the reference here): none may panic or hang.
const EXTREMES: &str = r#"
// K6R_ONLY
import grpc from 'k6/net/grpc';
export const options = { iterations: 1 };
const client = new grpc.Client();
client.load(['protos'], 'demo.proto');
export default function () {
  client.connect(__ENV.G, { plaintext: true, timeout: 1e20 });
  for (const t of [1e20, 0, -5, NaN, Infinity, '1000000000000h']) {
    try {
      console.log(`t=${t} ${client.invoke('k6r.demo.Demo/Echo', { message: 'x' }, { timeout: t }).status}`);
    } catch (e) {
      console.log(`t=${t} threw`);
    }
  }
  for (const metadata of [{ 'bad key': 'v' }, { k: 'v\n' }, { k: 1 }, 'x']) {
    try { client.invoke('k6r.demo.Demo/Echo', {}, { metadata }); console.log('metadata taken'); } catch (e) { console.log('metadata threw'); }
  }
  for (const request of [{ big: 'abc' }, { color: 'NOPE' }, { tags: 5 }, 5, [1], { message: { nested: 1 } }]) {
    try { client.invoke('k6r.demo.Demo/Echo', request); console.log('request taken'); } catch (e) { console.log('request threw'); }
  }
  for (const address of ['::::', '', 'a b:1', '127.0.0.1:99999']) {
    try { new grpc.Client().connect(address, { plaintext: true, timeout: '1s' }); console.log('connected'); } catch (e) { console.log('address threw'); }
  }
  const s = new grpc.Stream(client, 'k6r.demo.Demo/Chat');
  try { s.write({ tags: 5 }); } catch (e) { console.log('stream write threw'); }
  try { s.on('data'); } catch (e) { console.log('no handler threw'); }
  s.end();
  console.log('done');
}
"#;

const ROUTE_GUIDE: &str = include_str!("../../demo/proto/route_guide.proto");

/// The route guide's unary call, its proto loaded from a `./` path:
/// a check on the status and the feature printed.
const ROUTE_UNARY: &str = r#"
import grpc from 'k6/net/grpc';
import { check } from 'k6';

const guide = new grpc.Client();
guide.load([], './grpc_server/route_guide.proto');

export default function () {
  guide.connect(__ENV.GRPC_ADDR, { plaintext: true });
  const answer = guide.invoke('main.FeatureExplorer/GetFeature', { latitude: 410248224, longitude: -747127767 });
  check(answer, { 'the feature is found': (a) => a.status === grpc.StatusOK });
  console.log(JSON.stringify(answer.message));
  guide.close();
}
"#;

/// The same call with the descriptors from the server's reflection.
const ROUTE_REFLECTED: &str = r#"
import grpc from 'k6/net/grpc';
import { check } from 'k6';

const guide = new grpc.Client();

export default function () {
  guide.connect(__ENV.GRPC_ADDR, { plaintext: true, reflect: true });
  const answer = guide.invoke('main.FeatureExplorer/GetFeature', { latitude: 410248224, longitude: -747127767 });
  check(answer, { 'the feature is found': (a) => a.status === grpc.StatusOK });
  console.log(JSON.stringify(answer.message));
  guide.close();
}
"#;

/// The features in a rectangle, streamed by the server.
const ROUTE_SERVER_STREAM: &str = r#"
import { Client, Stream } from 'k6/net/grpc';

const guide = new Client();
guide.load([], __ENV.GRPC_PROTO_PATH);

export default function () {
  guide.connect(__ENV.GRPC_ADDR, { plaintext: true });
  const features = new Stream(guide, 'main.FeatureExplorer/ListFeatures', null);
  features.on('data', (f) => console.log(`Found feature called "${f.name}" at ${f.location.latitude / 1e7}, ${f.location.longitude / 1e7}`));
  features.on('error', (e) => console.log(`stream error: ${JSON.stringify(e)}`));
  features.on('end', () => { guide.close(); console.log('no more features'); });
  features.write({ lo: { latitude: 400000000, longitude: -750000000 }, hi: { latitude: 420000000, longitude: -730000000 } });
}
"#;

/// A trip of five fixed points streamed by the client; the server
/// answers once with the trip's summary.
const ROUTE_CLIENT_STREAM: &str = r#"
import { Client, Stream } from 'k6/net/grpc';

const guide = new Client();
guide.load([], __ENV.GRPC_PROTO_PATH);

const TRIP = [
  [407838351, -746143763], [408122808, -743999179], [413628156, -749015468],
  [419999544, -740371136], [414008389, -743951297],
];

export default function () {
  guide.connect(__ENV.GRPC_ADDR, { plaintext: true });
  const trip = new Stream(guide, 'main.RouteGuide/RecordRoute');
  trip.on('data', (summary) => console.log(`Finished trip with ${summary.pointCount} points`));
  trip.on('error', (e) => console.log(`stream error: ${JSON.stringify(e)}`));
  trip.on('end', () => { guide.close(); console.log('trip recorded'); });
  for (const [latitude, longitude] of TRIP) trip.write({ latitude, longitude });
  trip.end();
}
"#;

/// What one binary made of a script: its log lines (level and message)
/// and its gRPC samples (metric and sorted tags, counted).
struct Ran {
    lines: Vec<String>,
    samples: BTreeMap<String, usize>,
    /// The run's `data_sent` and `data_received` totals.
    data: [f64; 2],
}

fn run(binary: &str, dir: &Path, script: &str, grpc: &str, closed: &str) -> Ran {
    std::fs::write(dir.join("script.js"), format!("{CANON}\n{script}")).unwrap();
    let _ = std::fs::remove_file(dir.join("out.json"));
    let out = Command::new(binary)
        .current_dir(dir)
        // No REST API: k6's default port may be taken by a parallel test.
        .args([
            "run",
            "-q",
            "--no-summary",
            "-a",
            "",
            "--out",
            "json=out.json",
        ])
        .args([
            "-e",
            &format!("G={grpc}"),
            "-e",
            &format!("CLOSED={closed}"),
            // What k6's examples read.
            "-e",
            &format!("GRPC_ADDR={grpc}"),
            "-e",
            "GRPC_PROTO_PATH=protos/route_guide.proto",
        ])
        .arg("script.js")
        .output()
        .expect("binary runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{binary}: {stderr}");
    let lines = common::log_lines(&stderr)
        .iter()
        .map(common::LogLine::level_and_msg)
        .collect();
    let mut samples = BTreeMap::new();
    let mut data = [0.0; 2];
    let json = std::fs::read_to_string(dir.join("out.json")).unwrap();
    for line in json.lines() {
        let point: serde_json::Value = serde_json::from_str(line).unwrap();
        let metric = point["metric"].as_str().unwrap_or_default();
        if point["type"] == "Point" {
            let value = point["data"]["value"].as_f64().unwrap_or_default();
            match metric {
                "data_sent" => data[0] += value,
                "data_received" => data[1] += value,
                _ => {}
            }
        }
        if point["type"] != "Point" || !(metric.starts_with("grpc_") || metric == "checks") {
            continue;
        }
        let mut tags: Vec<String> = point["data"]["tags"]
            .as_object()
            .into_iter()
            .flatten()
            // k6 tags a message received with the call's status when the
            // status came with it (a race in k6): left out.
            .filter(|(key, _)| !(metric == "grpc_streams_msgs_received" && *key == "status"))
            .map(|(key, value)| format!("{key}={}", value.as_str().unwrap_or_default()))
            .collect();
        if metric == "checks" {
            tags.push(format!("value={}", point["data"]["value"]));
        }
        tags.sort();
        *samples
            .entry(format!("{metric} {}", tags.join(" ")))
            .or_default() += 1;
    }
    Ran {
        lines,
        samples,
        data,
    }
}

/// Runs `script` in k6, then in k6r, against one demo gRPC server, with
/// `protos/demo.proto` next to the script.
fn both(script: &str) -> (Ran, Ran) {
    both_with(script, None)
}

/// [`both`], over TLS with `identity` when given (its authority and
/// client certificate written next to the script).
fn both_with(script: &str, identity: Option<&k6r_demo::tls::Identity>) -> (Ran, Ran) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let grpc = listener.local_addr().unwrap().to_string();
    let shutdown = tokio_util::sync::CancellationToken::new();
    match identity {
        Some(identity) => {
            let identity = identity.clone();
            let shutdown = shutdown.clone();
            runtime.spawn(
                async move { k6r_demo::grpc::serve_tls(listener, &identity, shutdown).await },
            );
        }
        None => {
            runtime.spawn(k6r_demo::grpc::serve(listener, shutdown.clone()));
        }
    }
    // Where nobody listens: bound, then let go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("protos")).unwrap();
    std::fs::create_dir(dir.path().join("grpc_server")).unwrap();
    for (path, proto) in [
        (
            "protos/demo.proto",
            include_str!("../../demo/proto/demo.proto"),
        ),
        ("protos/route_guide.proto", ROUTE_GUIDE),
        // Where k6's examples/grpc.js loads it from.
        ("grpc_server/route_guide.proto", ROUTE_GUIDE),
    ] {
        std::fs::write(dir.path().join(path), proto).unwrap();
    }
    if let Some(identity) = identity {
        for (name, pem) in [
            ("ca.pem", &identity.ca_pem),
            ("client.pem", &identity.client_cert_pem),
            ("client-key.pem", &identity.client_key_pem),
        ] {
            std::fs::write(dir.path().join(name), pem).unwrap();
        }
        // The client key encrypted the legacy way `tls.password` reads.
        common::encrypt_client_key(dir.path(), "-aes256");
    }
    std::fs::write(
        dir.path().join("demo.protoset"),
        k6r_demo::grpc::DESCRIPTOR_SET,
    )
    .unwrap();
    // `K6R_ONLY`: the script is k6r's alone (k6 is not run on it).
    let k6 = if script.contains("K6R_ONLY") {
        Ran {
            lines: Vec::new(),
            samples: BTreeMap::new(),
            data: [0.0; 2],
        }
    } else {
        run("k6", dir.path(), script, &grpc, &closed)
    };
    let k6r = run(
        env!("CARGO_BIN_EXE_k6r-cli"),
        dir.path(),
        script,
        &grpc,
        &closed,
    );
    shutdown.cancel();
    (k6, k6r)
}

fn assert_same(k6: &Ran, k6r: &Ran) {
    assert_eq!(k6r.lines, k6.lines, "log lines");
    assert_eq!(k6r.samples, k6.samples, "gRPC samples");
}

#[test]
fn unary_calls_answer_and_fail_as_in_k6() {
    let (k6, k6r) = both(UNARY);
    // Bytes on the wire: gRPC-go's and tonic's HTTP/2 frames differ a
    // little, so the totals are compared within a factor of two.
    for i in 0..2 {
        assert!(k6.data[i] > 100.0, "{:?}", k6.data);
        let ratio = k6r.data[i] / k6.data[i];
        assert!(
            (0.5..2.0).contains(&ratio),
            "k6 {:?}, k6r {:?}",
            k6.data,
            k6r.data
        );
    }
    assert!(
        k6.lines
            .iter()
            .any(|l| l.contains("\"metadata\":\"from-k6\"")),
        "{:?}",
        k6.lines
    );
    assert!(k6.lines.iter().any(|l| l.starts_with("info deadline {")));
    // Four failed statuses, three OK calls; none for the calls whose
    // deadline passed.
    let calls: usize = k6
        .samples
        .iter()
        .filter(|(k, _)| k.starts_with("grpc_req_duration"))
        .map(|(_, n)| n)
        .sum();
    assert_eq!(calls, 7, "{:#?}", k6.samples);
    assert_same(&k6, &k6r);
}

#[test]
fn reflection_and_async_invoke_behave_as_in_k6() {
    let (k6, k6r) = both(REFLECT_ASYNC);
    assert!(
        k6.lines.contains(&"info overlapped true".to_owned()),
        "{:?}",
        k6.lines
    );
    assert!(k6.lines.iter().any(|l| l.contains("\"md2\"")));
    assert_same(&k6, &k6r);
}

#[test]
fn streams_of_every_kind_fire_their_events_as_in_k6() {
    let (k6, k6r) = both(STREAMS);
    assert!(
        k6.lines
            .iter()
            .any(|l| l.contains("Sum data [{\"count\":3,\"sum\":\"42\"}")),
        "{:?}",
        k6.lines
    );
    assert!(k6
        .lines
        .iter()
        .any(|l| l.starts_with("warning can't register bogus")));
    assert!(k6
        .samples
        .keys()
        .any(|k| k.starts_with("grpc_streams_msgs_sent") && k.contains("method=Chat")));
    assert_same(&k6, &k6r);
}

#[test]
fn stream_deadlines_and_send_limits_end_streams_as_in_k6() {
    let (k6, k6r) = both(STREAM_LIMITS);
    assert!(
        k6.lines
            .contains(&"info deadline took about 300ms".to_owned()),
        "{:?}",
        k6.lines
    );
    assert!(
        k6.lines
            .iter()
            .any(|l| l.starts_with("info too large [\"end\",\"error ResourceExhausted code: 8")),
        "{:?}",
        k6.lines
    );
    assert_same(&k6, &k6r);
}

#[test]
fn dials_follow_hosts_and_fail_in_gos_words_as_in_k6() {
    let (k6, k6r) = both(DIALS);
    assert!(
        k6.lines.contains(&"info via hosts mapped".to_owned()),
        "{:?}",
        k6.lines
    );
    assert!(
        k6.lines
            .iter()
            .any(|l| l.contains("dial tcp 127.0.0.1:1: connect: connection refused")),
        "{:?}",
        k6.lines
    );
    assert_same(&k6, &k6r);
}

/// The sorted characters of each line: k6 writes a message's fields in
/// Go's random map order (the scripts print `JSON.stringify(message)`).
fn letters(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let mut chars: Vec<char> = line.chars().collect();
            chars.sort_unstable();
            chars.into_iter().collect()
        })
        .collect()
}

#[test]
fn route_guide_unary_calls_run_as_in_k6() {
    for example in [ROUTE_UNARY, ROUTE_REFLECTED] {
        let (k6, k6r) = both(example);
        assert!(
            k6.lines
                .iter()
                .any(|l| l.contains("k6r demo: the feature of the examples")),
            "{:?}",
            k6.lines
        );
        assert!(
            k6.samples
                .keys()
                .any(|k| k.starts_with("checks ") && k.contains(" value=1")),
            "{:#?}",
            k6.samples
        );
        assert_eq!(letters(&k6r.lines), letters(&k6.lines));
        assert_eq!(k6r.samples, k6.samples);
    }
}

#[test]
fn route_guide_server_streaming_runs_as_in_k6() {
    let (k6, k6r) = both(ROUTE_SERVER_STREAM);
    let found = k6
        .lines
        .iter()
        .filter(|l| l.contains("Found feature called"))
        .count();
    assert_eq!(found, 4, "{:?}", k6.lines);
    assert_same(&k6, &k6r);
}

#[test]
fn route_guide_client_streaming_runs_as_in_k6() {
    let (k6, k6r) = both(ROUTE_CLIENT_STREAM);
    assert!(
        k6.lines
            .iter()
            .any(|l| l == "info Finished trip with 5 points"),
        "{:?}",
        k6.lines
    );
    assert!(
        k6.lines.contains(&"info trip recorded".to_owned()),
        "{:?}",
        k6.lines
    );
    assert_same(&k6, &k6r);
}

#[test]
fn protosets_size_limits_and_bad_params_behave_as_in_k6() {
    let (k6, k6r) = both(PROTOSET_AND_LIMITS);
    assert!(
        k6.lines
            .contains(&"info small receive ResourceExhausted 8".to_owned()),
        "{:?}",
        k6.lines
    );
    assert!(k6
        .lines
        .iter()
        .any(|l| l.starts_with("info protoset /k6r.demo.Demo/Chat,")));
    assert_same(&k6, &k6r);
}

#[test]
fn tls_connections_trust_cacerts_and_send_client_certificates_as_in_k6() {
    let identity = k6r_demo::tls::Identity::generate().unwrap();
    let (k6, k6r) = both_with(TLS, Some(&identity));
    assert!(
        k6.lines
            .contains(&"info mutual [0,\"mutual\",[\"yes\"]]".to_owned()),
        "{:?}",
        k6.lines
    );
    assert!(
        k6.lines.contains(&"info untrusted threw".to_owned()),
        "{:?}",
        k6.lines
    );
    assert!(k6
        .lines
        .contains(&"info encrypted key [0,[\"yes\"]]".to_owned()));
    assert_same(&k6, &k6r);
}

#[test]
fn extreme_inputs_neither_panic_nor_hang() {
    let (_, k6r) = both(EXTREMES);
    let expected = [
        "info t=100000000000000000000 OK",
        "info t=0 DeadlineExceeded",
        "info t=-5 DeadlineExceeded",
        "info t=NaN DeadlineExceeded",
        "info t=Infinity threw",
        "info t=1000000000000h threw",
    ];
    assert_eq!(k6r.lines[..6], expected, "{:?}", k6r.lines);
    assert_eq!(
        k6r.lines
            .iter()
            .filter(|l| *l == "info metadata threw")
            .count(),
        4
    );
    assert_eq!(
        k6r.lines
            .iter()
            .filter(|l| *l == "info request threw")
            .count(),
        6
    );
    assert_eq!(
        k6r.lines
            .iter()
            .filter(|l| *l == "info address threw")
            .count(),
        4
    );
    assert_eq!(
        k6r.lines.last().map(String::as_str),
        Some("info done"),
        "{:?}",
        k6r.lines
    );
}
