//! `k6r-demo-target --listen ADDR [--grpc-listen ADDR] [--tls-dir DIR]`: serves the demo target
//! until SIGTERM or ctrl-c; with `--tls-dir`, over HTTPS (HTTP/2 and
//! HTTP/1.1) with a throwaway authority whose certificate it writes to
//! `DIR/ca.pem` (point `SSL_CERT_FILE` at it), plus `DIR/client.pem` and
//! `DIR/client-key.pem` for `tlsAuth`.

use clap::Parser;
use tokio_util::sync::CancellationToken;

/// k6r's demo target: an HTTP server for the examples to load-test.
#[derive(Debug, Parser)]
#[command(name = "k6r-demo-target", version)]
struct Args {
    /// The address to listen on (port 0: any free port).
    #[arg(long, env = "K6R_TARGET_LISTEN", default_value = "127.0.0.1:8080")]
    listen: String,

    /// Also serve the gRPC service `k6r.demo.Demo` (with reflection) on
    /// this address (port 0: any free port).
    #[arg(long)]
    grpc_listen: Option<String>,

    /// Serve HTTPS with a new throwaway authority, written to this
    /// directory (`ca.pem`, `client.pem`, `client-key.pem`).
    #[arg(long)]
    tls_dir: Option<std::path::PathBuf>,
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
        let tls = match args.tls_dir.as_deref().map(tls_config).transpose() {
            Ok(tls) => tls,
            Err(e) => {
                eprintln!("k6r-demo-target: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        match listener.local_addr() {
            Ok(addr) => println!("listening on {scheme}://{addr}"),
            Err(e) => eprintln!("k6r-demo-target: {e}"),
        }
        let shutdown = CancellationToken::new();
        if let Some(address) = &args.grpc_listen {
            let listener = match tokio::net::TcpListener::bind(address).await {
                Ok(listener) => listener,
                Err(e) => {
                    eprintln!("k6r-demo-target: can't listen on {address}: {e}");
                    return std::process::ExitCode::FAILURE;
                }
            };
            match listener.local_addr() {
                Ok(addr) => println!("grpc listening on {addr}"),
                Err(e) => eprintln!("k6r-demo-target: {e}"),
            }
            let shutdown = shutdown.clone();
            tokio::spawn(async move {
                if let Err(e) = k6r_demo::grpc::serve(listener, shutdown).await {
                    eprintln!("k6r-demo-target: grpc: {e}");
                }
            });
        }
        // SIGTERM (what `docker stop` sends) or ctrl-c stops serving; a
        // second one exits at once.
        let signals = match k6r_signals::cancel_on_signals(
            shutdown.clone(),
            |_| {},
            k6r_signals::abort_service("k6r-demo-target"),
        ) {
            Ok(signals) => tokio::spawn(signals),
            Err(e) => {
                eprintln!("k6r-demo-target: cannot install signal handlers: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let served = match tls {
            Some(config) => {
                k6r_demo::tls::serve_tls(listener, config, k6r_demo::router(), shutdown.clone())
                    .await
            }
            None => k6r_demo::serve(listener, shutdown.clone()).await,
        };
        shutdown.cancel();
        signals.abort();
        let _ = signals.await;
        match served {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("k6r-demo-target: {e}");
                std::process::ExitCode::FAILURE
            }
        }
    })
}

/// A new throwaway identity, written to `dir`, as a server configuration.
fn tls_config(dir: &std::path::Path) -> Result<tokio_rustls::rustls::ServerConfig, String> {
    let identity = k6r_demo::tls::Identity::generate().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, pem) in [
        ("ca.pem", &identity.ca_pem),
        ("client.pem", &identity.client_cert_pem),
        ("client-key.pem", &identity.client_key_pem),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, pem).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    k6r_demo::tls::server_config(&identity, &Default::default()).map_err(|e| e.to_string())
}
