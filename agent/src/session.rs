//! One session with the coordinator: connect, Hello, Welcome (or Refused),
//! then heartbeats up and commands down until either side ends it.

use std::{sync::Arc, time::SystemTime};

use futures_util::Stream;
use k6r_proto::v1::{
    agent_service_client::AgentServiceClient, coordinator_message::Kind, AgentMessage,
    CoordinatorMessage, Heartbeat, Hello, Welcome,
};
use tokio::{
    sync::{mpsc, watch},
    time::{Duration, Instant, MissedTickBehavior},
};
use tokio_util::sync::CancellationToken;
use tonic::{transport::Endpoint, Streaming};

use crate::{
    config::Config,
    error::{chain, Error, Result},
    runner::{Command, Drain, Runner, Uplink},
    system, State,
};

/// Depth of the outgoing queue (heartbeats and the runner's messages).
const OUTBOUND_BUFFER: usize = 64;

/// After a shutdown, how long to wait for the coordinator to close its
/// side, so it records a clean goodbye rather than a broken stream.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// How an established session ended.
#[derive(Debug)]
pub(crate) enum SessionEnd {
    /// Our shutdown token fired.
    Shutdown,
    /// The coordinator ended it, or the stream broke.
    Ended(String),
}

/// Opens a session and keeps it until it ends. `Err`: it never got as far
/// as Welcome.
#[tracing::instrument(name = "session", skip_all, fields(coordinator = %config.coordinator))]
pub(crate) async fn run_once(
    config: &Config,
    runner: &Arc<dyn Runner>,
    state: &watch::Sender<State>,
    shutdown: &CancellationToken,
) -> Result<SessionEnd> {
    let (url, endpoint) = endpoint(config)?;
    let channel = tokio::select! {
        _ = shutdown.cancelled() => return Ok(SessionEnd::Shutdown),
        channel = endpoint.connect() => channel.map_err(|e| Error::Unreachable { url: url.clone(), reason: chain(&e) })?,
    };
    let token = config.token.clone();
    let mut client =
        AgentServiceClient::with_interceptor(channel, move |mut request: tonic::Request<()>| {
            if let Some(token) = &token {
                request
                    .metadata_mut()
                    .insert("authorization", token.header().clone());
            }
            Ok(request)
        })
        .max_decoding_message_size(k6r_proto::MAX_MESSAGE)
        .max_encoding_message_size(k6r_proto::MAX_MESSAGE);

    // Dropping `done` (any return below) ends the outgoing stream, which
    // the coordinator reads as this agent's goodbye.
    let done = CancellationToken::new();
    let _end_outbound = done.clone().drop_guard();
    let (tx, rx) = mpsc::channel(OUTBOUND_BUFFER);
    let hello = Hello {
        name: config.name.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        capacity: Some(system::capacity(config.max_vus)),
        resumed_run_id: runner.active_run().unwrap_or_default(),
    };
    tx.try_send(AgentMessage::from(hello))
        .expect("the queue is new and empty");
    let outbound = outbound(rx, done.clone());

    let handshake = async {
        let mut inbound = client.session(outbound).await?.into_inner();
        let first = inbound.message().await?;
        Ok::<_, Error>((inbound, first))
    };
    let (mut inbound, first) = tokio::select! {
        _ = shutdown.cancelled() => return Ok(SessionEnd::Shutdown),
        answer = tokio::time::timeout(config.connect_timeout, handshake) => {
            answer.map_err(|_| Error::HandshakeTimeout(config.connect_timeout))??
        }
    };
    let welcome = welcome(first)?;
    let interval = welcome
        .heartbeat_interval()
        .map_err(|e| Error::Protocol(format!("Welcome: {e}")))?;
    tracing::info!(
        agent = %welcome.agent_id,
        name = %config.name,
        "connected to coordinator {url} (heartbeat every {})",
        humantime::format_duration(interval)
    );
    state.send_replace(State::Connected {
        agent_id: welcome.agent_id,
    });

    let uplink = Uplink::new(tx.clone(), done.clone());
    let outcome = serve(runner, shutdown, &uplink, &tx, &mut inbound, interval).await;
    done.cancel();
    runner.session_ended();
    if matches!(outcome, SessionEnd::Shutdown) {
        await_goodbye(&mut inbound).await;
    }
    Ok(outcome)
}

