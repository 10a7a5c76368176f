//! `k6/experimental/redis` against the reference `k6 run` (k6 v1.1.0),
//! both talking to one real `redis-server` started by the test (on a
//! free port, `FLUSHDB` between the two runs): every client method's
//! results and rejections, the errors of bad options, unreachable and
//! silent servers, the bytes counted in `data_sent`/`data_received`,
//! a VU awaiting redis not blocking another; and cluster and sentinel
//! clients against a real cluster of three masters and a real sentinel.

mod common;

use std::io::Read;
use std::net::TcpListener;
use std::path::Path;
use std::time::Duration;

use common::{console_messages, run_script_with, Ran};
use k6r_testkit::redis::{free_port, RedisCluster, RedisSentinel, RedisServer};

/// Every method, with what k6 accepts and refuses; keys under a prefix.
/// Results whose order redis leaves open (hash fields, set members) are
/// sorted.
const METHODS: &str = r#"
import redis from 'k6/experimental/redis';
const client = new redis.Client(__ENV.REDIS);
const P = __ENV.PREFIX;
const k = (name) => `${P}:${name}`;
const sorted = (v) => Array.isArray(v) ? [...v].sort() : (v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).sort()) : v);
function show(label, p, sort) {
  return p.then(
    (v) => console.log(label, 'ok', typeof v, JSON.stringify(sort ? sorted(v) : v)),
    (e) => console.log(label, 'rejected', typeof e, String(e), JSON.stringify(e)));
}
console.log('init connected', client.isConnected());
export default async function () {
  await show('set', client.set(k('s'), 'v', 0));
  console.log('connected', client.isConnected());
  await show('get', client.get(k('s')));
  await show('get missing', client.get(k('missing')));
  await show('set float', client.set(k('f'), 1.5));
  await show('get float', client.get(k('f')));
  await show('set bool', client.set(k('b'), true));
  await show('get bool', client.get(k('b')));
  for (const [name, value] of [['big', 1e21], ['nan', NaN], ['inf', -Infinity], ['negzero', -0]]) {
    await show(`set ${name}`, client.set(k(name), value));
    await show(`get ${name}`, client.get(k(name)));
  }
  await show('set object', client.set(k('o'), { a: 1 }));
  await show('set null', client.set(k('o'), null));
  await show('set undefined', client.set(k('o')));
  await show('set ex', client.set(k('e'), 'x', 100));
  await show('ttl ex', client.ttl(k('e')));
  await show('ttl none', client.ttl(k('s')));
  await show('ttl missing', client.ttl(k('missing')));
  await show('set ex string', client.set(k('e2'), 'x', '50'));
  await show('ttl ex string', client.ttl(k('e2')));
  await show('set ex negative', client.set(k('e3'), 'x', -5));
  await show('ttl ex negative', client.ttl(k('e3')));
  await show('set ex overflow', client.set(k('e4'), 'x', 1e10));
  await show('ttl ex overflow', client.ttl(k('e4')));
  await show('incr wrong', client.incr(k('s')));
  await show('incr', client.incr(k('i')));
  await show('incrBy', client.incrBy(k('i'), 10));
  await show('incrBy string', client.incrBy(k('i'), '5'));
  await show('incrBy NaN', client.incrBy(k('i'), 'abc'));
  await show('incrBy fraction', client.incrBy(k('i'), 2.7));
  await show('incrBy infinity', client.incrBy(k('i2'), Infinity));
  await show('incrBy 2^63', client.incrBy(k('i3'), 2 ** 63));
  await show('decr', client.decr(k('i')));
  await show('decrBy', client.decrBy(k('i'), 3));
  await show('exists', client.exists(k('b'), k('b'), k('nope')));
  await show('exists none', client.exists());
  await show('del', client.del(k('i'), k('i2'), k('zzz')));
  await show('del none', client.del());
  await show('getSet', client.getSet(k('b'), 'new'));
  await show('getSet missing', client.getSet(k('gs'), 'new'));
  await show('getSet object', client.getSet(k('gs'), []));
  await show('getDel', client.getDel(k('b')));
  await show('getDel missing', client.getDel(k('b')));
  await show('expire', client.expire(k('gs'), 50));
  await show('expire missing', client.expire(k('nope'), 50));
  await show('persist', client.persist(k('gs')));
  await show('persist again', client.persist(k('gs')));
  await show('expire zero', client.expire(k('gs'), 0));
  await show('exists after expire', client.exists(k('gs')));
  await show('mget', client.mget(k('s'), k('nope'), k('f')));
  await show('mget none', client.mget());
  await show('undefined key', client.set(undefined, 'u'));
  await show('null key', client.set(null, 'n'));
  await show('no key', client.get());
  await show('lpush', client.lpush(k('l'), 'a', 2, true, 1.5));
  await show('rpush', client.rpush(k('l'), 'z'));
  await show('rpush none', client.rpush(k('l')));
  await show('rpush object', client.rpush(k('l'), 'q', [1]));
  await show('lrange', client.lrange(k('l'), 0, -1));
  await show('lrange strings', client.lrange(k('l'), '1', '2'));
  await show('lrange missing', client.lrange(k('nol'), 0, -1));
  await show('llen', client.llen(k('l')));
  await show('llen missing', client.llen(k('nol')));
  await show('lindex', client.lindex(k('l'), 1));
  await show('lindex out of range', client.lindex(k('l'), 100));
  await show('lset', client.lset(k('l'), 0, 'A'));
  await show('lset number', client.lset(k('l'), 1, 1e21));
  await show('lset object', client.lset(k('l'), 2, {}));
  await show('lset out of range', client.lset(k('l'), 100, 'A'));
  await show('lset missing', client.lset(k('nol'), 0, 'A'));
  await show('lrange after lset', client.lrange(k('l'), 0, -1));
  await show('lrem', client.lrem(k('l'), 0, 'z'));
  await show('lrem missing', client.lrem(k('nol'), 0, 'z'));
  await show('lpop', client.lpop(k('l')));
  await show('rpop', client.rpop(k('l')));
  await show('lpop missing', client.lpop(k('nol')));
  await show('rpop missing', client.rpop(k('nol')));
  await show('hset', client.hset(k('h'), 'f1', 'v1'));
  await show('hset number', client.hset(k('h'), 'f2', 2));
  await show('hset again', client.hset(k('h'), 'f1', 'v1b'));
  await show('hset object', client.hset(k('h'), 'f3', {}));
  await show('hsetnx', client.hsetnx(k('h'), 'f1', 'x'));
  await show('hsetnx new', client.hsetnx(k('h'), 'f4', 4));
  await show('hget', client.hget(k('h'), 'f1'));
  await show('hget missing field', client.hget(k('h'), 'zz'));
  await show('hget missing key', client.hget(k('noh'), 'zz'));
  await show('hgetall', client.hgetall(k('h')), true);
  await show('hgetall missing', client.hgetall(k('noh')));
  await show('hkeys', client.hkeys(k('h')), true);
  await show('hkeys missing', client.hkeys(k('noh')));
  await show('hvals', client.hvals(k('h')), true);
  await show('hlen', client.hlen(k('h')));
  await show('hlen missing', client.hlen(k('noh')));
  await show('hincrby', client.hincrby(k('h'), 'f2', 5));
  await show('hincrby not a number', client.hincrby(k('h'), 'f1', 5));
  await show('hdel', client.hdel(k('h'), 'f1', 'nope'));
  await show('hdel none', client.hdel(k('h')));
  await show('sadd', client.sadd(k('set'), 'a', 'b', 1, 'a'));
  await show('sadd none', client.sadd(k('set')));
  await show('sadd null', client.sadd(k('set'), null));
  await show('sismember', client.sismember(k('set'), 'a'));
  await show('sismember number', client.sismember(k('set'), 1));
  await show('sismember no', client.sismember(k('set'), 'zz'));
  await show('sismember object', client.sismember(k('set'), {}));
  await show('smembers', client.smembers(k('set')), true);
  await show('smembers missing', client.smembers(k('nos')));
  await show('srem', client.srem(k('set'), 'a', 'zz'));
  await show('srem object', client.srem(k('set'), []));
  await show('srandmember missing', client.srandmember(k('nos')));
  await show('spop missing', client.spop(k('nos')));
  await show('sadd one', client.sadd(k('one'), 'only'));
  await show('srandmember', client.srandmember(k('one')));
  await show('spop', client.spop(k('one')));
  await show('wrong type', client.hget(k('l'), 'x'));
  await show('wrong type push', client.lpush(k('h'), 'x'));
  await show('sendCommand set', client.sendCommand('SET', k('sc'), 'v'));
  await show('sendCommand get', client.sendCommand('GET', k('sc')));
  await show('sendCommand get missing', client.sendCommand('GET', k('nosc')));
  await show('sendCommand incr', client.sendCommand('INCR', k('sci')));
  await show('sendCommand mget', client.sendCommand('MGET', k('sc'), k('nope')));
  await show('sendCommand ping', client.sendCommand('PING'));
  await show('sendCommand unknown', client.sendCommand('FOO', 1));
  await show('sendCommand object', client.sendCommand('SET', 'a', {}));
  await show('sendCommand lower case', client.sendCommand('set', k('lower'), true));
  await show('sendCommand nested', client.sendCommand('EVAL', "return {1,'a',{2,false},redis.status_reply('S')}", 0));
  await show('sendCommand error in array', client.sendCommand('EVAL', "return {1,redis.error_reply('boom')}", 0));
  await show('sendCommand error', client.sendCommand('EVAL', "return redis.error_reply('MY boom')", 0));
  await show('sendCommand float', client.sendCommand('INCRBYFLOAT', k('flt'), 1.5));
  await show('sendCommand none', client.sendCommand());
  await show('sendCommand number', client.sendCommand(5));
  await show('randomKey', client.sendCommand('FLUSHDB').then(() => client.set(k('only'), 1)).then(() => client.randomKey()).then((key) => key.replace(P, 'PREFIX')));
  await show('randomKey empty', client.del(k('only')).then(() => client.randomKey()));
}
"#;

