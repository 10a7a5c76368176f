//! k6-style log lines (`time=... level=... msg=...`) on the error stream.

use std::io::Write;
use std::time::SystemTime;

use k6r_core::logfmt::{format_line, Level};

fn write(err: &mut dyn Write, level: Level, msg: &str, fields: &[(String, String)]) {
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    // A closed stderr is no reason to fail the command.
    let _ = writeln!(
        err,
        "{}",
        format_line(SystemTime::now(), level, msg, &fields)
    );
}

/// An `error` line.
pub fn error(err: &mut dyn Write, msg: &str, fields: &[(String, String)]) {
    write(err, Level::Error, msg, fields);
}

/// An `info` line.
pub fn info(err: &mut dyn Write, msg: &str, fields: &[(String, String)]) {
    write(err, Level::Info, msg, fields);
}

/// A `warning` line.
pub fn warning(err: &mut dyn Write, msg: &str, fields: &[(String, String)]) {
    write(err, Level::Warning, msg, fields);
}
