//! Base64 decoding with Go's `encoding/base64` semantics, which k6's
//! `b64decode` inherits: `\r` and `\n` are skipped anywhere, trailing
//! bits need not be zero, and an error names the byte offset Go names
//! (`illegal base64 data at input byte 4`).

/// One of Go's four encodings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Alphabet {
    /// `-_` instead of `+/`.
    pub url: bool,
    /// Padded with `=`.
    pub padded: bool,
}

/// Where the input stops being base64.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CorruptInput(pub usize);

impl std::fmt::Display for CorruptInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "illegal base64 data at input byte {}", self.0)
    }
}

fn symbol(alphabet: Alphabet, byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' if !alphabet.url => Some(62),
        b'/' if !alphabet.url => Some(63),
        b'-' if alphabet.url => Some(62),
        b'_' if alphabet.url => Some(63),
        _ => None,
    }
}

fn is_newline(byte: u8) -> bool {
    byte == b'\n' || byte == b'\r'
}

/// Decodes `input`, four symbols at a time as Go does.
pub(crate) fn decode(alphabet: Alphabet, input: &[u8]) -> Result<Vec<u8>, CorruptInput> {
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 3);
    let mut at = 0;
    loop {
        let mut quantum = [0u8; 4];
        let mut filled = 0;
        let mut finished = false;
        while filled < 4 {
            let Some(&byte) = input.get(at) else {
                if filled == 0 {
                    return Ok(out);
                }
                if filled == 1 || alphabet.padded {
                    return Err(CorruptInput(at - filled));
                }
                finished = true;
                break;
            };
            at += 1;
            if let Some(value) = symbol(alphabet, byte) {
                quantum[filled] = value;
                filled += 1;
                continue;
            }
            if is_newline(byte) {
                continue;
            }
            if !alphabet.padded || byte != b'=' {
                return Err(CorruptInput(at - 1));
            }
            // Padding: `==` after two symbols, `=` after three.
            match filled {
                0 | 1 => return Err(CorruptInput(at - 1)),
                2 => {
                    while input.get(at).copied().is_some_and(is_newline) {
                        at += 1;
                    }
                    match input.get(at) {
                        None => return Err(CorruptInput(input.len())),
                        Some(b'=') => at += 1,
                        Some(_) => return Err(CorruptInput(at - 1)),
                    }
                }
                _ => {}
            }
            while input.get(at).copied().is_some_and(is_newline) {
                at += 1;
            }
            if at < input.len() {
                // Something after the padding.
                return Err(CorruptInput(at));
            }
            finished = true;
            break;
        }
        let bits = (u32::from(quantum[0]) << 18)
            | (u32::from(quantum[1]) << 12)
            | (u32::from(quantum[2]) << 6)
            | u32::from(quantum[3]);
        let bytes = bits.to_be_bytes();
        out.extend_from_slice(&bytes[1..filled.max(1)]);
        if finished {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{decode, Alphabet, CorruptInput};

    const STD: Alphabet = Alphabet {
        url: false,
        padded: true,
    };
    const RAW_STD: Alphabet = Alphabet {
        url: false,
        padded: false,
    };

    #[test]
    fn decodes_like_go() {
        assert_eq!(decode(STD, b"aGVsbG8=").unwrap(), b"hello");
        assert_eq!(decode(STD, b"aG\nVs\rbG8=").unwrap(), b"hello");
        assert_eq!(decode(STD, b"aGVsbG9=").unwrap(), b"hello");
        assert_eq!(decode(RAW_STD, b"aGVsbG8").unwrap(), b"hello");
        assert_eq!(decode(STD, b"").unwrap(), b"");
    }

    #[test]
    fn errors_name_gos_offsets() {
        for (alphabet, input, at) in [
            (STD, &b"!!!"[..], 0),
            (STD, b"aGVsbG8", 4),
            (RAW_STD, b"aGVsbG8=", 7),
            (STD, b"12", 0),
            (STD, b"aGVs bG8=", 4),
            (STD, b"YQ=", 3),
            (STD, b"YQ===", 4),
            (RAW_STD, b"Y", 0),
            (STD, b"YQ==YQ==", 4),
        ] {
            assert_eq!(decode(alphabet, input), Err(CorruptInput(at)), "{input:?}");
        }
    }
}
