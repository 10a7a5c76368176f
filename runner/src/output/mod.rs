//! `--out`: every sample written to a file as k6 writes it (§6.2), in
//! JSON lines or CSV, gzipped for a `.gz` path.
//!
//! Writing never blocks the samples consumer (and so never the VUs): the
//! [`Output`] sink hands each batch to a writer thread through a bounded
//! channel with `try_send`. When the writer falls behind and the channel
//! is full, the batch is dropped and *counted*; [`Writer::finish`]
//! reports the count, so nothing is lost silently.
//!
//! The writer thread stops when the sink is dropped (the channel closes,
//! its shutdown signal), after writing what was queued.
//!
//! # How to add a format
//! 1. Add a variant to [`Format`] and its name to [`Spec::parse`].
//! 2. Write a module with a type implementing [`Encode`].
//! 3. Build it in `encoder` below.

mod csv;
mod json;
mod time;

use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;

use k6r_core::metrics::{Registry, Sample};
use k6r_core::threshold::Thresholds;

use crate::samples::SampleSink;

pub use json::Declarations;

/// Batches queued for the writer before samples are dropped.
pub const QUEUE_BATCHES: usize = 16 * 1024;

/// An output's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// k6's JSON lines (`Metric` and `Point` objects).
    Json,
    /// k6's CSV.
    Csv,
}

impl Format {
    /// As `--out` names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Csv => "csv",
        }
    }
}

/// One `--out` flag: a format and a file (`-` is stdout).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    /// The format.
    pub format: Format,
    /// Where to write.
    pub path: PathBuf,
}

/// A `--out` value that can't be used.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Not `json=...` or `csv=...`.
    #[error("invalid output type '{0}', available types are: csv, json")]
    UnknownType(String),
    /// The file could not be created.
    #[error("can't create the {format} output '{path}': {source}")]
    Create {
        /// The format.
        format: &'static str,
        /// The file.
        path: String,
        /// Why.
        source: io::Error,
    },
    /// The writer thread could not start.
    #[error("can't start the output writer: {0}")]
    Thread(io::Error),
}

impl Spec {
    /// Reads `json=FILE`, `csv=FILE`, `json` (stdout).
    pub fn parse(text: &str) -> Result<Spec, OutputError> {
        let (kind, path) = text.split_once('=').unwrap_or((text, "-"));
        let format = match kind {
            "json" => Format::Json,
            "csv" => Format::Csv,
            other => return Err(OutputError::UnknownType(other.to_owned())),
        };
        let path = if path.is_empty() { "-" } else { path };
        Ok(Spec {
            format,
            path: PathBuf::from(path),
        })
    }

