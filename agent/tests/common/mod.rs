//! Test helpers: an in-process coordinator and agents, all on 127.0.0.1.
#![allow(dead_code)]

use std::{net::SocketAddr, sync::Arc, time::Duration};

use k6r_agent::{Agent, Config, State, Unsupported};
use tokio::{net::TcpListener, sync::watch, task::JoinHandle};
use tokio_util::sync::CancellationToken;

pub mod fake;

/// How long any wait in these tests may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(15);

// Not every test file that includes this module uses each.
#[allow(unused_imports)]
pub use k6r_testkit::coordinator::{
    start as start_coordinator, start_on as start_coordinator_on, TestCoordinator,
};

pub fn coordinator_config() -> k6r_coordinator::Config {
    k6r_coordinator::Config::default().with_heartbeat_interval(Duration::from_millis(200))
}

/// An agent config for `coordinator` with quick reconnects.
pub fn agent_config(coordinator: url::Url, name: &str) -> Config {
    Config::default()
        .with_coordinator(coordinator)
        .with_name(name)
        .with_reconnect(Duration::from_millis(20), Duration::from_millis(200))
}

/// An agent running in this process.
pub struct TestAgent {
    pub state: watch::Receiver<State>,
    pub shutdown: CancellationToken,
    pub task: JoinHandle<k6r_agent::Result<()>>,
}

impl TestAgent {
    /// Waits for a state matching `want`; returns it.
    pub async fn until(&mut self, what: &str, want: impl FnMut(&State) -> bool) -> State {
        let mut state = self.state.clone();
        let found = tokio::time::timeout(PATIENCE, async move {
            state.wait_for(want).await.map(|s| s.clone())
        })
        .await;
        match found {
            Ok(state) => state.unwrap(),
            Err(_) => panic!("agent never {what}; last state {:?}", *self.state.borrow()),
        }
    }

    /// Waits until connected; returns the agent id.
    pub async fn until_connected(&mut self) -> String {
        match self
            .until("connected", |s| matches!(s, State::Connected { .. }))
            .await
        {
            State::Connected { agent_id } => agent_id,
            _ => unreachable!(),
        }
    }

    /// Waits until a failed attempt whose error contains `text`.
    pub async fn until_waiting_with(&mut self, text: &str) -> String {
        let state = self
            .until(
                &format!("failed with {text:?}"),
                |s| matches!(s, State::Waiting { error, .. } if error.contains(text)),
            )
            .await;
        match state {
            State::Waiting { error, .. } => error,
            _ => unreachable!(),
        }
    }

    /// Cancels the agent and waits for `run` to return.
    pub async fn stop(self) {
        self.shutdown.cancel();
        tokio::time::timeout(PATIENCE, self.task)
            .await
            .expect("the agent stops in time")
            .unwrap()
            .unwrap();
    }
}

/// Starts an agent (with the placeholder runner) in this process.
pub fn start_agent(config: Config) -> TestAgent {
    start_agent_with(config, Arc::new(Unsupported))
}

/// Starts an agent with `runner` in this process.
pub fn start_agent_with(config: Config, runner: Arc<dyn k6r_agent::Runner>) -> TestAgent {
    let agent = Agent::new(config, runner);
    let state = agent.subscribe();
    let shutdown = CancellationToken::new();
    let task = tokio::spawn(agent.run(shutdown.clone()));
    TestAgent {
        state,
        shutdown,
        task,
    }
}

/// A TCP proxy that can go silent without closing anything, like a cut
/// network: bytes stop flowing both ways and no FIN or RST is sent.
pub struct Blackhole {
    pub addr: SocketAddr,
    cut: CancellationToken,
}

impl Blackhole {
    pub fn url(&self) -> url::Url {
        format!("http://{}", self.addr).parse().unwrap()
    }

    /// From now on nothing passes, on open and new connections alike.
    pub fn cut(&self) {
        self.cut.cancel();
    }
}

/// Starts a proxy on 127.0.0.1:0 forwarding to `target`.
pub async fn start_blackhole(target: SocketAddr) -> Blackhole {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let cut = CancellationToken::new();
    let accept_cut = cut.clone();
    tokio::spawn(async move {
        while let Ok((inbound, _)) = listener.accept().await {
            let Ok(outbound) = tokio::net::TcpStream::connect(target).await else {
                continue;
            };
            let (in_read, in_write) = inbound.into_split();
            let (out_read, out_write) = outbound.into_split();
            tokio::spawn(pump(in_read, out_write, accept_cut.clone()));
            tokio::spawn(pump(out_read, in_write, accept_cut.clone()));
        }
    });
    Blackhole { addr, cut }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    cut: CancellationToken,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = tokio::select! {
            _ = cut.cancelled() => break,
            n = from.read(&mut buf) => match n {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            },
        };
        if cut.is_cancelled() || to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    // Cut: hold both halves open and silent until the test ends.
    std::future::pending::<()>().await;
    drop((from, to));
}

/// A coordinator and `n` agents (named `w0`, `w1`...), all connected.
pub async fn start_cluster(n: usize) -> (TestCoordinator, Vec<TestAgent>) {
    let wanted = std::num::NonZeroUsize::new(n).expect("at least one agent");
    let coordinator = start_coordinator(coordinator_config().with_agents(wanted)).await;
    let agents: Vec<_> = (0..n)
        .map(|i| start_agent(agent_config(coordinator.endpoint(), &format!("w{i}"))))
        .collect();
    coordinator
        .registry
        .wait_for_agents(n, PATIENCE)
        .await
        .unwrap();
    (coordinator, agents)
}
