//! [`Slo`]: a service-level objective in k6's threshold syntax, on one
//! metric or submetric: `http_req_duration: p(95)<200`,
//! `http_req_duration{status:200}: p(99)<500`, `http_req_failed: rate<0.01`.

use std::fmt;

use serde_json::{Map, Value};

use super::AutopilotError;
use crate::metrics::Registry;
use crate::threshold::{Expression, Thresholds};

/// One SLO.
#[derive(Clone, Debug, PartialEq)]
pub struct Slo {
    /// The metric or submetric as written (`http_req_duration{status:200}`).
    pub key: String,
    /// The expression as written (`p(95)<200`).
    pub source: String,
    /// The parsed expression.
    pub expression: Expression,
}

impl fmt::Display for Slo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.source)
    }
}

impl Slo {
    /// Parses `METRIC: EXPRESSION`; the metric may carry a submetric's
    /// tags (`{status:200}`), whose colons are not the separator.
    pub fn parse(text: &str) -> Result<Slo, AutopilotError> {
        let fail = |reason: String| AutopilotError::Slo {
            slo: text.to_string(),
            reason,
        };
        let mut depth = 0i32;
        let colon = text.char_indices().find_map(|(i, c)| {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ':' if depth == 0 => return Some(i),
                _ => {}
            }
            None
        });
        let Some(colon) = colon else {
            return Err(fail("no ':' between the metric and the expression".into()));
        };
        let key = text[..colon].trim();
        let source = text[colon + 1..].trim();
        if key.is_empty() {
            return Err(fail("no metric before ':'".into()));
        }
        let expression = Expression::parse(source).map_err(|e| fail(e.to_string()))?;
        Ok(Slo {
            key: key.to_string(),
            source: source.to_string(),
            expression,
        })
    }

    /// Checks every SLO against the run's `registry` as a threshold is
    /// (the metric exists, the aggregation applies to its type; k6's
    /// messages), creating the submetrics they name; answers with each
    /// SLO's name in the registry, in order.
    pub fn register(slos: &[Slo], registry: &mut Registry) -> Result<Vec<String>, AutopilotError> {
        let mut names = Vec::with_capacity(slos.len());
        for slo in slos {
            let mut option = Map::new();
            option.insert(slo.key.clone(), Value::from(vec![slo.source.clone()]));
            let built = Thresholds::build(&option, registry).map_err(|e| AutopilotError::Slo {
                slo: slo.to_string(),
                reason: e.to_string(),
            })?;
            names.extend(built.metrics.into_iter().map(|m| m.metric));
        }
        Ok(names)
    }
}
