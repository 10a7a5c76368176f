//! Secrets for `k6/secrets`: the sources given with `--secret-source`
//! (k6 v1.1 knows one type, `file`: `key=value` lines), and
//! [`RedactedLog`], which hides every secret a script has read from the
//! log lines, as k6 does.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};

use crate::log::{Level, LogSink};

/// What a redacted secret is replaced with.
pub const REDACTED: &str = "***SECRET_REDACTED***";

/// The secret sources of a run, by name, and the values scripts read.
#[derive(Default)]
pub struct Secrets {
    sources: BTreeMap<String, BTreeMap<String, String>>,
    /// The source `secrets.get` reads.
    default: Option<String>,
    /// Every value a script read: those are redacted from logs.
    revealed: Mutex<Vec<String>>,
}

/// A `--secret-source` that can't be used, with k6's message.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// Not `type=...`.
    #[error("couldn't parse secret source configuration {0:?}")]
    Syntax(String),
    /// A type k6 doesn't have.
    #[error("no secret source for type {kind:?} for configuration {spec:?}")]
    UnknownType {
        /// The type asked for.
        kind: String,
        /// The whole flag value.
        spec: String,
    },
    /// A `file` source without a file name.
    #[error("secret source file: no filename in {0:?}")]
    NoFile(String),
    /// The file can't be read.
    #[error("open {path}: {reason}")]
    Open {
        /// The file as given.
        path: String,
        /// Why (Go's wording for a missing file).
        reason: String,
    },
    /// A line without `=`.
    #[error("parsing {0:?}, needs =")]
    Line(String),
}

/// Why `secrets.get` found nothing, with k6's messages.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum LookupError {
    #[error("no secret sources are configured")]
    Unconfigured,
    #[error("no secret source with name {0:?} is configured")]
    UnknownSource(String),
    #[error("no value")]
    Missing,
}

impl Secrets {
    /// No sources.
    pub fn new() -> Self {
        Self::default()
    }

    /// The sources of `--secret-source` flags (`file=path`, or
    /// `file=name=NAME,filename=path[,default]`), each file read through
    /// `read`. A single source is the default one.
    pub fn from_flags(
        flags: &[String],
        read: impl Fn(&str) -> io::Result<Vec<u8>>,
    ) -> Result<Self, SecretError> {
        let mut secrets = Secrets::new();
        for spec in flags {
            let Some((kind, config)) = spec.split_once('=') else {
                return Err(SecretError::Syntax(spec.clone()));
            };
            if kind != "file" {
                return Err(SecretError::UnknownType {
                    kind: kind.to_owned(),
                    spec: spec.clone(),
                });
            }
            let (mut name, mut file, mut default) = (None, None, false);
            if config.contains('=') {
                for part in config.split(',') {
                    match part.split_once('=') {
                        Some(("name", value)) => name = Some(value.to_owned()),
                        Some(("filename", value)) => file = Some(value.to_owned()),
                        None if part == "default" => default = true,
                        _ => return Err(SecretError::Syntax(spec.clone())),
                    }
                }
            } else {
                file = Some(config.to_owned());
            }
            let file = file.ok_or_else(|| SecretError::NoFile(spec.clone()))?;
            let content = read(&file).map_err(|error| SecretError::Open {
                path: file.clone(),
                reason: match error.kind() {
                    io::ErrorKind::NotFound => "no such file or directory".to_owned(),
                    _ => error.to_string(),
                },
            })?;
            let values = parse_file(&String::from_utf8_lossy(&content))?;
            let name = name.unwrap_or_else(|| "default".to_owned());
            if default {
                secrets.default = Some(name.clone());
            }
            secrets.sources.insert(name, values);
        }
        if secrets.default.is_none() && secrets.sources.len() == 1 {
            secrets.default = secrets.sources.keys().next().cloned();
        }
        Ok(secrets)
    }

    /// Whether any source is configured.
    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }

    /// The secret `key` of `source` (`None`: the default one); the value
    /// is redacted from logs from now on.
    pub(crate) fn get(&self, source: Option<&str>, key: &str) -> Result<String, LookupError> {
        if self.sources.is_empty() {
            return Err(LookupError::Unconfigured);
        }
        let name = match source {
            Some(name) => name,
            None => self.default.as_deref().unwrap_or("default"),
        };
        let values = self
            .sources
            .get(name)
            .ok_or_else(|| LookupError::UnknownSource(name.to_owned()))?;
        let value = values.get(key).ok_or(LookupError::Missing)?;
        let mut revealed = self.revealed.lock().unwrap_or_else(PoisonError::into_inner);
        if !value.is_empty() && !revealed.contains(value) {
            revealed.push(value.clone());
            // Longest first, so a secret inside another is not half-hidden.
            revealed.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
        Ok(value.clone())
    }

    /// `text` with every revealed secret replaced by [`REDACTED`].
    pub fn redact(&self, text: &str) -> String {
        let revealed = self.revealed.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = text.to_owned();
        for value in revealed.iter() {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), REDACTED);
            }
        }
        text
    }
}

