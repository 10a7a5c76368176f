//! [`Limits`]: how long a connection may wait and how many may, and the
//! process's open-file limit they derive from.

use std::time::Duration;

use rustix::process::{getrlimit, setrlimit, Resource};

/// The open-file limit assumed when the process's cannot be read.
const DEFAULT_FILE_LIMIT: u64 = 1024;

/// The fewest waiting connections allowed, whatever the file limit.
const MIN_WAITING: usize = 16;

/// The timeouts and the cap of [`crate::serve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// How long a new connection may take to send its first request's
    /// headers.
    pub first_request: Duration,
    /// How long a connection may sit with no request in flight after
    /// its last one before it is closed (HTTP/1.1 keep-alive, an idle
    /// HTTP/2 connection, a later request's headers sent slowly).
    pub idle: Duration,
    /// How long a request body may send nothing before reading it fails.
    pub body: Duration,
    /// How many connections may wait (no request in flight) at once.
    pub max_waiting: usize,
}

impl Limits {
    /// 10 s for the first request's headers, 60 s idle, 30 s of silence
    /// in a body, and waiting connections up to half the open-file limit
    /// (so the other half stays for agents, probes and the run's files).
    pub fn for_this_process() -> Self {
        Self::with_file_limit(file_limit())
    }

    /// [`Limits::for_this_process`] under an open-file limit of `files`.
    pub fn with_file_limit(files: u64) -> Self {
        let half = usize::try_from(files / 2).unwrap_or(usize::MAX);
        Self {
            first_request: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            body: Duration::from_secs(30),
            max_waiting: half.max(MIN_WAITING),
        }
    }
}

/// The process's open-file limit (the soft one, which `open` and
/// `accept` fail beyond).
pub fn file_limit() -> u64 {
    getrlimit(Resource::Nofile)
        .current
        .unwrap_or(DEFAULT_FILE_LIMIT)
}

/// Raises the soft open-file limit to the hard one, as Go programs (k6
/// among them) do at start: a load generator and a coordinator need a
/// file per connection. Returns the limit now in force.
pub fn raise_file_limit() -> u64 {
    let limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        let raised = rustix::process::Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!("the open-file limit stays at {:?}: {e}", limit.current);
        }
    }
    file_limit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_the_files_may_wait_but_never_fewer_than_the_minimum() {
        assert_eq!(Limits::with_file_limit(1024).max_waiting, 512);
        assert_eq!(Limits::with_file_limit(20).max_waiting, MIN_WAITING);
        assert_eq!(
            Limits::with_file_limit(u64::MAX).max_waiting,
            usize::try_from(u64::MAX / 2).unwrap_or(usize::MAX)
        );
    }

    #[test]
    fn raising_keeps_the_limit_at_least_where_it_was() {
        let before = file_limit();
        assert!(raise_file_limit() >= before);
    }
}
