//! Building the API's DTOs from `k6r-core`'s metric registry, check book
//! and group tree: what a metrics source (k6r-runner's
//! `rest_api::MetricsSource`) over the run's live (merged) sinks returns.

use std::collections::BTreeMap;
use std::time::Duration;

use k6r_api::{Check, Group, GroupResource, Metric, MetricResource, MetricType, ValueType};
use k6r_core::metrics::sink::Sink;
use k6r_core::metrics::{self as core, CheckBook, GroupTree, Registry};

fn metric_type(kind: core::MetricType) -> MetricType {
    match kind {
        core::MetricType::Counter => MetricType::Counter,
        core::MetricType::Gauge => MetricType::Gauge,
        core::MetricType::Rate => MetricType::Rate,
        core::MetricType::Trend => MetricType::Trend,
    }
}

fn value_type(contains: core::ValueType) -> ValueType {
    match contains {
        core::ValueType::Default => ValueType::Default,
        core::ValueType::Time => ValueType::Time,
        core::ValueType::Data => ValueType::Data,
    }
}

/// k6's `sample` of a sink (`Sink.Format`): counter `count`/`rate` (per
/// second of `elapsed`), gauge `value`, rate `rate` (0 when empty), trend
/// `avg`/`max`/`med`/`min`/`p(90)`/`p(95)` whatever `summaryTrendStats`.
pub fn sample(sink: &Sink, elapsed: Duration) -> BTreeMap<String, f64> {
    let entries: Vec<(&str, f64)> = match sink {
        Sink::Counter(c) => {
            let rate = if elapsed.is_zero() {
                0.0
            } else {
                c.rate(elapsed)
            };
            vec![("count", c.count()), ("rate", rate)]
        }
        Sink::Gauge(g) => vec![("value", g.value())],
        Sink::Rate(r) => vec![("rate", r.rate().unwrap_or(0.0))],
        Sink::Trend(t) => vec![
            ("avg", t.avg()),
            ("max", t.max()),
            ("med", t.med()),
            ("min", t.min()),
            ("p(90)", t.percentile(90.0)),
            ("p(95)", t.percentile(95.0)),
        ],
    };
    entries
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Every observed metric and submetric of `registry` (k6 lists only
/// those). `tainted(name)` is the threshold state of a metric: `None`
/// without thresholds or before their first evaluation.
pub fn metrics(
    registry: &Registry,
    elapsed: Duration,
    tainted: &dyn Fn(&str) -> Option<bool>,
) -> Vec<MetricResource> {
    let mut out = Vec::new();
    for entry in registry.entries() {
        let m = &entry.metric;
        let dto = |sink: &Sink, name: &str| {
            Metric {
                kind: Some(metric_type(m.kind)),
                contains: Some(value_type(m.contains)),
                tainted: tainted(name),
                sample: sample(sink, elapsed),
            }
            .into_resource(name)
        };
        if entry.observed {
            out.push(dto(&entry.sink, &m.name));
        }
        for sub in entry.submetrics.iter().filter(|s| s.observed) {
            out.push(dto(&sub.sink, &sub.name));
        }
    }
    out
}

/// The id k6 gives a group or check: the lowercase hex MD5 of its path.
pub use k6r_core::summary::groups::id;

/// The group tree flattened depth-first from the root (`""`), children
/// and checks in first-seen order, as `/v1/groups` lists it.
pub fn groups(tree: &GroupTree, checks: &CheckBook) -> Vec<GroupResource> {
    let mut out = Vec::new();
    // (path, parent path), depth-first: children pushed in reverse.
    let mut stack: Vec<(String, Option<String>)> = vec![(String::new(), None)];
    while let Some((path, parent)) = stack.pop() {
        let children: Vec<String> = tree.children(&path).map(|(_, p)| p.to_string()).collect();
        let group_checks: Vec<Check> = checks
            .in_group(&path)
            .map(|c| Check {
                id: id(&c.path()),
                path: c.path(),
                name: c.name.clone(),
                passes: c.passes,
                fails: c.fails,
            })
            .collect();
        let name = path.rsplit("::").next().unwrap_or_default().to_string();
        out.push(GroupResource::new(
            id(&path),
            Group {
                path: path.clone(),
                name,
                checks: (!group_checks.is_empty()).then_some(group_checks),
            },
            children.iter().map(|c| id(c)).collect(),
            parent.as_deref().map(id),
        ));
        for child in children.into_iter().rev() {
            stack.push((child, Some(path.clone())));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use k6r_core::metrics::{Sample, Tags};

    use super::*;

    #[test]
    fn metrics_like_k6() {
        let mut registry = Registry::new();
        let trend = registry
            .declare("waiting", core::MetricType::Trend, core::ValueType::Time)
            .unwrap();
        let counter = registry
            .declare("hits", core::MetricType::Counter, core::ValueType::Default)
            .unwrap();
        registry
            .declare("unused", core::MetricType::Gauge, core::ValueType::Default)
            .unwrap();
        let tags = Arc::new(Tags::new());
        let samples: Vec<Sample> = [1.0, 2.0, 3.0, 4.0]
            .iter()
            .flat_map(|v| {
                [
                    Sample::now(Arc::clone(&trend), Arc::clone(&tags), *v),
                    Sample::now(Arc::clone(&counter), Arc::clone(&tags), 1.0),
                ]
            })
            .collect();
        registry.add(&samples);
        let list = metrics(&registry, Duration::from_secs(2), &|n| {
            (n == "hits").then_some(false)
        });
        let body = serde_json::to_string(&k6r_api::Envelope::new(&list)).unwrap();
        assert!(body.contains(r#"{"type":"metrics","id":"hits","attributes":{"type":"counter","contains":"default","tainted":false,"sample":{"count":4,"rate":2}}}"#), "{body}");
        assert!(body.contains(r#"{"type":"metrics","id":"waiting","attributes":{"type":"trend","contains":"time","tainted":null,"sample":{"avg":2.5,"max":4,"med":"#), "{body}");
        assert!(!body.contains("unused"), "only observed metrics");
    }

    #[test]
    fn groups_like_k6() {
        let mut tree = GroupTree::default();
        tree.note("::outer::inner");
        tree.note("::other");
        let mut checks = CheckBook::default();
        for _ in 0..28 {
            checks.record("::outer::inner", "ok", true);
        }
        let groups = groups(&tree, &checks);
        let body = serde_json::to_string(&k6r_api::Envelope::new(&groups[..3])).unwrap();
        assert_eq!(
            body,
            r#"{"data":[{"type":"groups","id":"d41d8cd98f00b204e9800998ecf8427e","attributes":{"path":"","name":"","checks":null},"relationships":{"groups":{"data":[{"type":"groups","id":"c34b428ee7255085dfe7fef53d3394d5"},{"type":"groups","id":"OTHER_ID"}]},"parent":{"data":null}}},{"type":"groups","id":"c34b428ee7255085dfe7fef53d3394d5","attributes":{"path":"::outer","name":"outer","checks":null},"relationships":{"groups":{"data":[{"type":"groups","id":"b6c425bc7b9e3d21a2d56ce7a6de3614"}]},"parent":{"data":{"type":"groups","id":"d41d8cd98f00b204e9800998ecf8427e"}}}},{"type":"groups","id":"b6c425bc7b9e3d21a2d56ce7a6de3614","attributes":{"path":"::outer::inner","name":"inner","checks":[{"id":"dfd4a54de488742eae8543750acf294c","path":"::outer::inner::ok","name":"ok","passes":28,"fails":0}]},"relationships":{"groups":{"data":[]},"parent":{"data":{"type":"groups","id":"c34b428ee7255085dfe7fef53d3394d5"}}}}]}"#
                .replace("OTHER_ID", &id("::other"))
        );
        assert_eq!(groups.len(), 4);
        assert_eq!(groups[3].attributes.path, "::other");
    }
}
