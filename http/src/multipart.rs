//! `multipart/form-data` bodies, written as Go's `mime/multipart` writes
//! them (k6 uses it): a random 60-hex-digit boundary, a
//! `Content-Disposition` per part and a `Content-Type` for files.

use crate::request::{FormPart, FormValue};

/// A fresh boundary: 30 random bytes in hex, as Go makes it.
pub fn boundary() -> String {
    (0..30)
        .map(|_| format!("{:02x}", fastrand::u8(..)))
        .collect()
}

/// The `Content-Type` header of a body with `boundary`.
pub fn content_type(boundary: &str) -> String {
    format!("multipart/form-data; boundary={boundary}")
}

/// The body of `parts` with `boundary`.
pub fn encode(parts: &[FormPart], boundary: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, part) in parts.iter().enumerate() {
        if index > 0 {
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let name = escape_quotes(&part.name);
        match &part.value {
            FormValue::Text(text) => {
                out.extend_from_slice(
                    format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
                );
                out.extend_from_slice(text.as_bytes());
            }
            FormValue::File {
                data,
                filename,
                content_type,
            } => {
                let filename = escape_quotes(filename);
                out.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{filename}\"\r\n\
                         Content-Type: {content_type}\r\n\r\n"
                    )
                    .as_bytes(),
                );
                out.extend_from_slice(data);
            }
        }
    }
    if !parts.is_empty() {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    out
}

/// `\` and `"` escaped with a backslash, as Go's multipart writer does.
fn escape_quotes(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_written_as_go_writes_them() {
        let parts = vec![
            FormPart {
                name: "a".into(),
                value: FormValue::Text("1".into()),
            },
            FormPart {
                name: "f\"x".into(),
                value: FormValue::File {
                    data: b"hi".to_vec(),
                    filename: "a.txt".into(),
                    content_type: "text/plain".into(),
                },
            },
        ];
        let body = String::from_utf8(encode(&parts, "B")).unwrap();
        assert_eq!(
            body,
            "--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n\
             --B\r\nContent-Disposition: form-data; name=\"f\\\"x\"; filename=\"a.txt\"\r\n\
             Content-Type: text/plain\r\n\r\nhi\r\n--B--\r\n"
        );
        let b = boundary();
        assert_eq!(b.len(), 60);
        assert!(b.bytes().all(|c| c.is_ascii_hexdigit()));
    }
}
