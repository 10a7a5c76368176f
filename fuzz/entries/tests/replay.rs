//! Replays the checked-in fuzz corpus (`fuzz/corpus/<target>/`, minimized
//! with `cargo fuzz cmin`, crashes found while fuzzing included) through
//! the same entries the fuzz targets call: every input must go through
//! without a panic.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use k6r_fuzz_entries::{Target, MAX_INPUT, TARGETS};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn target(name: &str) -> &'static Target {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no target {name}"))
}

/// Feeds every file of the target's corpus to its entry; fails naming
/// the inputs that panicked.
fn replay(name: &str) {
    let target = target(name);
    let dir = fuzz_dir().join("corpus").join(name);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    let mut panicked = Vec::new();
    for file in &files {
        let input = std::fs::read(file).unwrap();
        assert!(
            input.len() <= MAX_INPUT,
            "{} is longer than {MAX_INPUT} bytes",
            file.display()
        );
        if panic::catch_unwind(AssertUnwindSafe(|| (target.run)(&input))).is_err() {
            panicked.push(file.display().to_string());
        }
    }
    assert!(panicked.is_empty(), "panicked on {panicked:#?}");
}

#[test]
fn options_corpus() {
    replay("options");
}

#[test]
fn duration_corpus() {
    replay("duration");
}

#[test]
fn threshold_corpus() {
    replay("threshold");
}

#[test]
fn segment_corpus() {
    replay("segment");
}

#[test]
fn rest_body_corpus() {
    replay("rest_body");
}

#[test]
fn run_request_corpus() {
    replay("run_request");
}

#[test]
fn grpc_corpus() {
    replay("grpc");
}

/// Every target has its fuzz target file and a corpus, and every fuzz
/// target file is a target (so none escapes the replay).
#[test]
fn targets_match_the_fuzz_package() {
    let mut files: Vec<String> = std::fs::read_dir(fuzz_dir().join("fuzz_targets"))
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            path.file_stem().unwrap().to_string_lossy().into_owned()
        })
        .collect();
    files.sort();
    let mut names: Vec<String> = TARGETS.iter().map(|t| t.name.to_owned()).collect();
    names.sort();
    assert_eq!(files, names);
    for name in &names {
        assert!(fuzz_dir().join("corpus").join(name).is_dir(), "{name}");
    }
}
