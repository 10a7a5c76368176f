//! The compose cluster's demo target serves a WebSocket echo too: a
//! cluster of a coordinator and two agents runs `examples/websockets.js`
//! (both of k6's WebSocket modules) against it, and the merged summary
//! holds every agent's `ws_*` metrics.

use k6r_e2e::{show, Cluster, Target};

#[test]
fn a_cluster_load_tests_the_demo_targets_websocket_echo() {
    let target = Target::start();
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    let script = include_str!("../../examples/websockets.js");
    std::fs::write(dir.path().join("script.js"), script).unwrap();
    let env = format!("K6R_TARGET={}", target.url());
    let (out, export) = cluster.run_script(dir.path(), &["-e", &env, "-e", "DURATION=2s"]);
    assert_eq!(out.status.code(), Some(0), "{}", show(&out));
    let metrics = &export["metrics"];
    let count = |name: &str| metrics[name]["count"].as_f64().unwrap_or(-1.0);
    let iterations = count("iterations");
    // Ten VUs over two agents, for 2 s.
    assert!(iterations >= 20.0, "{metrics}");
    assert_eq!(count("ws_sessions"), iterations * 3.0, "{metrics}");
    assert_eq!(count("echoes"), iterations * 9.0, "{metrics}");
    assert_eq!(metrics["checks"]["fails"], 0, "{metrics}");
    assert!(
        metrics["ws_connecting"]["avg"].as_f64().unwrap_or(0.0) > 0.0,
        "{metrics}"
    );
    // Sent: nine messages per iteration, and each experimental socket's
    // close frame (k6 counts it).
    assert_eq!(count("ws_msgs_sent"), iterations * 11.0, "{metrics}");
    assert_eq!(count("ws_msgs_received"), iterations * 9.0, "{metrics}");
}
