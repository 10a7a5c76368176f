//! The text summary, laid out as k6's: a `THRESHOLDS` section when there
//! are thresholds, `TOTAL RESULTS` (checks, then the metrics under their
//! headings), and in full mode a section per group of the `default`
//! scenario and per other scenario. In k6's colours when stdout is a
//! terminal and colours are not refused (`noColor`).
//!
//! Like k6's, the text is a list of lines and section breaks joined so
//! that every line starts on a new line and every break adds a blank one;
//! the whole is framed as `"\n" + text + "\n\n"`.

use std::time::Duration;

use crate::metrics::registry::{ScenarioBreakdown, SinkSet};
use crate::metrics::{Check, GroupTree, MetricType, Registry, Stat, ValueType};
use crate::paint::Paint;
use crate::threshold::Thresholds;

use super::format::{js_string, value};
use super::view::{by_name, collate, observed, section_of, Section, View};
use super::{Mode, Options, RunFacts};

/// k6r's banner, printed where k6 prints its logo.
pub const BANNER: &str = "\n  k6r · k6 scripts, Rust engine\n";

enum Item {
    Line(String),
    Break,
}

/// What one row of a metrics block shows.
enum Cells {
    Trend(Vec<String>),
    Plain(String, Vec<String>),
}

struct Row {
    name: String,
    cells: Cells,
}

fn pad(n: usize) -> String {
    " ".repeat(n)
}

fn width(s: &str) -> usize {
    s.chars().count()
}

fn display_name(name: &str) -> String {
    match name.find('{') {
        Some(i) => format!("  {{ {} }}", &name[i + 1..name.len() - 1]),
        None => name.to_owned(),
    }
}

struct Ctx<'a> {
    opts: &'a Options,
    elapsed: Duration,
    paint: Paint,
}