/// The values k6 rejects with: Go errors as sobek wraps them.
const REJECTIONS: &str = r#"
import redis from 'k6/experimental/redis';
const client = new redis.Client(__ENV.REDIS);
client.get('x').catch((e) => console.log('init', String(e), JSON.stringify(e), Object.keys(e), client.isConnected()));
function describe(label, e) {
  console.log(label, typeof e, String(e), `${e}`, JSON.stringify(e), JSON.stringify({ e }), e.message, e.name,
    Object.keys(e), Object.getOwnPropertyNames(e), e instanceof Error, typeof e.error, e.error(),
    typeof e.redisError, e == String(e), typeof e.valueOf(), Object.getPrototypeOf(e) === Object.prototype);
  console.log(e);
}
export default async function () {
  try { await client.get(`${__ENV.PREFIX}:missing`); } catch (e) { describe('nil', e); }
  try { await client.set('x', {}); } catch (e) { describe('unsupported', e); }
  await client.set(`${__ENV.PREFIX}:str`, 'v');
  try { await client.lpush(`${__ENV.PREFIX}:str`, 'v'); } catch (e) { describe('server', e); }
  await client.get(`${__ENV.PREFIX}:uncaught`);
}
"#;

/// Options k6 takes and refuses, by URL and by object.
const OPTIONS: &str = r#"
import redis from 'k6/experimental/redis';
const cases = {
  noargs: () => new redis.Client(),
  two: () => new redis.Client('redis://a', 'b'),
  number: () => new redis.Client(5),
  float: () => new redis.Client(5.5),
  nul: () => new redis.Client(null),
  array: () => new redis.Client([]),
  fn: () => new redis.Client(() => 1),
  withoutNew: () => redis.Client('redis://127.0.0.1:1'),
  scheme: () => new redis.Client('http://localhost:6379'),
  noScheme: () => new redis.Client('localhost:6379'),
  empty: () => new redis.Client(''),
  badDb: () => new redis.Client('redis://localhost:6379/abc'),
  badPath: () => new redis.Client('redis://localhost:6379/1/2'),
  badHost: () => new redis.Client('redis://[::1'),
  badPort: () => new redis.Client('redis://localhost:abc'),
  unknownQuery: () => new redis.Client('redis://localhost:6379?foo=1&bar=2'),
  badPoolSize: () => new redis.Client('redis://localhost:6379?pool_size=x'),
  badDuration: () => new redis.Client('redis://localhost:6379?read_timeout=xx'),
  badBool: () => new redis.Client('redis://localhost:6379?pool_fifo=maybe'),
  fullUrl: () => new redis.Client('redis://u:p@localhost:6379/2?client_name=x&read_timeout=2s&pool_size=3'),
  unixEmpty: () => new redis.Client('unix://'),
  rediss: () => new redis.Client('rediss://localhost'),
  emptyObject: () => new redis.Client({}),
  unknown: () => new redis.Client({ socket: { host: 'h', port: 1 }, foo: 1 }),
  unknownSocket: () => new redis.Client({ socket: { host: 'h', port: 1, bar: 2 } }),
  anyCase: () => new redis.Client({ SOCKET: { HOST: 'h', Port: 1 } }),
  portString: () => new redis.Client({ socket: { host: 'h', port: '1' } }),
  portFloat: () => new redis.Client({ socket: { host: 'h', port: 1.5 } }),
  hostNumber: () => new redis.Client({ socket: { host: 5, port: 1 } }),
  dbString: () => new redis.Client({ socket: { host: 'h', port: 1 }, database: 'x' }),
  socketString: () => new redis.Client({ socket: 'x' }),
  tlsBadCert: () => new redis.Client({ socket: { host: 'h', port: 1, tls: { cert: 'x', key: 'y' } } }),
  tlsCaString: () => new redis.Client({ socket: { host: 'h', port: 1, tls: { ca: 'x' } } }),
  clusterNoNodes: () => new redis.Client({ cluster: {} }),
  clusterEmpty: () => new redis.Client({ cluster: { nodes: [] } }),
  clusterNumber: () => new redis.Client({ cluster: { nodes: [1] } }),
  clusterMixed: () => new redis.Client({ cluster: { nodes: ['redis://a:1', { socket: { host: 'b', port: 2 } }] } }),
  clusterMixed2: () => new redis.Client({ cluster: { nodes: [{ socket: { host: 'b', port: 2 } }, 'redis://a:1'] } }),
  clusterBadUrl: () => new redis.Client({ cluster: { nodes: ['http://a:1'] } }),
  clusterDbs: () => new redis.Client({ cluster: { nodes: [{ socket: { host: 'b', port: 2 }, database: 1 }, { socket: { host: 'c', port: 2 }, database: 2 }] } }),
  clusterPasswords: () => new redis.Client({ cluster: { nodes: [{ socket: { host: 'b', port: 2 }, password: 'a' }, { socket: { host: 'c', port: 2 }, password: 'b' }] } }),
  clusterUnknown: () => new redis.Client({ cluster: { nodes: ['redis://a:1'], foo: 1 } }),
  clusterOk: () => new redis.Client({ cluster: { nodes: ['redis://a:1', 'redis://b:2'], maxRedirects: 3, readOnly: true, routeByLatency: true } }),
  clusterString: () => new redis.Client({ cluster: 'x' }),
  sentinelOk: () => new redis.Client({ masterName: 'm', sentinelUsername: 'u', sentinelPassword: 'p', socket: { host: 'h', port: 1 } }),
  sentinelBad: () => new redis.Client({ masterName: 5, socket: { host: 'h', port: 1 } }),
  sentinelNoSocket: () => new redis.Client({ masterName: 'm' }),
  sentinelUserAlone: () => new redis.Client({ sentinelUsername: 'u', socket: { host: 'h', port: 1 } }),
  everything: () => new redis.Client({ socket: { host: 'h', port: 1, dialTimeout: 1, readTimeout: 2, writeTimeout: 3, poolSize: 4, minIdleConns: 5, maxConnAge: 6, poolTimeout: 7, idleTimeout: 8, idleCheckFrequency: 9, tls: {} }, username: 'u', password: 'p', clientName: 'c', database: 1, maxRetries: 1, minRetryBackoff: 1, maxRetryBackoff: 2 }),
  nulls: () => new redis.Client({ socket: { host: null, port: 1 }, password: null }),
  bigPort: () => new redis.Client({ socket: { host: 'h', port: 1e20 } }),
  fnField: () => new redis.Client({ socket: { host: 'h', port: 1 }, password: () => 1 }),
  nanField: () => new redis.Client({ socket: { host: 'h', port: NaN } }),
};
for (const [name, make] of Object.entries(cases)) {
  try {
    const c = make();
    console.log(name, 'made', typeof c, c.isConnected(), Object.keys(c).length);
  } catch (e) {
    console.log(name, 'threw', String(e));
  }
}
export default function () {}
"#;

