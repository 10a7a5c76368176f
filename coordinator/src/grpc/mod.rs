//! The `k6r.v1.AgentService` endpoint: one `Session` stream per agent.
//!
//! Handlers stay thin: `session` validates the Hello, hands it to the
//! registry and then forwards what the agent sends; state lives in the
//! registry actor.

mod session;

use k6r_proto::v1::{agent_service_server::AgentService, AgentMessage};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tonic::{Request, Response, Status, Streaming};

use crate::registry::RegistryHandle;

pub use session::{SessionStream, HELLO_TIMEOUT};

/// The gRPC service the agents talk to.
#[derive(Clone, Debug)]
pub struct Service {
    registry: RegistryHandle,
    shutdown: CancellationToken,
    tasks: TaskTracker,
}

impl Service {
    /// A service registering agents in `registry`; every session ends on
    /// `shutdown`, and its task is tracked in `tasks` for draining.
    pub fn new(registry: RegistryHandle, shutdown: CancellationToken, tasks: TaskTracker) -> Self {
        Self {
            registry,
            shutdown,
            tasks,
        }
    }
}

#[tonic::async_trait]
impl AgentService for Service {
    type SessionStream = SessionStream;

    async fn session(
        &self,
        request: Request<Streaming<AgentMessage>>,
    ) -> Result<Response<Self::SessionStream>, Status> {
        session::open(self, request).await
    }
}
