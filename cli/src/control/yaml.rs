//! The YAML k6's control commands print (go-yaml over k6's `v1.Status`
//! and `v1.Metric`), quirks included: nullable values are quoted strings
//! (`paused: "false"`, `vus: ""` for null), the metric type is
//! `{type, valid}`, and floats use Go's `%g` shortest form.

use std::fmt::Write;

use k6r_api::scenarios::ScenarioResource;
use k6r_api::{MetricResource, MetricType, Status, ValueType};

/// `status`, `pause`, `resume`, `scale`, `stop`.
pub fn status(s: &Status) -> String {
    let quoted = |v: Option<String>| format!("\"{}\"", v.unwrap_or_default());
    format!(
        "status: {}\npaused: {}\nvus: {}\nvus-max: {}\nstopped: {}\nrunning: {}\ntainted: {}\n",
        s.status.code(),
        quoted(s.paused.map(|b| b.to_string())),
        quoted(s.vus.map(|n| n.to_string())),
        quoted(s.vus_max.map(|n| n.to_string())),
        s.stopped,
        s.running,
        s.tainted,
    )
}

/// `pause|resume|scale --scenario`: the scenario after the change.
pub fn scenario(s: &ScenarioResource) -> String {
    let a = &s.attributes;
    let mut out = format!(
        "scenario: {}\nexecutor: {}\nstate: {}\nprogress: {}\nvus: {}\n",
        s.id,
        a.executor,
        serde_json::to_value(a.state)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        a.progress,
        a.vus,
    );
    if let Some(target) = a.vus_target {
        let _ = writeln!(out, "vus-target: {target}");
    }
    if let Some(rate) = a.rate {
        let _ = writeln!(out, "rate: {rate}");
    }
    if let Some(d) = &a.duration {
        let _ = writeln!(out, "duration: {d}");
    }
    out
}

/// `stats`: one list item per metric, in the server's order.
pub fn metrics(metrics: &[MetricResource]) -> String {
    if metrics.is_empty() {
        return "[]\n".to_string();
    }
    let mut out = String::new();
    for m in metrics {
        let a = &m.attributes;
        let (kind, kind_valid) = match a.kind {
            Some(k) => (metric_type(k), true),
            None => ("counter", false),
        };
        let (contains, contains_valid) = match a.contains {
            Some(c) => (value_type(c), true),
            None => ("default", false),
        };
        let tainted = a.tainted.map(|t| t.to_string()).unwrap_or_default();
        let _ = write!(
            out,
            "- name: {}\n  type:\n    type: {kind}\n    valid: {kind_valid}\n  contains:\n    type: {contains}\n    valid: {contains_valid}\n  tainted: \"{tainted}\"\n",
            scalar(&m.id)
        );
        if a.sample.is_empty() {
            out.push_str("  sample: {}\n");
            continue;
        }
        out.push_str("  sample:\n");
        for (key, value) in &a.sample {
            let _ = writeln!(out, "    {}: {}", scalar(key), go_g(*value));
        }
    }
    out
}

fn metric_type(t: MetricType) -> &'static str {
    match t {
        MetricType::Counter => "counter",
        MetricType::Gauge => "gauge",
        MetricType::Rate => "rate",
        MetricType::Trend => "trend",
    }
}

fn value_type(t: ValueType) -> &'static str {
    match t {
        ValueType::Default => "default",
        ValueType::Time => "time",
        ValueType::Data => "data",
    }
}

/// A plain YAML scalar, quoted when go-yaml would quote it (metric names
/// with `{`, `:`, spaces...).
fn scalar(s: &str) -> String {
    const RESERVED: &[&str] = &[
        "true", "false", "null", "~", "yes", "no", "on", "off", "y", "n",
    ];
    let plain = !s.is_empty()
        && !s.starts_with([
            '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%',
            '@', '`', ' ',
        ])
        && !s.ends_with([':', ' '])
        && !s.contains(": ")
        && !s.contains(" #")
        && !s.chars().any(char::is_control)
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
        && s.parse::<f64>().is_err();
    if plain {
        s.to_string()
    } else {
        format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
    }
}

/// Go's `strconv.FormatFloat(v, 'g', -1, 64)` as go-yaml writes floats.
pub fn go_g(v: f64) -> String {
    if v.is_nan() {
        return ".nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            ".inf".into()
        } else {
            "-.inf".into()
        };
    }
    if v == 0.0 {
        return if v.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // Shortest digits and decimal exponent, from Rust's shortest `{:e}`.
    let e = format!("{:e}", v.abs());
    let (mantissa, exp) = e.split_once('e').unwrap_or((&e, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let nd = digits.len() as i32;
    let dp = exp + 1;
    let mut eprec = 6;
    if eprec > nd && nd >= dp {
        eprec = nd;
    }
    let sign = if v < 0.0 { "-" } else { "" };
    if exp < -4 || exp >= eprec {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{first}{frac}e{esign}{:02}", exp.abs())
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_like_go() {
        for (v, text) in [
            (2.0, "2"),
            (100.0, "100"),
            (123456.0, "123456"),
            (1234567.0, "1.234567e+06"),
            (1e7, "1e+07"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.8343970919540229, "0.8343970919540229"),
            (1.3742566000000003, "1.3742566000000003"),
            (-3.5, "-3.5"),
            (1e21, "1e+21"),
            (5.994, "5.994"),
        ] {
            assert_eq!(go_g(v), text, "{v}");
        }
    }

    #[test]
    fn scalars() {
        assert_eq!(scalar("http_req_duration"), "http_req_duration");
        assert_eq!(scalar("p(95)"), "p(95)");
        assert_eq!(
            scalar("http_req_duration{expected_response:true}"),
            "http_req_duration{expected_response:true}"
        );
        assert_eq!(scalar("true"), "\"true\"");
    }
}
