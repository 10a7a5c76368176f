//! The task that owns the agent table.

use std::{
    collections::{BTreeMap, HashMap},
    time::{Duration, SystemTime},
};

use tokio::{
    sync::{mpsc, watch},
    time::Instant,
};
use tokio_util::sync::CancellationToken;

use super::{
    AgentId, AgentInfo, AgentState, Capacity, Disconnect, Hello, Refusal, Registration,
    RegistryCommand, SessionId, SessionLink, Version, MISSED_HEARTBEATS,
};

struct Entry {
    id: AgentId,
    name: String,
    version: Version,
    capacity: Capacity,
    state: AgentState,
    /// `Some` exactly while `state` is `Connected`.
    session: Option<(SessionId, SessionLink)>,
    last_seen: Instant,
    connected_since: SystemTime,
}

pub(super) struct RegistryActor {
    heartbeat_interval: Duration,
    commands: mpsc::Receiver<RegistryCommand>,
    connected: watch::Sender<usize>,
    agents: BTreeMap<AgentId, Entry>,
    by_name: HashMap<String, AgentId>,
    next_agent: u64,
    next_session: u64,
    coordinator_version: Version,
}

impl RegistryActor {
    pub(super) fn new(
        heartbeat_interval: Duration,
        commands: mpsc::Receiver<RegistryCommand>,
        connected: watch::Sender<usize>,
    ) -> Self {
        Self {
            heartbeat_interval,
            commands,
            connected,
            agents: BTreeMap::new(),
            by_name: HashMap::new(),
            next_agent: 1,
            next_session: 1,
            coordinator_version: Version::current(),
        }
    }

    pub(super) async fn run(mut self, shutdown: CancellationToken) {
        loop {
            let expiry = self.next_expiry();
            tokio::select! {
                _ = shutdown.cancelled() => break,
                command = self.commands.recv() => match command {
                    Some(command) => self.handle(command),
                    None => break,
                },
                _ = sleep_until(expiry) => self.expire(Instant::now()),
            }
        }
        // Dropping the table drops every session's sender; the session
        // tasks end on the same shutdown token.
        tracing::debug!("agent registry stopped");
    }

    fn handle(&mut self, command: RegistryCommand) {
        match command {
            RegistryCommand::Register { hello, link, reply } => {
                let outcome = self.register(hello, link);
                // The session task may have given up waiting; nothing to do.
                let _ = reply.send(outcome);
            }
            RegistryCommand::Seen { agent, session } => {
                if let Some(entry) = self.live(&agent, session) {
                    entry.last_seen = Instant::now();
                }
            }
            RegistryCommand::Disconnected {
                agent,
                session,
                reason,
            } => {
                if let Some(entry) = self.live(&agent, session) {
                    entry.state = AgentState::Disconnected;
                    entry.session = None;
                    match &reason {
                        Disconnect::Closed => {
                            tracing::info!(agent = %agent, name = %entry.name, "agent disconnected")
                        }
                        Disconnect::Failed(why) => {
                            tracing::warn!(agent = %agent, name = %entry.name, "agent session failed: {why}")
                        }
                    }
                    self.publish();
                }
            }
            RegistryCommand::Link { agent, reply } => {
                let link = self
                    .agents
                    .get(&agent)
                    .and_then(|e| e.session.as_ref())
                    .map(|(_, link)| link.clone());
                let _ = reply.send(link);
            }
            RegistryCommand::List { reply } => {
                let now = Instant::now();
                let _ = reply.send(self.agents.values().map(|e| info(e, now)).collect());
            }
        }
    }

    fn register(&mut self, hello: Hello, link: SessionLink) -> Result<Registration, Refusal> {
        if hello.version.major != self.coordinator_version.major {
            tracing::warn!(name = %hello.name, version = %hello.version.text, "refused an agent of another major version");
            return Err(Refusal::IncompatibleVersion {
                agent: hello.version.text,
                coordinator: self.coordinator_version.text.clone(),
            });
        }
        let id = match self.by_name.get(&hello.name) {
            Some(id) => {
                let entry = &self.agents[id];
                if entry.state == AgentState::Connected {
                    tracing::warn!(name = %hello.name, agent = %id, "refused a second agent with a live agent's name");
                    return Err(Refusal::DuplicateName {
                        name: hello.name,
                        id: id.clone(),
                    });
                }
                id.clone()
            }
            None => {
                let id = AgentId::new(format!("agent-{}", self.next_agent));
                self.next_agent += 1;
                self.by_name.insert(hello.name.clone(), id.clone());
                id
            }
        };
        let session = SessionId(self.next_session);
        self.next_session += 1;
        tracing::info!(
            agent = %id,
            name = %hello.name,
            version = %hello.version.text,
            cpus = hello.capacity.cpus,
            resumed_run = hello.resumed_run_id.as_deref().unwrap_or(""),
            "agent connected"
        );
        self.agents.insert(
            id.clone(),
            Entry {
                id: id.clone(),
                name: hello.name,
                version: hello.version,
                capacity: hello.capacity,
                state: AgentState::Connected,
                session: Some((session, link)),
                last_seen: Instant::now(),
                connected_since: SystemTime::now(),
            },
        );
        self.publish();
        Ok(Registration {
            agent_id: id,
            session,
            heartbeat_interval: self.heartbeat_interval,
        })
    }

    /// The entry of `agent` if `session` is its live session.
    fn live(&mut self, agent: &AgentId, session: SessionId) -> Option<&mut Entry> {
        self.agents
            .get_mut(agent)
            .filter(|e| matches!(&e.session, Some((s, _)) if *s == session))
    }

    fn lost_after(&self) -> Duration {
        self.heartbeat_interval * MISSED_HEARTBEATS
    }

    fn next_expiry(&self) -> Option<Instant> {
        let lost_after = self.lost_after();
        self.agents
            .values()
            .filter(|e| e.state == AgentState::Connected)
            .map(|e| e.last_seen + lost_after)
            .min()
    }

    fn expire(&mut self, now: Instant) {
        let lost_after = self.lost_after();
        let mut changed = false;
        for entry in self.agents.values_mut() {
            if entry.state != AgentState::Connected || now < entry.last_seen + lost_after {
                continue;
            }
            let silent = now - entry.last_seen;
            tracing::warn!(
                agent = %entry.id,
                name = %entry.name,
                "agent lost: no heartbeat for {}",
                humantime::format_duration(silent)
            );
            entry.state = AgentState::Lost;
            if let Some((_, link)) = entry.session.take() {
                // The status goes out before the stream ends: the session's
                // senders are dropped below and by its task on `close`.
                let _ = link.tx.try_send(Err(tonic::Status::unavailable(format!(
                    "no heartbeat for {}: declared lost ({MISSED_HEARTBEATS} intervals of {} missed)",
                    humantime::format_duration(silent),
                    humantime::format_duration(self.heartbeat_interval),
                ))));
                link.close.cancel();
            }
            changed = true;
        }
        if changed {
            self.publish();
        }
    }

    fn publish(&self) {
        let connected = self
            .agents
            .values()
            .filter(|e| e.state == AgentState::Connected)
            .count();
        self.connected
            .send_if_modified(|n| std::mem::replace(n, connected) != connected);
    }
}

fn info(entry: &Entry, now: Instant) -> AgentInfo {
    AgentInfo {
        id: entry.id.clone(),
        name: entry.name.clone(),
        version: entry.version.clone(),
        capacity: entry.capacity,
        state: entry.state,
        last_heartbeat_age: now.saturating_duration_since(entry.last_seen),
        connected_since: entry.connected_since,
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
