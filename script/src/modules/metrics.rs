//! `k6/metrics`: `Counter`, `Gauge`, `Rate` and `Trend`, declared in init
//! code with k6's name rules. Adding samples comes with the VU context.

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;
use std::sync::Arc;

use k6r_core::metrics::{Metric as SampleMetric, MetricType as SampleType, ValueType};
use rquickjs::function::Opt;
use rquickjs::{Ctx, Object, Value};

use crate::log::Level;

use super::{glue, BuiltinModule};
use crate::compiled::Compiled;
use crate::js;
use crate::state::VuState;

/// The `k6/metrics` module.
pub(crate) struct Metrics;

/// A custom metric's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MetricType {
    Counter,
    Gauge,
    Rate,
    Trend,
}

impl MetricType {
    fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "Counter" => MetricType::Counter,
            "Gauge" => MetricType::Gauge,
            "Rate" => MetricType::Rate,
            "Trend" => MetricType::Trend,
            _ => return None,
        })
    }
}

impl fmt::Display for MetricType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MetricType::Counter => "counter",
            MetricType::Gauge => "gauge",
            MetricType::Rate => "rate",
            MetricType::Trend => "trend",
        })
    }
}

/// A declared custom metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Metric {
    pub kind: MetricType,
    /// `new Trend(name, true)`: values are durations in milliseconds.
    pub is_time: bool,
}

/// The custom metrics a VU declared, by name.
#[derive(Debug, Default)]
pub(crate) struct Registry {
    metrics: BTreeMap<String, (Metric, Arc<SampleMetric>)>,
}

impl Registry {
    /// Declares `name`, or finds it again if it exists with the same type.
    fn define(&mut self, name: &str, metric: Metric) -> Result<(), String> {
        if !valid_name(name) {
            return Err(format!("Invalid metric name: '{name}'. Metric names must only include up to 128 ASCII letters, numbers, or underscores and start with a letter or an underscore."));
        }
        let existing = self
            .metrics
            .entry(name.to_owned())
            .or_insert_with(|| (metric, Arc::new(metric.to_sample(name))))
            .0;
        if existing.kind != metric.kind {
            return Err(format!(
                "metric '{name}' already exists but with type {}, instead of {}",
                existing.kind, metric.kind
            ));
        }
        Ok(())
    }

    /// Every declared metric, by name.
    pub(crate) fn all(&self) -> impl Iterator<Item = Arc<SampleMetric>> + '_ {
        self.metrics.values().map(|(_, metric)| Arc::clone(metric))
    }

    /// The declared metric `name`.
    fn get(&self, name: &str) -> Option<Arc<SampleMetric>> {
        self.metrics.get(name).map(|(_, metric)| Arc::clone(metric))
    }
}

impl Metric {
    fn to_sample(self, name: &str) -> SampleMetric {
        let kind = match self.kind {
            MetricType::Counter => SampleType::Counter,
            MetricType::Gauge => SampleType::Gauge,
            MetricType::Rate => SampleType::Rate,
            MetricType::Trend => SampleType::Trend,
        };
        let contains = if self.is_time {
            ValueType::Time
        } else {
            ValueType::Default
        };
        SampleMetric::new(name, kind, contains)
    }
}

/// k6's `^[a-zA-Z_][a-zA-Z0-9_]{1,128}$`.
fn valid_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (2..=129).contains(&bytes.len())
        && (bytes[0].is_ascii_alphabetic() || bytes[0] == b'_')
        && bytes[1..]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'_')
}

/// Each class keeps `name` and `add` as own properties, as k6's objects
/// do (`Object.keys(counter)` is `["name", "add"]`).
const GLUE_SOURCE: &str = r#"(native) => {
    const define = (type) => ({
        [type]: class {
            constructor(name, isTime) {
                const metric = native.define(type, name, isTime);
                this.name = metric;
                this.add = function add(value, tags) { return native.add(metric, value, tags); };
            }
        },
    })[type];
    return { Counter: define("Counter"), Gauge: define("Gauge"), Rate: define("Rate"), Trend: define("Trend") };
}"#;

