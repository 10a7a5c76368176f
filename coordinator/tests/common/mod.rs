//! Test helpers: an in-process coordinator on 127.0.0.1:0 and a fake agent
//! speaking the raw protocol.
#![allow(dead_code)]

use std::{net::SocketAddr, time::Duration};

use k6r_coordinator::Config;
use k6r_proto::v1::{
    agent_service_client::AgentServiceClient, coordinator_message::Kind, AgentMessage, Capacity,
    CoordinatorMessage, Hello, Refused, Welcome,
};
use tokio::{sync::mpsc, task::JoinHandle};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{metadata::MetadataValue, Status, Streaming};

// Not every test file that includes this module uses each.
#[allow(unused_imports)]
pub use k6r_testkit::coordinator::{start as start_coordinator, TestCoordinator};

/// A config for tests (the listen address is unused: we bind port 0).
/// A shutdown does not wait for a run the fake agents would never end.
pub fn config() -> Config {
    Config::default()
        .with_listen(SocketAddr::from(([127, 0, 0, 1], 0)))
        .with_shutdown_timeout(Duration::from_millis(200))
}

pub fn hello(name: &str) -> Hello {
    Hello {
        name: name.into(),
        version: env!("CARGO_PKG_VERSION").into(),
        capacity: Some(Capacity {
            cpus: 2,
            memory_bytes: 1 << 30,
            max_vus: 0,
        }),
        resumed_run_id: String::new(),
    }
}

/// An agent speaking the raw protocol, so tests choose every message.
pub struct FakeAgent {
    pub tx: mpsc::Sender<AgentMessage>,
    pub inbound: Streaming<CoordinatorMessage>,
}

impl FakeAgent {
    /// Opens a session and sends `hello` first.
    pub async fn connect(
        addr: SocketAddr,
        first: AgentMessage,
        token: Option<&str>,
    ) -> Result<Self, Status> {
        let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .unwrap();
        let bearer: Option<MetadataValue<_>> =
            token.map(|t| format!("Bearer {t}").parse().unwrap());
        let mut client =
            AgentServiceClient::with_interceptor(channel, move |mut request: tonic::Request<()>| {
                if let Some(bearer) = &bearer {
                    request
                        .metadata_mut()
                        .insert("authorization", bearer.clone());
                }
                Ok(request)
            });
        let (tx, rx) = mpsc::channel(16);
        tx.send(first).await.unwrap();
        let inbound = client.session(ReceiverStream::new(rx)).await?.into_inner();
        Ok(Self { tx, inbound })
    }

    /// Connects with `hello(name)` and expects Welcome.
    pub async fn welcomed(addr: SocketAddr, name: &str) -> (Self, Welcome) {
        let mut agent = Self::connect(addr, hello(name).into(), None).await.unwrap();
        let welcome = agent.welcome().await;
        (agent, welcome)
    }

    pub async fn next(&mut self) -> Result<Option<Kind>, Status> {
        Ok(self.inbound.message().await?.and_then(|m| m.kind))
    }

    pub async fn welcome(&mut self) -> Welcome {
        match self.next().await {
            Ok(Some(Kind::Welcome(w))) => w,
            other => panic!("expected Welcome, got {other:?}"),
        }
    }

    pub async fn refused(&mut self) -> Refused {
        match self.next().await {
            Ok(Some(Kind::Refused(r))) => r,
            other => panic!("expected Refused, got {other:?}"),
        }
    }
}

/// GETs `url` with an optional bearer token: (status, body).
pub async fn get(url: &str, token: Option<&str>) -> (u16, String) {
    let mut request = reqwest::Client::new().get(url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Sends `body` as JSON with `method` to `url`: (status, body).
pub async fn send_json(method: &str, url: &str, body: &serde_json::Value) -> (u16, String) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let response = reqwest::Client::new()
        .request(method, url)
        .header("content-type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// How long a test waits for any one message.
pub const STEP: Duration = Duration::from_secs(10);

impl FakeAgent {
    /// Sends one message up.
    pub async fn send(&self, message: impl Into<AgentMessage>) {
        self.tx.send(message.into()).await.unwrap();
    }

    /// The next message down that `pick` accepts (others are skipped), for
    /// at most [`STEP`].
    pub async fn expect<T>(&mut self, what: &str, pick: impl Fn(Kind) -> Option<T>) -> T {
        tokio::time::timeout(STEP, async {
            loop {
                match self.next().await {
                    Ok(Some(kind)) => {
                        if let Some(t) = pick(kind) {
                            return t;
                        }
                    }
                    other => panic!("expected {what}, the stream gave {other:?}"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no {what} within {STEP:?}"))
    }

    /// Sends a heartbeat every `every` until the returned task is aborted.
    pub fn heartbeat(&self, every: Duration) -> JoinHandle<()> {
        let tx = self.tx.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                let beat = k6r_proto::v1::Heartbeat::from(std::time::SystemTime::now());
                if tx.send(beat.into()).await.is_err() {
                    return;
                }
            }
        })
    }
}
