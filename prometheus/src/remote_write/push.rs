//! The pushing thread: every interval, the source's families as one
//! snappy-compressed `WriteRequest` POSTed to the receiver; a last push
//! when it is finished, so the receiver ends with the run's totals, and
//! with `K6_PROMETHEUS_RW_STALE_MARKERS` one more marking every series
//! stale.

use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use prost::Message;
use tokio::sync::oneshot;

use super::config::Config;
use super::series::write_request;
use super::wire::WriteRequest;
use crate::family::Family;

/// How long one push may take.
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest error body kept for the report.
const ERROR_BODY: usize = 512;

/// What the output did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Pushes the receiver took.
    pub pushes: u64,
    /// Pushes that failed.
    pub failures: u64,
    /// The last failure.
    pub last_error: Option<String>,
}

/// Why the output can't start.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The HTTP client or the thread could not be built.
    #[error("can't start the remote-write output: {0}")]
    Start(String),
}

/// A running remote-write output; [`Pusher::finish`] ends it.
#[derive(Debug)]
pub struct Pusher {
    stop: Option<oneshot::Sender<()>>,
    thread: JoinHandle<Report>,
}

impl Pusher {
    /// Starts pushing what `source` gives, every `config.push_interval`
    /// from now, on a thread of its own.
    pub fn spawn(
        config: Config,
        source: impl FnMut() -> Vec<Family> + Send + 'static,
    ) -> Result<Pusher, PushError> {
        let start = |e: &dyn std::fmt::Display| PushError::Start(e.to_string());
        let client = reqwest::Client::builder()
            .danger_accept_invalid_certs(config.insecure_skip_tls_verify)
            .timeout(PUSH_TIMEOUT)
            .build()
            .map_err(|e| start(&e))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| start(&e))?;
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("prometheus-rw".into())
            .spawn(move || runtime.block_on(run(config, client, source, stopped)))
            .map_err(|e| start(&e))?;
        Ok(Pusher {
            stop: Some(stop),
            thread,
        })
    }

    /// Pushes a last time, stops, and reports.
    pub fn finish(mut self) -> Report {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.thread.join().unwrap_or_else(|_| Report {
            last_error: Some("the remote-write thread panicked".into()),
            ..Report::default()
        })
    }
}

async fn run(
    config: Config,
    client: reqwest::Client,
    mut source: impl FnMut() -> Vec<Family>,
    mut stopped: oneshot::Receiver<()>,
) -> Report {
    let mut report = Report::default();
    let mut ticks = tokio::time::interval(config.push_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // The first tick is now: nothing to push yet.
    ticks.tick().await;
    loop {
        let last = tokio::select! {
            _ = ticks.tick() => false,
            _ = &mut stopped => true,
        };
        let at = now_ms();
        let request = write_request(&source(), &config.labels, at);
        report.record(push(&config, &client, &request).await, &config);
        if last {
            if config.stale_markers {
                // Later than the last values: a sample at the same
                // instant would be a duplicate, which receivers drop.
                let stale = stale(request, now_ms().max(at.saturating_add(1)));
                report.record(push(&config, &client, &stale).await, &config);
            }
            return report;
        }
    }
}

impl Report {
    /// Counts a push's outcome (the first failure is logged).
    fn record(&mut self, outcome: Result<(), String>, config: &Config) {
        match outcome {
            Ok(()) => self.pushes += 1,
            Err(e) => {
                if self.failures == 0 {
                    tracing::warn!(url = %config.url, "remote write failed: {e}");
                }
                self.failures += 1;
                self.last_error = Some(e);
            }
        }
    }
}

/// Milliseconds since the epoch now.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Prometheus's staleness marker: the NaN whose bits say "stale".
const STALE_NAN: u64 = 0x7ff0_0000_0000_0002;

/// Every series of `request` marked stale at `timestamp`.
fn stale(mut request: WriteRequest, timestamp: i64) -> WriteRequest {
    for series in &mut request.timeseries {
        for sample in &mut series.samples {
            sample.value = f64::from_bits(STALE_NAN);
            sample.timestamp = timestamp;
        }
    }
    request
}

async fn push(
    config: &Config,
    client: &reqwest::Client,
    request: &WriteRequest,
) -> Result<(), String> {
    let body = request.encode_to_vec();
    let body = snap::raw::Encoder::new()
        .compress_vec(&body)
        .map_err(|e| e.to_string())?;
    let mut request = client
        .post(&config.url)
        .header("Content-Encoding", "snappy")
        .header("Content-Type", "application/x-protobuf")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .body(body);
    for (name, value) in &config.headers {
        request = request.header(name, value);
    }
    if let Some((user, password)) = &config.basic_auth {
        request = request.basic_auth(user, Some(password));
    }
    if let Some(token) = &config.bearer_token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let mut text = response.text().await.unwrap_or_default();
    text.truncate(text.floor_char_boundary_compat(ERROR_BODY));
    Err(format!("{status}: {}", text.trim()))
}

/// `str::floor_char_boundary` for the stable toolchain.
trait FloorCharBoundary {
    fn floor_char_boundary_compat(&self, at: usize) -> usize;
}

impl FloorCharBoundary for String {
    fn floor_char_boundary_compat(&self, at: usize) -> usize {
        (0..=at.min(self.len()))
            .rev()
            .find(|&i| self.is_char_boundary(i))
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::{Sample, TimeSeries};
    use super::*;

    #[test]
    fn stale_markers_keep_the_series_and_mark_each_stale() {
        let request = WriteRequest {
            timeseries: vec![TimeSeries {
                labels: Vec::new(),
                samples: vec![Sample {
                    value: 3.0,
                    timestamp: 10,
                }],
            }],
        };
        let marked = stale(request, 11);
        let sample = &marked.timeseries[0].samples[0];
        assert_eq!((sample.value.to_bits(), sample.timestamp), (STALE_NAN, 11));
    }
}
