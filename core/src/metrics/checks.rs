//! Checks and groups as the summary shows them: each check's passes and
//! fails per group, in first-seen order, gathered from `checks` samples
//! (tags `check` and `group`) rather than kept samples.

use std::collections::HashMap;

/// One check of one group.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// The group path (`""` at the root, `::g1::g2` nested).
    pub group: String,
    /// The check's name.
    pub name: String,
    /// Samples with a non-zero value.
    pub passes: u64,
    /// Samples with value zero.
    pub fails: u64,
}

impl Check {
    /// `group::name`, k6's check path.
    pub fn path(&self) -> String {
        format!("{}::{}", self.group, self.name)
    }
}

/// Checks in first-seen order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckBook {
    checks: Vec<Check>,
    index: HashMap<(String, String), usize>,
}

impl CheckBook {
    /// Counts one outcome of check `name` in `group`.
    pub fn record(&mut self, group: &str, name: &str, passed: bool) {
        self.record_n(group, name, u64::from(passed), u64::from(!passed));
    }

    /// Adds `check`'s counts (a check first seen elsewhere goes last).
    pub fn add(&mut self, check: &Check) {
        self.record_n(&check.group, &check.name, check.passes, check.fails);
    }

    fn record_n(&mut self, group: &str, name: &str, passes: u64, fails: u64) {
        let key = (group.to_owned(), name.to_owned());
        let at = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.checks.push(Check {
                    group: key.0.clone(),
                    name: key.1.clone(),
                    passes: 0,
                    fails: 0,
                });
                self.index.insert(key, self.checks.len() - 1);
                self.checks.len() - 1
            }
        };
        let check = &mut self.checks[at];
        check.passes = check.passes.saturating_add(passes);
        check.fails = check.fails.saturating_add(fails);
    }

    /// Adds `other`'s counts; its new checks go after ours.
    pub fn merge(&mut self, other: &CheckBook) {
        for c in &other.checks {
            self.record_n(&c.group, &c.name, c.passes, c.fails);
        }
    }

    /// Every check, first seen first.
    pub fn all(&self) -> &[Check] {
        &self.checks
    }

    /// The checks of exactly `group`.
    pub fn in_group<'a>(&'a self, group: &'a str) -> impl Iterator<Item = &'a Check> + 'a {
        self.checks.iter().filter(move |c| c.group == group)
    }

    /// Whether no check ran.
    pub fn is_empty(&self) -> bool {
        self.checks.is_empty()
    }
}

/// Group paths in first-seen order (parents before their children).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupTree {
    paths: Vec<String>,
}

impl GroupTree {
    /// Notes group `path` (and its ancestors); `""` is the root.
    pub fn note(&mut self, path: &str) {
        if path.is_empty() || self.paths.iter().any(|p| p == path) {
            return;
        }
        if let Some(cut) = path.rfind("::") {
            if cut > 0 {
                self.note(&path[..cut]);
            }
        }
        self.paths.push(path.to_owned());
    }

    /// Every group path, first seen first.
    pub fn paths(&self) -> &[String] {
        &self.paths
    }

    /// Adds `other`'s groups after ours.
    pub fn merge(&mut self, other: &GroupTree) {
        for p in &other.paths {
            self.note(p);
        }
    }

    /// The direct children of `parent` (`""` for top-level groups), first
    /// seen first, as `(name, path)`.
    pub fn children<'a>(
        &'a self,
        parent: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.paths.iter().filter_map(move |p| {
            let rest = p.strip_prefix(parent)?.strip_prefix("::")?;
            (!rest.contains("::")).then_some((rest, p.as_str()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_and_trees_keep_first_seen_order() {
        let mut b = CheckBook::default();
        b.record("", "b", true);
        b.record("::g", "a", false);
        b.record("", "b", false);
        assert_eq!(b.all()[0].passes + b.all()[0].fails, 2);
        assert_eq!(b.all()[1].path(), "::g::a");
        assert_eq!(b.in_group("::g").count(), 1);

        let mut t = GroupTree::default();
        t.note("::g1::g2");
        t.note("::a");
        t.note("::setup");
        let top: Vec<_> = t.children("").map(|(n, _)| n).collect();
        assert_eq!(top, ["g1", "a", "setup"]);
        let sub: Vec<_> = t.children("::g1").collect();
        assert_eq!(sub, [("g2", "::g1::g2")]);
    }
}
