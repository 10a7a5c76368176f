//! `k6r-demo-target --listen ADDR`: serves the demo target until SIGTERM
//! or ctrl-c.

use clap::Parser;
use tokio_util::sync::CancellationToken;

/// k6r's demo target: an HTTP server for the examples to load-test.
#[derive(Debug, Parser)]
#[command(name = "k6r-demo-target", version)]
struct Args {
    /// The address to listen on (port 0: any free port).
    #[arg(long, env = "K6R_TARGET_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("k6r-demo-target: can't start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async {
        let listener = match tokio::net::TcpListener::bind(&args.listen).await {
            Ok(listener) => listener,
            Err(e) => {
                eprintln!("k6r-demo-target: can't listen on {}: {e}", args.listen);
                return std::process::ExitCode::FAILURE;
            }
        };
        match listener.local_addr() {
            Ok(addr) => println!("listening on {addr}"),
            Err(e) => eprintln!("k6r-demo-target: {e}"),
        }
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        match k6r_demo::serve(listener, shutdown).await {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("k6r-demo-target: {e}");
                std::process::ExitCode::FAILURE
            }
        }
    })
}

/// Cancels `shutdown` on SIGTERM (what `docker stop` sends) or ctrl-c.
async fn stop_on_signal(shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
    shutdown.cancel();
}