/// A server nobody listens on, and one that never answers.
const UNREACHABLE: &str = r#"
import redis from 'k6/experimental/redis';
const closed = new redis.Client(`redis://127.0.0.1:${__ENV.CLOSED}`);
const silent = new redis.Client({ socket: { host: '127.0.0.1', port: Number(__ENV.SILENT), readTimeout: 300 } });
const nowhere = new redis.Client('redis://nosuchhost.invalid:6379');
export default async function () {
  let t0 = Date.now();
  try { await closed.get('x'); } catch (e) { console.log('closed', String(e)); }
  console.log(`elapsed closed ${Date.now() - t0}`);
  console.log('connected', closed.isConnected());
  t0 = Date.now();
  try { await silent.get('x'); } catch (e) { console.log('silent', String(e)); }
  console.log(`elapsed silent ${Date.now() - t0}`);
  try { await nowhere.get('x'); } catch (e) { console.log('nowhere', String(e)); }
}
"#;

/// Bytes on the wire: `HELLO 2`, then the commands and replies.
const TRAFFIC: &str = r#"
import redis from 'k6/experimental/redis';
const client = new redis.Client(__ENV.REDIS);
export const options = { iterations: 2 };
export default async function () {
  await client.set(`${__ENV.PREFIX}:k`, 'v'.repeat(1000));
  await client.get(`${__ENV.PREFIX}:k`);
  await client.hgetall(`${__ENV.PREFIX}:none`);
}
"#;

