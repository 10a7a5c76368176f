//! The listener: gRPC for the agents and REST for people, one axum app on
//! one port, with one access check and one graceful shutdown.
//!
//! Shutdown order: the caller's token first drains the runs (no new run
//! starts; the active one is stopped as a `stopped: true` would stop it,
//! exit 105, and its result stays readable until its submitter read it,
//! for at most `--shutdown-timeout`); then the accept loop stops and every
//! agent session ends (each gets `UNAVAILABLE: the coordinator is shutting
//! down`), and open connections drain for at most [`DRAIN_TIMEOUT`].
//!
//! The dashboard's sampler and every dashboard viewer's event stream end
//! when everything stops (after the runs drained, so viewers see the run
//! stop): an open dashboard never holds the drain.
//!
//! Connections are served by `k6r-listen`: read timeouts, and a cap on
//! connections with no request in flight (half the open-file limit), so
//! slow or idle clients never keep agents and `/healthz` out.

use std::{sync::Arc, time::Duration};

use axum::Router;
use k6r_proto::v1::agent_service_server::AgentServiceServer;
use tokio::{net::TcpListener, task::JoinHandle};
use tokio_util::{sync::CancellationToken, task::TaskTracker};
use tonic::server::NamedService;

use crate::{
    auth,
    config::Config,
    error::{Error, Result},
    grpc,
    registry::RegistryHandle,
    rest,
    run::{RunsHandle, Settings},
};

/// The longest wait for open connections and sessions after shutdown.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);

/// A coordinator whose registry is running, ready to serve a listener.
#[derive(Debug)]
pub struct Server {
    config: Config,
    registry: RegistryHandle,
    registry_task: JoinHandle<()>,
    runs: RunsHandle,
    control: k6r_rest::Control,
    dashboard: k6r_dashboard::Dashboard,
    dashboard_task: JoinHandle<()>,
    /// Asks for shutdown (the caller's).
    shutdown: CancellationToken,
    /// Stops everything, once the runs drained.
    stop: CancellationToken,
    sessions: TaskTracker,
}

impl Server {
    /// Starts the registry; everything stops after `shutdown` is
    /// cancelled and the runs drained.
    pub fn new(config: Config, shutdown: CancellationToken) -> Self {
        let stop = CancellationToken::new();
        let (registry, registry_task) =
            RegistryHandle::spawn(config.heartbeat_interval, stop.clone());
        let settings = Settings {
            agents: config.agents.get(),
            agents_timeout: config.agents_timeout,
            start_delay: config.start_delay,
            change_delay: config.change_delay,
        };
        let (runs, _) = RunsHandle::spawn(registry.clone(), settings, stop.clone());
        // k6's control API answers for the current run; its task ends when
        // the server (holding the last `Control`) is dropped.
        // The dashboard samples the same cluster.
        let cluster = rest::cluster::Cluster::new(runs.clone(), registry.clone());
        let (control, _) = k6r_rest::spawn(cluster.clone());
        let (dashboard, dashboard_task) =
            k6r_dashboard::Dashboard::spawn(cluster, k6r_dashboard::SAMPLE_PERIOD, stop.clone());
        Self {
            config,
            registry,
            registry_task,
            runs,
            control,
            dashboard,
            dashboard_task,
            shutdown,
            stop,
            sessions: TaskTracker::new(),
        }
    }

    /// The agent registry (for `wait_for_agents` and listings).
    pub fn registry(&self) -> &RegistryHandle {
        &self.registry
    }

    /// The runs (submission, views).
    pub fn runs(&self) -> &RunsHandle {
        &self.runs
    }

    /// The whole app: gRPC, REST (k6r's and k6's), the dashboard and the
    /// access check.
    /// Unknown paths get k6's answers (`404 page not found` under `/v1/`).
    fn app(&self) -> Router {
        let grpc = AgentServiceServer::new(grpc::Service::new(
            self.registry.clone(),
            self.stop.clone(),
            self.sessions.clone(),
        ))
        .max_decoding_message_size(k6r_proto::MAX_MESSAGE)
        .max_encoding_message_size(k6r_proto::MAX_MESSAGE);
        let rest = rest::router(rest::State {
            registry: self.registry.clone(),
            wanted: self.config.agents,
            runs: self.runs.clone(),
            max_bundle: self.config.max_bundle,
        });
        let app = rest
            .route_service(
                &format!("/{}/{{*method}}", AgentServiceServer::<grpc::Service>::NAME),
                grpc,
            )
            .merge(k6r_rest::router(self.control.clone()))
            .merge(self.dashboard.clone().router());
        match &self.config.token {
            Some(token) => app.layer(axum::middleware::from_fn_with_state(
                Arc::new(token.clone()),
                auth::require_token,
            )),
            None => app,
        }
    }

    /// Serves `listener` until shutdown, then drains. Fails when the
    /// registry dies before shutdown: a coordinator without it is useless.
    pub async fn serve(self, listener: TcpListener) -> Result<()> {
        let app = self.app();
        if let Ok(addr) = listener.local_addr() {
            tracing::info!(%addr, "serving agents (gRPC) and REST");
        }
        let runs_timeout = self.config.shutdown_timeout;
        let self_limits = k6r_listen::Limits::for_this_process();
        let Self {
            mut registry_task,
            mut dashboard_task,
            runs,
            shutdown,
            stop,
            sessions,
            ..
        } = self;
        let stopping = stop.clone();
        let draining = async move {
            shutdown.cancelled().await;
            tracing::info!("shutting down: stopping the active run");
            if tokio::time::timeout(runs_timeout, runs.drain())
                .await
                .is_err()
            {
                tracing::warn!(
                    "the active run did not end within {} of shutdown (--shutdown-timeout); ending it",
                    humantime::format_duration(runs_timeout)
                );
            }
            stopping.cancel();
        };
        let serve = k6r_listen::serve(listener, app, self_limits, draining);
        let supervise = async {
            tokio::select! {
                failed = supervise(&mut registry_task, "agent registry", stop.clone()) => failed,
                failed = supervise(&mut dashboard_task, "dashboard", stop.clone()) => failed,
            }
        };
        let deadline = async {
            stop.cancelled().await;
            tokio::time::sleep(DRAIN_TIMEOUT).await;
        };
        tokio::select! {
            () = serve => {}
            failed = supervise => return Err(failed),
            _ = deadline => tracing::warn!(
                "connections still open {} after shutdown; closing them",
                humantime::format_duration(DRAIN_TIMEOUT)
            ),
        }
        // The sampler ended with `stop`; a handle that saw it end was
        // awaited by `supervise` and must not be polled again.
        if !dashboard_task.is_finished()
            && tokio::time::timeout(DRAIN_TIMEOUT, dashboard_task)
                .await
                .is_err()
        {
            tracing::warn!("the dashboard sampler still running after shutdown; leaving it");
        }
        sessions.close();
        if tokio::time::timeout(DRAIN_TIMEOUT, sessions.wait())
            .await
            .is_err()
        {
            tracing::warn!("agent sessions still ending after shutdown; leaving them");
        }
        tracing::info!("coordinator stopped");
        Ok(())
    }
}

/// Resolves only when `task` ended before shutdown.
async fn supervise(
    task: &mut JoinHandle<()>,
    name: &'static str,
    shutdown: CancellationToken,
) -> Error {
    let reason = match task.await {
        Ok(()) if shutdown.is_cancelled() => return std::future::pending().await,
        Ok(()) => "it stopped before shutdown".to_owned(),
        Err(join) => join.to_string(),
    };
    Error::TaskFailed { task: name, reason }
}
