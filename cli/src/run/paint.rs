//! k6's colours on a terminal: the banner's values in cyan, the empty
//! part of a progress bar dimmed, a finished scenario's mark green (red
//! when interrupted). Off when stdout is not a terminal, with
//! `--no-color`, and when `NO_COLOR` or `K6_NO_COLOR` is set.

use std::io::IsTerminal;

/// Whether text is painted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paint {
    on: bool,
}

impl Paint {
    /// No colours.
    #[cfg(test)]
    pub const OFF: Paint = Paint { on: false };
    /// Colours.
    #[cfg(test)]
    pub const ON: Paint = Paint { on: true };

    /// The colours of this process's stdout: on for a terminal unless
    /// `no_color`, or `env` has `NO_COLOR` or `K6_NO_COLOR` (any value).
    pub fn for_stdout(no_color: bool, env: impl Fn(&str) -> Option<String>) -> Paint {
        let refused = no_color || env("NO_COLOR").is_some() || env("K6_NO_COLOR").is_some();
        Paint {
            on: !refused && std::io::stdout().is_terminal(),
        }
    }

    /// `text` in cyan (a banner's value).
    pub fn cyan(self, text: &str) -> String {
        self.sgr("36", "0", text)
    }

    /// `text` in green (a scenario done).
    pub fn green(self, text: &str) -> String {
        self.sgr("32", "0", text)
    }

    /// `text` in red (a scenario interrupted).
    pub fn red(self, text: &str) -> String {
        self.sgr("31", "0", text)
    }

    /// `text` dimmed (a bar's empty part).
    pub fn dim(self, text: &str) -> String {
        self.sgr("2", "22", text)
    }

    fn sgr(self, on: &str, off: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{on}m{text}\x1b[{off}m")
        } else {
            text.to_owned()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paints_only_when_on() {
        let on = Paint::ON;
        assert_eq!(on.cyan("local"), "\x1b[36mlocal\x1b[0m");
        assert_eq!(on.dim("--"), "\x1b[2m--\x1b[22m");
        assert_eq!(Paint::OFF.green("✓"), "✓");
        // Refused by the flag or the environment whatever stdout is.
        assert_eq!(Paint::for_stdout(true, |_| None), Paint::OFF);
        let no_color = |name: &str| (name == "NO_COLOR").then(String::new);
        assert_eq!(Paint::for_stdout(false, no_color), Paint::OFF);
    }
}