/// `key=value` lines; the value is everything after the first `=`.
fn parse_file(content: &str) -> Result<BTreeMap<String, String>, SecretError> {
    content
        .strip_suffix('\n')
        .unwrap_or(content)
        .split('\n')
        .filter(|_| !content.is_empty())
        .map(|line| match line.split_once('=') {
            Some((key, value)) => Ok((key.to_owned(), value.to_owned())),
            None => Err(SecretError::Line(line.to_owned())),
        })
        .collect()
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: never the values.
        f.debug_struct("Secrets")
            .field("sources", &self.sources.keys().collect::<Vec<_>>())
            .field("default", &self.default)
            .finish_non_exhaustive()
    }
}

/// A [`LogSink`] that hides the secrets scripts read before handing a
/// record on.
#[derive(Debug)]
pub struct RedactedLog {
    inner: Arc<dyn LogSink>,
    secrets: Arc<Secrets>,
}

impl RedactedLog {
    /// Redacts `secrets` from what goes to `inner`.
    pub fn new(inner: Arc<dyn LogSink>, secrets: Arc<Secrets>) -> Self {
        Self { inner, secrets }
    }
}

impl LogSink for RedactedLog {
    fn log(&self, level: Level, msg: &str, fields: &[(&str, &str)]) {
        let msg = self.secrets.redact(msg);
        let values: Vec<String> = fields.iter().map(|(_, v)| self.secrets.redact(v)).collect();
        let fields: Vec<(&str, &str)> = fields
            .iter()
            .zip(&values)
            .map(|((k, _), v)| (*k, v.as_str()))
            .collect();
        self.inner.log(level, &msg, &fields);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::MemoryLog;

    fn read(
        files: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> io::Result<Vec<u8>> {
        move |path| {
            files
                .iter()
                .find(|(name, _)| *name == path)
                .map(|(_, content)| content.as_bytes().to_vec())
                .ok_or_else(|| io::ErrorKind::NotFound.into())
        }
    }

    const FILES: &[(&str, &str)] = &[
        ("a.txt", "cool=some\nother=with=eq\n"),
        ("b.txt", "cool=b\n"),
    ];

    #[test]
    fn one_file_is_the_default_source() {
        let secrets = Secrets::from_flags(&["file=a.txt".into()], read(FILES)).unwrap();
        assert_eq!(secrets.get(None, "cool").unwrap(), "some");
        assert_eq!(secrets.get(None, "other").unwrap(), "with=eq");
        assert_eq!(secrets.get(None, "nope"), Err(LookupError::Missing));
        assert_eq!(
            secrets.get(Some("b"), "cool"),
            Err(LookupError::UnknownSource("b".into()))
        );
    }

    #[test]
    fn named_sources_need_a_default_for_get() {
        let flags = [
            "file=name=a,filename=a.txt".into(),
            "file=name=b,filename=b.txt".into(),
        ];
        let secrets = Secrets::from_flags(&flags, read(FILES)).unwrap();
        assert_eq!(secrets.get(Some("b"), "cool").unwrap(), "b");
        assert_eq!(
            secrets.get(None, "cool"),
            Err(LookupError::UnknownSource("default".into()))
        );
        let flags = [
            "file=name=a,filename=a.txt,default".into(),
            flags[1].clone(),
        ];
        let secrets = Secrets::from_flags(&flags, read(FILES)).unwrap();
        assert_eq!(secrets.get(None, "cool").unwrap(), "some");
        assert_eq!(
            Secrets::new().get(None, "x"),
            Err(LookupError::Unconfigured)
        );
    }

    #[test]
    fn bad_flags_and_files_are_k6s_errors() {
        let error = |flag: &str| {
            Secrets::from_flags(&[flag.to_owned()], read(&[("bad.txt", "x\n")]))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            error("env"),
            "couldn't parse secret source configuration \"env\""
        );
        assert_eq!(
            error("env=name=b,prefix=MY_"),
            "no secret source for type \"env\" for configuration \"env=name=b,prefix=MY_\""
        );
        assert_eq!(
            error("file=nope.txt"),
            "open nope.txt: no such file or directory"
        );
        assert_eq!(error("file=bad.txt"), "parsing \"x\", needs =");
    }

    #[test]
    fn only_revealed_secrets_are_redacted() {
        let secrets = Arc::new(Secrets::from_flags(&["file=a.txt".into()], read(FILES)).unwrap());
        let memory = Arc::new(MemoryLog::default());
        let log = RedactedLog::new(memory.clone(), secrets.clone());
        log.log(Level::Info, "some before", &[]);
        secrets.get(None, "cool").unwrap();
        log.log(Level::Info, "some after, with=eq", &[("source", "console")]);
        let lines = memory.lines();
        assert!(lines[0].contains("msg=\"some before\""), "{lines:?}");
        assert!(
            lines[1].contains("msg=\"***SECRET_REDACTED*** after, with=eq\""),
            "{lines:?}"
        );
    }
}
