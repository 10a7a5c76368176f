use std::collections::BTreeMap;
use std::time::Duration;

use k6r_core::autopilot::{CpuTime, Limit, Phase, Reading, Search, Settings, Slo};
use k6r_core::metrics::sink::{CounterSink, RateSink, TrendSink};
use k6r_core::metrics::{Builtin, Sink};
use tokio::sync::watch;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::{pilot, Plant, PlantError, Report};

/// A target that answers in 4 ms up to `knee` requests per second and
/// fails a fifth of them above, behind a generator that uses `cpu_per_1k`
/// of a core per 1,000 iterations a second; the scenario starts at
/// `starts` and ends at `ends` (paused time).
struct Simulated {
    knee: f64,
    cpu_per_1k: f64,
    start: Instant,
    starts: Duration,
    ends: Duration,
    rate: f64,
    /// Until when samples were added.
    until: Duration,
    duration: TrendSink,
    failed: RateSink,
    iterations: CounterSink,
    busy: f64,
    rates: Vec<(Duration, f64)>,
}

impl Simulated {
    fn new(knee: f64, cpu_per_1k: f64) -> Simulated {
        Simulated {
            knee,
            cpu_per_1k,
            start: Instant::now(),
            starts: Duration::from_secs(2),
            ends: Duration::from_secs(600),
            rate: 0.0,
            until: Duration::ZERO,
            duration: TrendSink::default(),
            failed: RateSink::default(),
            iterations: CounterSink::default(),
            busy: 0.0,
            rates: Vec::new(),
        }
    }

    /// Adds the samples of the time since the last call.
    fn advance(&mut self) -> Duration {
        let now = self.start.elapsed();
        let secs = now.saturating_sub(self.until).as_secs_f64();
        let n = (self.rate * secs).round() as u64;
        let over = self.rate > self.knee;
        for i in 0..n {
            self.duration.add(if over { 300.0 } else { 4.0 });
            self.failed.add(f64::from(over && i % 5 == 0));
        }
        self.iterations.add(n as f64);
        self.busy += self.rate / 1000.0 * self.cpu_per_1k * secs;
        self.until = now;
        now
    }
}

impl Plant for &mut Simulated {
    async fn started(&mut self) -> Result<f64, PlantError> {
        let now = self.advance();
        if now < self.starts {
            return Err(PlantError::NotStarted);
        }
        if now >= self.ends {
            return Err(PlantError::Ended);
        }
        Ok(self.rate)
    }

    async fn set_rate(&mut self, per_second: f64) -> Result<(), PlantError> {
        let now = self.advance();
        if now < self.starts {
            return Err(PlantError::NotStarted);
        }
        if now >= self.ends {
            return Err(PlantError::Ended);
        }
        self.rate = per_second;
        self.rates.push((now, per_second));
        Ok(())
    }

    async fn read(&mut self, _metrics: &[String]) -> Result<Reading, PlantError> {
        let at = self.advance();
        if at >= self.ends {
            return Err(PlantError::Ended);
        }
        let sinks: BTreeMap<String, Sink> = [
            (
                Builtin::HttpReqDuration.name().into(),
                Sink::Trend(self.duration.clone()),
            ),
            (
                Builtin::HttpReqFailed.name().into(),
                Sink::Rate(self.failed),
            ),
            (
                Builtin::Iterations.name().into(),
                Sink::Counter(self.iterations.clone()),
            ),
        ]
        .into();
        let cpu = [(
            "local".into(),
            CpuTime {
                busy: self.busy,
                cores: 1.0,
            },
        )]
        .into();
        Ok(Reading { at, sinks, cpu })
    }
}

fn slos() -> Vec<Slo> {
    ["http_req_duration: p(95)<200", "http_req_failed: rate<0.01"]
        .iter()
        .map(|s| Slo::parse(s).unwrap())
        .collect()
}

fn names() -> Vec<String> {
    vec!["http_req_duration".into(), "http_req_failed".into()]
}

/// The report of a pilot of `target` stopped after `lasting`.
async fn pilot_for(
    lasting: Duration,
    target: &mut Simulated,
    search: Search,
    publish: watch::Sender<Report>,
) -> Report {
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    let ((), report) = tokio::join!(
        async move {
            tokio::time::sleep(lasting).await;
            stopper.cancel();
        },
        pilot(target, search, names(), publish, stop)
    );
    report
}

#[tokio::test(start_paused = true)]
async fn the_pilot_finds_a_known_knee_holds_it_and_publishes_each_window() {
    let mut target = Simulated::new(300.0, 0.1);
    let settings = Settings::with_window(Duration::from_secs(2)).unwrap();
    let search = Search::new("s", slos(), 20.0, settings);
    let (publish, mut watched) = watch::channel(Default::default());
    let report = pilot_for(Duration::from_secs(120), &mut target, search, publish).await;
    let knee = report.knee_rate.unwrap();
    assert!((285.0..=300.0).contains(&knee), "{knee}: {report:#?}");
    assert_eq!(report.phase, Phase::Hold);
    assert_eq!(report.held_rate, Some(knee));
    assert!(matches!(report.limiting, Some(Limit::Slo(_))));
    // Nothing was set before the scenario started, at 2 s.
    assert_eq!(target.rates[0], (Duration::from_secs(2), 20.0));
    // Each window settled, then lasted its 2 s at least.
    for w in &report.windows {
        assert!(w.to_s - w.from_s >= 2.0, "{w:?}");
    }
    assert_eq!(*watched.borrow_and_update(), report);
    // Held for the rest: the last rate set is the knee.
    assert_eq!(target.rates.last().unwrap().1, knee);
}

#[tokio::test(start_paused = true)]
async fn the_pilot_ends_with_its_scenario_and_reports_a_saturated_generator() {
    let mut target = Simulated::new(1e6, 2.0);
    target.ends = Duration::from_secs(60);
    let settings = Settings::with_window(Duration::from_secs(2)).unwrap();
    let search = Search::new("s", slos(), 100.0, settings);
    let (publish, _watched) = watch::channel(Default::default());
    let report = pilot(
        &mut target,
        search,
        names(),
        publish,
        CancellationToken::new(),
    )
    .await;
    // 2 cores' worth per 1,000/s on 1 core: saturated from 450/s.
    assert_eq!(
        report.limiting.as_ref().map(Limit::short),
        Some("generator"),
        "{report:#?}"
    );
    assert_eq!(report.knee_rate, Some(400.0));
    assert!(Instant::now().duration_since(target.start) <= Duration::from_secs(64));
}

#[tokio::test(start_paused = true)]
async fn the_pilot_keeps_the_rate_its_scenario_starts_with_until_it_decides() {
    let mut target = Simulated::new(300.0, 0.1);
    // The scenario runs its own rate, the search's start, from 2 s.
    target.rate = 20.0;
    let settings = Settings::with_window(Duration::from_secs(2)).unwrap();
    let search = Search::new("s", slos(), 20.0, settings);
    let (publish, _watched) = watch::channel(Default::default());
    let report = pilot_for(Duration::from_secs(30), &mut target, search, publish).await;
    // The first window measured the scenario's own rate, unchanged; the
    // first rate set is the one decided after it.
    let first = &report.windows[0];
    assert_eq!(first.rate, 20.0);
    let (at, rate) = target.rates[0];
    assert_eq!(rate, first.next_rate);
    assert!(at.as_secs_f64() >= first.to_s, "{at:?}: {first:?}");
}
