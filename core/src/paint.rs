//! k6's terminal colours (SGR sequences), one rule for every text k6r
//! paints: the banner and progress (k6r-cli) and the end-of-test
//! summary. Whether to paint is the caller's decision (a terminal, no
//! `--no-color`); a [`Paint`] that is off returns the text as it is.

/// Whether text is painted, and how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paint {
    on: bool,
}

impl Paint {
    /// No colours.
    pub const OFF: Paint = Paint { on: false };
    /// k6's colours.
    pub const ON: Paint = Paint { on: true };

    /// Colours when `on`.
    pub fn new(on: bool) -> Paint {
        Paint { on }
    }

    /// `text` in cyan (a value).
    pub fn cyan(self, text: &str) -> String {
        self.sgr("36", "0", text)
    }

    /// `text` in dim cyan (a value's companion: a rate, `min=`).
    pub fn dim_cyan(self, text: &str) -> String {
        self.sgr("2;36", "0", text)
    }

    /// `text` in white (a threshold's expression).
    pub fn white(self, text: &str) -> String {
        self.sgr("37", "0", text)
    }

    /// `text` in dim white (a summary row's dots).
    pub fn dim_white(self, text: &str) -> String {
        self.sgr("2;37", "0", text)
    }

    /// `text` in green (a pass, a scenario done).
    pub fn green(self, text: &str) -> String {
        self.sgr("32", "0", text)
    }

    /// `text` in red (a failure, a scenario interrupted).
    pub fn red(self, text: &str) -> String {
        self.sgr("31", "0", text)
    }

    /// `text` in bold (a title).
    pub fn bold(self, text: &str) -> String {
        self.sgr("1", "0", text)
    }

    /// `text` dimmed, ended by normal intensity (a bar's empty part).
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
        assert_eq!(Paint::ON.cyan("local"), "\x1b[36mlocal\x1b[0m");
        assert_eq!(Paint::ON.dim("--"), "\x1b[2m--\x1b[22m");
        assert_eq!(Paint::ON.dim_white("..:"), "\x1b[2;37m..:\x1b[0m");
        assert_eq!(Paint::OFF.green("✓"), "✓");
        assert_eq!(Paint::new(false), Paint::OFF);
    }
}
