//! gRPC and Redis scripts on a cluster as on one machine: a coordinator
//! and two agents run a `k6/net/grpc` script whose `.proto` file (and
//! the one it imports) travel in the bundle, and a
//! `k6/experimental/redis` script against a real `redis-server`; the
//! merged summary holds every agent's part.

use k6r_e2e::{show, Cluster, InProcess};

/// 40 unary calls over 4 VUs; the `.proto` loaded from `protos/`.
const GRPC_SCRIPT: &str = "import grpc from 'k6/net/grpc';\n\
    import { check } from 'k6';\n\
    export const options = { scenarios: { calls: { executor: 'shared-iterations', vus: 4, iterations: 40 } } };\n\
    const client = new grpc.Client();\n\
    client.load(['protos'], 'demo.proto');\n\
    export default function () {\n\
      if (__ITER === 0) client.connect(__ENV.GRPC_ADDR, { plaintext: true });\n\
      const answer = client.invoke('k6r.demo.Demo/Echo', { message: `call ${__VU}` });\n\
      check(answer, { 'echoed': (a) => a.status === grpc.StatusOK && a.message.message === `call ${__VU}` });\n\
    }\n";

/// 30 increments of one counter over 3 VUs, then its value checked.
const REDIS_SCRIPT: &str = "import redis from 'k6/experimental/redis';\n\
    import { check } from 'k6';\n\
    export const options = { scenarios: { writes: { executor: 'shared-iterations', vus: 3, iterations: 30 } } };\n\
    const client = new redis.Client(__ENV.REDIS_URL);\n\
    export default async function () {\n\
      const value = await client.incr('k6r-e2e-counter');\n\
      check(value, { 'counted': (v) => v >= 1 && v <= 30 });\n\
    }\n\
    export async function teardown() {\n\
      const total = await client.get('k6r-e2e-counter');\n\
      check(total, { 'every increment landed': (t) => t === '30' });\n\
    }\n";

#[test]
fn a_cluster_runs_grpc_calls_with_the_proto_in_the_bundle() {
    let target = InProcess::grpc().expect("the demo gRPC target starts");
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), GRPC_SCRIPT).unwrap();
    std::fs::create_dir(dir.path().join("protos")).unwrap();
    std::fs::write(
        dir.path().join("protos/demo.proto"),
        include_str!("../../demo/proto/demo.proto"),
    )
    .unwrap();
    let env = format!("GRPC_ADDR={}", target.addr);
    let (out, export) = cluster.run_script(dir.path(), &["-e", &env]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let metrics = &export["metrics"];
    assert_eq!(metrics["iterations"]["count"], 40, "{metrics}");
    assert_eq!(metrics["checks"]["passes"], 40, "{metrics}");
    assert_eq!(metrics["checks"]["fails"], 0, "{metrics}");
    assert!(
        metrics["grpc_req_duration"]["avg"].as_f64() > Some(0.0),
        "{metrics}"
    );
    // Both agents called.
    let run = cluster.last_run();
    for agent in run["agents"].as_array().unwrap() {
        assert!(agent["iterations"].as_u64() > Some(0), "{run}");
    }
}

#[test]
fn a_cluster_runs_redis_commands_against_one_server() {
    let server = k6r_testkit::redis::RedisServer::start();
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("script.js"), REDIS_SCRIPT).unwrap();
    let env = format!("REDIS_URL={}", server.url());
    let (out, export) = cluster.run_script(dir.path(), &["-e", &env]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let metrics = &export["metrics"];
    assert_eq!(metrics["iterations"]["count"], 30, "{metrics}");
    // 30 increments and the teardown's check, all passed.
    assert_eq!(metrics["checks"]["passes"], 31, "{metrics}");
    assert_eq!(metrics["checks"]["fails"], 0, "{metrics}");
}
