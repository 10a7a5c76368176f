//! [`Totals`]: a small aggregating sink, enough to print the counts that
//! show a run worked (the full summary lives in the core).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use k6r_core::metrics::{Metric, MetricType, Sample, ValueType};

use crate::samples::SampleSink;

/// The aggregate of one metric.
#[derive(Clone, Debug, PartialEq)]
pub struct Total {
    /// Its type.
    pub kind: MetricType,
    /// What its values are.
    pub contains: ValueType,
    /// Samples seen.
    pub count: u64,
    /// Sum of values.
    pub sum: f64,
    /// Samples with a non-zero value (rates: passes).
    pub non_zero: u64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Last value (gauges).
    pub last: f64,
}

/// Per-metric totals, by metric name; cheap to clone (shared), so the
/// caller keeps a handle while the consumer task feeds it.
#[derive(Clone, Debug, Default)]
pub struct Totals(Arc<Mutex<Table>>);

/// The totals, and the metrics seen so far, each with its total's place:
/// a sample finds its total by comparing pointers (a request's dozen
/// samples share a handful of metrics), not names.
#[derive(Debug, Default)]
struct Table {
    totals: Vec<(String, Total)>,
    seen: Vec<(Arc<Metric>, usize)>,
}

/// The most metrics [`Table::seen`] remembers: a script that makes a new
/// metric object again and again must not grow it without end.
const SEEN_AT_MOST: usize = 256;

impl Table {
    /// The place of `metric`'s total, made on its first sample.
    fn place(&mut self, metric: &Arc<Metric>, first: f64) -> usize {
        if let Some((_, place)) = self.seen.iter().find(|(m, _)| Arc::ptr_eq(m, metric)) {
            return *place;
        }
        let name = &*metric.name;
        let place = match self.totals.iter().position(|(n, _)| n == name) {
            Some(place) => place,
            None => {
                self.totals.push((
                    name.to_owned(),
                    Total {
                        kind: metric.kind,
                        contains: metric.contains,
                        count: 0,
                        sum: 0.0,
                        non_zero: 0,
                        min: first,
                        max: first,
                        last: first,
                    },
                ));
                self.totals.len() - 1
            }
        };
        if self.seen.len() >= SEEN_AT_MOST {
            self.seen.clear();
        }
        self.seen.push((metric.clone(), place));
        place
    }
}

impl Totals {
    /// The total of `name`.
    pub fn get(&self, name: &str) -> Option<Total> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .totals
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, total)| total.clone())
    }

    /// Every metric's total, by name.
    pub fn all(&self) -> BTreeMap<String, Total> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .totals
            .iter()
            .cloned()
            .collect()
    }
}

impl SampleSink for Totals {
    fn add(&mut self, batch: &[Sample]) {
        let mut table = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for sample in batch {
            let value = sample.value;
            let place = table.place(&sample.metric, value);
            let total = &mut table.totals[place].1;
            total.count += 1;
            total.sum += value;
            total.non_zero += u64::from(value != 0.0);
            total.min = total.min.min(value);
            total.max = total.max.max(value);
            total.last = value;
        }
    }
}
