//! `k6r-agent`: parses flags, sets up logging and signals, and runs the
//! library.

use anyhow::Context;
use clap::Parser;
use k6r_agent::{Args, Config};
use tokio_util::sync::CancellationToken;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match main_inner() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("k6r-agent: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main_inner() -> anyhow::Result<()> {
    let config = Config::try_from(Args::parse())?;
    let shutdown = CancellationToken::new();
    tokio::spawn(on_signals(shutdown.clone()).context("cannot install signal handlers")?);
    k6r_agent::run(config, shutdown).await?;
    Ok(())
}

/// The first SIGTERM or ctrl-c starts a graceful shutdown; a second one
/// exits at once. The handlers are installed before this returns, so a
/// signal that arrives early is not lost to the default action.
fn on_signals(
    shutdown: CancellationToken,
) -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let (mut term, mut int) = {
        use tokio::signal::unix::{signal, SignalKind};
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    Ok(async move {
        #[cfg(unix)]
        let mut next = async || {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        };
        #[cfg(not(unix))]
        let next = async || {
            let _ = tokio::signal::ctrl_c().await;
        };
        next().await;
        tracing::info!("shutting down (signal again to exit at once)");
        shutdown.cancel();
        next().await;
        eprintln!("k6r-agent: aborted");
        std::process::exit(130);
    })
}