/// VU 1 waits 1.5 s in a blocking pop; VU 2's twenty round trips go on.
const OVERLAP: &str = r#"
import redis from 'k6/experimental/redis';
import exec from 'k6/execution';
const client = new redis.Client(__ENV.REDIS);
export const options = { vus: 2, iterations: 2 };
export default async function () {
  const t0 = Date.now();
  if (exec.vu.idInTest === 1) {
    const popped = await client.sendCommand('BLPOP', `${__ENV.PREFIX}:queue`, 1.5).catch((e) => String(e));
    console.log(`vu 1 popped ${popped} fast=${Date.now() - t0 < 1400}`);
  } else {
    for (let i = 0; i < 20; i++) await client.incr(`${__ENV.PREFIX}:n`);
    console.log(`vu 2 counted ${await client.get(`${__ENV.PREFIX}:n`)} fast=${Date.now() - t0 < 1000}`);
  }
}
"#;

/// A cluster client, from URLs and from socket objects: keys spread over
/// the three masters' slots (hash tags fix each key's slot, whatever the
/// run's prefix), read back through the other client, multi-key commands
/// across slots (refused by redis: go-redis sends them to the first key's
/// node) and within one slot.
const CLUSTER: &str = r#"
import redis from 'k6/experimental/redis';
export const options = { iterations: 1 };
const nodes = __ENV.NODES.split(',');
const byUrl = new redis.Client({ cluster: { nodes: nodes.map((n) => `redis://${n}`) } });
const bySocket = new redis.Client({
  cluster: { nodes: nodes.map((n) => ({ socket: { host: n.split(':')[0], port: Number(n.split(':')[1]) } })) },
});
const P = __ENV.PREFIX;
const key = (i) => `{k${i}}:${P}`;
const show = async (label, promise) => {
  try { console.log(`${label} ok ${JSON.stringify(await promise)}`); } catch (e) { console.log(`${label} rejected ${e}`); }
};
export default async function () {
  for (let i = 0; i < 12; i++) await byUrl.set(key(i), `v${i}`);
  const got = [];
  for (let i = 0; i < 12; i++) got.push(await bySocket.get(key(i)));
  console.log(`got ${got.join(',')}`);
  await show('incrBy', byUrl.incrBy(`{n}:${P}`, 5));
  await show('exists', bySocket.exists(key(3)));
  await show('cross-slot del', byUrl.del(key(1), key(2)));
  await show('cross-slot exists', bySocket.exists(key(1), key(2)));
  await show('cross-slot mget', bySocket.mget(key(1), key(2)));
  await show('one-slot set', byUrl.set(`{same}:a:${P}`, '1'));
  await show('one-slot set', byUrl.set(`{same}:b:${P}`, '2'));
  await show('one-slot mget', bySocket.mget(`{same}:a:${P}`, `{same}:b:${P}`));
  await show('del', byUrl.del(key(0)));
  await show('get deleted', bySocket.get(key(0)));
  console.log(`connected ${byUrl.isConnected()} ${bySocket.isConnected()}`);
}
"#;

