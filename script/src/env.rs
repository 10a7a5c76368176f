//! `__ENV`: the environment variables a script sees.

use std::collections::BTreeMap;

/// The variables that become the script's `__ENV` object: the caller
/// merges the system environment and `-e KEY=VALUE` flags (and, later,
/// a scenario's `env`) before handing them over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Env(pub BTreeMap<String, String>);

impl Env {
    /// No variables at all.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces one variable (handy in tests).
    pub fn with(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.0.insert(key.into(), value.into());
        self
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for Env {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        Env(iter
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect())
    }
}
