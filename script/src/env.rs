//! `__ENV`: the environment variables a script sees.

use std::collections::BTreeMap;
use std::sync::Arc;

/// The variables that become the script's `__ENV` object: the caller
/// merges the system environment and `-e KEY=VALUE` flags (and, later,
/// a scenario's `env`) before handing them over.
///
/// Shared, not copied: every VU keeps its environment, and a copy of the
/// system's (~40 variables) cost each VU ~3.5 KB.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env(pub Arc<BTreeMap<String, String>>);

impl Env {
    /// No variables at all.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces one variable (handy in tests).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        Arc::make_mut(&mut self.0).insert(key.into(), value.into());
        self
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Env(Arc::new(
            iter.into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Env;

    /// A VU's copy is the same map; changing a copy leaves the others.
    #[test]
    fn copies_share_the_variables_until_one_changes() {
        let env = Env::new().with("A", "1");
        let copy = env.clone();
        assert!(Arc::ptr_eq(&env.0, &copy.0));
        let changed = copy.with("B", "2");
        assert_eq!(env.0.len(), 1);
        assert_eq!(changed.0.len(), 2);
        assert_eq!(changed.0.get("A").map(String::as_str), Some("1"));
    }
}
