//! k6r-core's sinks ↔ `Sink`: counters, gauges, rates and trends with their
//! exact sums and histogram buckets. Decoding refuses what no sink holds
//! (a NaN minimum, more passes than values, a bucket key beyond the last,
//! a count the histogram does not hold), so a merge never meets it.

use k6r_core::metrics::exact_sum::ExactSum;
use k6r_core::metrics::histogram::{Sign, MAX_KEY};
use k6r_core::metrics::sink::{CounterSink, GaugeSink, RateSink, TrendSink};
use k6r_core::metrics::{Histogram, Sink};

use super::MetricDeltaError;
use crate::v1::{self, sink};

type Result<T> = std::result::Result<T, MetricDeltaError>;

impl From<&Sink> for v1::Sink {
    fn from(s: &Sink) -> Self {
        let kind = match s {
            Sink::Counter(c) => sink::Kind::Counter(v1::CounterSink {
                sum: Some(c.exact_sum().into()),
                samples: c.samples(),
            }),
            Sink::Gauge(g) => sink::Kind::Gauge(v1::GaugeSink {
                last: g
                    .last()
                    .map(|(unix_nanos, value)| v1::GaugeSample { unix_nanos, value }),
                min: g.min(),
                max: g.max(),
            }),
            Sink::Rate(r) => sink::Kind::Rate(v1::RateSink {
                passes: r.passes,
                total: r.total,
            }),
            Sink::Trend(t) => sink::Kind::Trend(v1::TrendSink {
                count: t.count(),
                min: t.min(),
                max: t.max(),
                sum: Some(t.exact_sum().into()),
                histogram: Some(t.histogram().into()),
            }),
        };
        v1::Sink { kind: Some(kind) }
    }
}

impl TryFrom<&v1::Sink> for Sink {
    type Error = MetricDeltaError;

    fn try_from(s: &v1::Sink) -> Result<Self> {
        match &s.kind {
            None => Err(MetricDeltaError::Missing { field: "sink.kind" }),
            Some(sink::Kind::Counter(c)) => Ok(Sink::Counter(counter(c)?)),
            Some(sink::Kind::Gauge(g)) => Ok(Sink::Gauge(gauge(g)?)),
            Some(sink::Kind::Rate(r)) => Ok(Sink::Rate(rate(r)?)),
            Some(sink::Kind::Trend(t)) => Ok(Sink::Trend(trend(t)?)),
        }
    }
}

fn counter(c: &v1::CounterSink) -> Result<CounterSink> {
    let sum = exact_sum(c.sum.as_ref(), COUNTER_SUM)?;
    Ok(CounterSink::from_parts(sum, c.samples))
}

fn gauge(g: &v1::GaugeSink) -> Result<GaugeSink> {
    let number = |value: f64, field| {
        if value.is_nan() {
            Err(MetricDeltaError::NotANumber { field })
        } else {
            Ok(value)
        }
    };
    let last = match &g.last {
        Some(last) => Some((last.unix_nanos, number(last.value, "gauge.last.value")?)),
        None => None,
    };
    let min = number(g.min, "gauge.min")?;
    let max = number(g.max, "gauge.max")?;
    Ok(GaugeSink::from_parts(last, min, max))
}

fn rate(r: &v1::RateSink) -> Result<RateSink> {
    if r.passes > r.total {
        return Err(MetricDeltaError::Invalid {
            field: "rate.passes",
            reason: "more passes than values",
        });
    }
    Ok(RateSink {
        passes: r.passes,
        total: r.total,
    })
}

fn trend(t: &v1::TrendSink) -> Result<TrendSink> {
    let sum = exact_sum(t.sum.as_ref(), TREND_SUM)?;
    let (hist, held) = histogram(t.histogram.as_ref())?;
    if held != t.count {
        return Err(MetricDeltaError::Invalid {
            field: "trend.count",
            reason: "not the number of values the histogram holds",
        });
    }
    if t.count > 0 {
        for (value, field) in [(t.min, "trend.min"), (t.max, "trend.max")] {
            if value.is_nan() {
                return Err(MetricDeltaError::NotANumber { field });
            }
        }
        if t.min > t.max {
            return Err(MetricDeltaError::Invalid {
                field: "trend.min",
                reason: "above the maximum",
            });
        }
    }
    Ok(TrendSink::from_parts(t.count, t.min, t.max, sum, hist))
}

