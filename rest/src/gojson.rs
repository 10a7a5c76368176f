//! A JSON reader that fails the way Go's `encoding/json` does, because
//! k6's error bodies quote Go's messages (`invalid character 'b' looking
//! for beginning of object key string`, `unexpected end of JSON input`).
//!
//! The parser is iterative (no recursion, whatever the nesting), keeps
//! number literals as written (Go's type errors quote them), and stops
//! building the tree below [`KEEP_DEPTH`]: deeper values only keep their
//! kind, which is all a decoder of k6's bodies ever looks at there.

/// Go's `maxNestingDepth`.
const MAX_DEPTH: usize = 10_000;
/// Below this depth only a value's kind is kept.
pub const KEEP_DEPTH: usize = 16;

/// A parsed JSON value.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number, as written.
    Number(String),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in document order (duplicates kept).
    Object(Vec<(String, Json)>),
    /// An array or object nested below [`KEEP_DEPTH`] (`true`: object).
    Deep(bool),
}

impl Json {
    /// Go's name of the value's JSON kind in type errors.
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) | Json::Deep(false) => "array",
            Json::Object(_) | Json::Deep(true) => "object",
        }
    }
}

const EOF: &str = "unexpected end of JSON input";

enum Frame {
    Array(Vec<Json>),
    Object(Vec<(String, Json)>, String),
}

struct Parser<'a> {
    b: &'a [u8],
    p: usize,
}

/// Parses one JSON document; the error is Go's message.
pub fn parse(b: &[u8]) -> Result<Json, String> {
    Parser { b, p: 0 }.document()
}

