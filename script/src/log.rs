//! Where `console.*` (and, later, other script-facing log lines) go.
//!
//! The runtime hands each record to a [`LogSink`]; the sink decides the
//! format and the destination. [`StderrLog`] prints k6's logfmt lines,
//! [`MemoryLog`] keeps them so tests can look at them.

use std::fmt;
use std::io::Write as _;
use std::sync::{Mutex, PoisonError};
use std::time::SystemTime;

use k6r_core::logfmt::format_line;
pub use k6r_core::logfmt::Level;

/// A destination for log records. Shared by every VU of a test, hence
/// `Send + Sync`; it must not panic.
pub trait LogSink: Send + Sync + fmt::Debug {
    /// One record: `fields` are extra `key=value` pairs (`source=console`).
    fn log(&self, level: Level, msg: &str, fields: &[(&str, &str)]);
}

/// k6's logfmt lines on stderr. Records below `min_level` are dropped
/// (k6 prints `debug` only with `-v`).
#[derive(Clone, Copy, Debug)]
pub struct StderrLog {
    min_level: Level,
}

impl StderrLog {
    /// Prints records at `min_level` and above.
    pub fn new(min_level: Level) -> Self {
        Self { min_level }
    }

    /// `info` and above, or everything when `verbose` (k6's `-v`).
    pub fn verbose(verbose: bool) -> Self {
        Self::new(if verbose { Level::Debug } else { Level::Info })
    }
}

impl Default for StderrLog {
    fn default() -> Self {
        Self::verbose(false)
    }
}

impl LogSink for StderrLog {
    fn log(&self, level: Level, msg: &str, fields: &[(&str, &str)]) {
        if level < self.min_level {
            return;
        }
        let line = format_line(SystemTime::now(), level, msg, fields);
        // A closed stderr must not bring the test down.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// Keeps the logfmt lines it receives, for tests and for callers that
/// forward logs elsewhere.
#[derive(Debug)]
pub struct MemoryLog {
    min_level: Level,
    lines: Mutex<Vec<String>>,
}

impl MemoryLog {
    /// Keeps records at `min_level` and above.
    pub fn new(min_level: Level) -> Self {
        Self {
            min_level,
            lines: Mutex::new(Vec::new()),
        }
    }

    /// The lines received so far, formatted as k6 prints them.
    pub fn lines(&self) -> Vec<String> {
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Default for MemoryLog {
    fn default() -> Self {
        Self::new(Level::Debug)
    }
}

impl LogSink for MemoryLog {
    fn log(&self, level: Level, msg: &str, fields: &[(&str, &str)]) {
        if level < self.min_level {
            return;
        }
        let line = format_line(SystemTime::now(), level, msg, fields);
        self.lines
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(line);
    }
}
