//! Whether `k6r-cli run` paints its stdout with k6's colours
//! ([`Paint`]): on for a terminal, off with `--no-color` and when
//! `NO_COLOR` or `K6_NO_COLOR` is set, as k6 decides.

use std::io::IsTerminal;

pub use k6r_core::paint::Paint;

/// Whether colours are refused: `no_color` (`--no-color`), or `env` has
/// `NO_COLOR` or `K6_NO_COLOR` (any value).
pub fn refused(no_color: bool, env: impl Fn(&str) -> Option<String>) -> bool {
    no_color || env("NO_COLOR").is_some() || env("K6_NO_COLOR").is_some()
}

/// The paint of this process's stdout: on for a terminal unless
/// [`refused`].
pub fn for_stdout(no_color: bool, env: impl Fn(&str) -> Option<String>) -> Paint {
    Paint::new(!refused(no_color, env) && std::io::stdout().is_terminal())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_and_the_environment_refuse_colours() {
        assert!(refused(true, |_| None));
        assert!(refused(false, |name| (name == "NO_COLOR").then(String::new)));
        assert!(refused(false, |name| (name == "K6_NO_COLOR").then(|| "1".into())));
        assert!(!refused(false, |_| None));
        assert_eq!(for_stdout(true, |_| None), Paint::OFF);
    }
}
