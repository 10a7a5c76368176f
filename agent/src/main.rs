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
    // A connection per VU needs a file each, as in k6 (Go raises it too).
    k6r_listen::raise_file_limit();
    let shutdown = CancellationToken::new();
    // The first SIGTERM or ctrl-c starts a graceful shutdown; a second one
    // exits at once.
    let signals = k6r_signals::cancel_on_signals(
        shutdown.clone(),
        |signal| {
            tracing::info!(
                signal = signal.go_name(),
                "shutting down (signal again to exit at once)"
            );
        },
        k6r_signals::abort_service("k6r-agent"),
    )
    .context("cannot install signal handlers")?;
    tokio::spawn(signals);
    k6r_agent::run(config, shutdown).await?;
    Ok(())
}
