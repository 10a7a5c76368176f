//! The agent registry: who is connected, since when, and how recently they
//! were heard from.
//!
//! One actor task (`actor`) owns the table. Sessions and REST handlers
//! talk to it through a cloneable [`RegistryHandle`] that sends commands
//! over a bounded channel, each with a oneshot for the reply. The number of
//! connected agents is also published on a `watch` channel, so readiness
//! checks and [`RegistryHandle::wait_for_agents`] never queue behind
//! commands.
//!
//! The registry is also the way to the agents: [`RegistryHandle::send_to`]
//! puts a message on an agent's live session, and
//! [`RegistryHandle::events`] takes what agents send about runs. Those
//! events go to one subscriber (the current run's actor) over a bounded
//! channel: a session waits for room rather than drop a message, so a run
//! that falls behind slows its agents' streams (HTTP/2 flow control) and
//! loses no metric delta, status or RunDone.
//!
//! Invariants the actor keeps:
//! - an agent's id is stable by name for the coordinator's lifetime: a
//!   reconnecting `worker-3` gets the id it had;
//! - at most one live session per name: a second Hello with a name whose
//!   session is alive is refused;
//! - an agent silent for [`MISSED_HEARTBEATS`] intervals is declared lost
//!   and its stream is closed with `UNAVAILABLE`;
//! - a message of an old session (after a reconnect) changes nothing.

mod actor;

use std::{
    fmt,
    time::{Duration, SystemTime},
};

use k6r_proto::v1::{agent_message, CoordinatorMessage};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

use crate::error::{Error, Result};

/// Heartbeat intervals an agent may miss before it is declared lost.
pub const MISSED_HEARTBEATS: u32 = 3;

/// Depth of the command queue; senders wait when it is full.
const COMMAND_BUFFER: usize = 256;

/// Events queued for the subscriber before the sessions wait for room.
pub const EVENT_BUFFER: usize = 1024;

/// Something an agent sent about a run (anything but Hello and heartbeats).
#[derive(Clone, Debug, PartialEq)]
pub struct AgentEvent {
    /// Who sent it.
    pub agent: AgentId,
    /// What it sent.
    pub message: agent_message::Kind,
}

/// The coordinator's id for an agent, stable by name across reconnects.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgentId(String);

impl AgentId {
    /// An id as the registry makes them (`agent-1`).
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The id as text (`agent-1`).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Identifies one session of an agent, so that the late messages of a
/// replaced session are recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionId(u64);

/// A `major.minor.patch` version as the agent reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The text as sent (`0.1.0`, `1.2.3-rc.1`).
    pub text: String,
    /// Its first component: sessions need the coordinator's major.
    pub major: u64,
}

impl Version {
    /// Parses the major out of `text`; `None` unless it starts with
    /// `<digits>.`.
    pub fn parse(text: &str) -> Option<Self> {
        let (major, rest) = text.split_once('.')?;
        if rest.is_empty() {
            return None;
        }
        Some(Self {
            text: text.to_owned(),
            major: major.parse().ok()?,
        })
    }

    /// This coordinator's own version.
    pub fn current() -> Self {
        Self::parse(env!("CARGO_PKG_VERSION")).expect("the crate version is semver")
    }
}

/// What an agent can take on, as it reported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Capacity {
    /// Logical CPUs.
    pub cpus: u32,
    /// Total memory in bytes (0: unknown).
    pub memory_bytes: u64,
    /// A limit on VUs the agent was started with.
    pub max_vus: Option<u64>,
}

/// A validated Hello: the agent's side of registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hello {
    /// The agent's name (`--name`, or its host name).
    pub name: String,
    /// The agent's version.
    pub version: Version,
    /// What it can take on.
    pub capacity: Capacity,
    /// The run the agent was in when it lost its previous session.
    pub resumed_run_id: Option<String>,
}

