//! A coordinator limited to 256 open files, flooded with connections that
//! send half a request and wait (issue 13, point 7): it closes the ones
//! that waited longest, says so, and an agent and `/healthz` still get in.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

use k6r_e2e::{bin, get, Cluster};

/// More than the coordinator has files for.
const FLOOD: usize = 300;

#[test]
fn a_flood_of_half_requests_keeps_neither_agents_nor_probes_out() {
    let mut command = Command::new("prlimit");
    command
        .arg("--nofile=256:256")
        .arg("--")
        .arg(bin("k6r-coordinator"));
    let mut cluster = Cluster::coordinator(command, 1);
    let addr = cluster.addr;

    let mut flood = Vec::with_capacity(FLOOD);
    for _ in 0..FLOOD {
        let mut stream = TcpStream::connect(addr).expect("the listen backlog takes it");
        stream
            .write_all(b"GET /v1/status HTTP/1.1\r\nhost: k6r\r\n")
            .unwrap();
        flood.push(stream);
    }

    // The oldest half request is closed without an answer.
    let first = &mut flood[0];
    first
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut answer = Vec::new();
    match first.read_to_end(&mut answer) {
        Ok(_) => {}
        // Closed before the coordinator read the half request: the kernel
        // resets a socket closed with bytes unread, and nothing came first.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the coordinator closes the oldest waiting connection: {e}"),
    }
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));

    let (status, body) = get(addr, "/healthz").expect("/healthz answers during the flood");
    assert_eq!(status, 200, "{body}");
    cluster.add_agent("agent-1");
    cluster.wait_ready();

    drop(flood);
    let stderr = cluster.coordinator.stderr();
    assert!(
        stderr.contains("waiting connection(s) closed")
            && stderr.contains("is the limit (half the open-file limit)"),
        "{stderr}"
    );
}
