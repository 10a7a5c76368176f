//! k6's number, duration and data-size formatting, reproduced from the
//! JavaScript its summary is written in: `Number#toString`, `toFixed`
//! (ties away from zero on the exact binary value), truncation to two
//! decimals for durations and rates, base-1000 byte units.

use crate::metrics::{MetricType, ValueType};

use super::TimeUnit;

/// JavaScript's `Number#toString`.
pub fn js_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if x == 0.0 {
        return "0".into();
    }
    let a = x.abs();
    if (1e-6..1e21).contains(&a) {
        return format!("{x}");
    }
    let s = format!("{x:e}");
    match s.split_once('e') {
        Some((m, e)) if !e.starts_with('-') => format!("{m}e+{e}"),
        _ => s,
    }
}

/// JavaScript's `Number#toFixed(digits)` for `|x| < 1e21`.
pub fn to_fixed(x: f64, digits: usize) -> String {
    if !x.is_finite() || x.abs() >= 1e21 {
        return js_string(x);
    }
    let mut s = format!("{x:.digits$}");
    // Rust rounds exact ties to even; JavaScript picks the larger
    // magnitude. A tie is an exact expansion ending in 5 one digit later.
    let longer = format!("{x:.*}", digits + 1);
    if longer.ends_with('5') {
        let exact = format!("{x:.1100}");
        let exact = exact.trim_end_matches('0');
        if exact.len() == longer.len() {
            let bump = 10f64.powi(-(digits as i32)) / 2.0;
            let away = if x > 0.0 { x + bump } else { x - bump };
            s = format!("{away:.digits$}");
        }
    }
    if s.starts_with('-') && s[1..].bytes().all(|b| b == b'0' || b == b'.') {
        s.remove(0);
    }
    s
}

/// `parseFloat(x.toFixed(digits)).toString()`.
pub fn fixed_no_trailing_zeros(x: f64, digits: usize) -> String {
    let fixed: f64 = to_fixed(x, digits).parse().unwrap_or(x);
    js_string(fixed)
}

/// The same after truncating (not rounding) to `digits` decimals.
pub fn fixed_trunc(x: f64, digits: usize) -> String {
    let mult = 10f64.powi(digits as i32);
    fixed_no_trailing_zeros((mult * x).trunc() / mult, digits)
}

/// A duration in milliseconds as k6 shows it: `0s`, `400ns`, `749.38µs`,
/// `42ms`, `1.5s`, `1m30s`, `1h2m3s`; with a time unit, `toFixed(2)` in
/// that unit.
pub fn duration(ms: f64, unit: Option<TimeUnit>) -> String {
    if let Some(unit) = unit {
        let (coef, name) = match unit {
            TimeUnit::Seconds => (0.001, "s"),
            TimeUnit::Milliseconds => (1.0, "ms"),
            TimeUnit::Microseconds => (1000.0, "µs"),
        };
        return format!("{}{}", to_fixed(ms * coef, 2), name);
    }
    if ms == 0.0 {
        return "0s".into();
    }
    if ms < 0.001 {
        return format!("{}ns", js_string((ms * 1e6).trunc()));
    }
    if ms < 1.0 {
        return format!("{}µs", fixed_trunc(ms * 1000.0, 2));
    }
    if ms < 1000.0 {
        return format!("{}ms", fixed_trunc(ms, 2));
    }
    let digits = if ms > 60000.0 { 0 } else { 2 };
    let mut out = format!("{}s", fixed_trunc((ms % 60000.0) / 1000.0, digits));
    let minutes = (ms / 60000.0).trunc();
    if minutes < 1.0 {
        return out;
    }
    out = format!("{}m{out}", js_string(minutes % 60.0));
    let hours = (minutes / 60.0).trunc();
    if hours < 1.0 {
        return out;
    }
    format!("{}h{out}", js_string(hours))
}

/// A byte count: `N B` below 10, else base-1000 units with one decimal
/// below 10 (`1.8 kB`, `19 kB`).
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    if b < 10.0 || b.is_nan() {
        return format!("{} B", js_string(b));
    }
    let e = (b.ln() / 1000f64.ln()).floor();
    let unit = UNITS.get(e as usize).copied().unwrap_or("undefined");
    let val = ((b / 1000f64.powf(e)) * 10.0 + 0.5).floor() / 10.0;
    format!("{} {unit}", to_fixed(val, if val < 10.0 { 1 } else { 0 }))
}

/// A metric value as k6's summary shows it: rates as truncated
/// percentages, data as sizes, times as durations, other numbers with up to
/// six decimals.
pub fn value(x: f64, kind: MetricType, contains: ValueType, unit: Option<TimeUnit>) -> String {
    if kind == MetricType::Rate {
        return format!("{}%", to_fixed((x * 100.0 * 100.0).trunc() / 100.0, 2));
    }
    match contains {
        ValueType::Data => bytes(x),
        ValueType::Time => duration(x, unit),
        ValueType::Default => fixed_no_trailing_zeros(x, 6),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_like_javascript() {
        assert_eq!(js_string(3.0), "3");
        assert_eq!(js_string(-0.0), "0");
        assert_eq!(js_string(62.521588), "62.521588");
        assert_eq!(js_string(1e21), "1e+21");
        assert_eq!(js_string(1.5e-7), "1.5e-7");
        assert_eq!(to_fixed(0.25, 1), "0.3");
        assert_eq!(to_fixed(1.005, 2), "1.00");
        assert_eq!(to_fixed(2.5, 0), "3");
        assert_eq!(to_fixed(-0.0001, 2), "0.00");
        assert_eq!(fixed_no_trailing_zeros(62.52158812345, 6), "62.521588");
        assert_eq!(fixed_no_trailing_zeros(2249.5, 6), "2249.5");
    }

    #[test]
    fn durations_match_the_reference() {
        let d = |ms| duration(ms, None);
        assert_eq!(d(0.0), "0s");
        assert_eq!(d(0.0004), "400ns");
        assert_eq!(d(0.74938), "749.38µs");
        assert_eq!(d(42.0), "42ms");
        assert_eq!(d(51.1549), "51.15ms");
        assert_eq!(d(1500.0), "1.5s");
        assert_eq!(d(59_999.999), "59.99s");
        assert_eq!(d(90_000.0), "1m30s");
        assert_eq!(d(3_723_456.7), "1h2m3s");
        assert_eq!(d(-5.0), "-5000000ns");
        assert_eq!(
            duration(59_999.999, Some(TimeUnit::Milliseconds)),
            "60000.00ms"
        );
        assert_eq!(
            duration(0.012_345_6, Some(TimeUnit::Microseconds)),
            "12.35µs"
        );
        assert_eq!(duration(150.0, Some(TimeUnit::Seconds)), "0.15s");
    }

    #[test]
    fn sizes_and_values() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(450.0), "450 B");
        assert_eq!(bytes(1800.0), "1.8 kB");
        assert_eq!(bytes(19_000.0), "19 kB");
        assert_eq!(bytes(4_700.0), "4.7 kB");
        let v = |x, k, c| value(x, k, c, None);
        assert_eq!(v(0.5, MetricType::Rate, ValueType::Default), "50.00%");
        assert_eq!(v(0.66666, MetricType::Rate, ValueType::Default), "66.66%");
        assert_eq!(v(1.0, MetricType::Rate, ValueType::Default), "100.00%");
        assert_eq!(
            v(7100.000000000002, MetricType::Trend, ValueType::Default),
            "7100"
        );
        assert_eq!(v(-5.5, MetricType::Gauge, ValueType::Default), "-5.5");
    }
}
