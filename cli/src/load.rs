//! Loading a script's options: evaluate its init context, read the
//! exported `options`, and stack the `K6_*` environment layer on them.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use k6r_core::exit::ExitCode;
use k6r_core::options::{from_env, Options, Purpose};
use std::sync::Arc;

use k6r_script::{inspect_with, Config, Env, Script, Secrets, SharedData};

use crate::{log, Failure};

/// A script's options after consolidation, with what else the init context
/// told about the script.
#[derive(Debug)]
pub struct Loaded {
    /// Script options with the environment layer applied.
    pub options: Options,
    /// The exported functions.
    pub exports: Vec<String>,
    /// The custom metrics the init context declared.
    pub metrics: Vec<std::sync::Arc<k6r_core::metrics::Metric>>,
    /// The script as the user named it (for messages).
    pub script: String,
    /// The script's `file://` URL (for messages).
    pub url: String,
    /// The script itself, to run it: its remote modules were fetched
    /// while loading, and are not fetched again.
    pub source: Script,
    /// What the init context shared (`SharedArray`s): a local run's VUs
    /// reuse it, so callbacks run once per process as in k6.
    pub shared: Arc<SharedData>,
    /// The secret sources the init context saw (and the run's VUs see).
    pub secrets: Arc<Secrets>,
}

/// The secret sources of `--secret-source` flags; a source that can't be
/// used is k6's error (exit 255).
pub fn secrets(flags: &[String]) -> Result<Arc<Secrets>, Failure> {
    Secrets::from_flags(flags, |path| std::fs::read(path))
        .map(Arc::new)
        .map_err(|e| Failure::new(ExitCode::Failure, e.to_string()))
}

/// The `__ENV` of a script: the system environment when asked for, then
/// every `-e VAR=value` on top.
pub fn script_env(include_system: bool, overrides: &[(String, String)]) -> Env {
    let mut vars = BTreeMap::new();
    if include_system {
        vars.extend(std::env::vars());
    }
    vars.extend(overrides.iter().cloned());
    Env(vars.into())
}

/// Reads and consolidates the options of `script`, logging k6's warnings.
pub fn load(script: &Path, env: &Env, err: &mut dyn Write) -> Result<Loaded, Failure> {
    load_with(script, env, Arc::default(), err)
}

/// [`load`] with the run's secret sources.
pub fn load_with(
    script: &Path,
    env: &Env,
    secrets: Arc<Secrets>,
    err: &mut dyn Write,
) -> Result<Loaded, Failure> {
    let shown = script.display().to_string();
    let absolute = std::path::absolute(script).unwrap_or_else(|_| script.to_path_buf());
    let url = format!("file://{}", absolute.display());
    let to_failure = |e: k6r_script::Error| {
        let failure = Failure::new(e.exit_code(), e.to_string());
        match e.hint() {
            Some(hint) => failure.with_field("hint", hint),
            None => failure,
        }
    };
    let shared = Arc::<SharedData>::default();
    let config = Config::default()
        .with_shared(Arc::clone(&shared))
        .with_secrets(Arc::clone(&secrets));
    let source = Script::from_path(script).map_err(to_failure)?;
    let inspection = inspect_with(&source, env, &config).map_err(to_failure)?;
    let (mut options, warnings) =
        Options::from_json(&inspection.options).map_err(|e| Failure::options(e, &shown, &url))?;
    for warning in warnings {
        log::warning(err, &warning.message, &warning.fields);
    }
    let env_layer =
        from_env(|name| std::env::var(name).ok()).map_err(|e| Failure::options(e, &shown, &url))?;
    if let Some(warning) = options.apply(env_layer, "env") {
        log::warning(err, &warning.message, &warning.fields);
    }
    Ok(Loaded {
        options,
        exports: inspection.exports,
        metrics: inspection.metrics,
        script: shown,
        url,
        source,
        shared,
        secrets,
    })
}

impl Loaded {
    /// Consolidates [`Loaded::options`] for `purpose` (logging k6's
    /// warnings), validated against this script's exports, with k6's
    /// messages and exit codes.
    pub fn consolidate(&mut self, purpose: Purpose, err: &mut dyn Write) -> Result<(), Failure> {
        let options_failure = |e| Failure::options(e, &self.script, &self.url);
        let warnings = self
            .options
            .consolidate(purpose, Some(&self.exports))
            .map_err(options_failure)?;
        for warning in warnings {
            log::warning(err, &warning.message, &warning.fields);
        }
        k6r_runner::config::check_tls(&self.options).map_err(options_failure)
    }
}