impl Ctx<'_> {
    fn fmt(&self, x: f64, kind: MetricType, contains: ValueType) -> String {
        value(x, kind, contains, self.opts.time_unit)
    }

    fn row(&self, v: &View<'_>) -> Row {
        let vals = v.values(self.opts, self.elapsed);
        let f = |x: f64| self.fmt(x, v.kind, v.contains);
        let cells = match v.kind {
            MetricType::Trend => Cells::Trend(
                self.opts
                    .trend_stats
                    .iter()
                    .zip(&vals)
                    .map(|((_, stat), (_, x))| match stat {
                        Stat::Count => js_string(*x),
                        _ => f(*x),
                    })
                    .collect(),
            ),
            MetricType::Counter => Cells::Plain(f(vals[0].1), vec![format!("{}/s", f(vals[1].1))]),
            MetricType::Gauge => Cells::Plain(
                f(vals[0].1),
                vec![
                    format!("min={}", f(vals[1].1)),
                    format!("max={}", f(vals[2].1)),
                ],
            ),
            MetricType::Rate => Cells::Plain(
                f(vals[0].1),
                vec![format!(
                    "{} out of {}",
                    js_string(vals[1].1),
                    js_string(vals[1].1 + vals[2].1)
                )],
            ),
        };
        Row {
            name: v.name.to_owned(),
            cells,
        }
    }

    /// Lines of rows aligned together at `indent` spaces.
    fn lines(&self, rows: &[Row], indent: usize) -> Vec<String> {
        let mut max_name = 0;
        let mut trend_max: Vec<usize> = Vec::new();
        let (mut main_max, mut extra_max) = (0, Vec::<usize>::new());
        for r in rows {
            max_name = max_name.max(indent + width(&r.name) + width(&display_name(&r.name)));
            match &r.cells {
                Cells::Trend(cols) => {
                    trend_max.resize(trend_max.len().max(cols.len()), 0);
                    for (i, c) in cols.iter().enumerate() {
                        trend_max[i] = trend_max[i].max(width(c));
                    }
                }
                Cells::Plain(main, extras) => {
                    main_max = main_max.max(width(main));
                    extra_max.resize(extra_max.len().max(extras.len()), 0);
                    for (i, e) in extras.iter().enumerate() {
                        extra_max[i] = extra_max[i].max(width(e));
                    }
                }
            }
        }
        let paint = self.paint;
        rows.iter()
            .map(|r| {
                let shown = display_name(&r.name);
                let dots = ".".repeat(max_name + 3 - width(&shown) - indent);
                let data = match &r.cells {
                    Cells::Trend(cols) => cols
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let stat = &self.opts.trend_stats[i].0;
                            let c_pad = pad(trend_max[i] - width(c));
                            format!("{stat}={}{c_pad}", paint.cyan(c))
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    Cells::Plain(main, extras) => {
                        let mut s = format!("{}{}", paint.cyan(main), pad(main_max - width(main)));
                        if extras.len() == 1 {
                            s += &format!(" {}", paint.dim_cyan(&extras[0]));
                        } else if extras.len() > 1 {
                            let parts: Vec<String> = extras
                                .iter()
                                .enumerate()
                                .map(|(i, e)| {
                                    format!("{}{}", paint.dim_cyan(e), pad(extra_max[i] - width(e)))
                                })
                                .collect();
                            s += &format!(" {}", parts.join(" "));
                        }
                        s
                    }
                };
                let dots = paint.dim_white(&format!("{dots}:"));
                format!("{}{shown}{dots} {data}", pad(indent))
            })
            .collect()
    }

    /// The checks block of content at `base`: the three check metrics, a
    /// break, one line per check, a break.
    fn checks<'c>(&self, checks: impl Iterator<Item = &'c Check>, base: usize) -> Vec<Item> {
        let checks: Vec<&Check> = checks.collect();
        if checks.is_empty() {
            return Vec::new();
        }
        let passes: u64 = checks.iter().map(|c| c.passes).sum();
        let fails: u64 = checks.iter().map(|c| c.fails).sum();
        let total = (passes + fails) as f64;
        let (p, f) = (passes as f64, fails as f64);
        let rate = |x: f64| self.fmt(x, MetricType::Rate, ValueType::Default);
        let num = |x: f64| self.fmt(x, MetricType::Counter, ValueType::Default);
        let rows = [
            Row {
                name: "checks_total".into(),
                cells: Cells::Plain(
                    num(total),
                    vec![format!("{}/s", num(total / self.elapsed.as_secs_f64()))],
                ),
            },
            Row {
                name: "checks_succeeded".into(),
                cells: Cells::Plain(
                    rate(p / total),
                    vec![format!("{} out of {}", js_string(p), js_string(total))],
                ),
            },
            Row {
                name: "checks_failed".into(),
                cells: Cells::Plain(
                    rate(f / total),
                    vec![format!("{} out of {}", js_string(f), js_string(total))],
                ),
            },
        ];
        let c = base + 1;
        let mut items: Vec<Item> = self
            .lines(&rows, (c + 1) * 2)
            .into_iter()
            .map(Item::Line)
            .collect();
        items.push(Item::Break);
        let paint = self.paint;
        for check in checks {
            let line = if check.fails == 0 {
                let passed = paint.green(&format!("✓ {}", check.name));
                format!("{}{passed}", pad((c + 1) * 2))
            } else {
                let pct = (100 * check.passes) / (check.passes + check.fails);
                let failed = paint.red(&format!("✗ {}", check.name));
                let tally = paint.red(&format!(
                    "↳  {pct}% — ✓ {} / ✗ {}",
                    check.passes, check.fails
                ));
                format!(
                    "{}{failed}\n{}{tally}",
                    pad((c + 1) * 2),
                    pad((2 * c + 1) * 2),
                )
            };
            items.push(Item::Line(line));
        }
        items.push(Item::Break);
        items
    }

    /// The metrics of content at `base`, under their headings, aligned
    /// across headings.
    fn metrics(&self, views: &[View<'_>], base: usize) -> Vec<Item> {
        let mut shown: Vec<(Section, &View<'_>)> = views
            .iter()
            .filter_map(|v| section_of(v.name, self.opts.mode).map(|s| (s, v)))
            .collect();
        shown.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| by_name(a.1.name, b.1.name)));
        let rows: Vec<Row> = shown.iter().map(|(_, v)| self.row(v)).collect();
        let indent = (base + 2) * 2;
        let lines = self.lines(&rows, indent);
        let mut items = Vec::new();
        let mut current = None;
        for ((section, _), line) in shown.iter().zip(lines) {
            if current != Some(*section) {
                if current.is_some() {
                    items.push(Item::Break);
                }
                let heading = self.paint.bold(section.title());
                items.push(Item::Line(format!("{}{heading}", pad(indent))));
                current = Some(*section);
            }
            items.push(Item::Line(line));
        }
        if current.is_some() {
            items.push(Item::Break);
        }
        items
    }

    fn thresholds(&self, registry: &Registry, thresholds: &Thresholds) -> Vec<Item> {
        let mut names: Vec<&str> = thresholds
            .metrics
            .iter()
            .map(|m| m.metric.as_str())
            .collect();
        names.sort_by(|a, b| by_name(a, b));
        let mut items = Vec::new();
        for name in names {
            let (Some(m), Some(sink)) = (thresholds.of(name), registry.sink(name)) else {
                continue;
            };
            let parent = name.split('{').next().unwrap_or(name);
            let Some(entry) = registry.get(parent) else {
                continue;
            };
            let under_parent = parent != name && thresholds.of(parent).is_some();
            let (indent, label) = if under_parent {
                (6, &name[parent.len()..])
            } else {
                (4, name)
            };
            items.push(Item::Line(format!("{}{label}", pad(indent))));
            let (kind, contains) = (entry.metric.kind, entry.metric.contains);
            for t in &m.thresholds {
                let agg = t.source.split(['=', '>', '<']).next().unwrap_or("");
                let get = |s: Stat| sink.stat(s, self.elapsed).unwrap_or(0.0);
                let shown = match kind {
                    MetricType::Trend => {
                        let stat = self
                            .opts
                            .trend_stats
                            .iter()
                            .find(|(k, _)| k == agg)
                            .map(|&(_, s)| s)
                            .or_else(|| match Stat::parse_trend(agg) {
                                Some(p @ Stat::Percentile(_)) => Some(p),
                                _ => None,
                            });
                        match stat {
                            Some(Stat::Count) => js_string(get(Stat::Count)),
                            Some(s) => self.fmt(get(s), kind, contains),
                            None => String::new(),
                        }
                    }
                    MetricType::Counter if agg == "count" => {
                        self.fmt(get(Stat::Count), kind, contains)
                    }
                    MetricType::Counter => {
                        format!("{}/s", self.fmt(get(Stat::Rate), kind, contains))
                    }
                    MetricType::Gauge => self.fmt(get(Stat::Value), kind, contains),
                    MetricType::Rate => self.fmt(get(Stat::Rate), kind, contains),
                };
                let paint = self.paint;
                let mark = if t.last_failed {
                    paint.red("✗")
                } else {
                    paint.green("✓")
                };
                let source = paint.white(&format!("'{}'", t.source));
                items.push(Item::Line(format!(
                    "{}{mark} {source} {}={}",
                    pad(indent),
                    paint.white(agg),
                    paint.cyan(&shown)
                )));
            }
            items.push(Item::Break);
        }
        items
    }

    fn set_views<'s>(&self, set: &'s SinkSet) -> Vec<View<'s>> {
        set.values()
            .map(|(m, sink)| View {
                name: &m.name,
                kind: m.kind,
                contains: m.contains,
                sink,
            })
            .collect()
    }

    /// A group's own checks and metrics, then its sub-groups.
    fn group(
        &self,
        sb: &ScenarioBreakdown,
        tree: &GroupTree,
        path: &str,
        base: usize,
    ) -> Vec<Item> {
        let mut items = self.checks(sb.checks.in_group(path), base);
        if let Some(set) = sb.groups.get(path) {
            items.extend(self.metrics(&self.set_views(set), base));
        }
        items.extend(self.subgroups(sb, tree, path, base + 1));
        items
    }

    fn subgroups(
        &self,
        sb: &ScenarioBreakdown,
        tree: &GroupTree,
        parent: &str,
        base: usize,
    ) -> Vec<Item> {
        let mut children: Vec<(&str, &str)> = tree.children(parent).collect();
        children.sort_by(|a, b| collate(a.0, b.0));
        let mut items = Vec::new();
        for (name, path) in children {
            let title = self.paint.bold(&format!("GROUP: {name}"));
            items.push(Item::Line(format!("{}↳ {title} \n", pad((base + 1) * 2))));
            items.extend(self.group(sb, tree, path, base));
        }
        items
    }
}

