//! The [`Registry`]: every declared metric with its sink and submetrics,
//! fed with batches of samples.
//!
//! Samples are routed when they arrive, never kept: each goes into its
//! metric's sink, into the sink of every submetric whose tags it carries,
//! and (for `checks`) into the [`CheckBook`]. With a [`Breakdown`]
//! samples also go into per-scenario sinks: every metric's, per group too
//! (the `full` summary mode), or the headline metrics' (the dashboard's
//! per-scenario charts).

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use super::builtin::Builtin;
use super::checks::{CheckBook, GroupTree};
use super::error::MetricsError;
use super::name::validate_name;
use super::sample::{Metric, MetricType, Sample, Tags, ValueType};
use super::selector::Selector;
use super::sink::{MergeError, Sink};

/// The submetric k6 adds when the `expected_response` system tag is on
/// (the default): register it with [`Registry::submetric`] before the run.
pub const EXPECTED_RESPONSE_SUBMETRIC: &str = "http_req_duration{expected_response:true}";

/// A submetric: the samples of a parent metric that carry some tags.
#[derive(Clone, Debug, PartialEq)]
pub struct Submetric {
    /// `parent{suffix}`.
    pub name: String,
    /// The selector text (`expected_response:true`).
    pub suffix: String,
    /// The tags a sample must carry.
    pub tags: Tags,
    /// Its aggregate.
    pub sink: Sink,
    /// Whether it had a sample or carries thresholds (k6 shows only
    /// observed metrics).
    pub observed: bool,
}

/// A metric with its sink and submetrics.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// The metric.
    pub metric: Arc<Metric>,
    /// Its aggregate.
    pub sink: Sink,
    /// Whether it had a sample or carries thresholds.
    pub observed: bool,
    /// Its submetrics, in creation order.
    pub submetrics: Vec<Submetric>,
}

/// Sinks of one slice of the samples (a scenario, a group), without
/// submetrics, by metric name.
pub type SinkSet = BTreeMap<Arc<str>, (Arc<Metric>, Sink)>;

/// What one scenario gathered, for the `full` summary.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScenarioBreakdown {
    /// All of the scenario's samples.
    pub totals: SinkSet,
    /// The samples of each group path (`""` is the root) of the scenario.
    pub groups: BTreeMap<String, SinkSet>,
    /// The scenario's checks.
    pub checks: CheckBook,
}

/// What a registry keeps of each scenario beside the run's totals.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Breakdown {
    /// Nothing.
    #[default]
    None,
    /// The totals of [`Builtin::HEADLINE`] (the dashboard's charts by
    /// scenario).
    Headline,
    /// Every metric's totals, its sinks per group, and the checks (the
    /// `full` summary mode).
    Full,
}

impl Breakdown {
    /// What a run whose parts are charted keeps: everything for the
    /// `full` summary, else the headline metrics when it has more than one
    /// scenario (with one, its totals are the run's).
    pub fn charted(full_summary: bool, scenarios: usize) -> Self {
        if full_summary {
            Breakdown::Full
        } else if scenarios > 1 {
            Breakdown::Headline
        } else {
            Breakdown::None
        }
    }
}

/// Hashes a pointer-sized key with one multiplication (the keys are
/// distinct addresses; SipHash would dominate the per-sample cost).
#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8 | u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Entry index by the address of a sample's `Arc<Metric>`, holding the
/// `Arc` so that the address cannot be reused by another metric.
type ByPtr = HashMap<usize, (Arc<Metric>, usize), BuildHasherDefault<PtrHasher>>;

