//! `k6 inspect`'s first step: run the init context once, as k6's "VU 0",
//! and report what the script exports.

use std::path::Path;
use std::sync::Arc;

use k6r_core::metrics::Metric;

use crate::config::Config;
use crate::env::Env;
use crate::error::Result;
use crate::runtime::Vu;
use crate::script::Script;

/// What evaluating a script's init context once yields.
#[derive(Clone, Debug, PartialEq)]
pub struct Inspection {
    /// The exported `options` as JSON (`JSON.stringify` semantics:
    /// `undefined` properties are dropped); `{}` when the script exports none.
    pub options: serde_json::Value,
    /// The names of the main module's exports whose value is a function
    /// (`default`, `setup`, named `exec` functions...), sorted.
    pub exports: Vec<String>,
    /// The custom metrics the init context declared (`new Trend(...)`),
    /// by name: thresholds on them are validated before the run.
    pub metrics: Vec<Arc<Metric>>,
}

/// Inspects the script at `path` on the local disk, with the default
/// [`Config`] (60 s init deadline, `console` lines on stderr).
pub fn inspect(path: &Path, env: &Env) -> Result<Inspection> {
    inspect_with(&Script::from_path(path)?, env, &Config::default())
}

/// Inspects `script` (whatever its [`Files`](crate::Files) are) with
/// `config`.
pub fn inspect_with(script: &Script, env: &Env, config: &Config) -> Result<Inspection> {
    let vu = Vu::new(script, 0, env, config)?;
    Ok(Inspection {
        options: vu.options()?,
        exports: vu.exported_functions()?,
        metrics: vu.custom_metrics(),
    })
}
