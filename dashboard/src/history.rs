//! The run's charted points, bounded: past the bound, neighbouring pairs
//! merge into one, so a long run keeps its whole span at half the
//! resolution, and so on (at most `max` points whatever the duration).

use std::collections::BTreeMap;

use k6r_api::dashboard::{PartPoint, Point};

/// The points of one run.
#[derive(Clone, Debug)]
pub struct History {
    run: Option<String>,
    /// Each point with the number of samples merged into it.
    points: Vec<(Point, u32)>,
    /// Samples per point since the last compaction (a power of two).
    stride: u32,
    max: usize,
}

impl History {
    /// An empty history of at most `max` points (at least 2).
    pub fn new(max: usize) -> Self {
        Self {
            run: None,
            points: Vec::new(),
            stride: 1,
            max: max.max(2),
        }
    }

    /// Adds run `run`'s `point`; a new run starts a new history.
    pub fn push(&mut self, run: &str, point: Point) {
        if self.run.as_deref() != Some(run) {
            self.run = Some(run.to_owned());
            self.points.clear();
            self.stride = 1;
        }
        match self.points.last_mut() {
            // The last point still takes samples at this resolution.
            Some((last, n)) if *n < self.stride => {
                *last = merge((last, *n), (&point, 1));
                *n += 1;
            }
            _ => self.points.push((point, 1)),
        }
        if self.points.len() > self.max {
            self.compact();
        }
    }

    /// Halves the points: each neighbouring pair becomes one.
    fn compact(&mut self) {
        self.points = self
            .points
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => (merge((&a.0, a.1), (&b.0, b.1)), a.1 + b.1),
                [a] => a.clone(),
                _ => unreachable!("chunks of two"),
            })
            .collect();
        self.stride = self.stride.saturating_mul(2);
    }

    /// The points, oldest first.
    pub fn points(&self) -> Vec<Point> {
        self.points.iter().map(|(p, _)| p.clone()).collect()
    }
}

/// Two neighbouring points as one: rates and shares are averaged by the
/// samples behind them; the instant, VUs and the percentiles (which
/// cover the run so far) are the later point's; so for each scenario and
/// agent (a part in one point only counts a zero rate in the other).
fn merge((a, na): (&Point, u32), (b, nb): (&Point, u32)) -> Point {
    let (wa, wb) = (f64::from(na), f64::from(nb));
    let mean = |x: f64, y: f64| (x * wa + y * wb) / (wa + wb);
    let mean_opt = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => Some(mean(x, y)),
        (x, y) => y.or(x),
    };
    Point {
        elapsed_ms: b.elapsed_ms,
        vus: b.vus,
        vus_max: b.vus_max,
        http_reqs_rate: mean(a.http_reqs_rate, b.http_reqs_rate),
        iterations_rate: mean(a.iterations_rate, b.iterations_rate),
        p50: b.p50.or(a.p50),
        p90: b.p90.or(a.p90),
        p95: b.p95.or(a.p95),
        p99: b.p99.or(a.p99),
        http_req_failed: mean_opt(a.http_req_failed, b.http_req_failed),
        checks: mean_opt(a.checks, b.checks),
        scenarios: merge_parts(&a.scenarios, &b.scenarios, mean, mean_opt),
        agents: merge_parts(&a.agents, &b.agents, mean, mean_opt),
    }
}

/// Two points' parts merged by name, rates by `mean` (`mean_opt` where
/// they may be unknown).
fn merge_parts(
    a: &BTreeMap<String, PartPoint>,
    b: &BTreeMap<String, PartPoint>,
    mean: impl Fn(f64, f64) -> f64,
    mean_opt: impl Fn(Option<f64>, Option<f64>) -> Option<f64>,
) -> BTreeMap<String, PartPoint> {
    a.keys()
        .chain(b.keys())
        .map(|name| {
            let (x, y) = (a.get(name), b.get(name));
            let rate = |s: Option<&PartPoint>| s.map_or(0.0, |s| s.iterations_rate);
            let opt = |f: fn(&PartPoint) -> Option<f64>| mean_opt(x.and_then(f), y.and_then(f));
            let later = |f: fn(&PartPoint) -> Option<f64>| y.and_then(f).or(x.and_then(f));
            let point = PartPoint {
                vus: y.or(x).map_or(0, |s| s.vus),
                iterations_rate: mean(rate(x), rate(y)),
                http_reqs_rate: opt(|s| s.http_reqs_rate),
                p95: later(|s| s.p95),
                http_req_failed: opt(|s| s.http_req_failed),
                checks: opt(|s| s.checks),
            };
            (name.clone(), point)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(i: u64) -> Point {
        Point {
            elapsed_ms: i * 1000,
            vus: i,
            http_reqs_rate: i as f64,
            ..Point::default()
        }
    }

    #[test]
    fn stays_bounded_and_keeps_the_whole_span() {
        let mut h = History::new(8);
        for i in 1..=100 {
            h.push("run-1", point(i));
            assert!(
                h.points().len() <= 8,
                "{} points after {i}",
                h.points().len()
            );
        }
        let points = h.points();
        assert_eq!(points.first().map(|p| p.elapsed_ms <= 16_000), Some(true));
        assert_eq!(points.last().map(|p| p.elapsed_ms), Some(100_000));
        // Every sample counted once: the rates' weighted sum is the total.
        let weights: u32 = h.points.iter().map(|(_, n)| n).sum();
        assert_eq!(weights, 100);
        let sum: f64 = h
            .points
            .iter()
            .map(|(p, n)| p.http_reqs_rate * f64::from(*n))
            .sum();
        assert!((sum - 5050.0).abs() < 1e-6, "{sum}");
    }

    #[test]
    fn merging_averages_rates_and_keeps_the_latest_state() {
        let a = Point {
            http_req_failed: Some(0.5),
            p95: Some(10.0),
            ..point(1)
        };
        let b = Point {
            http_req_failed: None,
            p95: Some(12.0),
            ..point(3)
        };
        let m = merge((&a, 1), (&b, 3));
        assert_eq!(m.http_reqs_rate, 2.5);
        assert_eq!(m.http_req_failed, Some(0.5));
        assert_eq!((m.elapsed_ms, m.vus, m.p95), (3000, 3, Some(12.0)));
    }

    #[test]
    fn scenarios_merge_by_name() {
        let part = |vus, rate, reqs: Option<f64>, p95| PartPoint {
            vus,
            iterations_rate: rate,
            http_reqs_rate: reqs,
            p95,
            ..PartPoint::default()
        };
        let with = |pairs: &[(&str, PartPoint)]| Point {
            scenarios: pairs.iter().map(|(n, p)| (n.to_string(), *p)).collect(),
            ..Point::default()
        };
        let m = merge(
            (
                &with(&[
                    ("a", part(2, 4.0, Some(10.0), Some(5.0))),
                    ("b", part(1, 2.0, None, None)),
                ]),
                1,
            ),
            (&with(&[("a", part(3, 8.0, Some(30.0), None))]), 1),
        );
        // Rates averaged, the latest VUs, the latest known p95.
        assert_eq!(m.scenarios["a"], part(3, 6.0, Some(20.0), Some(5.0)));
        assert_eq!(m.scenarios["b"], part(1, 1.0, None, None));
    }

    #[test]
    fn a_new_run_starts_afresh() {
        let mut h = History::new(4);
        for i in 1..=10 {
            h.push("run-1", point(i));
        }
        h.push("run-2", point(1));
        assert_eq!(h.points(), [point(1)]);
        h.push("run-2", point(2));
        assert_eq!(h.points().len(), 2);
    }
}