/// Every metric of a test run and what it aggregated.
#[derive(Clone, Debug)]
pub struct Registry {
    entries: Vec<Entry>,
    index: HashMap<Arc<str>, usize>,
    by_ptr: ByPtr,
    checks: CheckBook,
    groups: GroupTree,
    scope: Breakdown,
    breakdown: Option<BTreeMap<String, ScenarioBreakdown>>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

fn add_to(set: &mut SinkSet, s: &Sample) {
    set.entry(Arc::clone(&s.metric.name))
        .or_insert_with(|| (Arc::clone(&s.metric), Sink::new(s.metric.kind)))
        .1
        .add(s.value, s.time);
}

fn merge_sets(into: &mut SinkSet, from: &SinkSet) -> Result<(), MergeError> {
    for (name, (metric, sink)) in from {
        match into.get_mut(name) {
            Some((_, mine)) => mine.merge(sink)?,
            None => {
                into.insert(Arc::clone(name), (Arc::clone(metric), sink.clone()));
            }
        }
    }
    Ok(())
}

impl Registry {
    /// A registry with k6's built-in metrics declared (none observed yet).
    pub fn new() -> Self {
        let mut r = Registry {
            entries: Vec::new(),
            index: HashMap::new(),
            by_ptr: ByPtr::default(),
            checks: CheckBook::default(),
            groups: GroupTree::default(),
            scope: Breakdown::None,
            breakdown: None,
        };
        for &b in Builtin::ALL {
            r.insert(b.metric());
        }
        r
    }

    /// The registry of a script's run, wherever its metrics are read (a
    /// local run, the CLI's summary of a cluster run): k6's built-ins, the
    /// script's custom metrics with their declared types, the
    /// `expected_response` submetric, and the per-scenario sinks of
    /// `breakdown`.
    pub fn for_script(custom: &[Arc<Metric>], breakdown: Breakdown) -> Result<Self, MetricsError> {
        let mut registry = Registry::new().with(breakdown);
        for m in custom {
            registry.declare(&m.name, m.kind, m.contains)?;
        }
        registry.submetric(EXPECTED_RESPONSE_SUBMETRIC)?;
        Ok(registry)
    }

    /// Also keeps every per-scenario and per-group sink (for
    /// `--summary-mode full`).
    pub fn with_breakdown(self) -> Self {
        self.with(Breakdown::Full)
    }

    /// Also keeps the per-scenario sinks of `breakdown`.
    pub fn with(mut self, breakdown: Breakdown) -> Self {
        self.scope = breakdown;
        self.breakdown = (breakdown != Breakdown::None).then(BTreeMap::new);
        self
    }

    fn insert(&mut self, metric: Arc<Metric>) -> usize {
        let i = self.entries.len();
        self.index.insert(Arc::clone(&metric.name), i);
        self.entries.push(Entry {
            sink: Sink::new(metric.kind),
            metric,
            observed: false,
            submetrics: Vec::new(),
        });
        i
    }

    /// Declares a custom metric (`new Trend(name, isTime)`), or returns the
    /// existing one if it has the same type and value type. Names are
    /// checked with k6's rule.
    pub fn declare(
        &mut self,
        name: &str,
        kind: MetricType,
        contains: ValueType,
    ) -> Result<Arc<Metric>, MetricsError> {
        if let Some(e) = self.get(name) {
            if e.metric.kind != kind {
                return Err(MetricsError::TypeMismatch {
                    name: name.to_owned(),
                    existing: e.metric.kind,
                    requested: kind,
                });
            }
            if e.metric.contains != contains {
                return Err(MetricsError::ValueTypeMismatch {
                    name: name.to_owned(),
                    existing: e.metric.contains,
                    requested: contains,
                });
            }
            return Ok(Arc::clone(&e.metric));
        }
        validate_name(name)?;
        let metric = Arc::new(Metric::new(name, kind, contains));
        self.insert(Arc::clone(&metric));
        Ok(metric)
    }

    /// The metric called `name` (no selector).
    pub fn get(&self, name: &str) -> Option<&Entry> {
        self.index.get(name).map(|&i| &self.entries[i])
    }

