//! One agent's session: Hello → Welcome (or Refused), then heartbeats and
//! whatever else the agent sends, until either side ends it.

use std::time::{Duration, SystemTime};

use k6r_proto::v1::{agent_message::Kind, AgentMessage, CoordinatorMessage, Refused, Welcome};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

use super::Service;
use crate::registry::{AgentEvent, Disconnect, Hello, Registration, SessionLink};

/// How long an agent has to send its Hello after opening the stream.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// Depth of a session's outgoing queue.
const OUTBOUND_BUFFER: usize = 32;

/// The coordinator's half of a session stream.
pub type SessionStream = ReceiverStream<Result<CoordinatorMessage, Status>>;

pub(super) async fn open(
    service: &Service,
    request: Request<Streaming<AgentMessage>>,
) -> Result<Response<SessionStream>, Status> {
    let peer = request.remote_addr();
    let mut inbound = request.into_inner();
    let hello = read_hello(&mut inbound).await?;
    let (tx, rx) = mpsc::channel(OUTBOUND_BUFFER);
    let link = SessionLink {
        tx: tx.clone(),
        close: service.shutdown.child_token(),
    };
    let close = link.close.clone();
    match service.registry.register(hello, link).await? {
        Ok(registration) => {
            let welcome = Welcome::new(
                registration.agent_id.as_str(),
                registration.heartbeat_interval,
                SystemTime::now(),
            );
            // The queue is empty, so this cannot wait.
            let _ = tx.try_send(Ok(welcome.into()));
            tracing::debug!(agent = %registration.agent_id, ?peer, "session open");
            let registry = service.registry.clone();
            let shutdown = service.shutdown.clone();
            service.tasks.spawn(async move {
                let reason = drive(&registry, &registration, inbound, &tx, &close, &shutdown).await;
                if let Some(reason) = reason {
                    // Stopped registry: nothing left to tell.
                    let _ = registry
                        .disconnected(registration.agent_id, registration.session, reason)
                        .await;
                }
            });
        }
        Err(refusal) => {
            let _ = tx.try_send(Ok(Refused::from(refusal).into()));
        }
    }
    Ok(Response::new(ReceiverStream::new(rx)))
}

async fn read_hello(inbound: &mut Streaming<AgentMessage>) -> Result<Hello, Status> {
    let first = tokio::time::timeout(HELLO_TIMEOUT, inbound.message())
        .await
        .map_err(|_| {
            Status::deadline_exceeded(format!(
                "no Hello within {}",
                humantime::format_duration(HELLO_TIMEOUT)
            ))
        })??;
    match first.and_then(|m| m.kind) {
        Some(Kind::Hello(hello)) => {
            Hello::try_from(hello).map_err(|e| Status::invalid_argument(format!("Hello: {e}")))
        }
        Some(_) => Err(Status::failed_precondition(
            "the first message of a session must be Hello",
        )),
        None => Err(Status::invalid_argument(
            "the session ended (or sent an empty message) before Hello",
        )),
    }
}

/// Reads the agent's messages until the session ends. `None`: the registry
/// ended it (agent lost) and already knows.
#[tracing::instrument(name = "session", skip_all, fields(agent = %registration.agent_id))]
async fn drive(
    registry: &crate::registry::RegistryHandle,
    registration: &Registration,
    mut inbound: Streaming<AgentMessage>,
    tx: &mpsc::Sender<Result<CoordinatorMessage, Status>>,
    close: &tokio_util::sync::CancellationToken,
    shutdown: &tokio_util::sync::CancellationToken,
) -> Option<Disconnect> {
    let agent = &registration.agent_id;
    loop {
        tokio::select! {
            _ = close.cancelled() => {
                if shutdown.is_cancelled() {
                    let _ = tx.try_send(Err(Status::unavailable("the coordinator is shutting down")));
                    return Some(Disconnect::Failed("the coordinator is shutting down".into()));
                }
                return None;
            }
            message = inbound.message() => match message {
                Ok(Some(message)) => {
                    if registry.seen(agent.clone(), registration.session).await.is_err() {
                        return None;
                    }
                    match message.kind {
                        Some(Kind::Heartbeat(_)) | None => {}
                        Some(Kind::Hello(_)) => {
                            let _ = tx.try_send(Err(Status::failed_precondition("Hello sent twice in one session")));
                            return Some(Disconnect::Failed("Hello sent twice".into()));
                        }
                        // Run messages go to whoever follows the events
                        // (the run actor, when run submission arrives).
                        // Waits for room: nothing is dropped.
                        Some(message) => registry.publish(AgentEvent { agent: agent.clone(), message }).await,
                    }
                }
                Ok(None) => return Some(Disconnect::Closed),
                Err(status) => return Some(Disconnect::Failed(status.message().to_owned())),
            },
        }
    }
}
