//! The demo target's servers inside a test's own process: on 127.0.0.1,
//! port 0, on a runtime of one worker of their own (a busy test runtime
//! cannot starve them), until dropped.

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// A server running in this process; stopped when dropped.
#[derive(Debug)]
pub struct InProcess {
    /// Where it listens.
    pub addr: SocketAddr,
    shutdown: CancellationToken,
    _runtime: tokio::runtime::Runtime,
}

impl InProcess {
    /// Binds 127.0.0.1 port 0 and runs `serve` on that listener until
    /// the returned value is dropped (its token is cancelled then).
    pub fn start<S, F, E>(serve: S) -> std::io::Result<InProcess>
    where
        S: FnOnce(TcpListener, CancellationToken) -> F,
        F: Future<Output = Result<(), E>> + Send + 'static,
        E: Send + 'static,
    {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        let listener = runtime.block_on(TcpListener::bind("127.0.0.1:0"))?;
        let addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        runtime.spawn(serve(listener, shutdown.clone()));
        Ok(InProcess {
            addr,
            shutdown,
            _runtime: runtime,
        })
    }

    /// The HTTP routes and WebSockets ([`crate::serve`]).
    pub fn http() -> std::io::Result<InProcess> {
        InProcess::start(crate::serve)
    }

    /// The gRPC services with reflection ([`crate::grpc::serve`]).
    pub fn grpc() -> std::io::Result<InProcess> {
        InProcess::start(crate::grpc::serve)
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}