    /// Every metric, in declaration order (built-ins first).
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Adds (or finds) the submetric `metric{tags}` and returns its name.
    /// A plain name just checks that the metric exists. Selectors with the
    /// same tags share one submetric, as in k6.
    pub fn submetric(&mut self, expr: &str) -> Result<String, MetricsError> {
        let parent = expr.split('{').next().unwrap_or(expr);
        let Some(&i) = self.index.get(parent) else {
            return Err(MetricsError::UnknownMetric(parent.to_owned()));
        };
        let Some(inner) = expr[parent.len()..].strip_prefix('{') else {
            return Ok(parent.to_owned());
        };
        let inner = inner
            .strip_suffix('}')
            .ok_or_else(|| super::error::SelectorError::NotLast(expr.to_owned()))?;
        let sel = Selector::new(parent, inner);
        let entry = &mut self.entries[i];
        if let Some(sm) = entry.submetrics.iter().find(|sm| sm.tags == sel.tags) {
            return Ok(sm.name.clone());
        }
        let name = sel.name();
        entry.submetrics.push(Submetric {
            name: name.clone(),
            suffix: sel.suffix,
            tags: sel.tags,
            sink: Sink::new(entry.metric.kind),
            observed: false,
        });
        Ok(name)
    }

    /// The sink of `name`, a metric or a submetric (`parent{suffix}`).
    pub fn sink(&self, name: &str) -> Option<&Sink> {
        let parent = name.split('{').next().unwrap_or(name);
        let e = self.get(parent)?;
        if parent.len() == name.len() {
            return Some(&e.sink);
        }
        e.submetrics
            .iter()
            .find(|s| s.name == name)
            .map(|s| &s.sink)
    }

    /// Marks a metric or submetric as observed, so the summary shows it
    /// without samples (k6 does this for metrics with thresholds).
    pub fn mark_observed(&mut self, name: &str) {
        let parent = name.split('{').next().unwrap_or(name);
        let Some(&i) = self.index.get(parent) else {
            return;
        };
        let e = &mut self.entries[i];
        e.observed = true;
        if let Some(sm) = e.submetrics.iter_mut().find(|s| s.name == name) {
            sm.observed = true;
        }
    }

    /// Routes a batch of samples. Samples of undeclared metrics declare
    /// them; NaN values are dropped, as k6 drops them.
    pub fn add(&mut self, samples: &[Sample]) {
        for s in samples {
            if s.value.is_nan() {
                continue;
            }
            let i = self.index_of(&s.metric);
            let e = &mut self.entries[i];
            e.sink.add(s.value, s.time);
            e.observed = true;
            for sm in &mut e.submetrics {
                if s.tags.contains_all(&sm.tags) {
                    sm.sink.add(s.value, s.time);
                    sm.observed = true;
                }
            }
            // Built-ins sit at their `Builtin` index (declared first).
            let is_check = i == Builtin::Checks as usize;
            if is_check || i == Builtin::GroupDuration as usize || self.breakdown.is_some() {
                self.route_extras(s, i, is_check);
            }
        }
    }

    /// The entry of a sample's metric: by `Arc` address when seen before,
    /// else by name (declaring it when unknown).
    fn index_of(&mut self, metric: &Arc<Metric>) -> usize {
        let ptr = Arc::as_ptr(metric) as usize;
        if let Some(&(_, i)) = self.by_ptr.get(&ptr) {
            return i;
        }
        let i = match self.index.get(&metric.name) {
            Some(&i) => i,
            None => self.insert(Arc::clone(metric)),
        };
        self.by_ptr.insert(ptr, (Arc::clone(metric), i));
        i
    }

    fn route_extras(&mut self, s: &Sample, index: usize, is_check: bool) {
        let group = s.tags.get("group").unwrap_or("");
        let grouped = is_check || &*s.metric.name == Builtin::GroupDuration.name();
        // `setup()`/`teardown()` run in groups of those names: k6 lists
        // them once a check ran in them (not for their own durations).
        if grouped && (is_check || !matches!(group, "::setup" | "::teardown")) {
            self.groups.note(group);
        }
        let check = if is_check { s.tags.get("check") } else { None };
        if let Some(check) = check {
            self.checks.record(group, check, s.value != 0.0);
        }
        let full = match self.scope {
            Breakdown::None => return,
            Breakdown::Full => true,
            // Built-ins sit at their `Builtin` index.
            Breakdown::Headline => {
                if !Builtin::HEADLINE.iter().any(|&h| h as usize == index) {
                    return;
                }
                false
            }
        };
        let (Some(b), Some(scenario)) = (&mut self.breakdown, s.tags.get("scenario")) else {
            return;
        };
        if !b.contains_key(scenario) {
            b.insert(scenario.to_owned(), ScenarioBreakdown::default());
        }
        let Some(sb) = b.get_mut(scenario) else {
            return;
        };
        add_to(&mut sb.totals, s);
        if full {
            add_to(sb.groups.entry(group.to_owned()).or_default(), s);
            if let Some(check) = check {
                sb.checks.record(group, check, s.value != 0.0);
            }
        }
    }