/// Where an agent is, as far as the registry knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentState {
    /// Its session is open and heartbeats arrive.
    Connected,
    /// It missed [`MISSED_HEARTBEATS`] heartbeats; its session was closed.
    Lost,
    /// It closed its session (shutdown) or the stream broke.
    Disconnected,
}

/// One agent as the registry sees it (a snapshot).
#[derive(Clone, Debug)]
pub struct AgentInfo {
    /// The coordinator's id for it.
    pub id: AgentId,
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: Version,
    /// What it reported it can take on.
    pub capacity: Capacity,
    /// Connected, lost or disconnected.
    pub state: AgentState,
    /// Time since anything was last heard from it.
    pub last_heartbeat_age: Duration,
    /// When its current (or last) session started, coordinator clock.
    pub connected_since: SystemTime,
}

/// Why a Hello was refused; the text goes to the agent in `Refused`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The agent speaks another major version.
    #[error("agent version {agent} is incompatible with coordinator version {coordinator} (the major versions differ)")]
    IncompatibleVersion {
        /// The agent's version.
        agent: String,
        /// The coordinator's version.
        coordinator: String,
    },
    /// An agent with this name is connected.
    #[error(
        "an agent named {name:?} is already connected (as {id}); give each agent its own --name"
    )]
    DuplicateName {
        /// The name asked for.
        name: String,
        /// The id of the live agent holding it.
        id: AgentId,
    },
}

/// A registration the registry accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Registration {
    /// The agent's id.
    pub agent_id: AgentId,
    /// This session's id, to quote in later calls.
    pub session: SessionId,
    /// The interval the agent must heartbeat at.
    pub heartbeat_interval: Duration,
}

/// Why a session ended, as its session task saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Disconnect {
    /// The agent half-closed its stream (a clean goodbye).
    Closed,
    /// The stream failed (reset, broken connection, protocol error).
    Failed(String),
}

/// The registry's way into a session: messages down, and a token that
/// ends the session task and its stream.
#[derive(Clone, Debug)]
pub struct SessionLink {
    /// Messages to the agent (the response stream of its `Session` call).
    pub tx: mpsc::Sender<Result<CoordinatorMessage, tonic::Status>>,
    /// Cancelled when the registry ends the session (agent lost).
    pub close: CancellationToken,
}

pub(crate) enum RegistryCommand {
    Register {
        hello: Hello,
        link: SessionLink,
        reply: oneshot::Sender<Result<Registration, Refusal>>,
    },
    Seen {
        agent: AgentId,
        session: SessionId,
    },
    Disconnected {
        agent: AgentId,
        session: SessionId,
        reason: Disconnect,
    },
    List {
        reply: oneshot::Sender<Vec<AgentInfo>>,
    },
    Link {
        agent: AgentId,
        reply: oneshot::Sender<Option<SessionLink>>,
    },
}

/// A cheap, cloneable handle on the registry actor.
#[derive(Clone, Debug)]
pub struct RegistryHandle {
    tx: mpsc::Sender<RegistryCommand>,
    connected: watch::Receiver<usize>,
    /// The events' subscriber, if any.
    events: Arc<watch::Sender<Option<mpsc::Sender<AgentEvent>>>>,
}

impl RegistryHandle {
    /// Starts the registry actor; it stops when `shutdown` is cancelled
    /// (or every handle is dropped). `heartbeat_interval` is what agents
    /// are asked for and what expiry counts in.
    pub fn spawn(
        heartbeat_interval: Duration,
        shutdown: CancellationToken,
    ) -> (Self, tokio::task::JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(COMMAND_BUFFER);
        let (connected_tx, connected) = watch::channel(0);
        let actor = actor::RegistryActor::new(heartbeat_interval, rx, connected_tx);
        let task = tokio::spawn(actor.run(shutdown));
        let handle = Self {
            tx,
            connected,
            events: Arc::new(watch::Sender::new(None)),
        };
        (handle, task)
    }

