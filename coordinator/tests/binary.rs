//! The real `k6r-coordinator` binary on port 0: it prints where it
//! listens, serves agents and REST, and stops cleanly on SIGTERM.

mod common;

use std::{net::SocketAddr, process::Stdio, time::Duration};

use common::{get, FakeAgent};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::Command,
};

#[tokio::test]
async fn the_binary_prints_its_address_serves_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_k6r-coordinator"))
        .args(["--listen", "127.0.0.1:0", "--agents", "1"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(30), stdout.next_line())
        .await
        .expect("the address line in time")
        .unwrap()
        .expect("a line on stdout");
    let addr: SocketAddr = line
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    assert_ne!(addr.port(), 0);

    let readyz = format!("http://{addr}/readyz");
    assert_eq!(get(&readyz, None).await.0, 503);
    let (mut agent, welcome) = FakeAgent::welcomed(addr, "w1").await;
    assert_eq!(welcome.agent_id, "agent-1");
    assert_eq!(get(&readyz, None).await.0, 200);

    let pid = child.id().unwrap().to_string();
    // The shell's builtin `kill`: no dependency on a kill binary.
    let kill = Command::new("sh")
        .args(["-c", "kill -TERM \"$0\"", &pid])
        .status()
        .await
        .unwrap();
    assert!(kill.success());
    let status = agent.next().await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable, "{status:?}");
    let exit = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .expect("exits in time")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
}
