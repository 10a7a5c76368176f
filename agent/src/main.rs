//! `k6r-agent`: parses flags, sets up logging and signals, and runs the
//! library.

use anyhow::Context;
use clap::Parser;
use k6r_agent::{Args, Config};

// The VUs' allocator (see k6r_runner::allocator).
#[global_allocator]
static ALLOCATOR: k6r_runner::Allocator = k6r_runner::Allocator;

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

// One thread for the agent's own work (its gRPC streams, the samples'
// consumer; preparing a script is blocking work of its own), as
// `k6r-cli run` has: the VUs run on worker threads of their own, one
// per core. A runtime thread per core besides cost two agents sharing a
// machine throughput (bench/cluster.py on 2 cores, medians of three
// pairs: 90.0 % of one process's requests/s, 93.3 % with one thread).
#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main_inner() -> anyhow::Result<()> {
    let config = Config::try_from(Args::parse())?;
    // A connection per VU needs a file each, as in k6 (Go raises it too).
    k6r_listen::raise_file_limit();
    // The first SIGTERM or ctrl-c starts a graceful shutdown; a second one
    // exits at once.
    let shutdown =
        k6r_signals::service_shutdown("k6r-agent").context("cannot install signal handlers")?;
    k6r_agent::run(config, shutdown).await?;
    Ok(())
}
