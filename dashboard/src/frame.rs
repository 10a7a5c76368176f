//! One frame from a run sample, the previous one and the agent table:
//! rates are the counts' differences over the time between samples.

use std::collections::BTreeMap;

use k6r_api::dashboard::{Frame, FrameAgent, FrameRun, PartPoint, Point};
use k6r_core::metrics::sink::RateSink;
use tokio::time::Instant;

use crate::sample::{Headline, RunSample, Totals};

/// What the next frame's rates are computed from.
#[derive(Clone, Debug)]
pub struct Previous {
    run: String,
    at: Instant,
    totals: Totals,
    /// Each scenario's counts.
    scenarios: BTreeMap<String, PartCounts>,
    /// Each agent's counts.
    agents: BTreeMap<String, PartCounts>,
}

/// A part's counts: its completed iterations, and its headline counts
/// when known.
type PartCounts = (u64, Option<Totals>);

/// A part of a run: its name, VUs, completed iterations and headline.
type Part<'a> = (&'a str, u64, u64, Option<&'a Headline>);

/// Rates between two samples `secs` apart.
#[derive(Clone, Copy)]
struct Interval {
    secs: f64,
}

impl Interval {
    /// `now - before` a second (0 without an interval).
    fn per_sec(self, now: f64, before: f64) -> f64 {
        if self.secs > 0.0 {
            ((now - before) / self.secs).max(0.0)
        } else {
            0.0
        }
    }
}

impl Interval {
    /// Requests a second, and the failed requests' and passed checks'
    /// shares, between `before` and `now`.
    fn of_requests(self, now: &Totals, before: &Totals) -> (f64, Option<f64>, Option<f64>) {
        (
            self.per_sec(now.http_reqs, before.http_reqs),
            share(now.http_req_failed, before.http_req_failed),
            share(now.checks, before.checks),
        )
    }
}

/// The pass share of the values added between `before` and `now`.
fn share(now: RateSink, before: RateSink) -> Option<f64> {
    let total = now.total.saturating_sub(before.total);
    let passes = now.passes.saturating_sub(before.passes);
    (total > 0).then(|| passes as f64 / total as f64)
}

/// Each part's point, its rates since `before`'s counts.
fn part_points<'a>(
    now: impl Iterator<Item = Part<'a>>,
    before: Option<&BTreeMap<String, PartCounts>>,
    interval: Interval,
) -> BTreeMap<String, PartPoint> {
    now.map(|(name, vus, iterations, headline)| {
        let earlier = before.and_then(|b| b.get(name));
        let totals_before = earlier.and_then(|(_, t)| t.as_ref());
        let mut point = PartPoint {
            vus,
            iterations_rate: earlier
                .map_or(0.0, |&(e, _)| interval.per_sec(iterations as f64, e as f64)),
            ..PartPoint::default()
        };
        if let Some(h) = headline {
            point.p95 = h.latency[2];
            if let Some(b) = totals_before {
                let (reqs, failed, checks) = interval.of_requests(&h.totals, b);
                point.http_reqs_rate = Some(reqs);
                point.http_req_failed = failed;
                point.checks = checks;
            }
        }
        (name.to_owned(), point)
    })
    .collect()
}

/// Each part's counts, for the next frame's rates.
fn part_counts<'a>(now: impl Iterator<Item = Part<'a>>) -> BTreeMap<String, PartCounts> {
    now.map(|(name, _, iterations, headline)| {
        (name.to_owned(), (iterations, headline.map(|h| h.totals)))
    })
    .collect()
}

