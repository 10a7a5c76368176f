//! Secrets for `k6/secrets`: the sources given with `--secret-source`
//! (k6 v1.1 knows two types: `file`, `key=value` lines read from a file,
//! and `mock`, `key=value` pairs on the command line), and
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
    /// By name; the default source is also under `default`, and an
    /// unnamed one under `""` (as in k6).
    sources: BTreeMap<String, Arc<BTreeMap<String, String>>>,
    /// Every value a script read, in the order it was first read: those
    /// are redacted from logs.
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
    /// A `file` source setting other than `filename`.
    #[error("unknown configuration key for file secret source {0:?}")]
    FileKey(String),
    /// The file can't be read.
    #[error("open {path}: {reason}")]
    Open {
        /// The file as given.
        path: String,
        /// Why (Go's wording for a missing file).
        reason: String,
    },
    /// A file line or a `mock` pair without `=`.
    #[error("parsing {0:?}, needs =")]
    Line(String),
    /// A second source with a name already taken (k6 names the type).
    #[error("secret source for name {kind:?} already registered before configuration {spec:?}")]
    Taken {
        /// The type of the second source.
        kind: String,
        /// Its whole flag value.
        spec: String,
    },
    /// A second source marked `default`.
    #[error("can't have two secret sources that are default ones, second one was {0:?}")]
    TwoDefaults(String),
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

/// The name of the source `secrets.get` reads.
const DEFAULT: &str = "default";

impl Secrets {
    /// No sources.
    pub fn new() -> Self {
        Self::default()
    }

    /// The sources of `--secret-source` flags, as k6 v1.1 reads them:
    /// `TYPE=CONFIG`, where CONFIG's comma-separated items `name=NAME` and
    /// `default` name the source and make it the default one, and the
    /// rest configures the type: `file` takes a file name (`PATH` or
    /// `filename=PATH`, read through `read`), `mock` takes `key=value`
    /// pairs. A single source is the default one.
    pub fn from_flags(
        flags: &[String],
        read: impl Fn(&str) -> io::Result<Vec<u8>>,
    ) -> Result<Self, SecretError> {
        let mut sources = BTreeMap::new();
        for spec in flags {
            let Some((kind, config)) = spec.split_once('=') else {
                return Err(SecretError::Syntax(spec.clone()));
            };
            if kind != "file" && kind != "mock" {
                return Err(SecretError::UnknownType {
                    kind: kind.to_owned(),
                    spec: spec.clone(),
                });
            }
            let (name, default, config) = name_and_default(config);
            let values = Arc::new(if kind == "file" {
                file_source(&config, &read)?
            } else {
                pairs(config.split(','))?
            });
            if sources.contains_key(&name) {
                return Err(SecretError::Taken {
                    kind: kind.to_owned(),
                    spec: spec.clone(),
                });
            }
            sources.insert(name, Arc::clone(&values));
            if default {
                if sources.contains_key(DEFAULT) {
                    return Err(SecretError::TwoDefaults(config));
                }
                sources.insert(DEFAULT.to_owned(), values);
            }
        }
        if sources.len() == 1 {
            let only = sources.values().next().cloned();
            sources.extend(only.map(|values| (DEFAULT.to_owned(), values)));
        }
        Ok(Secrets {
            sources,
            revealed: Mutex::default(),
        })
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
        let name = source.unwrap_or(DEFAULT);
        let values = self
            .sources
            .get(name)
            .ok_or_else(|| LookupError::UnknownSource(name.to_owned()))?;
        let value = values.get(key).ok_or(LookupError::Missing)?;
        let mut revealed = self.revealed.lock().unwrap_or_else(PoisonError::into_inner);
        if !revealed.contains(value) {
            revealed.push(value.clone());
        }
        Ok(value.clone())
    }

    /// `text` with every revealed secret replaced by [`REDACTED`], as Go's
    /// `strings.Replacer` (which k6 uses) does it: in one pass, where
    /// several secrets start at the same place the one read first wins,
    /// and an empty secret matches between every two characters (k6
    /// then garbles every line; so does k6r).
    pub fn redact(&self, text: &str) -> String {
        let revealed = self.revealed.lock().unwrap_or_else(PoisonError::into_inner);
        if revealed.is_empty() {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len());
        let (mut at, mut after_empty) = (0, false);
        loop {
            let rest = &text[at..];
            // An empty match is not taken twice at the same place.
            let found = revealed.iter().find(|value| {
                !(value.is_empty() && after_empty) && rest.starts_with(value.as_str())
            });
            if let Some(value) = found {
                out.push_str(REDACTED);
                at += value.len();
                after_empty = value.is_empty();
                continue;
            }
            after_empty = false;
            let Some(next) = rest.chars().next() else {
                break;
            };
            out.push(next);
            at += next.len_utf8();
        }
        out
    }
}

/// k6's split of a source's configuration: its `name=` (empty when not
/// given), whether it says `default`, and the other items, comma-joined.
fn name_and_default(config: &str) -> (String, bool, String) {
    let (mut name, mut default, mut rest) = (String::new(), false, Vec::new());
    for item in config.split(',') {
        if item == "default" {
            default = true;
        } else if let Some(value) = item
            .strip_prefix("name=")
            .or((item == "name").then_some(""))
        {
            name = value.to_owned();
        } else {
            rest.push(item);
        }
    }
    (name, default, rest.join(","))
}

