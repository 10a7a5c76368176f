//! A fake coordinator: a bare tonic `AgentService` on 127.0.0.1:0 that
//! welcomes every agent and hands the test each session, so the test
//! sends the run messages itself and reads what the agent answers.

use std::{net::SocketAddr, time::Duration};

use k6r_proto::v1::{
    agent_message,
    agent_service_server::{AgentService, AgentServiceServer},
    coordinator_message, AgentMessage, CoordinatorMessage, Hello, Welcome,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::PATIENCE;

/// The fake's address and the sessions agents opened, in order.
pub struct Fake {
    pub addr: SocketAddr,
    sessions: mpsc::UnboundedReceiver<Session>,
}

impl Fake {
    pub fn url(&self) -> url::Url {
        format!("http://{}", self.addr).parse().unwrap()
    }

    /// The next session an agent opens.
    pub async fn session(&mut self) -> Session {
        tokio::time::timeout(PATIENCE, self.sessions.recv())
            .await
            .expect("an agent opens a session in time")
            .expect("the fake is running")
    }
}

/// One agent's session, seen from the coordinator.
pub struct Session {
    pub hello: Hello,
    down: Option<mpsc::Sender<Result<CoordinatorMessage, Status>>>,
    up: mpsc::UnboundedReceiver<AgentMessage>,
}

impl Session {
    /// Sends a message to the agent.
    pub async fn send(&self, kind: coordinator_message::Kind) {
        self.down
            .as_ref()
            .expect("the session is open")
            .send(Ok(CoordinatorMessage { kind: Some(kind) }))
            .await
            .expect("the agent listens");
    }

    /// The agent's next message other than a heartbeat.
    pub async fn recv(&mut self) -> agent_message::Kind {
        self.recv_within(PATIENCE)
            .await
            .expect("the agent says something in time")
    }

    /// Like `recv`, `None` when nothing came within `patience` (or the
    /// agent's stream ended).
    pub async fn recv_within(&mut self, patience: Duration) -> Option<agent_message::Kind> {
        let next = async {
            loop {
                match self.up.recv().await?.kind {
                    Some(agent_message::Kind::Heartbeat(_)) | None => continue,
                    Some(kind) => return Some(kind),
                }
            }
        };
        tokio::time::timeout(patience, next).await.ok().flatten()
    }

    /// Ends the coordinator's side of the stream, as a vanished
    /// coordinator would.
    pub fn close(&mut self) {
        self.down = None;
    }
}

struct Service {
    sessions: mpsc::UnboundedSender<Session>,
}

#[tonic::async_trait]
impl AgentService for Service {
    type SessionStream = ReceiverStream<Result<CoordinatorMessage, Status>>;

    async fn session(
        &self,
        request: Request<Streaming<AgentMessage>>,
    ) -> Result<Response<Self::SessionStream>, Status> {
        let mut inbound = request.into_inner();
        let (down, rx) = mpsc::channel(64);
        let sessions = self.sessions.clone();
        tokio::spawn(async move {
            let Ok(Some(AgentMessage {
                kind: Some(agent_message::Kind::Hello(hello)),
            })) = inbound.message().await
            else {
                return;
            };
            let welcome = Welcome::new(
                format!("id-{}", hello.name),
                Duration::from_millis(200),
                std::time::SystemTime::now(),
            );
            let welcome = CoordinatorMessage {
                kind: Some(coordinator_message::Kind::Welcome(welcome)),
            };
            if down.send(Ok(welcome)).await.is_err() {
                return;
            }
            let (up_tx, up) = mpsc::unbounded_channel();
            let _ = sessions.send(Session {
                hello,
                down: Some(down),
                up,
            });
            while let Ok(Some(message)) = inbound.message().await {
                if up_tx.send(message).is_err() {
                    break;
                }
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}

/// Starts a fake coordinator on 127.0.0.1:0 (it lives until the test's
/// runtime ends).
pub async fn start() -> Fake {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, sessions) = mpsc::unbounded_channel();
    let service = AgentServiceServer::new(Service { sessions: tx });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    Fake { addr, sessions }
}
