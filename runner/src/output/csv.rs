//! k6's CSV output: a header, then one row per sample with the default
//! system tags as columns and every other tag in `extra_tags`.

use std::io::{self, Write};

use k6r_core::metrics::Sample;

use super::time::unix_seconds;
use super::Encode;

/// k6's columns for the default system tags, in order.
const TAG_COLUMNS: [&str; 14] = k6r_core::options::DEFAULT_SYSTEM_TAGS;

/// The CSV encoder.
pub(super) struct Csv;

impl Encode for Csv {
    fn header(&mut self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(
            out,
            "metric_name,timestamp,metric_value,{},extra_tags,metadata",
            TAG_COLUMNS.join(",")
        )
    }

    fn encode(&mut self, batch: &[Sample], out: &mut dyn Write) -> io::Result<()> {
        for s in batch {
            field(out, &s.metric.name)?;
            write!(out, ",{},{:.6}", unix_seconds(s.time), s.value)?;
            for column in TAG_COLUMNS {
                out.write_all(b",")?;
                field(out, s.tags.get(column).unwrap_or(""))?;
            }
            out.write_all(b",")?;
            let extra: Vec<String> = s
                .tags
                .iter()
                .filter(|(k, _)| !TAG_COLUMNS.contains(k))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            field(out, &extra.join("&"))?;
            out.write_all(b",\n")?;
        }
        Ok(())
    }
}

/// A CSV field, quoted when it holds a comma, a quote or a line break
/// (Go's `encoding/csv` rule).
fn field(out: &mut dyn Write, value: &str) -> io::Result<()> {
    let quote = value.contains([',', '"', '\n', '\r']) || value.starts_with(' ');
    if !quote {
        return out.write_all(value.as_bytes());
    }
    out.write_all(b"\"")?;
    out.write_all(value.replace('"', "\"\"").as_bytes())?;
    out.write_all(b"\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use k6r_core::metrics::{Builtin, Tags};
    use std::sync::Arc;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn rows_have_k6s_columns() {
        let mut out = Vec::new();
        Csv.header(&mut out).unwrap();
        let tags = Tags::new()
            .with("scenario", "default")
            .with("group", "")
            .with("kind", "odd")
            .with("check", "a, b");
        let s = Sample {
            metric: Builtin::Checks.metric(),
            tags: Arc::new(tags),
            time: UNIX_EPOCH + Duration::from_millis(1_796_048_923_500),
            value: 1.0,
        };
        Csv.encode(&[s], &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata");
        assert_eq!(
            lines[1],
            "checks,1796048923,1.000000,\"a, b\",,,,,,,,default,,,,,,kind=odd,"
        );
    }
}
