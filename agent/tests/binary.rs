//! The real `k6r-agent` binary: registers with an in-process coordinator
//! and leaves cleanly on SIGTERM.

mod common;

use std::process::Stdio;

use common::{coordinator_config, start_coordinator, PATIENCE};
use k6r_coordinator::registry::AgentState;
use tokio::process::Command;

#[tokio::test]
async fn the_binary_registers_and_leaves_on_sigterm() {
    let coordinator = start_coordinator(coordinator_config()).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_k6r-agent"))
        .args([
            "--coordinator",
            coordinator.endpoint().as_str(),
            "--name",
            "bin-agent",
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    coordinator
        .registry
        .wait_for_agents(1, PATIENCE)
        .await
        .unwrap();
    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(agents[0].name, "bin-agent");

    let pid = child.id().unwrap().to_string();
    // The shell's builtin `kill`: no dependency on a kill binary.
    let kill = Command::new("sh")
        .args(["-c", "kill -TERM \"$0\"", &pid])
        .status()
        .await
        .unwrap();
    assert!(kill.success());
    let exit = tokio::time::timeout(PATIENCE, child.wait())
        .await
        .expect("exits in time")
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    coordinator.until_connected(0).await;
    let agents = coordinator.registry.list().await.unwrap();
    assert_eq!(agents[0].state, AgentState::Disconnected);
    coordinator.stop().await;
}

#[tokio::test]
async fn the_binary_refuses_bad_flags_with_one_line() {
    let output = Command::new(env!("CARGO_BIN_EXE_k6r-agent"))
        .args(["--coordinator", "https://example.invalid:1"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.starts_with("k6r-agent: invalid configuration: --coordinator"),
        "{stderr}"
    );
}