    /// Registers an agent's new session, or says why not.
    pub async fn register(
        &self,
        hello: Hello,
        link: SessionLink,
    ) -> Result<Result<Registration, Refusal>> {
        let (reply, rx) = oneshot::channel();
        self.send(RegistryCommand::Register { hello, link, reply })
            .await?;
        rx.await.map_err(|_| Error::RegistryStopped)
    }

    /// Notes that `agent` was heard from on `session` (any message counts).
    pub async fn seen(&self, agent: AgentId, session: SessionId) -> Result<()> {
        self.send(RegistryCommand::Seen { agent, session }).await
    }

    /// Notes that `session` of `agent` ended.
    pub async fn disconnected(
        &self,
        agent: AgentId,
        session: SessionId,
        reason: Disconnect,
    ) -> Result<()> {
        self.send(RegistryCommand::Disconnected {
            agent,
            session,
            reason,
        })
        .await
    }

    /// Every agent known since the coordinator started, ordered by id.
    pub async fn list(&self) -> Result<Vec<AgentInfo>> {
        let (reply, rx) = oneshot::channel();
        self.send(RegistryCommand::List { reply }).await?;
        rx.await.map_err(|_| Error::RegistryStopped)
    }

    /// Sends `message` down `agent`'s live session, waiting for room in
    /// its queue.
    pub async fn send_to(
        &self,
        agent: &AgentId,
        message: impl Into<CoordinatorMessage>,
    ) -> Result<()> {
        let (reply, rx) = oneshot::channel();
        self.send(RegistryCommand::Link {
            agent: agent.clone(),
            reply,
        })
        .await?;
        let not_connected = || Error::AgentNotConnected {
            agent: agent.clone(),
        };
        let link = rx
            .await
            .map_err(|_| Error::RegistryStopped)?
            .ok_or_else(not_connected)?;
        // Sent outside the actor: a slow agent must not stall the registry.
        tokio::select! {
            _ = link.close.cancelled() => Err(not_connected()),
            sent = link.tx.send(Ok(message.into())) => sent.map_err(|_| not_connected()),
        }
    }

    /// Takes what agents send about runs from now on, every message in
    /// order; the previous subscriber's stream ends (a new run replaces
    /// the last). While no one subscribes, events are dropped: no run
    /// wants them.
    pub fn events(&self) -> mpsc::Receiver<AgentEvent> {
        let (tx, rx) = mpsc::channel(EVENT_BUFFER);
        self.events.send_replace(Some(tx));
        rx
    }

    /// Passes an agent's message to the subscriber, waiting for room in
    /// its queue (never dropping it while the subscriber lives).
    pub(crate) async fn publish(&self, event: AgentEvent) {
        let subscriber = self.events.borrow().clone();
        if let Some(subscriber) = subscriber {
            let _ = subscriber.send(event).await;
        }
    }

    /// Agents connected now.
    pub fn connected(&self) -> usize {
        *self.connected.borrow()
    }

    /// Follows the number of connected agents (to notice a loss at once).
    pub fn subscribe(&self) -> watch::Receiver<usize> {
        self.connected.clone()
    }

    /// Waits until at least `wanted` agents are connected, for at most
    /// `timeout`; returns how many are. The error says how many arrived.
    pub async fn wait_for_agents(&self, wanted: usize, timeout: Duration) -> Result<usize> {
        let mut connected = self.connected.clone();
        let waited = tokio::time::timeout(timeout, async {
            connected.wait_for(|n| *n >= wanted).await.map(|n| *n)
        })
        .await;
        match waited {
            Ok(Ok(n)) => Ok(n),
            Ok(Err(_)) => Err(Error::RegistryStopped),
            Err(_) => Err(Error::AgentsMissing {
                connected: self.connected(),
                wanted,
                waited: timeout,
            }),
        }
    }

    async fn send(&self, command: RegistryCommand) -> Result<()> {
        self.tx
            .send(command)
            .await
            .map_err(|_| Error::RegistryStopped)
    }
}

#[cfg(test)]
mod tests;
