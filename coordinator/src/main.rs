//! `k6r-coordinator`: parses flags, sets up logging and signals, binds, and
//! runs the library.

use anyhow::Context;
use clap::Parser;
use k6r_coordinator::{Args, Command, Config};
use tokio::net::TcpListener;

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = Args::parse();
    if let Some(Command::Probe { url }) = &args.command {
        return match k6r_coordinator::probe::probe(url) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(err) => {
                eprintln!("k6r-coordinator probe: {err}");
                std::process::ExitCode::FAILURE
            }
        };
    }
    match main_inner(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("k6r-coordinator: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn main_inner(args: Args) -> anyhow::Result<()> {
    let config = Config::try_from(args)?;
    let files = k6r_listen::raise_file_limit();
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let addr = listener.local_addr()?;
    // Scripts and tests read this line to find a port-0 coordinator.
    println!("listening on {addr}");
    tracing::info!(%addr, agents = config.agents.get(), token = config.token.is_some(), files, "coordinator listening (gRPC and REST)");
    // The first SIGTERM or ctrl-c starts a graceful shutdown; a second one
    // exits at once.
    let shutdown = k6r_signals::service_shutdown("k6r-coordinator")
        .context("cannot install signal handlers")?;
    k6r_coordinator::run(config, listener, shutdown).await?;
    Ok(())
}
