//! The `root_group` tree of the summary data: groups and their checks,
//! with k6's ids (the md5 of the path, hex).

use md5::{Digest, Md5};
use serde_json::{json, Map, Value};

use crate::metrics::Registry;

/// k6's id of a group or check path.
pub fn id(path: &str) -> String {
    Md5::digest(path.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A check as the summary data shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckNode {
    /// Its name.
    pub name: String,
    /// `group path::name`.
    pub path: String,
    /// Passes.
    pub passes: u64,
    /// Fails.
    pub fails: u64,
}

/// A group (the root has empty name and path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupNode {
    /// Its name.
    pub name: String,
    /// `::a::b`.
    pub path: String,
    /// Sub-groups, first seen first.
    pub groups: Vec<GroupNode>,
    /// Its own checks, first seen first.
    pub checks: Vec<CheckNode>,
}

fn node(registry: &Registry, name: &str, path: &str) -> GroupNode {
    GroupNode {
        name: name.to_owned(),
        path: path.to_owned(),
        groups: registry
            .groups()
            .children(path)
            .map(|(n, p)| node(registry, n, p))
            .collect(),
        checks: registry
            .checks()
            .in_group(path)
            .map(|c| CheckNode {
                name: c.name.clone(),
                path: c.path(),
                passes: c.passes,
                fails: c.fails,
            })
            .collect(),
    }
}

/// The root group with every group and check the run saw.
pub fn root_group(registry: &Registry) -> GroupNode {
    node(registry, "", "")
}

impl CheckNode {
    fn to_value(&self) -> Value {
        json!({
            "name": self.name,
            "path": self.path,
            "id": id(&self.path),
            "passes": self.passes,
            "fails": self.fails,
        })
    }
}

impl GroupNode {
    fn head(&self) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert("name".into(), self.name.clone().into());
        m.insert("path".into(), self.path.clone().into());
        m.insert("id".into(), id(&self.path).into());
        m
    }

    /// `--summary-export`'s form: groups and checks keyed by name.
    pub fn to_export(&self) -> Value {
        let mut m = self.head();
        let groups: Map<String, Value> = self
            .groups
            .iter()
            .map(|g| (g.name.clone(), g.to_export()))
            .collect();
        let checks: Map<String, Value> = self
            .checks
            .iter()
            .map(|c| (c.name.clone(), c.to_value()))
            .collect();
        m.insert("groups".into(), groups.into());
        m.insert("checks".into(), checks.into());
        m.into()
    }

    /// `handleSummary`'s form: groups and checks as arrays.
    pub fn to_data(&self) -> Value {
        let mut m = self.head();
        let groups: Vec<Value> = self.groups.iter().map(GroupNode::to_data).collect();
        let checks: Vec<Value> = self.checks.iter().map(CheckNode::to_value).collect();
        m.insert("groups".into(), groups.into());
        m.insert("checks".into(), checks.into());
        m.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_md5_of_paths() {
        assert_eq!(id(""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(id("::g1"), "9ccb03cc5acd728a2fe595bbd1f14da3");
        assert_eq!(id("::always"), "c7a689de5e72a0785ecca1a3974f3a5e");
    }
}
