//! `k6r-cli`, the command line of k6r: the commands as a library so that
//! tests drive them in-process, and a thin `main`.
//!
//! # Layout
//! - [`args`]: the clap definitions of every command and flag.
//! - [`load`]: reading a script's options and consolidating them with the
//!   environment layer, shared by every command that takes a script.
//! - [`inspect`]: `k6r-cli inspect [--execution-requirements] script.js`.
//! - [`run`](mod@run): `k6r-cli run script.js`, over `k6r_runner`, or on a
//!   cluster with `--coordinator URL` (`/v1/runs` of the coordinator).
//! - [`control`]: `status`, `stats`, `pause`, `resume`, `scale`, `stop`
//!   against a running test's REST API.
//! - [`failure`]: a command's failure: k6's message and exit code.
//! - [`log`]: k6-style log lines on stderr.
#![warn(missing_docs)]

pub mod args;
pub mod control;
pub mod failure;
pub mod inspect;
pub mod load;
pub mod log;
pub mod run;

use std::io::Write;

pub use args::{Cli, Command};
pub use failure::Failure;

/// Runs one command, writing its output to `out` and its log lines to
/// `err`, and returns the process exit code (k6's codes).
pub fn run(cli: Cli, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args, out, err),
        Command::Run(args) => run::run(&args, out, err),
        Command::Status(a) => control::run(control::Action::Status(&a), out),
        Command::Stats(a) => control::run(control::Action::Stats(&a), out),
        Command::Pause(a) => control::run(control::Action::Pause(&a), out),
        Command::Resume(a) => control::run(control::Action::Resume(&a), out),
        Command::Scale(a) => control::run(control::Action::Scale(&a), out),
        Command::Stop(a) => control::run(control::Action::Stop(&a), out),
    };
    match result {
        Ok(()) => 0,
        Err(failure) => {
            log::error(err, &failure.message, &failure.fields);
            failure.code
        }
    }
}