/// The coordinator's URL (without a trailing `/`) and the endpoint that
/// reaches it.
fn endpoint(config: &Config) -> Result<(String, Endpoint)> {
    let url = config.coordinator.as_str().trim_end_matches('/').to_owned();
    let endpoint = Endpoint::from_shared(url.clone())
        .map_err(|e| Error::InvalidConfig {
            option: "--coordinator",
            reason: chain(&e),
        })?
        .connect_timeout(config.connect_timeout)
        .tcp_nodelay(true)
        // The agent only sends on its own; without pings, a coordinator
        // that vanished without closing (network cut, frozen host) would
        // go unnoticed and a run would go on unsupervised.
        .http2_keep_alive_interval(config.keepalive)
        .keep_alive_timeout(config.keepalive)
        .keep_alive_while_idle(true);
    Ok((url, endpoint))
}

/// The Welcome the coordinator's `first` message must be.
fn welcome(first: Option<CoordinatorMessage>) -> Result<Welcome> {
    match first.and_then(|m| m.kind) {
        Some(Kind::Welcome(welcome)) => Ok(welcome),
        Some(Kind::Refused(refused)) => Err(Error::Refused {
            reason: refused.reason,
        }),
        Some(_) => Err(Error::Protocol(
            "the coordinator spoke before Welcome".into(),
        )),
        None => Err(Error::Protocol(
            "the coordinator closed the session without Welcome".into(),
        )),
    }
}

/// The welcomed session: heartbeats every `interval` up, commands down to
/// the runner, until the coordinator ends it or a shutdown has drained
/// the runner.
async fn serve(
    runner: &Arc<dyn Runner>,
    shutdown: &CancellationToken,
    uplink: &Uplink,
    tx: &mpsc::Sender<AgentMessage>,
    inbound: &mut Streaming<CoordinatorMessage>,
    interval: Duration,
) -> SessionEnd {
    let mut heartbeat = tokio::time::interval_at(Instant::now() + interval, interval);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // On shutdown the runner drains first, with the session still open
    // so its last status and metrics reach the coordinator.
    let mut draining: Option<Drain> = None;
    loop {
        tokio::select! {
            _ = shutdown.cancelled(), if draining.is_none() => {
                tracing::info!("draining before leaving the coordinator");
                draining = Some(runner.drain(uplink.clone()));
            }
            _ = async { draining.as_mut().expect("guarded").await }, if draining.is_some() => {
                break SessionEnd::Shutdown;
            }
            _ = heartbeat.tick() => {
                // A full queue means the coordinator is not reading; the
                // next tick tries again, and its expiry decides.
                if let Err(mpsc::error::TrySendError::Closed(_)) = tx.try_send(Heartbeat::from(SystemTime::now()).into()) {
                    break SessionEnd::Ended("the outgoing stream closed".into());
                }
            }
            message = inbound.message() => match message {
                Ok(Some(message)) => match message.kind {
                    Some(Kind::Refused(refused)) => break SessionEnd::Ended(format!("refused: {}", refused.reason)),
                    Some(Kind::Welcome(_)) | None => tracing::debug!("ignored an empty message or a second Welcome"),
                    Some(kind) => match Command::try_from(kind) {
                        Ok(command) => runner.command(command, uplink),
                        Err(e) => tracing::warn!("ignored a message: {e}"),
                    },
                },
                Ok(None) => break SessionEnd::Ended("the coordinator closed the session".into()),
                Err(status) => break SessionEnd::Ended(Error::from(status).to_string()),
            },
        }
    }
}

/// Once our stream has ended, waits (a while) for the coordinator to end
/// its own.
async fn await_goodbye(inbound: &mut Streaming<CoordinatorMessage>) {
    let goodbye = async { while let Ok(Some(_)) = inbound.message().await {} };
    if tokio::time::timeout(GOODBYE_TIMEOUT, goodbye)
        .await
        .is_err()
    {
        tracing::debug!("the coordinator did not close the session in time");
    }
}

/// The agent's half of the stream: what is queued in `rx`, ending once
/// `done` is cancelled and everything queued before has gone out (the
/// runner's last status and metrics are not cut off by the goodbye).
fn outbound(
    rx: mpsc::Receiver<AgentMessage>,
    done: CancellationToken,
) -> impl Stream<Item = AgentMessage> + Send + 'static {
    futures_util::stream::unfold((rx, done, false), |(mut rx, done, closing)| async move {
        if !closing {
            tokio::select! {
                biased;
                message = rx.recv() => return message.map(|m| (m, (rx, done, false))),
                _ = done.cancelled() => rx.close(),
            }
        }
        // Closed: nothing new gets in, what is buffered still comes out.
        rx.recv().await.map(|m| (m, (rx, done, true)))
    })
}
