//! Values a script can make that once crashed or hung the process now
//! end in an exception or a rejection: a form body that refers to itself,
//! arrays whose `length` is huge or not an int, RSA exponents for which no
//! key exists, huge HMAC key and PSS salt lengths, `randomBytes` past what
//! QuickJS holds, and typed arrays whose `length` a script redefined.

mod common;

use std::sync::Arc;

use common::setup_returns;
use k6r_script::{MemoryFiles, Script};

/// Runs `setup` of `source` in VU 1 and returns what it returned.
fn setup_value(source: &str) -> serde_json::Value {
    let script = Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", source)),
        "/t/main.js",
    );
    setup_returns(&script).0
}

const SOURCE: &str = r#"
import http from 'k6/http';
import { randomBytes, sha256 } from 'k6/crypto';
import { SharedArray } from 'k6/data';
const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return `${e.name}`; } };
let huge;
try { huge = new SharedArray('huge', () => { const a = []; a.length = 2 ** 31; return a; }); } catch (e) { huge = e.message; }
export async function setup() {
  const cyclic = {}; cyclic.self = cyclic;
  const settle = (p) => p.then(() => 'resolved', (e) => `rejected ${e.name}`);
  const rsa = (exponent) => settle(crypto.subtle.generateKey(
    { name: 'RSA-PSS', modulusLength: 1024, publicExponent: new Uint8Array(exponent), hash: 'SHA-256' }, true, ['sign', 'verify']));
  const pss = await crypto.subtle.generateKey(
    { name: 'RSA-PSS', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['sign', 'verify']);
  const out = {
    sharedArray: huge,
    form: attempt(() => http.post('http://127.0.0.1:1/', { a: cyclic })),
    evenExponent: await rsa([2]),
    emptyExponent: await rsa([]),
    hmacLength: await settle(crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256', length: 1e18 }, true, ['sign'])),
    saltSign: await settle(crypto.subtle.sign({ name: 'RSA-PSS', saltLength: 1e15 }, pss.privateKey, new Uint8Array([1]))),
    saltVerify: await settle(crypto.subtle.verify({ name: 'RSA-PSS', saltLength: Infinity }, pss.publicKey, new Uint8Array(128), new Uint8Array([1]))),
    randomBytes: attempt(() => randomBytes(1e10)),
    usages: await settle(crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, { length: 2 ** 40, __proto__: Array.prototype })),
  };
  Object.defineProperty(Object.getPrototypeOf(Uint8Array.prototype), 'length', { get() { return 1e15; } });
  out.redefinedLength = sha256(new Uint8Array([1, 2, 3]).buffer, 'hex');
  return out;
}
"#;

#[test]
fn hostile_values_are_exceptions_not_crashes() {
    let out = setup_value(SOURCE);
    assert!(
        out["sharedArray"]
            .as_str()
            .unwrap()
            .contains("more than the 16777216 k6r takes"),
        "{out}"
    );
    assert_eq!(out["form"], "GoError", "{out}");
    assert_eq!(out["evenExponent"], "rejected OperationError", "{out}");
    assert_eq!(out["emptyExponent"], "rejected OperationError", "{out}");
    assert_eq!(out["hmacLength"], "rejected OperationError", "{out}");
    assert_eq!(out["saltSign"], "rejected OperationError", "{out}");
    assert_eq!(out["saltVerify"], "rejected OperationError", "{out}");
    assert_eq!(out["randomBytes"], "GoError", "{out}");
    assert!(
        out["usages"].as_str().unwrap().starts_with("rejected"),
        "{out}"
    );
    // The engine's length (3 bytes), not the redefined property.
    assert_eq!(
        out["redefinedLength"], "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81",
        "{out}"
    );
}
