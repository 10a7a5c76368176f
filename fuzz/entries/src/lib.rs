//! The entry points of k6r's fuzz targets, written once: the cargo-fuzz
//! package in `fuzz/` (nightly, outside the workspace) calls them from its
//! targets, and `tests/replay.rs` (stable, in the workspace) feeds them
//! every input of the checked-in corpus `fuzz/corpus/<target>/`.
//!
//! Each entry takes the fuzzer's bytes and drives one parser the way k6r
//! reaches it from outside, then the code that consumes its result. The
//! only property checked is the one the fuzzers look for: no panic, no
//! hang, no unbounded allocation; an `Err` is a fine answer.
//!
//! # Layout
//! - [`options`]: script options as JSON and the `K6_*` environment layer,
//!   through derivation, validation and the execution plan.
//! - [`duration`]: k6's duration strings, Go's and the extended syntax.
//! - [`threshold`]: threshold expressions and the `thresholds` option.
//! - [`segment`]: execution segments and sequences, and the tuples and
//!   striping built from them.
//! - [`rest_body`]: `PATCH /v1/status` and `PUT /v1/setup` bodies.
//! - [`run_request`]: the coordinator's `POST /v1/runs` body, through the
//!   submission and the split over agents.
//! - [`grpc`]: the session messages both ways (prost decoding and what
//!   the coordinator and the agent make of them).
#![warn(missing_docs)]

pub mod duration;
pub mod grpc;
pub mod options;
pub mod rest_body;
pub mod run_request;
pub mod segment;
pub mod threshold;

/// Inputs longer than this are cut (the fuzzers run with `-max_len` at
/// most this, and no corpus file is longer).
pub const MAX_INPUT: usize = 64 * 1024;

/// A fuzz target: its name (the folder of its corpus, the file in
/// `fuzz/fuzz_targets/`) and its entry.
pub struct Target {
    /// The target's name.
    pub name: &'static str,
    /// Drives the code under test with one input.
    pub run: fn(&[u8]),
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "options",
        run: options::run,
    },
    Target {
        name: "duration",
        run: duration::run,
    },
    Target {
        name: "threshold",
        run: threshold::run,
    },
    Target {
        name: "segment",
        run: segment::run,
    },
    Target {
        name: "rest_body",
        run: rest_body::run,
    },
    Target {
        name: "run_request",
        run: run_request::run,
    },
    Target {
        name: "grpc",
        run: grpc::run,
    },
];

/// The input, cut at [`MAX_INPUT`].
fn capped(data: &[u8]) -> &[u8] {
    &data[..data.len().min(MAX_INPUT)]
}

/// The input as text (lossy, so every input reaches the parser).
fn text(data: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(capped(data))
}
