//! Helpers shared by the integration tests: fixture paths and an
//! inspection whose console lines are captured.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k6r_script::{inspect_with, Config, Env, Error, Inspection, MemoryLog, Script};

/// The absolute path of `tests/fixtures/<relative>`.
pub fn fixture(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative)
}

/// The result of inspecting a fixture plus the log lines it produced.
pub struct Outcome {
    pub result: Result<Inspection, Error>,
    pub lines: Vec<String>,
}

impl Outcome {
    pub fn ok(self) -> Inspection {
        match self.result {
            Ok(inspection) => inspection,
            Err(error) => panic!("inspection failed: {error} (exit {})", error.exit_code()),
        }
    }

    pub fn err(self) -> Error {
        match self.result {
            Ok(inspection) => panic!("expected an error, got {inspection:?}"),
            Err(error) => error,
        }
    }
}

/// A config whose deadline is only a safety net for the test run.
pub fn config(log: Arc<MemoryLog>) -> Config {
    Config::default()
        .with_init_timeout(Duration::from_secs(30))
        .with_log(log)
}

/// Inspects `tests/fixtures/<relative>` from disk with `env`.
pub fn inspect_fixture(relative: &str, env: &Env) -> Outcome {
    inspect_fixture_with(relative, env, |config| config)
}

/// [`inspect_fixture`] with a tweaked config.
pub fn inspect_fixture_with(
    relative: &str,
    env: &Env,
    tweak: impl FnOnce(Config) -> Config,
) -> Outcome {
    let log = Arc::new(MemoryLog::default());
    let config = tweak(config(log.clone()));
    let script = Script::from_path(&fixture(relative)).expect("fixture path");
    let result = inspect_with(&script, env, &config);
    Outcome {
        result,
        lines: log.lines(),
    }
}

/// The tags of an inspection's options, where fixtures put what they observed.
pub fn tag<'a>(inspection: &'a Inspection, name: &str) -> &'a str {
    inspection.options["tags"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no tag {name} in {}", inspection.options))
}

/// `setup()` as a call, with no data and no deadline.
/// The heap 50 VUs of one runtime add per VU with `script`, each having
/// run `setup()` once (after a first VU compiled what the process
/// compiles once).
pub fn heap_per_vu(script: &Script) -> u64 {
    use k6r_script::{BlockOn, Host, Outcome, Vu};
    let config = config(Arc::new(MemoryLog::default()));
    let host = Host::new(script).unwrap();
    let new_vu = |id| {
        let wait = std::rc::Rc::new(BlockOn::default());
        let vu = Vu::in_host(&host, script, id, &Env::new(), &config, wait).unwrap();
        let outcome = vu.call(&setup_call()).outcome;
        assert!(matches!(outcome, Outcome::Returned), "{outcome:?}");
        vu
    };
    let _first = new_vu(1);
    let before = host.heap_size();
    let vus: Vec<Vu> = (2..=51).map(new_vu).collect();
    (host.heap_size() - before) / vus.len() as u64
}

pub fn setup_call() -> k6r_script::Call {
    k6r_script::Call {
        function: "setup".into(),
        kind: k6r_script::CallKind::Setup,
        data: None,
        cancel: tokio_util::sync::CancellationToken::new(),
        timeout: None,
    }
}

/// Runs the init code and `setup()` of `script` in VU 1 and returns what
/// `setup()` returned, as JSON, with the log lines; `setup()` must return.
pub fn setup_returns(script: &Script) -> (serde_json::Value, Vec<String>) {
    let log = Arc::new(MemoryLog::default());
    let vu = k6r_script::Vu::new(script, 1, &Env::new(), &config(Arc::clone(&log))).expect("init");
    let result = vu.call(&setup_call());
    assert!(
        matches!(result.outcome, k6r_script::Outcome::Returned),
        "{:?} {:?}",
        result.outcome,
        log.lines()
    );
    let value = serde_json::from_str(result.value.as_deref().unwrap_or("null")).unwrap();
    (value, log.lines())
}
