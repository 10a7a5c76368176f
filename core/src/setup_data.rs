//! `setup()`'s data between processes: JSON text, where "no data" (no
//! `setup()`, or one that returned nothing) travels as empty text or as
//! `null`. Every process that receives it reads it with [`present`].

/// The data in `json`, or `None` when it stands for no data.
pub fn present(json: &str) -> Option<&str> {
    match json.trim() {
        "" | "null" => None,
        json => Some(json),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_null_are_no_data() {
        assert_eq!(present(""), None);
        assert_eq!(present(" null\n"), None);
        assert_eq!(present("{\"n\":1}"), Some("{\"n\":1}"));
        assert_eq!(present("\"null\""), Some("\"null\""));
    }
}
