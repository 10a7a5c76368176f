//! Why options are refused, and what k6 only warns about.

use crate::duration::DurationError;
use crate::exit::ExitCode;
use crate::segment::SegmentError;

/// Options that cannot be read or do not validate. `Display` is k6's
/// message; [`OptionsError::exit_code`] is k6's exit code.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum OptionsError {
    /// A JSON value of the wrong type.
    #[error("json: cannot unmarshal {found} into Go struct field {path} of type {go_type}")]
    Type {
        /// The JSON kind found (`number 1.5`, `string`, ...).
        found: String,
        /// Where, in Go's terms (`Options.vus`).
        path: String,
        /// The Go type expected there.
        go_type: String,
    },
    /// A string where an integer is expected that does not hold one.
    #[error("strconv.ParseInt: parsing \"{text}\": invalid syntax")]
    IntString {
        /// The string.
        text: String,
        /// Where, in Go's terms.
        path: String,
    },
    /// A bad duration value.
    #[error("{source}")]
    Duration {
        /// Where, in Go's terms.
        path: String,
        /// What is wrong with it.
        source: DurationError,
    },
    /// A key a scenario of this executor does not have.
    #[error("json: unknown field \"{0}\"")]
    UnknownField(String),
    /// An executor name that does not exist (names are case-sensitive).
    #[error("unknown executor type '{0}'")]
    UnknownExecutor(String),
    /// A scenario without `executor`.
    #[error("scenario '{0}' doesn't have a specified executor type")]
    MissingExecutor(String),
    /// A bad `executionSegment` or `executionSegmentSequence`.
    #[error(transparent)]
    Segment(#[from] SegmentError),
    /// A bad `-s`/`K6_STAGES` stage.
    #[error("{0}")]
    CliStage(String),
    /// Two shortcut options that exclude each other.
    #[error("using `{0}` and `{1}` options simultaneously is not allowed")]
    Conflict(&'static str, &'static str),
    /// `duration: '0s'` or negative as the shortcut.
    #[error("`duration` option should be more than 0, for infinite duration use the externally-controlled executor")]
    ShortcutDuration,
    /// A bad TLS option value (`unknown TLS version 'tls1.5'`,
    /// `unknown cipher suite 'X'`, a `tlsAuth` key or certificate that
    /// cannot be read).
    #[error("{0}")]
    Tls(String),
    /// Validation failures, one line each.
    #[error("There were problems with the specified script configuration:{}", .0.iter().map(|l| format!("\n\t- {l}")).collect::<String>())]
    Invalid(Vec<String>),
}

impl OptionsError {
    /// k6's exit code for this error: 104 (invalid config) except a CLI
    /// stage that cannot be parsed, which is a flag error (255).
    pub fn exit_code(&self) -> i32 {
        match self {
            OptionsError::CliStage(_) => ExitCode::Failure.code(),
            _ => ExitCode::InvalidConfig.code(),
        }
    }

    /// Whether k6 reports this while loading the script, prefixed with
    /// `could not initialize '<script>': could not load JS test '<url>': `.
    pub fn is_load_error(&self) -> bool {
        matches!(
            self,
            OptionsError::Type { .. }
                | OptionsError::IntString { .. }
                | OptionsError::Duration { .. }
                | OptionsError::UnknownField(_)
                | OptionsError::UnknownExecutor(_)
                | OptionsError::MissingExecutor(_)
                | OptionsError::Segment(_)
                | OptionsError::Tls(_)
        )
    }
}

/// Something k6 accepts but warns about: a message and extra log fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The `msg` of the log line.
    pub message: String,
    /// Other fields of the log line (`error=...`).
    pub fields: Vec<(String, String)>,
}

impl Warning {
    fn plain(message: impl Into<String>) -> Warning {
        Warning {
            message: message.into(),
            fields: Vec::new(),
        }
    }

    pub(crate) fn unknown_field(key: &str) -> Warning {
        Warning {
            message: "There were unknown fields in the options exported in the script".into(),
            fields: vec![("error".into(), format!("json: unknown field \"{key}\""))],
        }
    }

    pub(crate) fn scenarios_overridden(layer: &str) -> Warning {
        Warning::plain(format!(
            "\"{layer}\" level configuration overrode scenarios configuration entirely"
        ))
    }

    pub(crate) fn vus_ignored(vus: i64) -> Warning {
        Warning::plain(format!(
            "`vus={vus}` option will be ignored, it only works in conjunction with `iterations`, `duration`, or `stages`"
        ))
    }

    pub(crate) fn empty(option: &str) -> Warning {
        Warning::plain(format!(
            "`{option}` was explicitly set to an empty value, running the script with 1 iteration in 1 VU"
        ))
    }
}
