//! SIGINT (ctrl-c) and SIGTERM (what `docker stop`, `timeout` and a
//! cancelled CI job send) as one stream of stop requests, for every k6r
//! binary. k6 treats both alike: the first stops the test gracefully
//! (teardown and summary still run, exit 105), a second aborts at once.
//!
//! The handlers are installed when [`StopSignals::install`] returns, so a
//! signal that arrives later is never lost to the default action (which
//! would kill the process without a summary).
//!
//! # Layout
//! - [`StopSignals`]: the stream, and [`Signal`], which one came.
//! - [`cancel_on_signals`]: every binary's shutdown: the first signal
//!   cancels a token, a second exits at once; [`abort_service`], how a
//!   service exits then; [`service_shutdown`], both for a service.
#![warn(missing_docs)]

use std::future::Future;
use std::io;

use tokio_util::sync::CancellationToken;

/// A stop request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// SIGINT (ctrl-c).
    Interrupt,
    /// SIGTERM.
    Terminate,
}

impl Signal {
    /// Go's name of the signal, as k6 prints it (`interrupt`,
    /// `terminated`).
    pub fn go_name(self) -> &'static str {
        match self {
            Signal::Interrupt => "interrupt",
            Signal::Terminate => "terminated",
        }
    }
}

/// Every SIGINT and SIGTERM, in order.
#[derive(Debug)]
pub struct StopSignals {
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
}

impl StopSignals {
    /// Installs the handlers (needs a Tokio runtime with I/O enabled).
    pub fn install() -> io::Result<StopSignals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(StopSignals {
                interrupt: signal(SignalKind::interrupt())?,
                terminate: signal(SignalKind::terminate())?,
            })
        }
        #[cfg(not(unix))]
        Ok(StopSignals {})
    }

    /// The next stop request.
    pub async fn next(&mut self) -> Signal {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.interrupt.recv() => Signal::Interrupt,
                _ = self.terminate.recv() => Signal::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            Signal::Interrupt
        }
    }
}

/// Every binary's shutdown: the first signal goes to `on_first` and
/// cancels `shutdown`; a second one goes to `on_second`, which says so
/// and returns the code the process then exits with at once. Spawn the
/// returned future; the handlers are already installed when this returns.
pub fn cancel_on_signals(
    shutdown: CancellationToken,
    on_first: impl FnOnce(Signal) + Send + 'static,
    on_second: impl FnOnce(Signal) -> i32 + Send + 'static,
) -> io::Result<impl Future<Output = ()> + Send> {
    let mut signals = StopSignals::install()?;
    Ok(async move {
        on_first(signals.next().await);
        shutdown.cancel();
        let code = on_second(signals.next().await);
        std::process::exit(code);
    })
}

/// A service's shutdown (`k6r-agent`, `k6r-coordinator`): the returned
/// token is cancelled by the first signal, which is logged; a second one
/// prints `"{name}: aborted"` and exits 130 at once. Needs a Tokio
/// runtime: the signals are watched by a task that lives as long as the
/// process.
pub fn service_shutdown(name: &'static str) -> io::Result<CancellationToken> {
    let shutdown = CancellationToken::new();
    let signals = cancel_on_signals(
        shutdown.clone(),
        |signal| {
            tracing::info!(
                signal = signal.go_name(),
                "shutting down (signal again to exit at once)"
            );
        },
        abort_service(name),
    )?;
    tokio::spawn(signals);
    Ok(shutdown)
}

/// The `on_second` of a service: prints `"{name}: aborted"`, exit 130.
pub fn abort_service(name: &'static str) -> impl FnOnce(Signal) -> i32 + Send + 'static {
    move |_| {
        eprintln!("{name}: aborted");
        130
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn raise(signal: i32) {
        // The standard library cannot signal a process; `kill` can.
        let status = std::process::Command::new("kill")
            .args([format!("-{signal}"), std::process::id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    #[tokio::test(flavor = "current_thread")]
    async fn sigterm_and_sigint_arrive_as_stop_requests_in_order() {
        let mut signals = StopSignals::install().unwrap();
        raise(15);
        assert_eq!(signals.next().await, Signal::Terminate);
        raise(2);
        assert_eq!(signals.next().await, Signal::Interrupt);
        assert_eq!(Signal::Terminate.go_name(), "terminated");
        assert_eq!(Signal::Interrupt.go_name(), "interrupt");
    }
}
