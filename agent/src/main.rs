//! `k6r-agent`: parses flags, sets up logging and signals, and runs the
//! library.

use clap::Parser;
use k6r_agent::{Args, Config};
use tokio_util::sync::CancellationToken;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
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
    tokio::spawn(on_signals(shutdown.clone()));
    k6r_agent::run(config, shutdown).await?;
    Ok(())
}

/// The first SIGTERM or ctrl-c closes the session and exits; a second one
/// exits at once.
async fn on_signals(shutdown: CancellationToken) {
    signal().await;
    tracing::info!("shutting down (signal again to exit at once)");
    shutdown.cancel();
    signal().await;
    eprintln!("k6r-agent: aborted");
    std::process::exit(130);
}

async fn signal() {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}