/// A sentinel client: the master found through the sentinel by name,
/// and a name the sentinel does not know.
const SENTINEL: &str = r#"
import redis from 'k6/experimental/redis';
export const options = { iterations: 1 };
const socket = { host: '127.0.0.1', port: Number(__ENV.SENTINEL) };
const client = new redis.Client({ socket, masterName: __ENV.MASTER });
const unknown = new redis.Client({ socket, masterName: 'nosuchmaster' });
const P = __ENV.PREFIX;
const show = async (label, promise) => {
  try { console.log(`${label} ok ${JSON.stringify(await promise)}`); } catch (e) { console.log(`${label} rejected ${e}`); }
};
export default async function () {
  await show('set', client.set(`${P}:through`, 'the sentinel'));
  await show('get', client.get(`${P}:through`));
  await show('incr', client.incr(`${P}:n`));
  await show('unknown master', unknown.get(`${P}:through`));
}
"#;

/// Runs `script` under `binary` with the server's URL and a key prefix.
fn run(binary: &str, dir: &Path, script: &str, env: &[(&str, String)], flags: &[&str]) -> Ran {
    let mut args: Vec<String> = flags.iter().map(|f| (*f).to_owned()).collect();
    for (key, value) in env {
        args.push("-e".into());
        args.push(format!("{key}={value}"));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_script_with(binary, dir, script, &args)
}

/// `script` under k6, then k6r, each on an empty database: their exit
/// codes and console lines (repeats of init code's lines, those starting
/// with `init` or all of a script that only has init code, dropped: k6
/// runs init code once more than k6r, for the options).
fn both(
    server: &RedisServer,
    script: &str,
    extra: &[(&str, String)],
) -> [(Option<i32>, Vec<String>); 2] {
    let init_only = script.contains("export default function () {}");
    let dir = tempfile::tempdir().unwrap();
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    [("k6", "k6"), (k6r, "k6r")].map(|(binary, prefix)| {
        assert_eq!(server.command(&["FLUSHDB"]), "+OK");
        let mut env = vec![("REDIS", server.url()), ("PREFIX", prefix.to_owned())];
        env.extend(extra.iter().cloned());
        let ran = run(binary, dir.path(), script, &env, &["--no-summary"]);
        let mut seen = std::collections::HashSet::new();
        let lines = console_messages(&ran.stderr)
            .into_iter()
            .filter(|line| !(init_only || line.starts_with("init ")) || seen.insert(line.clone()))
            .collect();
        (ran.code, lines)
    })
}

#[test]
fn every_method_resolves_and_rejects_as_in_k6() {
    let server = RedisServer::start();
    let [k6, k6r] = both(&server, METHODS, &[]);
    assert_eq!(k6.0, Some(0));
    assert_eq!(k6r.0, Some(0));
    assert!(k6.1.len() > 130, "{:?}", k6.1);
    for (ours, theirs) in k6r.1.iter().zip(&k6.1) {
        assert_eq!(ours, theirs);
    }
    assert_eq!(k6r.1.len(), k6.1.len());
    // The test's own assumptions about k6.
    assert!(k6
        .1
        .contains(&r#"get missing rejected object redis: nil "redis: nil""#.to_owned()));
    assert!(k6.1.contains(&"ttl none ok number -1e-9".to_owned()));
}

/// `script` under k6, then k6r (key prefixes `k6` and `k6r`), with
/// `env`: their exit codes and console lines.
fn both_on(script: &str, env: &[(&str, String)]) -> [(Option<i32>, Vec<String>); 2] {
    let dir = tempfile::tempdir().unwrap();
    let k6r = env!("CARGO_BIN_EXE_k6r-cli");
    [("k6", "k6"), (k6r, "k6r")].map(|(binary, prefix)| {
        let mut env = env.to_vec();
        env.push(("PREFIX", prefix.to_owned()));
        let ran = run(binary, dir.path(), script, &env, &["--no-summary"]);
        (ran.code, console_messages(&ran.stderr))
    })
}

#[test]
fn a_cluster_client_spreads_keys_over_a_real_cluster_as_in_k6() {
    let cluster = RedisCluster::start();
    let [k6, k6r] = both_on(CLUSTER, &[("NODES", cluster.addresses().join(","))]);
    assert_eq!(k6.0, Some(0), "{:?}", k6.1);
    assert!(
        k6.1.contains(&"got v0,v1,v2,v3,v4,v5,v6,v7,v8,v9,v10,v11".to_owned()),
        "{:?}",
        k6.1
    );
    assert!(
        k6.1.iter()
            .any(|l| l.starts_with("cross-slot del rejected")),
        "{:?}",
        k6.1
    );
    assert_eq!(k6r, k6);
    // The keys really are spread: every master holds some.
    for node in &cluster.nodes {
        assert_ne!(node.command(&["DBSIZE"]), ":0");
    }
}

#[test]
fn a_sentinel_client_finds_the_master_by_name_as_in_k6() {
    let sentinel = RedisSentinel::start();
    let env = [
        ("SENTINEL", sentinel.sentinel.port().to_string()),
        ("MASTER", RedisSentinel::MASTER_NAME.to_owned()),
    ];
    let [k6, k6r] = both_on(SENTINEL, &env);
    assert_eq!(k6.0, Some(0), "{:?}", k6.1);
    assert!(
        k6.1.contains(&r#"get ok "the sentinel""#.to_owned()),
        "{:?}",
        k6.1
    );
    assert_eq!(k6r, k6);
    // Both wrote to the master the sentinel names.
    for prefix in ["k6", "k6r"] {
        assert_eq!(
            sentinel
                .master
                .command(&["EXISTS", &format!("{prefix}:through")]),
            ":1"
        );
    }
}

#[test]
fn rejections_are_go_error_values_as_in_k6() {
    let server = RedisServer::start();
    let [k6, k6r] = both(&server, REJECTIONS, &[]);
    assert_eq!(k6r.1, k6.1);
    // An uncaught rejection fails the iteration, logged the same way.
    let dir = tempfile::tempdir().unwrap();
    let errors: Vec<Vec<String>> = ["k6", env!("CARGO_BIN_EXE_k6r-cli")]
        .iter()
        .map(|binary| {
            server.command(&["FLUSHDB"]);
            let env = [("REDIS", server.url()), ("PREFIX", "p".into())];
            let ran = run(binary, dir.path(), REJECTIONS, &env, &["--no-summary"]);
            common::log_lines(&ran.stderr)
                .into_iter()
                .filter(|line| line.level == "error")
                .map(|line| line.msg)
                .collect()
        })
        .collect();
    assert_eq!(errors[0], ["Uncaught (in promise) redis: nil"]);
    assert_eq!(errors[1], errors[0]);
}

#[test]
fn options_are_read_and_refused_as_in_k6() {
    let server = RedisServer::start();
    let [k6, k6r] = both(&server, OPTIONS, &[]);
    assert_eq!(k6.0, Some(0));
    assert_eq!(k6r.0, Some(0));
    assert_eq!(k6r.1, k6.1);
    assert!(k6r
        .1
        .contains(&"portString threw GoError: invalid options; reason: json: cannot unmarshal string into Go struct field socketOptions.socket.port of type int".to_owned()));
}

#[test]
fn unreachable_and_silent_servers_reject_within_the_timeouts() {
    let server = RedisServer::start();
    // Accepts connections and never answers.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in silent.incoming().flatten() {
            let mut buf = [0u8; 64];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(1)));
            let _ = stream.read(&mut buf);
            held.push(stream);
        }
    });
    let env = [
        ("CLOSED", free_port().to_string()),
        ("SILENT", silent_port.to_string()),
    ];
    let [k6, k6r] = both(&server, UNREACHABLE, &env);
    let elapsed = |lines: &[String], what: &str| -> u64 {
        let prefix = format!("elapsed {what} ");
        lines
            .iter()
            .find_map(|line| line.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {lines:?}"))
            .parse()
            .unwrap()
    };
    for lines in [&k6.1, &k6r.1] {
        // Four dial attempts with go-redis's backoff; one read timeout.
        assert!(elapsed(lines, "closed") < 2_000, "{lines:?}");
        let silent = elapsed(lines, "silent");
        assert!((290..2_000).contains(&silent), "{lines:?}");
    }
    let stable = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .filter(|line| !line.starts_with("elapsed "))
            .cloned()
            .collect()
    };
    assert_eq!(stable(&k6r.1), stable(&k6.1));
    assert!(
        k6r.1
            .iter()
            .any(|line| line.ends_with("connect: connection refused")),
        "{:?}",
        k6r.1
    );
    assert!(
        k6r.1.contains(&"silent i/o timeout".to_owned()),
        "{:?}",
        k6r.1
    );
    // A name no server knows, in Go's resolver's words.
    assert!(
        k6.1.iter()
            .any(|line| line.starts_with("nowhere lookup nosuchhost.invalid on ")),
        "{:?}",
        k6.1
    );
}

