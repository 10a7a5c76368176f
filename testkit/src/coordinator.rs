//! A coordinator running in the test's own process, on 127.0.0.1.

use std::net::SocketAddr;
use std::time::Duration;

use k6r_coordinator::{Config, RegistryHandle, Server};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long [`TestCoordinator::until_connected`] waits.
const PATIENCE: Duration = Duration::from_secs(15);

/// A coordinator serving on [`TestCoordinator::addr`].
#[derive(Debug)]
pub struct TestCoordinator {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its agent registry.
    pub registry: RegistryHandle,
    /// Cancel to shut it down.
    pub shutdown: CancellationToken,
    /// Its server, until it returns.
    pub task: JoinHandle<k6r_coordinator::Result<()>>,
}

impl TestCoordinator {
    /// `http://ADDR{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `http://ADDR`, as agents are configured with it.
    pub fn endpoint(&self) -> url::Url {
        self.url("").parse().expect("a URL")
    }

    /// Shuts down and waits for the server to return.
    pub async fn stop(self) {
        self.shutdown.cancel();
        self.task.await.unwrap().unwrap();
    }

    /// Waits (15 s at most) until exactly `n` agents are connected.
    pub async fn until_connected(&self, n: usize) {
        let mut rx = self.registry.subscribe();
        tokio::time::timeout(PATIENCE, rx.wait_for(|c| *c == n))
            .await
            .unwrap_or_else(|_| panic!("never {n} agents connected"))
            .unwrap();
    }
}

/// Starts a coordinator with `config` on 127.0.0.1, port 0.
pub async fn start(config: Config) -> TestCoordinator {
    start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
}

/// Starts a coordinator on `addr` (a restart on a port it had before).
pub async fn start_on(config: Config, addr: SocketAddr) -> TestCoordinator {
    let listener = TcpListener::bind(addr).await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = Server::new(config, shutdown.clone());
    let registry = server.registry().clone();
    let task = tokio::spawn(server.serve(listener));
    TestCoordinator {
        addr,
        registry,
        shutdown,
        task,
    }
}