impl From<&ExactSum> for v1::ExactSum {
    fn from(sum: &ExactSum) -> Self {
        let (partials, special) = sum.parts();
        v1::ExactSum {
            partials: partials.to_vec(),
            special,
        }
    }
}

/// The names of an `ExactSum`'s fields in one sink.
struct SumFields {
    partials: &'static str,
    special: &'static str,
}

const COUNTER_SUM: SumFields = SumFields {
    partials: "counter.sum.partials",
    special: "counter.sum.special",
};

const TREND_SUM: SumFields = SumFields {
    partials: "trend.sum.partials",
    special: "trend.sum.special",
};

/// The sum an `ExactSum` holds (zero when absent), its parts added up
/// exactly again.
fn exact_sum(wire: Option<&v1::ExactSum>, fields: SumFields) -> Result<ExactSum> {
    let mut sum = ExactSum::new();
    let Some(wire) = wire else {
        return Ok(sum);
    };
    let SumFields { partials, special } = fields;
    for &p in &wire.partials {
        if !p.is_finite() {
            return Err(MetricDeltaError::NonFinite { field: partials });
        }
        sum.add(p);
    }
    if wire.special.is_finite() && wire.special != 0.0 {
        return Err(MetricDeltaError::Invalid {
            field: special,
            reason: "a finite sum of non-finite values",
        });
    }
    if !wire.special.is_finite() {
        sum.add(wire.special);
    }
    Ok(sum)
}

impl From<&Histogram> for v1::Histogram {
    fn from(h: &Histogram) -> Self {
        v1::Histogram {
            zeros: h.zeros(),
            positive: buckets(h, Sign::Positive),
            negative: buckets(h, Sign::Negative),
        }
    }
}

/// The occupied buckets on one side, or `None` when there are none.
fn buckets(h: &Histogram, sign: Sign) -> Option<v1::Buckets> {
    let mut wire = v1::Buckets::default();
    let mut previous = None;
    for (key, count) in h.buckets(sign) {
        wire.key_steps.push(previous.map_or(key, |p| key - p));
        wire.counts.push(count);
        previous = Some(key);
    }
    previous.map(|_| wire)
}

/// The histogram (empty when absent) and how many values it holds.
fn histogram(wire: Option<&v1::Histogram>) -> Result<(Histogram, u64)> {
    let mut h = Histogram::new();
    let Some(wire) = wire else {
        return Ok((h, 0));
    };
    h.add_n(0.0, wire.zeros);
    let positive = add_buckets(&mut h, Sign::Positive, wire.positive.as_ref())?;
    let negative = add_buckets(&mut h, Sign::Negative, wire.negative.as_ref())?;
    let held = [positive, negative]
        .into_iter()
        .try_fold(wire.zeros, u64::checked_add)
        .ok_or(MetricDeltaError::CountOverflow {
            field: "trend.histogram",
        })?;
    Ok((h, held))
}

/// Adds one side's buckets into `h`; returns how many values they hold.
fn add_buckets(h: &mut Histogram, sign: Sign, wire: Option<&v1::Buckets>) -> Result<u64> {
    let Some(wire) = wire else {
        return Ok(0);
    };
    let (steps, counts) = match sign {
        Sign::Positive => (
            "trend.histogram.positive.key_steps",
            "trend.histogram.positive.counts",
        ),
        Sign::Negative => (
            "trend.histogram.negative.key_steps",
            "trend.histogram.negative.counts",
        ),
    };
    if wire.key_steps.len() != wire.counts.len() {
        return Err(MetricDeltaError::Invalid {
            field: counts,
            reason: "not one count per key step",
        });
    }
    let mut key = 0u64;
    let mut held = 0u64;
    for (i, (&step, &count)) in wire.key_steps.iter().zip(&wire.counts).enumerate() {
        if i > 0 && step == 0 {
            return Err(MetricDeltaError::Invalid {
                field: steps,
                reason: "keys must ascend",
            });
        }
        key += u64::from(step);
        if key > u64::from(MAX_KEY) {
            return Err(MetricDeltaError::BucketOutOfRange { field: steps, key });
        }
        if count == 0 {
            return Err(MetricDeltaError::Invalid {
                field: counts,
                reason: "an empty bucket",
            });
        }
        held = held
            .checked_add(count)
            .ok_or(MetricDeltaError::CountOverflow { field: counts })?;
        h.add_to_bucket(sign, key as u32, count);
    }
    Ok(held)
}
