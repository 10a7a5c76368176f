//! `k6/encoding` in init code: every base64 flavour, the input types k6
//! takes and refuses, and Go's decoding errors, as k6 v1.1.0 reported them
//! for the same calls (`tests/fixtures/crypto/encoding.js`).

mod common;

use common::{inspect_fixture, tag};
use k6r_script::Env;

#[test]
fn b64encode_and_b64decode_behave_as_in_k6() {
    let inspection = inspect_fixture("crypto/encoding.js", &Env::new()).ok();
    let expect = [
        ("keys", "b64decode,b64encode"),
        ("std", "string:aGVsbG8gd29ybGQ/Pg=="),
        ("rawstd", "string:aGVsbG8gd29ybGQ/Pg"),
        ("url", "string:aGVsbG8gd29ybGQ_Pg=="),
        ("rawurl", "string:aGVsbG8gd29ybGQ_Pg"),
        ("unknownEncoding", "string:aGVsbG8="),
        ("buffer", "string://79"),
        ("view", "string:AgM="),
        ("utf8", "string:w7xuw68="),
        (
            "int",
            "GoError: invalid type int64, expected string, []byte or ArrayBuffer",
        ),
        (
            "float",
            "GoError: invalid type float64, expected string, []byte or ArrayBuffer",
        ),
        (
            "undefined",
            "GoError: invalid type <nil>, expected string, []byte or ArrayBuffer",
        ),
        (
            "array",
            "GoError: invalid type []interface {}, expected string, []byte or ArrayBuffer",
        ),
        (
            "object",
            "GoError: invalid type map[string]interface {}, expected string, []byte or ArrayBuffer",
        ),
        (
            "uint16",
            "GoError: invalid type []uint16, expected string, []byte or ArrayBuffer",
        ),
        (
            "decode",
            "AB:104,101,108,108,111,32,119,111,114,108,100,63,62",
        ),
        ("decodeS", "string:hello world?>"),
        ("decodeRawUrl", "string:hello world?>"),
        ("decodeUrl", "string:hello world?>"),
        ("decodeRawStd", "string:hello world?>"),
        ("illegal", "GoError: illegal base64 data at input byte 0"),
        ("unpadded", "GoError: illegal base64 data at input byte 4"),
        ("paddedRaw", "GoError: illegal base64 data at input byte 7"),
        ("newlines", "string:hello"),
        ("space", "GoError: illegal base64 data at input byte 4"),
        ("trailingBits", "string:hello"),
        (
            "afterPadding",
            "GoError: illegal base64 data at input byte 4",
        ),
        ("invalidUtf8", "string:�"),
        ("decodeUndefined", "AB:"),
        (
            "decodeBuffer",
            "GoError: illegal base64 data at input byte 0",
        ),
        ("otherFormat", "AB:104,105"),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}
