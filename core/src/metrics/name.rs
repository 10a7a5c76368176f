//! Custom metric names: k6's rule `^[a-zA-Z_][a-zA-Z0-9_]{1,128}$`.

use super::error::MetricsError;

/// Checks a custom metric's name (2 to 129 ASCII letters, digits or
/// underscores, not starting with a digit), giving k6's message.
pub fn validate_name(name: &str) -> Result<(), MetricsError> {
    let b = name.as_bytes();
    let ok = (2..=129).contains(&b.len())
        && (b[0].is_ascii_alphabetic() || b[0] == b'_')
        && b.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_');
    if ok {
        Ok(())
    } else {
        Err(MetricsError::InvalidName(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_k6s_pattern_and_message() {
        assert!(validate_name("my_trend").is_ok());
        assert!(validate_name("_x").is_ok());
        assert!(validate_name(&format!("a{}", "b".repeat(128))).is_ok());
        for bad in [
            "a",
            "",
            "1abc",
            "my-trend",
            "héllo",
            &format!("a{}", "b".repeat(129)),
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
        assert_eq!(
            validate_name("a").unwrap_err().to_string(),
            "Invalid metric name: 'a'. Metric names must only include up to 128 ASCII letters, \
             numbers, or underscores and start with a letter or an underscore."
        );
    }
}