fn title(t: &str, paint: Paint) -> Item {
    Item::Line(format!("  █ {} \n", paint.bold(t)))
}

fn tree_of(sb: &ScenarioBreakdown) -> GroupTree {
    let mut t = GroupTree::default();
    let mut paths: Vec<&String> = sb.groups.keys().collect();
    paths.sort();
    for p in paths {
        if !matches!(p.as_str(), "::setup" | "::teardown") {
            t.note(p);
        }
    }
    t
}

/// Renders the end-of-test summary exactly as k6 prints it (framing
/// included), from the registry and the evaluated thresholds. Full mode
/// needs a registry made [`with_breakdown`](Registry::with_breakdown).
pub fn render(
    registry: &Registry,
    thresholds: Option<&Thresholds>,
    opts: &Options,
    facts: &RunFacts,
) -> String {
    // As k6's own: colours on a terminal unless refused.
    let paint = Paint::new(!opts.no_color && facts.is_stdout_tty);
    let ctx = Ctx {
        opts,
        elapsed: facts.duration,
        paint,
    };
    let mut items = Vec::new();
    if let Some(ts) = thresholds.filter(|t| !t.is_empty()) {
        items.push(title("THRESHOLDS", paint));
        items.extend(ctx.thresholds(registry, ts));
        items.push(Item::Break);
    }
    items.push(title("TOTAL RESULTS", paint));
    items.extend(ctx.checks(registry.checks().all().iter(), 0));
    items.extend(ctx.metrics(&observed(registry), 0));
    items.push(Item::Break);
    if let (Mode::Full, Some(breakdown)) = (opts.mode, registry.breakdown()) {
        if let Some(sb) = breakdown.get("default") {
            let tree = tree_of(sb);
            let mut top: Vec<(&str, &str)> = tree.children("").collect();
            top.sort_by(|a, b| collate(a.0, b.0));
            for (name, path) in top {
                items.push(title(&format!("GROUP: {name}"), paint));
                items.extend(ctx.group(sb, &tree, path, 0));
                items.push(Item::Break);
            }
        }
        let mut scenarios: Vec<(&String, &ScenarioBreakdown)> = breakdown
            .iter()
            .filter(|(n, _)| n.as_str() != "default")
            .collect();
        scenarios.sort_by(|a, b| collate(a.0, b.0));
        for (name, sb) in scenarios {
            items.push(title(&format!("SCENARIO: {name}"), paint));
            items.extend(ctx.checks(sb.checks.all().iter(), 0));
            items.extend(ctx.metrics(&ctx.set_views(&sb.totals), 0));
            items.extend(ctx.subgroups(sb, &tree_of(sb), "", 1));
            items.push(Item::Break);
        }
    }
    let mut out = String::from("\n");
    for item in items {
        match item {
            Item::Line(s) => {
                out.push('\n');
                out.push_str(&s);
            }
            Item::Break => out.push('\n'),
        }
    }
    out.push_str("\n\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banner_is_short_and_our_own() {
        assert!(BANNER.lines().count() <= 3);
        assert!(BANNER.contains("k6r") && !BANNER.contains("Grafana") && !BANNER.contains("/\\"));
    }

    #[test]
    fn dots_count_plain_names_twice_as_k6_does() {
        use crate::metrics::{Builtin, Sample, EXPECTED_RESPONSE_SUBMETRIC};
        use std::sync::Arc;
        let mut r = Registry::new();
        r.submetric(EXPECTED_RESPONSE_SUBMETRIC).unwrap();
        let tags = Arc::new([("expected_response", "true")].into_iter().collect());
        let at = std::time::UNIX_EPOCH;
        let s = |b: Builtin, value| Sample {
            metric: b.metric(),
            tags: Arc::clone(&tags),
            time: at,
            value,
        };
        r.add(&[
            s(Builtin::HttpReqDuration, 42.0),
            s(Builtin::Iterations, 1.0),
            s(Builtin::DataSent, 450.0),
        ]);
        let facts = RunFacts {
            duration: Duration::from_secs(2),
            ..RunFacts::default()
        };
        let stats = ["avg".to_string(), "max".to_string()];
        let opts = Options::new(Some(&stats), None, None).unwrap();
        let text = render(&r, None, &opts, &facts);
        // W = 4 + 41 + 28 = 73 (§6.5), so `iterations` gets 62 dots.
        let dots = ".".repeat(62);
        assert!(
            text.contains(&format!("\n    iterations{dots}: 1     0.5/s\n")),
            "{text}"
        );
        assert!(
            text.contains("\n      { expected_response:true }"),
            "{text}"
        );
        assert!(text.contains(": avg=42ms max=42ms\n"), "{text}");
        assert!(text.contains(": 450 B 225 B/s\n"), "{text}");
        let (h, e, n) = (
            text.find("HTTP"),
            text.find("EXECUTION"),
            text.find("NETWORK"),
        );
        assert!(h.is_some() && h < e && e < n, "{text}");
    }

    #[test]
    fn empty_registry_renders_only_total_results() {
        let text = render(
            &Registry::new(),
            None,
            &Options::default(),
            &RunFacts::default(),
        );
        assert_eq!(text, "\n\n  █ TOTAL RESULTS \n\n\n\n");
    }
}