    /// As k6's banner shows it: `json (out.json)`.
    pub fn describe(&self) -> String {
        format!("{} ({})", self.format.as_str(), self.path.display())
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// Turns samples into bytes.
pub trait Encode: Send {
    /// Anything written before the first sample (a CSV header).
    fn header(&mut self, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }
    /// One batch.
    fn encode(&mut self, batch: &[Sample], out: &mut dyn Write) -> io::Result<()>;
}

/// The sink side: hands batches to the writer thread.
pub struct Output {
    queue: SyncSender<Vec<Sample>>,
    dropped: Arc<AtomicU64>,
}

impl SampleSink for Output {
    fn add(&mut self, batch: &[Sample]) {
        match self.queue.try_send(batch.to_vec()) {
            Ok(()) => {}
            Err(TrySendError::Full(lost) | TrySendError::Disconnected(lost)) => {
                self.dropped.fetch_add(lost.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

/// The writer side: wait for it with [`Writer::finish`].
pub struct Writer {
    spec: Spec,
    dropped: Arc<AtomicU64>,
    thread: JoinHandle<io::Result<u64>>,
}

/// What an output did.
#[derive(Debug)]
pub struct Report {
    /// The output.
    pub spec: Spec,
    /// Samples written.
    pub written: u64,
    /// Samples dropped because the writer fell behind.
    pub dropped: u64,
    /// A write error, if writing stopped early.
    pub error: Option<io::Error>,
}

impl Writer {
    /// Waits for the writer to drain its queue (drop the [`Output`]
    /// first, or this waits forever) and reports.
    pub fn finish(self) -> Report {
        let outcome = self
            .thread
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the output writer panicked")));
        let (written, error) = match outcome {
            Ok(n) => (n, None),
            Err(e) => (0, Some(e)),
        };
        Report {
            spec: self.spec,
            written,
            dropped: self.dropped.load(Ordering::Relaxed),
            error,
        }
    }
}

/// Opens `spec`'s file and starts its writer. `declarations` are the
/// thresholds and submetrics the JSON `Metric` lines list.
pub fn start(spec: &Spec, declarations: Declarations) -> Result<(Output, Writer), OutputError> {
    start_with_queue(spec, declarations, QUEUE_BATCHES)
}

/// [`start`] with a queue of `batches` (tests use a tiny one).
pub fn start_with_queue(
    spec: &Spec,
    declarations: Declarations,
    batches: usize,
) -> Result<(Output, Writer), OutputError> {
    let sink = open(&spec.path).map_err(|source| OutputError::Create {
        format: spec.format.as_str(),
        path: spec.path.display().to_string(),
        source,
    })?;
    let encoder: Box<dyn Encode> = match spec.format {
        Format::Json => Box::new(json::Json::new(declarations)),
        Format::Csv => Box::new(csv::Csv),
    };
    let (queue, rx) = sync_channel(batches.max(1));
    let dropped = Arc::new(AtomicU64::new(0));
    let thread = std::thread::Builder::new()
        .name(format!("k6r-out-{}", spec.format.as_str()))
        .spawn(move || write_all(rx, encoder, sink))
        .map_err(OutputError::Thread)?;
    Ok((
        Output {
            queue,
            dropped: Arc::clone(&dropped),
        },
        Writer {
            spec: spec.clone(),
            dropped,
            thread,
        },
    ))
}

/// The byte sink of a path: stdout for `-`, gzip for `.gz`.
fn open(path: &Path) -> io::Result<Box<dyn Write + Send>> {
    if path == Path::new("-") {
        return Ok(Box::new(io::stdout()));
    }
    let file = BufWriter::with_capacity(256 * 1024, File::create(path)?);
    if path.extension().is_some_and(|e| e == "gz") {
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        return Ok(Box::new(gz));
    }
    Ok(Box::new(file))
}

/// The writer thread: until every sender is gone.
fn write_all(
    rx: Receiver<Vec<Sample>>,
    mut encoder: Box<dyn Encode>,
    sink: Box<dyn Write + Send>,
) -> io::Result<u64> {
    let mut out = BufWriter::with_capacity(64 * 1024, sink);
    encoder.header(&mut out)?;
    let mut written = 0;
    while let Ok(batch) = rx.recv() {
        encoder.encode(&batch, &mut out)?;
        written += batch.len() as u64;
    }
    let mut inner = out.into_inner().map_err(|e| e.into_error())?;
    inner.flush()?;
    // Dropping a gzip encoder writes its trailer.
    drop(inner);
    Ok(written)
}

/// Declarations of every metric of `registry` with its thresholds.
pub fn declarations(registry: &Registry, thresholds: &Thresholds) -> Declarations {
    Declarations::new(registry, thresholds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k6r_core::metrics::{Builtin, Tags};
    use std::time::UNIX_EPOCH;

    fn batch(n: usize) -> Vec<Sample> {
        let tags = Arc::new(Tags::new());
        (0..n)
            .map(|_| Sample {
                metric: Builtin::Iterations.metric(),
                tags: Arc::clone(&tags),
                time: UNIX_EPOCH,
                value: 1.0,
            })
            .collect()
    }

    #[test]
    fn a_full_queue_drops_and_counts_instead_of_blocking() {
        let (queue, rx) = sync_channel(1);
        let dropped = Arc::new(AtomicU64::new(0));
        let mut sink = Output {
            queue,
            dropped: Arc::clone(&dropped),
        };
        sink.add(&batch(3)); // queued
        sink.add(&batch(5)); // the writer is behind: dropped
        sink.add(&batch(7));
        assert_eq!(dropped.load(Ordering::Relaxed), 12);
        assert_eq!(rx.recv().unwrap().len(), 3);
        drop(rx);
        sink.add(&batch(1)); // the writer is gone: dropped too
        assert_eq!(dropped.load(Ordering::Relaxed), 13);
    }

    #[test]
    fn a_writer_drains_its_queue_and_reports() {
        let dir = tempfile::tempdir().unwrap();
        let spec = Spec::parse(&format!("json={}", dir.path().join("o.json").display())).unwrap();
        let (mut sink, writer) = start(&spec, Declarations::default()).unwrap();
        for _ in 0..100 {
            sink.add(&batch(10));
        }
        drop(sink);
        let report = writer.finish();
        assert_eq!((report.written, report.dropped), (1000, 0));
        assert!(report.error.is_none());
        let body = std::fs::read_to_string(dir.path().join("o.json")).unwrap();
        assert_eq!(body.lines().count(), 1001);
    }

    #[test]
    fn specs_read_like_k6s() {
        assert_eq!(
            Spec::parse("json=a.json.gz").unwrap().describe(),
            "json (a.json.gz)"
        );
        assert_eq!(Spec::parse("csv").unwrap().path, PathBuf::from("-"));
        assert_eq!(
            Spec::parse("statsd").unwrap_err().to_string(),
            "invalid output type 'statsd', available types are: csv, json"
        );
    }
}
