//! JavaScript exceptions turned into plain Rust data.

use std::fmt;

use rquickjs::{CaughtError, Ctx, Value};

use crate::js;

/// An exception thrown by JavaScript and not caught, as k6 reports it:
/// `Error: boom` followed by the stack.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct JsException {
    /// The error's `name` (`Error`, `TypeError`, `GoError`...); `None`
    /// when the thrown value is not an error object (`throw "oops"`).
    pub name: Option<String>,
    /// The error's `message`, or the thrown value as a string.
    pub message: String,
    /// Stack frames, innermost first: `f (file:///s/main.js:1:26)`, or
    /// just `file:///s/main.js:2:1` for top-level code.
    pub stack: Vec<String>,
}

impl JsException {
    /// The file, line and column of a parse error (a `SyntaxError` whose
    /// only frame is a bare location).
    pub fn syntax_location(&self) -> Option<(String, u32, u32)> {
        if self.name.as_deref() != Some("SyntaxError") {
            return None;
        }
        let frame = self.stack.first()?;
        if frame.contains(' ') {
            return None;
        }
        let mut parts = frame.rsplitn(3, ':');
        let column = parts.next()?.parse().ok()?;
        let line = parts.next()?.parse().ok()?;
        Some((parts.next()?.to_owned(), line, column))
    }

    /// Takes the exception QuickJS reported as `caught`.
    pub(crate) fn from_caught<'js>(ctx: &Ctx<'js>, caught: CaughtError<'js>) -> Self {
        match caught {
            CaughtError::Exception(exception) => {
                let object = exception.as_object();
                let name = object
                    .get::<_, Value>("name")
                    .ok()
                    .and_then(|name| name.as_string()?.to_string().ok());
                let message = exception.message().unwrap_or_default();
                let stack = exception
                    .stack()
                    .map(|stack| frames(&stack))
                    .unwrap_or_default();
                JsException {
                    name,
                    message,
                    stack,
                }
            }
            CaughtError::Value(value) => JsException {
                name: None,
                message: js::to_string(&value).unwrap_or_else(|_| {
                    let _ = ctx.catch();
                    value.type_name().to_owned()
                }),
                stack: Vec::new(),
            },
            CaughtError::Error(error) => JsException {
                name: None,
                message: error.to_string(),
                stack: Vec::new(),
            },
        }
    }
}

/// QuickJS's `    at f (file:///x.js:1:2)` lines → `f (file:///x.js:1:2)`,
/// with `<anonymous> (loc)` shortened to `loc` as k6 prints top-level frames,
/// and each location mapped back through its module's source map.
pub(crate) fn frames(stack: &str) -> Vec<String> {
    stack
        .lines()
        .filter_map(|line| {
            let frame = line.trim().strip_prefix("at ")?.trim();
            let frame = frame
                .strip_prefix("<anonymous> (")
                .and_then(|rest| rest.strip_suffix(')'))
                .unwrap_or(frame);
            (!frame.is_empty()).then(|| crate::loader::sourcemap::map_frame(frame).into_owned())
        })
        .collect()
}

impl fmt::Display for JsException {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) if !name.is_empty() => write!(f, "{name}: {}", self.message)?,
            _ => f.write_str(&self.message)?,
        }
        for frame in &self.stack {
            write!(f, "\n\tat {frame}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_cleaned_up() {
        let stack = "    at f (file:///m/thr.js:1:26)\n    at <anonymous> (file:///m/thr.js:2:1)\n";
        assert_eq!(
            frames(stack),
            ["f (file:///m/thr.js:1:26)", "file:///m/thr.js:2:1"]
        );
        let exception = JsException {
            name: Some("Error".into()),
            message: "boom".into(),
            stack: frames(stack),
        };
        assert_eq!(
            exception.to_string(),
            "Error: boom\n\tat f (file:///m/thr.js:1:26)\n\tat file:///m/thr.js:2:1"
        );
        assert_eq!(exception.syntax_location(), None);
    }

    #[test]
    fn syntax_errors_have_a_location() {
        let exception = JsException {
            name: Some("SyntaxError".into()),
            message: "unexpected token".into(),
            stack: frames("    at file:///m/a%20b.js:12:7\n"),
        };
        assert_eq!(
            exception.syntax_location(),
            Some(("file:///m/a%20b.js".to_owned(), 12, 7))
        );
    }
}
