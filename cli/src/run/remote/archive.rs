//! The archive of a script: its init context is evaluated through
//! [`RecordingFiles`], and what it read (the entry, its local imports,
//! its `open()`ed files, by path; its remote modules, by URL) is the
//! archive, contents in base64.

use std::path::Path;
use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use k6r_api::ArchiveBody;
use k6r_script::{inspect_with, Config, Env, Level, MemoryLog, RecordingFiles, Script};

use crate::Failure;

/// Packs the script at `path` (as the user named it) with `__ENV` `env`,
/// reading through `loaded` (the script whose options were loaded), so
/// that its remote modules are not fetched again.
pub fn pack(path: &Path, env: &Env, loaded: &Script) -> Result<ArchiveBody, Failure> {
    let absolute = std::path::absolute(path).map_err(|e| {
        Failure::new(
            super::EXIT,
            format!("can't resolve {}: {e}", path.display()),
        )
    })?;
    let recording = Arc::new(RecordingFiles::new(loaded.files().clone()));
    let script = Script::new(recording.clone(), &absolute);
    // The options load already ran the init context where the user saw its
    // console lines; this second run (to record the files) keeps quiet.
    let quiet = Config::default().with_log(Arc::new(MemoryLog::new(Level::Error)));
    inspect_with(&script, env, &quiet).map_err(|e| {
        let failure = Failure::new(e.exit_code(), e.to_string());
        match e.hint() {
            Some(hint) => failure.with_field("hint", hint),
            None => failure,
        }
    })?;
    let local = recording
        .recorded()
        .into_iter()
        .map(|(path, content)| (path.to_string_lossy().into_owned(), content));
    // Remote modules travel keyed by URL: agents never fetch them.
    let files = local
        .chain(recording.recorded_remote())
        .map(|(key, content)| (key, STANDARD.encode(content)))
        .collect();
    Ok(ArchiveBody {
        entry: script.entry().to_string_lossy().into_owned(),
        files,
    })
}