fn syntax(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

/// Go's `quoteChar`: the byte as a Latin-1 rune, `strconv.Quote`d.
fn quote_char(c: u8) -> String {
    let inner = match c {
        b'\'' => "\\'".to_string(),
        b'"' => "\"".to_string(),
        0x07 => "\\a".to_string(),
        0x08 => "\\b".to_string(),
        0x0c => "\\f".to_string(),
        b'\n' => "\\n".to_string(),
        b'\r' => "\\r".to_string(),
        b'\t' => "\\t".to_string(),
        0x0b => "\\v".to_string(),
        b'\\' => "\\\\".to_string(),
        0..=0x1f | 0x7f => format!("\\x{c:02x}"),
        0x80..=0xa0 | 0xad => format!("\\u{:04x}", c as u32),
        _ => char::from(c).to_string(),
    };
    format!("'{inner}'")
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.p < self.b.len() && matches!(self.b[self.p], b' ' | b'\t' | b'\n' | b'\r') {
            self.p += 1;
        }
    }

    fn peek(&self) -> Result<u8, String> {
        self.b.get(self.p).copied().ok_or_else(|| EOF.to_string())
    }

    fn document(mut self) -> Result<Json, String> {
        let mut stack: Vec<Frame> = Vec::new();
        // Containers entered below KEEP_DEPTH: only counted.
        let mut deep: Vec<bool> = Vec::new();
        'value: loop {
            self.ws();
            let c = self.peek()?;
            let depth = stack.len() + deep.len();
            let mut value = match c {
                b'{' | b'[' => {
                    if depth + 1 > MAX_DEPTH {
                        return Err(syntax(c, "exceeded max depth"));
                    }
                    self.p += 1;
                    self.ws();
                    let next = self.peek()?;
                    let object = c == b'{';
                    if (object && next == b'}') || (!object && next == b']') {
                        self.p += 1;
                        empty(object, depth)
                    } else {
                        let key = if object {
                            self.key_colon()?
                        } else {
                            String::new()
                        };
                        if depth >= KEEP_DEPTH {
                            deep.push(object);
                        } else if object {
                            stack.push(Frame::Object(Vec::new(), key));
                        } else {
                            stack.push(Frame::Array(Vec::new()));
                        }
                        continue 'value;
                    }
                }
                b'"' => Json::String(self.string()?),
                b't' => self.literal("true", Json::Bool(true))?,
                b'f' => self.literal("false", Json::Bool(false))?,
                b'n' => self.literal("null", Json::Null)?,
                b'-' | b'0'..=b'9' => Json::Number(self.number()?),
                _ => return Err(syntax(c, "looking for beginning of value")),
            };
            // The value is complete: hand it to its container, closing
            // containers as long as their end follows.
            loop {
                let object = match (deep.last(), stack.last()) {
                    (Some(&object), _) => object,
                    (None, Some(Frame::Object(..))) => true,
                    (None, Some(Frame::Array(_))) => false,
                    (None, None) => {
                        self.ws();
                        return match self.b.get(self.p) {
                            Some(&c) => Err(syntax(c, "after top-level value")),
                            None => Ok(value),
                        };
                    }
                };
                if deep.is_empty() {
                    match stack.last_mut() {
                        Some(Frame::Object(fields, key)) => {
                            fields.push((std::mem::take(key), value))
                        }
                        Some(Frame::Array(items)) => items.push(value),
                        None => {}
                    }
                }
                self.ws();
                let c = self.peek()?;
                self.p += 1;
                match (object, c) {
                    (true, b',') => {
                        let key = self.key_colon_after_comma()?;
                        if let Some(Frame::Object(_, k)) =
                            stack.last_mut().filter(|_| deep.is_empty())
                        {
                            *k = key;
                        }
                        continue 'value;
                    }
                    (false, b',') => continue 'value,
                    (true, b'}') | (false, b']') => {
                        value = if deep.pop().is_some() {
                            Json::Deep(object)
                        } else {
                            match stack.pop() {
                                Some(Frame::Object(fields, _)) => Json::Object(fields),
                                Some(Frame::Array(items)) => Json::Array(items),
                                None => Json::Null,
                            }
                        };
                    }
                    (true, c) => return Err(syntax(c, "after object key:value pair")),
                    (false, c) => return Err(syntax(c, "after array element")),
                }
            }
        }
    }

    /// After `{`: a key string and its colon.
    fn key_colon(&mut self) -> Result<String, String> {
        let c = self.peek()?;
        if c != b'"' {
            return Err(syntax(c, "looking for beginning of object key string"));
        }
        let key = self.string()?;
        self.ws();
        let c = self.peek()?;
        if c != b':' {
            return Err(syntax(c, "after object key"));
        }
        self.p += 1;
        Ok(key)
    }

    fn key_colon_after_comma(&mut self) -> Result<String, String> {
        self.ws();
        self.key_colon()
    }

    fn literal(&mut self, word: &str, value: Json) -> Result<Json, String> {
        for (i, &want) in word.as_bytes().iter().enumerate().skip(1) {
            let c = self
                .b
                .get(self.p + i)
                .copied()
                .ok_or_else(|| EOF.to_string())?;
            if c != want {
                self.p += i;
                return Err(syntax(
                    c,
                    &format!("in literal {word} (expecting {})", quote_char(want)),
                ));
            }
        }
        self.p += word.len();
        Ok(value)
    }

    fn number(&mut self) -> Result<String, String> {
        let start = self.p;
        let at = |p: usize| self.b.get(p).copied();
        let mut p = self.p;
        if at(p) == Some(b'-') {
            p += 1;
        }
        match at(p) {
            Some(b'0') => p += 1,
            Some(b'1'..=b'9') => {
                while matches!(at(p), Some(b'0'..=b'9')) {
                    p += 1;
                }
            }
            Some(c) => return Err(syntax(c, "in numeric literal")),
            None => return Err(EOF.to_string()),
        }
        if at(p) == Some(b'.') {
            p += 1;
            match at(p) {
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(syntax(c, "after decimal point in numeric literal")),
                None => return Err(EOF.to_string()),
            }
            while matches!(at(p), Some(b'0'..=b'9')) {
                p += 1;
            }
        }
        if matches!(at(p), Some(b'e' | b'E')) {
            p += 1;
            if matches!(at(p), Some(b'+' | b'-')) {
                p += 1;
            }
            match at(p) {
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(syntax(c, "in exponent of numeric literal")),
                None => return Err(EOF.to_string()),
            }
            while matches!(at(p), Some(b'0'..=b'9')) {
                p += 1;
            }
        }
        self.p = p;
        Ok(String::from_utf8_lossy(&self.b[start..p]).into_owned())
    }

    /// A string starting at `"`; unescaped, invalid UTF-8 replaced.
    fn string(&mut self) -> Result<String, String> {
        self.p += 1;
        let mut out: Vec<u8> = Vec::new();
        loop {
            let c = self.peek()?;
            self.p += 1;
            match c {
                b'"' => return Ok(String::from_utf8_lossy(&out).into_owned()),
                b'\\' => {
                    let e = self.peek()?;
                    self.p += 1;
                    match e {
                        b'"' | b'\\' | b'/' => out.push(e),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'u' => {
                            let unit = self.hex4()?;
                            let ch = if (0xd800..0xdc00).contains(&unit)
                                && self.b.get(self.p..self.p + 2) == Some(b"\\u")
                            {
                                let save = self.p;
                                self.p += 2;
                                let low = self.hex4()?;
                                if (0xdc00..0xe000).contains(&low) {
                                    char::from_u32(
                                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00),
                                    )
                                } else {
                                    self.p = save;
                                    None
                                }
                            } else {
                                char::from_u32(unit)
                            };
                            let mut buf = [0; 4];
                            out.extend_from_slice(
                                ch.unwrap_or('\u{fffd}').encode_utf8(&mut buf).as_bytes(),
                            );
                        }
                        _ => return Err(syntax(e, "in string escape code")),
                    }
                }
                0..=0x1f => return Err(syntax(c, "in string literal")),
                _ => out.push(c),
            }
        }
    }

    fn hex4(&mut self) -> Result<u32, String> {
        let mut v = 0;
        for _ in 0..4 {
            let c = self.peek()?;
            self.p += 1;
            let d = (c as char)
                .to_digit(16)
                .ok_or_else(|| syntax(c, "in \\u hexadecimal character escape"))?;
            v = v * 16 + d;
        }
        Ok(v)
    }
}

