//! [`Totals`]: a small aggregating sink, enough to print the counts that
//! show a run worked (the full summary lives in the core).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use k6r_core::metrics::{MetricType, Sample, ValueType};

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
pub struct Totals(Arc<Mutex<BTreeMap<String, Total>>>);

impl Totals {
    /// The total of `name`.
    pub fn get(&self, name: &str) -> Option<Total> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    /// Every metric's total, by name.
    pub fn all(&self) -> BTreeMap<String, Total> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl SampleSink for Totals {
    fn add(&mut self, batch: &[Sample]) {
        let mut totals = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for sample in batch {
            let value = sample.value;
            let name = &*sample.metric.name;
            if !totals.contains_key(name) {
                totals.insert(
                    name.to_owned(),
                    Total {
                        kind: sample.metric.kind,
                        contains: sample.metric.contains,
                        count: 0,
                        sum: 0.0,
                        non_zero: 0,
                        min: value,
                        max: value,
                        last: value,
                    },
                );
            }
            // Looked up by `&str`: no allocation per sample.
            let Some(total) = totals.get_mut(name) else {
                continue;
            };
            total.count += 1;
            total.sum += value;
            total.non_zero += u64::from(value != 0.0);
            total.min = total.min.min(value);
            total.max = total.max.max(value);
            total.last = value;
        }
    }
}