static GLUE: Compiled = Compiled::new("k6r:k6/metrics", GLUE_SOURCE);

impl BuiltinModule for Metrics {
    const NAME: &'static str = "k6/metrics";
    const EXPORTS: &'static [&'static str] = &["default", "Counter", "Gauge", "Rate", "Trend"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let natives = Object::new(ctx.clone())?;

        let state = vu.clone();
        let define = move |ctx: Ctx<'js>,
                           kind: String,
                           name: Opt<Value<'js>>,
                           is_time: Opt<Value<'js>>|
              -> rquickjs::Result<String> {
            state.require_init(&ctx, "metrics must be declared in the init context")?;
            let kind = MetricType::parse(&kind)
                .ok_or_else(|| js::throw_go_error(&ctx, &format!("unknown metric type {kind}")))?;
            let name = match name.0 {
                Some(value) if !value.is_undefined() => js::to_string(&value)?,
                _ => String::new(),
            };
            let is_time = is_time.0.is_some_and(|value| value.as_bool() == Some(true));
            let defined = state
                .metrics
                .borrow_mut()
                .define(&name, Metric { kind, is_time });
            defined.map_err(|message| js::throw_go_error(&ctx, &message))?;
            Ok(name)
        };
        natives.set("define", js::function(ctx, "define", define)?)?;

        let state = vu.clone();
        let add = move |ctx: Ctx<'js>,
                        name: String,
                        value: Opt<Value<'js>>,
                        tags: Opt<Value<'js>>|
              -> rquickjs::Result<bool> {
            state.forbid_in_init(
                &ctx,
                "Adding to metrics in the init context is not supported",
            )?;
            let Some(metric) = state.metrics.borrow().get(&name) else {
                return Ok(false);
            };
            let value = value.0.unwrap_or_else(|| Value::new_undefined(ctx.clone()));
            let number = match (value.as_bool(), value.as_number()) {
                (Some(b), _) => Some(if b { 1.0 } else { 0.0 }),
                (None, Some(n)) if !n.is_nan() => Some(n),
                _ => None,
            };
            let Some(number) = number else {
                let shown = js::to_string(&value).unwrap_or_default();
                state.log.log(
                    Level::Warning,
                    &format!("'{shown}' is an invalid value for metric '{name}', a number or a boolean value is expected"),
                    &[],
                );
                // k6 returns false for a value it drops.
                return Ok(false);
            };
            let mut sample_tags = (*state.tags()).clone();
            if let Some(extra) = tags.0.and_then(|tags| tags.into_object()) {
                for entry in extra.props::<String, Value>() {
                    let (key, tag) = entry?;
                    sample_tags.insert(key.as_str(), js::to_string(&tag)?.as_str());
                }
            }
            state.push(metric, Arc::new(sample_tags), number);
            Ok(true)
        };
        natives.set("add", js::function(ctx, "add", add)?)?;

        glue(ctx, &GLUE, natives)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_k6() {
        assert!(valid_name("my_counter"));
        assert!(valid_name("_x"));
        assert!(!valid_name("x"));
        assert!(!valid_name("1abc"));
        assert!(!valid_name("bad name"));
        assert!(valid_name(&"a".repeat(129)));
        assert!(!valid_name(&"a".repeat(130)));
    }

    #[test]
    fn redefining_needs_the_same_type() {
        let mut registry = Registry::default();
        let counter = Metric {
            kind: MetricType::Counter,
            is_time: false,
        };
        let gauge = Metric {
            kind: MetricType::Gauge,
            is_time: false,
        };
        assert_eq!(registry.define("c1", counter), Ok(()));
        assert_eq!(registry.define("c1", counter), Ok(()));
        assert_eq!(
            registry.define("c1", gauge),
            Err("metric 'c1' already exists but with type counter, instead of gauge".to_owned())
        );
    }
}