fn empty(object: bool, depth: usize) -> Json {
    match (object, depth >= KEEP_DEPTH) {
        (o, true) => Json::Deep(o),
        (true, false) => Json::Object(Vec::new()),
        (false, false) => Json::Array(Vec::new()),
    }
}

/// Decoding into `interface{}` turns numbers into `float64`s: a literal
/// out of its range is Go's type error (the first one in document order).
pub fn check_floats(json: &Json) -> Result<(), String> {
    let mut stack = vec![json];
    while let Some(value) = stack.pop() {
        match value {
            Json::Number(n) if !n.parse::<f64>().is_ok_and(f64::is_finite) => {
                return Err(format!(
                    "json: cannot unmarshal number {n} into Go value of type float64"
                ));
            }
            Json::Array(items) => stack.extend(items.iter().rev()),
            Json::Object(fields) => stack.extend(fields.iter().rev().map(|(_, v)| v)),
            _ => {}
        }
    }
    Ok(())
}

/// Go's `json.Compact` with HTML escaping, as `json.Marshal` writes a
/// `json.RawMessage`: whitespace outside strings dropped; `<`, `>`, `&`,
/// U+2028 and U+2029 escaped. `b` must be valid JSON.
pub fn compact(b: &[u8]) -> String {
    let text = String::from_utf8_lossy(b);
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for ch in text.chars() {
        if in_string {
            match ch {
                _ if escaped => {
                    escaped = false;
                    out.push(ch);
                }
                '\\' => {
                    escaped = true;
                    out.push(ch);
                }
                '"' => {
                    in_string = false;
                    out.push(ch);
                }
                '<' => out.push_str("\\u003c"),
                '>' => out.push_str("\\u003e"),
                '&' => out.push_str("\\u0026"),
                '\u{2028}' => out.push_str("\\u2028"),
                '\u{2029}' => out.push_str("\\u2029"),
                _ => out.push(ch),
            }
        } else if ch == '"' {
            in_string = true;
            out.push(ch);
        } else if !matches!(ch, ' ' | '\t' | '\n' | '\r') {
            out.push(ch);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(s: &str) -> String {
        parse(s.as_bytes()).unwrap_err()
    }

    #[test]
    fn go_messages() {
        for (input, message) in [
            (
                "{bad json",
                "invalid character 'b' looking for beginning of object key string",
            ),
            ("", EOF),
            ("  ", EOF),
            ("{", EOF),
            (
                "{\"a\":1,}",
                "invalid character '}' looking for beginning of object key string",
            ),
            ("{} x", "invalid character 'x' after top-level value"),
            ("{\"a\" 1}", "invalid character '1' after object key"),
            (
                "{\"a\":1 2}",
                "invalid character '2' after object key:value pair",
            ),
            ("[1 2]", "invalid character '2' after array element"),
            (
                "[,]",
                "invalid character ',' looking for beginning of value",
            ),
            ("-x", "invalid character 'x' in numeric literal"),
            (
                "1.x",
                "invalid character 'x' after decimal point in numeric literal",
            ),
            (
                "1ex",
                "invalid character 'x' in exponent of numeric literal",
            ),
            (
                "tx",
                "invalid character 'x' in literal true (expecting 'r')",
            ),
            (
                "nul!",
                "invalid character '!' in literal null (expecting 'l')",
            ),
            ("\"a\nb\"", "invalid character '\\n' in string literal"),
            ("\"\\x\"", "invalid character 'x' in string escape code"),
            (
                "\"\\u12g4\"",
                "invalid character 'g' in \\u hexadecimal character escape",
            ),
            (
                "'a'",
                "invalid character '\\'' looking for beginning of value",
            ),
            (
                "\u{1}",
                "invalid character '\\x01' looking for beginning of value",
            ),
            ("01", "invalid character '1' after top-level value"),
        ] {
            assert_eq!(err(input), message, "{input:?}");
        }
    }

    #[test]
    fn trees() {
        let v = parse(br#" {"a" : [1, 2.5e3, "x\u00e9\ud83d\ude00"], "b":{"c":null,"d":true}} "#)
            .unwrap();
        let Json::Object(fields) = v else { panic!() };
        assert_eq!(fields[0].0, "a");
        assert_eq!(
            fields[0].1,
            Json::Array(vec![
                Json::Number("1".into()),
                Json::Number("2.5e3".into()),
                Json::String("xé😀".into())
            ])
        );
        assert_eq!(
            fields[1].1,
            Json::Object(vec![
                ("c".into(), Json::Null),
                ("d".into(), Json::Bool(true))
            ])
        );
    }

    #[test]
    fn deep_nesting_is_kept_shallow_and_bounded() {
        let deep = "[".repeat(20_000);
        assert_eq!(err(&deep), "invalid character '[' exceeded max depth");
        let ok = format!("{}{}", "[".repeat(5_000), "]".repeat(5_000));
        assert!(parse(ok.as_bytes()).is_ok());
        let unclosed = "[".repeat(5_000);
        assert_eq!(err(&unclosed), EOF);
    }

    #[test]
    fn floats_out_of_range() {
        let v = parse(br#"{"a":[1, 2e308], "b": 1e400}"#).unwrap();
        assert_eq!(
            check_floats(&v).unwrap_err(),
            "json: cannot unmarshal number 2e308 into Go value of type float64"
        );
        assert!(check_floats(&parse(b"[1e308, -0.5]").unwrap()).is_ok());
    }

    #[test]
    fn compacts_like_go() {
        assert_eq!(
            compact(br#"{ "put" : true, "s": "a <b> & c" }"#),
            r#"{"put":true,"s":"a \u003cb\u003e \u0026 c"}"#
        );
        assert_eq!(compact(br#" [ 1.0 , "\" x" ] "#), r#"[1.0,"\" x"]"#);
    }
}