/// Builds frame `tick` at `now` from the run (if any), the previous
/// sample and the agents' table; returns the frame and what the next one
/// starts from.
pub fn build(
    tick: u64,
    now: Instant,
    sample: Option<RunSample>,
    previous: Option<&Previous>,
    frame_agents: Vec<FrameAgent>,
) -> (Frame, Option<Previous>) {
    let Some(sample) = sample else {
        let frame = Frame {
            tick,
            run: None,
            agents: frame_agents,
        };
        return (frame, None);
    };
    // Rates only between two samples of the same run.
    let before = previous.filter(|p| p.run == sample.id);
    let interval = Interval {
        secs: before.map_or(0.0, |p| now.saturating_duration_since(p.at).as_secs_f64()),
    };
    let scenarios = || {
        sample
            .scenarios
            .iter()
            .map(|s| (s.name.as_str(), s.vus, s.iterations, s.headline.as_ref()))
    };
    let agents = || {
        sample.agents.iter().map(|a| {
            let agent = &a.agent;
            (
                agent.name.as_str(),
                agent.vus,
                agent.iterations,
                a.headline.as_ref(),
            )
        })
    };
    let scenario_points = part_points(scenarios(), before.map(|p| &p.scenarios), interval);
    let agent_points = part_points(agents(), before.map(|p| &p.agents), interval);
    let totals = &sample.headline.totals;
    let ((http_reqs_rate, failed, checks), iterations_rate) = match before {
        Some(p) => (
            interval.of_requests(totals, &p.totals),
            interval.per_sec(totals.iterations, p.totals.iterations),
        ),
        None => ((0.0, None, None), 0.0),
    };
    let [p50, p90, p95, p99] = sample.headline.latency;
    let point = Point {
        elapsed_ms: sample.elapsed_ms,
        vus: sample.vus,
        vus_max: sample.vus_max,
        http_reqs_rate,
        iterations_rate,
        p50,
        p90,
        p95,
        p99,
        http_req_failed: failed,
        checks,
        scenarios: scenario_points,
        agents: agent_points,
    };
    let next = Previous {
        run: sample.id.clone(),
        at: now,
        totals: sample.headline.totals,
        scenarios: part_counts(scenarios()),
        agents: part_counts(agents()),
    };
    let (exit_code, message) = match sample.outcome {
        Some((code, message)) => (Some(code), message),
        None => (None, String::new()),
    };
    let run = FrameRun {
        id: sample.id,
        state: sample.state,
        paused: sample.paused,
        stopped: sample.stopped,
        exit_code,
        message,
        point,
        iterations: sample.iterations,
        http_reqs: sample.headline.totals.http_reqs as u64,
        thresholds: sample.thresholds,
        autopilot: sample.autopilot,
    };
    let frame = Frame {
        tick,
        run: Some(run),
        agents: frame_agents,
    };
    (frame, Some(next))
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use k6r_api::{dashboard::FrameThreshold, RunAgent, RunState};

    use super::*;
    use crate::sample::{AgentPart, ScenarioPart};

    fn totals(reqs: f64, failed: (u64, u64)) -> Totals {
        Totals {
            http_reqs: reqs,
            iterations: reqs / 2.0,
            http_req_failed: RateSink {
                passes: failed.0,
                total: failed.1,
            },
            checks: RateSink::default(),
        }
    }

    fn sample(id: &str, reqs: f64, failed: (u64, u64)) -> RunSample {
        let headline = Headline {
            totals: totals(reqs, failed),
            latency: [Some(1.0), Some(2.0), Some(3.0), Some(4.0)],
        };
        RunSample {
            id: id.into(),
            state: RunState::Running,
            paused: false,
            stopped: false,
            outcome: None,
            elapsed_ms: 1000,
            vus: 3,
            vus_max: 5,
            iterations: 7,
            agents: vec![AgentPart {
                agent: RunAgent {
                    id: "agent-1".into(),
                    name: "w1".into(),
                    segment: "0:1".into(),
                    pinned: Vec::new(),
                    lead: true,
                    state: "running".into(),
                    vus: 3,
                    vus_max: 5,
                    iterations: 7,
                },
                headline: Some(headline),
            }],
            headline,
            thresholds: vec![FrameThreshold {
                metric: "http_req_failed".into(),
                source: "rate<0.01".into(),
                failing: true,
            }],
            scenarios: vec![ScenarioPart {
                name: "s".into(),
                vus: 3,
                iterations: reqs as u64,
                headline: None,
            }],
            autopilot: None,
        }
    }

    #[test]
    fn the_autopilot_is_shown_as_its_report_says() {
        use k6r_core::autopilot::{Limit, Phase, Report};
        let report = Report {
            scenario: "probe".into(),
            phase: Phase::Hold,
            rate: 300.0,
            knee_rate: Some(300.0),
            held_rate: Some(300.0),
            limiting: Some(Limit::Slo("http_req_failed: rate<0.01".into())),
            verdict: "knee 300/s".into(),
            ..Report::default()
        };
        let mut with = sample("run-1", 10.0, (0, 10));
        with.autopilot = Some((&report).into());
        let (frame, _) = build(1, Instant::now(), Some(with), None, Vec::new());
        let shown = frame.run.unwrap().autopilot.unwrap();
        assert_eq!((shown.phase.as_str(), shown.rate), ("hold", 300.0));
        assert_eq!(
            shown.limiting.as_deref(),
            Some("http_req_failed: rate<0.01")
        );
        assert_eq!((shown.windows, shown.last.as_deref()), (0, None));
        let json = serde_json::to_value(&shown).unwrap();
        assert_eq!(json["knee_rate"], 300.0);
    }

    #[test]
    fn rates_are_differences_over_the_interval_of_the_same_run() {
        let t0 = Instant::now();
        let (first, prev) = build(
            1,
            t0,
            Some(sample("run-1", 10.0, (0, 10))),
            None,
            Vec::new(),
        );
        let run = first.run.unwrap();
        assert_eq!(run.point.http_reqs_rate, 0.0);
        assert_eq!(run.point.http_req_failed, None);
        assert_eq!(run.point.p95, Some(3.0));
        assert_eq!(run.thresholds[0].source, "rate<0.01");

        let t1 = t0 + Duration::from_secs(2);
        let (second, _) = build(
            2,
            t1,
            Some(sample("run-1", 50.0, (4, 30))),
            prev.as_ref(),
            Vec::new(),
        );
        let point = second.run.unwrap().point;
        assert_eq!(point.http_reqs_rate, 20.0);
        assert_eq!(point.iterations_rate, 10.0);
        assert_eq!(point.http_req_failed, Some(0.2));
        assert_eq!(point.checks, None);
        assert_eq!(
            point.agents["w1"],
            PartPoint {
                vus: 3,
                iterations_rate: 0.0,
                http_reqs_rate: Some(20.0),
                p95: Some(3.0),
                http_req_failed: Some(0.2),
                checks: None,
            }
        );
        // A scenario whose requests are not kept apart.
        assert_eq!(
            point.scenarios["s"],
            PartPoint {
                vus: 3,
                iterations_rate: 20.0,
                ..PartPoint::default()
            }
        );

        // Another run's previous sample gives no rate.
        let (third, _) = build(
            3,
            t1,
            Some(sample("run-2", 50.0, (4, 30))),
            prev.as_ref(),
            Vec::new(),
        );
        assert_eq!(third.run.unwrap().point.http_reqs_rate, 0.0);
    }
}