/// A `file` source: the file named by `config` (`PATH` or
/// `filename=PATH`, the last one wins), read through `read`.
fn file_source(
    config: &str,
    read: &impl Fn(&str) -> io::Result<Vec<u8>>,
) -> Result<BTreeMap<String, String>, SecretError> {
    let mut file = "";
    for item in config.split(',') {
        match item.split_once('=') {
            None => file = item,
            Some(("filename", value)) => file = value,
            Some((key, _)) => return Err(SecretError::FileKey(key.to_owned())),
        }
    }
    let content = read(file).map_err(|error| SecretError::Open {
        path: file.to_owned(),
        reason: match error.kind() {
            io::ErrorKind::NotFound => "no such file or directory".to_owned(),
            _ => error.to_string(),
        },
    })?;
    parse_file(&String::from_utf8_lossy(&content))
}

/// `key=value` items; the value is everything after the first `=`, and a
/// later key wins.
fn pairs<'a>(
    items: impl Iterator<Item = &'a str>,
) -> Result<BTreeMap<String, String>, SecretError> {
    items
        .map(|item| match item.split_once('=') {
            Some((key, value)) => Ok((key.to_owned(), value.to_owned())),
            None => Err(SecretError::Line(item.to_owned())),
        })
        .collect()
}

/// `key=value` lines (ended by `\n` or `\r\n`, the last one maybe not
/// ended), as Go's line scanner reads them.
fn parse_file(content: &str) -> Result<BTreeMap<String, String>, SecretError> {
    let lines = content.strip_suffix('\n').unwrap_or(content);
    let lines = lines
        .split('\n')
        .filter(|_| !content.is_empty())
        .map(|line| line.strip_suffix('\r').unwrap_or(line));
    pairs(lines)
}

impl fmt::Debug for Secrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Names only: never the values.
        f.debug_struct("Secrets")
            .field("sources", &self.sources.keys().collect::<Vec<_>>())
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
    /// Redacts the message and the fields, names and values both (as k6).
    fn log(&self, level: Level, msg: &str, fields: &[(&str, &str)]) {
        let msg = self.secrets.redact(msg);
        let owned: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| (self.secrets.redact(k), self.secrets.redact(v)))
            .collect();
        let fields: Vec<(&str, &str)> = owned
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
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
    fn mock_sources_take_pairs_and_names_as_in_k6() {
        let flags = |flags: &[&str]| flags.iter().map(|f| f.to_string()).collect::<Vec<_>>();
        let secrets = Secrets::from_flags(&flags(&["mock=cool=a=b,x=1,x=2"]), read(FILES)).unwrap();
        assert_eq!(secrets.get(None, "cool").unwrap(), "a=b");
        assert_eq!(secrets.get(None, "x").unwrap(), "2");
        // Unnamed is named "", not after its type.
        assert_eq!(secrets.get(Some(""), "x").unwrap(), "2");
        assert_eq!(
            secrets.get(Some("mock"), "x"),
            Err(LookupError::UnknownSource("mock".into()))
        );
        let two = ["mock=name=m,cool=x", "file=name=f,filename=a.txt,default"];
        let secrets = Secrets::from_flags(&flags(&two), read(FILES)).unwrap();
        assert_eq!(secrets.get(Some("m"), "cool").unwrap(), "x");
        assert_eq!(secrets.get(None, "cool").unwrap(), "some");
    }

    #[test]
    fn conflicting_and_bad_sources_are_k6s_errors() {
        let error = |flags: &[&str]| {
            let flags: Vec<String> = flags.iter().map(|f| f.to_string()).collect();
            Secrets::from_flags(&flags, read(FILES))
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            error(&["mock=cool=x", "file=a.txt"]),
            "secret source for name \"file\" already registered before configuration \"file=a.txt\""
        );
        assert_eq!(
            error(&["mock=name=a,default,c=1", "mock=name=b,default,c=2"]),
            "can't have two secret sources that are default ones, second one was \"c=2\""
        );
        assert_eq!(error(&["mock=noeq"]), "parsing \"noeq\", needs =");
        assert_eq!(error(&["mock="]), "parsing \"\", needs =");
        assert_eq!(
            error(&["file=filename=a.txt,foo=bar"]),
            "unknown configuration key for file secret source \"foo\""
        );
    }

    #[test]
    fn redaction_is_one_pass_and_the_first_secret_read_wins() {
        let flags = ["mock=a=some,b=something,c=RED,e=".to_owned()];
        let secrets = Secrets::from_flags(&flags, read(FILES)).unwrap();
        for key in ["a", "b", "c"] {
            secrets.get(None, key).unwrap();
        }
        let r = REDACTED;
        assert_eq!(
            secrets.redact("some something ***SECRET_REDACTED***"),
            format!("{r} {r}thing ***SECRET_{r}ACTED***")
        );
        secrets.get(None, "e").unwrap();
        assert_eq!(secrets.redact("ab"), format!("{r}a{r}b{r}"));
    }

    #[test]
    fn field_names_are_redacted_too() {
        let secrets =
            Arc::new(Secrets::from_flags(&["mock=s=source".into()], read(FILES)).unwrap());
        let memory = Arc::new(MemoryLog::default());
        let log = RedactedLog::new(memory.clone(), secrets.clone());
        secrets.get(None, "s").unwrap();
        log.log(Level::Info, "hi", &[("source", "console")]);
        let lines = memory.lines();
        assert!(
            lines[0].ends_with("***SECRET_REDACTED***=console"),
            "{lines:?}"
        );
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