#[test]
fn bytes_count_in_data_sent_and_received_as_in_k6() {
    let server = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let counts: Vec<(f64, f64)> = ["k6", env!("CARGO_BIN_EXE_k6r-cli")]
        .iter()
        .map(|binary| {
            server.command(&["FLUSHDB"]);
            let env = [("REDIS", server.url()), ("PREFIX", "p".into())];
            let flags = ["--summary-export", "summary.json"];
            let ran = run(binary, dir.path(), TRAFFIC, &env, &flags);
            assert_eq!(ran.code, Some(0), "{}", ran.stderr);
            let summary: serde_json::Value =
                serde_json::from_slice(&std::fs::read(dir.path().join("summary.json")).unwrap())
                    .unwrap();
            let count = |metric: &str| summary["metrics"][metric]["count"].as_f64().unwrap_or(-1.0);
            (count("data_sent"), count("data_received"))
        })
        .collect();
    assert!(counts[0].0 > 2_000.0, "{counts:?}");
    assert_eq!(counts[1], counts[0]);
}

#[test]
fn a_vu_awaiting_redis_blocks_no_other_vu() {
    let server = RedisServer::start();
    let [k6, k6r] = both(&server, OVERLAP, &[]);
    let mut expected = vec![
        "vu 2 counted 20 fast=true".to_owned(),
        "vu 1 popped redis: nil fast=false".to_owned(),
    ];
    for lines in [&k6.1, &k6r.1] {
        let mut lines = lines.clone();
        lines.sort();
        expected.sort();
        assert_eq!(lines, expected);
    }
}