    /// Adds everything `other` gathered (another agent's registry, or a
    /// worker's). Metrics, submetrics and checks unknown here are added.
    pub fn merge(&mut self, other: &Registry) -> Result<(), MergeError> {
        for theirs in &other.entries {
            let i = match self.index.get(&theirs.metric.name) {
                Some(&i) => i,
                None => self.insert(Arc::clone(&theirs.metric)),
            };
            for sm in &theirs.submetrics {
                let _ = self.submetric(&sm.name);
            }
            let mine = &mut self.entries[i];
            mine.sink.merge(&theirs.sink)?;
            mine.observed |= theirs.observed;
            for sm in &theirs.submetrics {
                if let Some(m) = mine.submetrics.iter_mut().find(|m| m.tags == sm.tags) {
                    m.sink.merge(&sm.sink)?;
                    m.observed |= sm.observed;
                }
            }
        }
        let empty = BTreeMap::new();
        let breakdown = other.breakdown.as_ref().unwrap_or(&empty);
        self.merge_extras(&other.checks, &other.groups, breakdown)
    }

    pub(super) fn entries_mut(&mut self) -> &mut [Entry] {
        &mut self.entries
    }

    pub(super) fn entry_mut(&mut self, name: &str) -> Option<&mut Entry> {
        let i = *self.index.get(name)?;
        Some(&mut self.entries[i])
    }

    /// Declares `name` like [`declare`](Registry::declare) but without the
    /// custom-name rule (for metrics that arrive from elsewhere).
    pub(super) fn declare_any(
        &mut self,
        name: &str,
        kind: MetricType,
        contains: ValueType,
    ) -> Result<Arc<Metric>, MetricsError> {
        if self.get(name).is_none() {
            self.insert(Arc::new(Metric::new(name, kind, contains)));
        }
        self.declare(name, kind, contains)
    }

    /// Empties and returns the checks, groups and breakdown.
    pub(super) fn take_extras(
        &mut self,
    ) -> (
        CheckBook,
        GroupTree,
        Option<BTreeMap<String, ScenarioBreakdown>>,
    ) {
        let breakdown = self.breakdown.as_mut().map(std::mem::take);
        (
            std::mem::take(&mut self.checks),
            std::mem::take(&mut self.groups),
            breakdown,
        )
    }

    /// Merges checks, groups and a breakdown in.
    pub(super) fn merge_extras(
        &mut self,
        checks: &CheckBook,
        groups: &GroupTree,
        breakdown: &BTreeMap<String, ScenarioBreakdown>,
    ) -> Result<(), MergeError> {
        self.checks.merge(checks);
        self.groups.merge(groups);
        if let Some(mine) = &mut self.breakdown {
            for (scenario, tb) in breakdown {
                let mb = mine.entry(scenario.clone()).or_default();
                merge_sets(&mut mb.totals, &tb.totals)?;
                for (g, set) in &tb.groups {
                    merge_sets(mb.groups.entry(g.clone()).or_default(), set)?;
                }
                mb.checks.merge(&tb.checks);
            }
        }
        Ok(())
    }

    /// Every check, first seen first.
    pub fn checks(&self) -> &CheckBook {
        &self.checks
    }

    /// The group tree.
    pub fn groups(&self) -> &GroupTree {
        &self.groups
    }

    /// The per-scenario breakdown, when enabled.
    pub fn breakdown(&self) -> Option<&BTreeMap<String, ScenarioBreakdown>> {
        self.breakdown.as_ref()
    }

    /// What [`breakdown`](Registry::breakdown) keeps.
    pub fn breakdown_scope(&self) -> Breakdown {
        self.scope
    }
}

#[cfg(test)]
mod tests;
