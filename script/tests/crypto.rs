//! `k6/crypto` in init code: every hash and output encoding, HMAC, the
//! streaming hashers, `randomBytes` and `hexEncode`, with k6's errors, as
//! k6 v1.1.0 reported them for the same calls
//! (`tests/fixtures/crypto/crypto.js`).

mod common;

use common::{inspect_fixture, tag};
use k6r_script::Env;

#[test]
fn legacy_crypto_behaves_as_in_k6() {
    let inspection = inspect_fixture("crypto/crypto.js", &Env::new()).ok();
    let expect = [
        ("keys", "createHMAC,createHash,hexEncode,hmac,md4,md5,randomBytes,ripemd160,sha1,sha256,sha384,sha512,sha512_224,sha512_256"),
        ("md4", "string:83a5b3dda8e3011e345e662677f402fe"),
        ("md5", "string:cfe2466dd4294f6dedf2845ccfb45efb"),
        ("sha1", "string:0ea3c54e2630573e1e6c17f9669e974db0b62ae2"),
        ("sha256", "string:c8a91308fc956b7d039285b8449286a633a99fe9416a4166c354d8e737d69480"),
        ("sha384", "string:27ea0dbba9421939d3c58b0847d9b396124ecf40afb712ac7922dd25213420ef39e073fbcd4b20f57f5e73aafbd98a17"),
        ("sha512", "string:98f61e90b30271211f09ed5b2c43857a64abe6f442e95885a11d95100bd1e0cad19326bede839d57a4dc14dddc220f49927a2f37f66cc09c36b98cc81a8e470a"),
        ("sha512_224", "string:b51be4c2668cc17607018733e18ce3cced1a0cb2a3f81c7c5cd4b746"),
        ("sha512_256", "string:48a3d7e4795950026c3d5da03cd41dd154ac2f90c5bd961943cc2fa98d294e20"),
        ("ripemd160", "string:204bbdc001f52cba9ebda6d8936e23fb0e1f3df7"),
        ("base64", "string:yKkTCPyVa30DkoW4RJKGpjOpn+lBakFmw1TY5zfWlIA="),
        ("base64url", "string:yKkTCPyVa30DkoW4RJKGpjOpn-lBakFmw1TY5zfWlIA="),
        ("base64rawurl", "string:yKkTCPyVa30DkoW4RJKGpjOpn-lBakFmw1TY5zfWlIA"),
        ("binary", "AB:207,226,70,109,212,41,79,109,237,242,132,92,207,180,94,251"),
        ("noEncoding", "GoError: invalid output encoding: "),
        ("badEncoding", "GoError: invalid output encoding: HEX"),
        ("buffer", "string:039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"),
        ("view", "string:039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"),
        ("number", "GoError: sha256 failed: invalid type int64, expected string, []byte or ArrayBuffer"),
        ("hmac", "string:5031fe3d989c6d1537a013fa6e739da23463fdaec3b70137d828e36ace221bd0"),
        ("hmacMd4", "string:c2652d1b2872572984742fe9fcfa2a56"),
        ("hmacRipemd", "string:ce21db67993ef780d55c61bde46dcf53ecf0e138"),
        ("hmacBufferKey", "string:b8a17e012dd0ebaf1f769c37e68d304ca8af8dfa"),
        ("hmacBadAlgorithm", "GoError: invalid algorithm: SHA256"),
        ("hmacNumberKey", "GoError: invalid type int64, expected string, []byte or ArrayBuffer"),
        ("hasher", "string: digest update true da23614e02469a0d7c7bd1bdab5c9c474b1904dc a9993e364706816aba3e25717850c26c9cd0d89d"),
        ("hmacHasher", "string:UDH+PZicbRU3oBP6bnOdojRj/a7DtwE32Cjjas4iG9A="),
        ("hasherBadEncoding", "GoError: invalid output encoding: nope"),
        ("hasherNumber", "GoError: invalid type int64, expected string, []byte or ArrayBuffer"),
        ("randomBytes", "string:true 5"),
        ("randomBytesDiffer", "boolean:true"),
        ("randomBytesZero", "GoError: invalid size"),
        ("randomBytesNone", "GoError: invalid size"),
        ("hexEncode", "string:6869"),
        ("hexEncodeBuffer", "string:ff00"),
        ("hexEncodeNumber", "GoError: invalid type int64, expected string, []byte or ArrayBuffer"),
        ("createHashBad", "GoError: invalid algorithm: bogus"),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}

/// `k6/crypto/x509` on a certificate made by openssl (the values k6
/// v1.1.0 returned for it).
#[test]
fn x509_parses_as_in_k6() {
    let inspection = inspect_fixture("crypto/x509.js", &Env::new()).ok();
    let expect = [
        ("subject", "{\"commonName\":\"example.com\",\"country\":\"SE\",\"postalCode\":\"\",\"stateOrProvinceName\":\"Stockholm\",\"localityName\":\"Stockholm\",\"streetAddress\":\"\",\"organizationName\":\"Example AB\",\"organizationalUnitName\":[\"QA\"],\"names\":[{\"type\":\"2.5.4.6\",\"value\":\"SE\"},{\"type\":\"2.5.4.8\",\"value\":\"Stockholm\"},{\"type\":\"2.5.4.7\",\"value\":\"Stockholm\"},{\"type\":\"2.5.4.10\",\"value\":\"Example AB\"},{\"type\":\"2.5.4.11\",\"value\":\"QA\"},{\"type\":\"2.5.4.3\",\"value\":\"example.com\"},{\"type\":\"1.2.840.113549.1.9.1\",\"value\":\"qa@example.com\"}]}"),
        ("issuer", "{\"commonName\":\"example.com\",\"country\":\"SE\",\"stateOrProvinceName\":\"Stockholm\",\"localityName\":\"Stockholm\",\"organizationName\":\"Example AB\",\"names\":[{\"type\":\"2.5.4.6\",\"value\":\"SE\"},{\"type\":\"2.5.4.8\",\"value\":\"Stockholm\"},{\"type\":\"2.5.4.7\",\"value\":\"Stockholm\"},{\"type\":\"2.5.4.10\",\"value\":\"Example AB\"},{\"type\":\"2.5.4.11\",\"value\":\"QA\"},{\"type\":\"2.5.4.3\",\"value\":\"example.com\"},{\"type\":\"1.2.840.113549.1.9.1\",\"value\":\"qa@example.com\"}]}"),
        ("dates", "[\"2026-12-05T19:36:36Z\",\"2027-12-05T19:36:36Z\"]"),
        ("altNames", "[\"example.com\",\"www.example.com\",\"a@b.c\",\"127.0.0.1\",\"https://example.com/x\"]"),
        ("signatureAlgorithm", "\"SHA256-RSA\""),
        ("fingerPrint", "[232,38,144,61,14,129,140,148,22,72,204,132,151,23,225,62,41,242,239,158]"),
        ("publicKey", "[\"RSA\",\"bigint:a48d2f2c9f258837\",65537,256]"),
        ("garbage", "GoError: failed to decode certificate PEM file"),
        ("number", "TypeError: could not convert function call parameter 0: could not convert 5 to []uint8"),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}

/// The global `crypto`: an accessor until first read (so VUs that never
/// read it build nothing), then the data property k6 has.
#[test]
fn webcrypto_global_is_built_on_first_access() {
    let inspection = inspect_fixture("crypto/webcrypto.js", &Env::new()).ok();
    let expect = [
        (
            "accessor",
            "[\"get\",\"set\",\"enumerable\",\"configurable\"]",
        ),
        (
            "keys",
            "[\"getRandomValues\",\"randomUUID\",\"subtle\",\"CryptoKey\"]",
        ),
        (
            "settled",
            "[\"value\",\"writable\",\"enumerable\",\"configurable\"]",
        ),
        ("same", "true"),
        ("bytes", "[true,true]"),
        ("int8", "true"),
        (
            "tooBig",
            "GoError: QuotaExceededError: typedArray parameter is too big; maximum length is 65536",
        ),
        (
            "float",
            "GoError: TypeMismatchError: typedArray parameter isn't a TypedArray instance",
        ),
        ("uuid", "true"),
        ("replaced", "7"),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}

/// `crypto.subtle`: digests, HMAC and AES keys, signatures and ciphers,
/// with k6's rejections (the values k6 v1.1.0 gave for the same calls;
/// `deriveKey`, `wrapKey` and `unwrapKey`, which k6 does not implement,
/// are tested by `subtle_derives_wraps_and_unwraps_keys`).
#[test]
fn subtle_behaves_as_in_k6() {
    let inspection = inspect_fixture("crypto/subtle.js", &Env::new()).ok();
    let expect = [
        ("subtleKeys", "\"decrypt,deriveBits,deriveKey,digest,encrypt,exportKey,generateKey,importKey,sign,unwrapKey,verify,wrapKey\""),
        ("subtleLengths", "\"decrypt:3,deriveBits:3,deriveKey:5,digest:2,encrypt:3,exportKey:2,generateKey:3,importKey:5,sign:3,unwrapKey:7,verify:4,wrapKey:4\""),
        ("promise", "[\"[object Promise]\"]"),
        ("SHA-1", "AB:aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
        ("SHA-256", "AB:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        ("SHA-384", "AB:59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f"),
        ("SHA-512", "AB:9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043"),
        ("digestLower", "AB:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"),
        ("digestMd5", "ERR NotSupportedError: algorithm \"MD5\" doesn't support (in implementation) operation \"digest\" {\"name\":\"NotSupportedError\",\"message\":\"algorithm \\\"MD5\\\" doesn't support (in implementation) operation \\\"digest\\\"\"}"),
        ("digestString", "ERR data must be an ArrayBuffer, TypedArray, or DataView {}"),
        ("digestDataView", "ERR OperationError: data is neither an ArrayBuffer, nor a TypedArray nor DataView {\"name\":\"OperationError\",\"message\":\"data is neither an ArrayBuffer, nor a TypedArray nor DataView\"}"),
        ("digestUint16", "AB:8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"),
        ("hmacKey", "[\"secret\",true,{\"key_algorithm\":{\"algorithm\":{\"name\":\"HMAC\"},\"name\":\"HMAC\"},\"algorithm\":{\"name\":\"HMAC\"},\"name\":\"HMAC\",\"hash\":{\"algorithm\":{\"name\":\"SHA-256\"},\"name\":\"SHA-256\"},\"length\":256},[\"sign\",\"verify\"],\"secret\"]"),
        ("hmacSign", "AB:ed371f87983563d6173c4a3c24961640c6260d0ae40dd824dc357c610b8e3546"),
        ("hmacVerify", "true"),
        ("hmacVerifyBad", "false"),
        ("hmacRaw", "AB:3031323334353637383961626364656630313233343536373839616263646566"),
        ("hmacJwk", "\"[[\\\"alg\\\",\\\"HS256\\\"],[\\\"ext\\\",true],[\\\"k\\\",\\\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\\\"],[\\\"key_ops\\\",[\\\"sign\\\",\\\"verify\\\"]],[\\\"kty\\\",\\\"oct\\\"]]\""),
        ("hmacGenerate", "[{\"key_algorithm\":{\"algorithm\":{\"name\":\"HMAC\"},\"name\":\"HMAC\"},\"algorithm\":{\"name\":\"HMAC\"},\"name\":\"HMAC\",\"hash\":{\"algorithm\":{\"name\":\"SHA-512\"},\"name\":\"SHA-512\"},\"length\":1024},[\"sign\"],128]"),
        ("hmacGenerateLength", "[100,12]"),
        ("hmacImportJwk", "[48,false,[\"verify\",\"sign\"],\"117eca332f7e13ccb8e4574e4f33daa212a9231353670c2b8b4797df0bb77afa\"]"),
        ("notExtractable", "ERR InvalidAccessError: the key is not extractable {\"name\":\"InvalidAccessError\",\"message\":\"the key is not extractable\"}"),
        ("badUsage", "ERR SyntaxError: invalid key usage: encrypt {\"name\":\"SyntaxError\",\"message\":\"invalid key usage: encrypt\"}"),
        ("noUsages", "ERR SyntaxError: usages cannot not be empty for a secret or private CryptoKey {\"name\":\"SyntaxError\",\"message\":\"usages cannot not be empty for a secret or private CryptoKey\"}"),
        ("missingUsage", "ERR InvalidAccessError: key does not contain the 'sign' usage {\"name\":\"InvalidAccessError\",\"message\":\"key does not contain the 'sign' usage\"}"),
        ("noHash", "ERR SyntaxError: could not get hash from algorithm parameter {\"name\":\"SyntaxError\",\"message\":\"could not get hash from algorithm parameter\"}"),
        ("md5Hash", "ERR NotSupportedError: algorithm \"MD5\" doesn't support (in implementation) operation \"generateKey\" {\"name\":\"NotSupportedError\",\"message\":\"algorithm \\\"MD5\\\" doesn't support (in implementation) operation \\\"generateKey\\\"\"}"),
        ("unknownAlgorithm", "ERR NotSupportedError: algorithm \"FOO\" doesn't support (in implementation) operation \"importKey\" {\"name\":\"NotSupportedError\",\"message\":\"algorithm \\\"FOO\\\" doesn't support (in implementation) operation \\\"importKey\\\"\"}"),
        ("spki", "ERR NotSupportedError: unsupported key format spki {\"name\":\"NotSupportedError\",\"message\":\"unsupported key format spki\"}"),
        ("pkcs8Export", "ERR NotSupportedError: unsupported key format pkcs8 {\"name\":\"NotSupportedError\",\"message\":\"unsupported key format pkcs8\"}"),
        ("aesKey", "[\"secret\",{\"algorithm\":{\"name\":\"AES-GCM\"},\"name\":\"AES-GCM\",\"length\":128},[\"encrypt\",\"decrypt\"]]"),
        ("gcm", "AB:ae342e99843940aab05896c62160806d6a56d2acb1"),
        ("gcmAad", "AB:ae342e9984ecf811ce7fec340c6b929fc1"),
        ("gcmTag64", "ERR NotSupportedError: tag length 32 and 64 are not supported {\"name\":\"NotSupportedError\",\"message\":\"tag length 32 and 64 are not supported\"}"),
        ("gcmTag100", "ERR OperationError: invalid tag length, should be one of 96, 104, 112, 120, 128 {\"name\":\"OperationError\",\"message\":\"invalid tag length, should be one of 96, 104, 112, 120, 128\"}"),
        ("gcmTag104", "AB:be8dd25d01668228c2a0686893e3"),
        ("gcmTag112", "AB:be8dd25d01668228c2a0686893e384"),
        ("gcmTag120", "AB:be8dd25d01668228c2a0686893e384ce"),
        ("gcmIv16", "ERR NotSupportedError: only 12 bytes long iv are supported {\"name\":\"NotSupportedError\",\"message\":\"only 12 bytes long iv are supported\"}"),
        ("gcmRoundTrip", "\"68656c6c6f\""),
        ("gcmTampered", "ERR OperationError: could not decrypt ciphertext {\"name\":\"OperationError\",\"message\":\"could not decrypt ciphertext\"}"),
        ("gcmString", "ERR OperationError: data is neither an ArrayBuffer, nor a TypedArray nor DataView {\"name\":\"OperationError\",\"message\":\"data is neither an ArrayBuffer, nor a TypedArray nor DataView\"}"),
        ("cbc", "AB:bbd05ec6a528a0845fc61a710f725f3d"),
        ("cbcRoundTrip", "\"68656c6c6f20776f726c642c207369787465656e2b\""),
        ("cbcBadIv", "ERR OperationError: iv length is not 16 bytes {\"name\":\"OperationError\",\"message\":\"iv length is not 16 bytes\"}"),
        ("cbcBadPadding", "ERR OperationError: invalid padding {\"name\":\"OperationError\",\"message\":\"invalid padding\"}"),
        ("ctr", "AB:dae9b9f64a631b55fc9087"),
        ("ctrWraps", "AB:280058bdcd2ec1a6e9333dcfadd9a67f7dbd88272fb25937692a3b810047417504eb02199547fcab"),
        ("ctrLength0", "ERR OperationError: invalid counter length, out of the 0 < x < 128 bounds {\"name\":\"OperationError\",\"message\":\"invalid counter length, out of the 0 < x < 128 bounds\"}"),
        ("ctrBadCounter", "ERR OperationError: counter length is not 16 bytes {\"name\":\"OperationError\",\"message\":\"counter length is not 16 bytes\"}"),
        ("aesJwk", "\"[[\\\"alg\\\",\\\"A256CTR\\\"],[\\\"ext\\\",true],[\\\"k\\\",\\\"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY\\\"],[\\\"key_ops\\\",[\\\"encrypt\\\",\\\"decrypt\\\"]],[\\\"kty\\\",\\\"oct\\\"]]\""),
        ("aesImportJwk", "[{\"algorithm\":{\"name\":\"AES-GCM\"},\"name\":\"AES-GCM\",\"length\":128},\"[[\\\"alg\\\",\\\"A128GCM\\\"],[\\\"ext\\\",true],[\\\"k\\\",\\\"MDEyMzQ1Njc4OWFiY2RlZg\\\"],[\\\"key_ops\\\",[\\\"encrypt\\\"]],[\\\"kty\\\",\\\"oct\\\"]]\"]"),
        ("jwkBadKty", "ERR DataError: invalid symmetric JWK: invalid key type: RSA {\"name\":\"DataError\",\"message\":\"invalid symmetric JWK: invalid key type: RSA\"}"),
        ("aesGenerate", "[{\"algorithm\":{\"name\":\"AES-CTR\"},\"name\":\"AES-CTR\",\"length\":256},32]"),
        ("aesGenerateBadLength", "ERR OperationError: invalid key length {\"name\":\"OperationError\",\"message\":\"invalid key length\"}"),
        ("aesGenerateBadUsage", "ERR SyntaxError: invalid key usage {\"name\":\"SyntaxError\",\"message\":\"invalid key usage\"}"),
        ("aesShortKey", "ERR DataError: invalid key length 5 bytes {\"name\":\"DataError\",\"message\":\"invalid key length 5 bytes\"}"),
        ("wrongMode", "ERR InvalidAccessError: encrypt's algorithm name does not match key algorithm name {\"name\":\"InvalidAccessError\",\"message\":\"encrypt's algorithm name does not match key algorithm name\"}"),
        ("signWithAes", "ERR InvalidAccessError: algorithm name does not match key algorithm name {\"name\":\"InvalidAccessError\",\"message\":\"algorithm name does not match key algorithm name\"}"),
        ("kwGenerate", "[\"secret\",{\"algorithm\":{\"name\":\"AES-KW\"},\"name\":\"AES-KW\",\"length\":192},[\"wrapKey\",\"unwrapKey\"]]"),
        ("kwBadUsage", "ERR SyntaxError: invalid key usage {\"name\":\"SyntaxError\",\"message\":\"invalid key usage\"}"),
        ("kwImport", "{\"type\":\"secret\",\"extractable\":true,\"algorithm\":{\"algorithm\":{\"name\":\"AES-KW\"},\"name\":\"AES-KW\",\"length\":128},\"usages\":[\"wrapKey\"]}"),
        ("kwExport", "ERR NotSupportedError: unsupported algorithm AES-KW {\"name\":\"NotSupportedError\",\"message\":\"unsupported algorithm AES-KW\"}"),
        ("pbkdf2", "ERR NotSupportedError: algorithm \"PBKDF2\" doesn't support (in implementation) operation \"importKey\" {\"name\":\"NotSupportedError\",\"message\":\"algorithm \\\"PBKDF2\\\" doesn't support (in implementation) operation \\\"importKey\\\"\"}"),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}

/// `deriveKey`, `wrapKey` and `unwrapKey`, which k6 v1.1.0 does not
/// implement (`deriveKey` gives null, the others throw), as the WebCrypto
/// spec has them: both sides of an ECDH exchange derive the same AES or
/// HMAC key; keys wrapped with AES-KW, AES-GCM, AES-CBC, AES-CTR and
/// RSA-OAEP in raw, JWK, PKCS#8 and SPKI unwrap to the same key; AES-KW
/// gives RFC 3394's test vector (section 4.1); and what the spec refuses
/// is refused with its error names.
#[test]
fn subtle_derives_wraps_and_unwraps_keys() {
    let inspection = inspect_fixture("crypto/wrap_derive.js", &Env::new()).ok();
    let expect = [
        (
            "deriveAes",
            r#"["secret",{"algorithm":{"name":"AES-GCM"},"name":"AES-GCM","length":256},["encrypt"],true,"shared secret"]"#,
        ),
        ("deriveEqualsBits", r#"true"#),
        ("deriveHmac", r#"[256,true]"#),
        ("deriveHmacBlockSize", r#"512"#),
        (
            "deriveHmacTooLong",
            r#"ERR OperationError: length is too large {"name":"OperationError","message":"length is too large"}"#,
        ),
        (
            "deriveKw",
            r#"{"algorithm":{"name":"AES-KW"},"name":"AES-KW","length":192}"#,
        ),
        (
            "deriveBadLength",
            r#"ERR OperationError: invalid key length {"name":"OperationError","message":"invalid key length"}"#,
        ),
        (
            "deriveBadUsage",
            r#"ERR SyntaxError: invalid key usage: sign {"name":"SyntaxError","message":"invalid key usage: sign"}"#,
        ),
        (
            "deriveNoUsage",
            r#"ERR SyntaxError: usages cannot not be empty for a secret or private CryptoKey {"name":"SyntaxError","message":"usages cannot not be empty for a secret or private CryptoKey"}"#,
        ),
        (
            "deriveEcdsa",
            r#"ERR NotSupportedError: algorithm "ECDSA" doesn't support (in implementation) operation "get key length" {"name":"NotSupportedError","message":"algorithm \"ECDSA\" doesn't support (in implementation) operation \"get key length\""}"#,
        ),
        (
            "deriveMissingUsage",
            r#"ERR InvalidAccessError: key does not contain the 'deriveKey' usage {"name":"InvalidAccessError","message":"key does not contain the 'deriveKey' usage"}"#,
        ),
        (
            "derivePbkdf2",
            r#"ERR NotSupportedError: algorithm "PBKDF2" doesn't support (in implementation) operation "deriveKey" {"name":"NotSupportedError","message":"algorithm \"PBKDF2\" doesn't support (in implementation) operation \"deriveKey\""}"#,
        ),
        (
            "deriveBitsPbkdf2",
            r#"ERR NotSupportedError: algorithm "PBKDF2" doesn't support (in implementation) operation "deriveBits" {"name":"NotSupportedError","message":"algorithm \"PBKDF2\" doesn't support (in implementation) operation \"deriveBits\""}"#,
        ),
        (
            "kwVector",
            r#"AB:1fa68b0a8112b447aef34bd8fb5a7b829d3e862371d2cfe5"#,
        ),
        (
            "kwUnwrapVector",
            r#"[{"algorithm":{"name":"AES-CBC"},"name":"AES-CBC","length":128},["decrypt"],"00112233445566778899aabbccddeeff"]"#,
        ),
        (
            "kwTampered",
            r#"ERR OperationError: could not unwrap the key: integrity check failed {"name":"OperationError","message":"could not unwrap the key: integrity check failed"}"#,
        ),
        (
            "kwShort",
            r#"ERR OperationError: AES-KW data must be a multiple of 8 bytes, 16 at least {"name":"OperationError","message":"AES-KW data must be a multiple of 8 bytes, 16 at least"}"#,
        ),
        (
            "kwOdd",
            r#"ERR OperationError: AES-KW data must be a multiple of 8 bytes, 16 at least {"name":"OperationError","message":"AES-KW data must be a multiple of 8 bytes, 16 at least"}"#,
        ),
        (
            "kwEncrypt",
            r#"ERR InvalidAccessError: encrypt's key does not contain the 'encrypt' usage {"name":"InvalidAccessError","message":"encrypt's key does not contain the 'encrypt' usage"}"#,
        ),
        (
            "kwJwk",
            r#"ERR OperationError: AES-KW data must be a multiple of 8 bytes, 16 at least {"name":"OperationError","message":"AES-KW data must be a multiple of 8 bytes, 16 at least"}"#,
        ),
        ("rawKw", r#"[24,"secret","AES-GCM",["encrypt"],true]"#),
        ("rawGcm", r#"[32,"secret","AES-GCM",["decrypt"],true]"#),
        ("rawOaep", r#"[128,"secret","AES-GCM",["encrypt"],true]"#),
        ("rawCtr", r#"[26,"secret","HMAC",["verify"],true]"#),
        ("jwkHmacGcm", r#"[124,"secret","HMAC",["sign"],true]"#),
        ("pkcs8EcCbc", r#"[192,"private","ECDSA",["sign"],true]"#),
        ("spkiEcGcm", r#"[136,"public","ECDSA",["verify"],true]"#),
        ("jwkEcSigns", r#"["private",false,true]"#),
        (
            "jwkText",
            r#""{\"kty\":\"oct\",\"ext\":true,\"key_ops\":[\"encrypt\",\"decrypt\"],\"alg\":\"A128GCM\",\"k\":\"ABEiM0RVZneImaq7zN3u_w\"}""#,
        ),
        (
            "notExtractable",
            r#"ERR InvalidAccessError: the key is not extractable {"name":"InvalidAccessError","message":"the key is not extractable"}"#,
        ),
        (
            "wrapMissingUsage",
            r#"ERR InvalidAccessError: wrapKey's key does not contain the 'wrapKey' usage {"name":"InvalidAccessError","message":"wrapKey's key does not contain the 'wrapKey' usage"}"#,
        ),
        (
            "unwrapMissingUsage",
            r#"ERR InvalidAccessError: unwrapKey's key does not contain the 'unwrapKey' usage {"name":"InvalidAccessError","message":"unwrapKey's key does not contain the 'unwrapKey' usage"}"#,
        ),
        (
            "wrapWrongAlgorithm",
            r#"ERR InvalidAccessError: wrapKey's algorithm name does not match key algorithm name {"name":"InvalidAccessError","message":"wrapKey's algorithm name does not match key algorithm name"}"#,
        ),
        (
            "wrapHmac",
            r#"ERR NotSupportedError: algorithm "HMAC" doesn't support (in implementation) operation "wrapKey" {"name":"NotSupportedError","message":"algorithm \"HMAC\" doesn't support (in implementation) operation \"wrapKey\""}"#,
        ),
        (
            "wrapFormat",
            r#"ERR NotSupportedError: unsupported key format spki {"name":"NotSupportedError","message":"unsupported key format spki"}"#,
        ),
        (
            "wrapKwKey",
            r#"ERR NotSupportedError: unsupported algorithm AES-KW {"name":"NotSupportedError","message":"unsupported algorithm AES-KW"}"#,
        ),
        (
            "wrapNotKey",
            r#"ERR InvalidAccessError: key is not a valid CryptoKey {"name":"InvalidAccessError","message":"key is not a valid CryptoKey"}"#,
        ),
        (
            "unwrapBadImport",
            r#"ERR NotSupportedError: elliptic curve  is not supported {"name":"NotSupportedError","message":"elliptic curve  is not supported"}"#,
        ),
        (
            "unwrapNotJwk",
            r#"ERR DataError: the unwrapped key is not a JWK: not UTF-8 {"name":"DataError","message":"the unwrapped key is not a JWK: not UTF-8"}"#,
        ),
        (
            "unwrapNotJson",
            r#"ERR DataError: the unwrapped key is not a JWK: not JSON {"name":"DataError","message":"the unwrapped key is not a JWK: not JSON"}"#,
        ),
        (
            "unwrapBadUsage",
            r#"ERR SyntaxError: invalid key usage: sign {"name":"SyntaxError","message":"invalid key usage: sign"}"#,
        ),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}

/// ECDSA and ECDH with keys and signatures made by k6 v1.1.0: the same
/// encodings (raw, SPKI, PKCS#8, JWK), verification of k6's signatures,
/// the same shared secret, and k6's rejections; a JWK keeps its own
/// curve whatever `namedCurve` says, as in k6.
#[test]
fn elliptic_curves_behave_as_in_k6() {
    let inspection = inspect_fixture("crypto/ec.js", &Env::new()).ok();
    let expect = [
        ("privateKey", "[\"private\",true,{\"key_algorithm\":{\"algorithm\":{\"name\":\"ECDSA\"},\"name\":\"ECDSA\"},\"algorithm\":{\"name\":\"ECDSA\"},\"name\":\"ECDSA\",\"namedCurve\":\"P-256\"},[\"sign\"]]"),
        ("publicKey", "[\"public\",{\"key_algorithm\":{\"algorithm\":{\"name\":\"ECDSA\"},\"name\":\"ECDSA\"},\"algorithm\":{\"name\":\"ECDSA\"},\"name\":\"ECDSA\",\"namedCurve\":\"P-256\"},[\"verify\"]]"),
        ("raw", "AB:04dd693a5b0508c1a1e8d4f6ec5adab96183b82b2a5b8250fe5f3c6bb94064e77009d25029870cfb495df76ecbc33d00f5b3c8afea3040a91a9fde1be8bafcd773"),
        ("spki", "AB:3059301306072a8648ce3d020106082a8648ce3d03010703420004dd693a5b0508c1a1e8d4f6ec5adab96183b82b2a5b8250fe5f3c6bb94064e77009d25029870cfb495df76ecbc33d00f5b3c8afea3040a91a9fde1be8bafcd773"),
        ("pkcs8", "AB:308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b0201010420c9053160a5f5865bd9cbc7d67297381a45cc631be53279db8a902bfc2c84eb1da14403420004dd693a5b0508c1a1e8d4f6ec5adab96183b82b2a5b8250fe5f3c6bb94064e77009d25029870cfb495df76ecbc33d00f5b3c8afea3040a91a9fde1be8bafcd773"),
        ("jwkPrivate", "\"[[\\\"crv\\\",\\\"P-256\\\"],[\\\"d\\\",\\\"yQUxYKX1hlvZy8fWcpc4GkXMYxvlMnnbipAr_CyE6x0\\\"],[\\\"kty\\\",\\\"EC\\\"],[\\\"x\\\",\\\"3Wk6WwUIwaHo1PbsWtq5YYO4KypbglD-XzxruUBk53A\\\"],[\\\"y\\\",\\\"CdJQKYcM-0ld927Lwz0A9bPIr-owQKkan94b6Lr813M\\\"]]\""),
        ("jwkPublic", "\"[[\\\"crv\\\",\\\"P-256\\\"],[\\\"kty\\\",\\\"EC\\\"],[\\\"x\\\",\\\"3Wk6WwUIwaHo1PbsWtq5YYO4KypbglD-XzxruUBk53A\\\"],[\\\"y\\\",\\\"CdJQKYcM-0ld927Lwz0A9bPIr-owQKkan94b6Lr813M\\\"]]\""),
        ("rawPrivate", "ERR InvalidAccessError: key is not a valid elliptic curve public key {\"name\":\"InvalidAccessError\",\"message\":\"key is not a valid elliptic curve public key\"}"),
        ("pkcs8Public", "ERR InvalidAccessError: key is not a valid elliptic curve private key {\"name\":\"InvalidAccessError\",\"message\":\"key is not a valid elliptic curve private key\"}"),
        ("verifyK6Signature", "true"),
        ("verifyOtherData", "false"),
        ("verifyOtherHash", "false"),
        ("verifyShort", "false"),
        ("signVerify", "[64,true]"),
        ("signWithPublic", "ERR InvalidAccessError: key does not contain the 'sign' usage {\"name\":\"InvalidAccessError\",\"message\":\"key does not contain the 'sign' usage\"}"),
        ("signNoHash", "ERR SyntaxError: could not get hash from algorithm parameter {\"name\":\"SyntaxError\",\"message\":\"could not get hash from algorithm parameter\"}"),
        ("roundTripSpki", "\"04dd693a5b0508c1a1e8d4f6ec5adab96183b82b2a5b8250fe5f3c6bb94064e77009d25029870cfb495df76ecbc33d00f5b3c8afea3040a91a9fde1be8bafcd773\""),
        ("roundTripPkcs8", "[\"private\",false]"),
        ("roundTripRaw", "true"),
        ("badRaw", "ERR DataError: unable to import ECDSA public key data {\"name\":\"DataError\",\"message\":\"unable to import ECDSA public key data\"}"),
        ("wrongCurve", "ERR DataError: unable to import ECDSA public key data {\"name\":\"DataError\",\"message\":\"unable to import ECDSA public key data\"}"),
        ("badCurve", "ERR NotSupportedError: elliptic curve P-999 is not supported {\"name\":\"NotSupportedError\",\"message\":\"elliptic curve P-999 is not supported\"}"),
        ("badUsage", "ERR SyntaxError: invalid key usage {\"name\":\"SyntaxError\",\"message\":\"invalid key usage\"}"),
        ("pair", "[[\"sign\"],[\"verify\"],false,true,\"P-521\"]"),
        ("pairVerifyOnly", "[[],[\"verify\"]]"),
        ("p384", "true"),
        ("p384Pkcs8", "AB:3081b6020100301006072a8648ce3d020106052b8104002204819e30819b0201010430e5b975a004635b1173afde6a28443c8c971c9007b9c5fd189c76aa37f081a0681fd4f36854100fbc72b516184d6636e7a16403620004081fdc9cf5f9a62baeacc3452e1f7a4cee0539681f4c1dbc771a8561bee854f794fc8e95468f68399343b9a5042709bf734aab84eec69508c776dbb5be7fec6e035f6bc7a8ac397658f90f8ba2de4f4a20608022975624cefe7cea8ecae54e5e"),
        ("jwkOtherCurve", "[\"P-256\",\"P-384\",true,96]"),
        ("jwkOtherCurveVerify", "true"),
        ("jwkOtherCurveRaw", "97"),
        ("jwkOtherCurveEcdh", "[\"P-521\",\"P-384\"]"),
        ("jwkBadCurve", "ERR failed to parse elliptic curve: invalid elliptic curve P-999 {}"),
        ("jwkNoY", "ERR invalid EC JWK key: coordinate Y is required {}"),
        ("jwkKty", "ERR invalid EC JWK key: invalid key type: RSA {}"),
        ("jwkNumber", "ERR failed to parse input as EC JWK key: json: cannot unmarshal number into Go value of type webcrypto.ecJWK {}"),
        ("jwkFieldType", "ERR failed to parse input as EC JWK key: json: cannot unmarshal array into Go struct field ecJWK.crv of type string {}"),
        ("jwkPadded", "ERR failed to decode X coordinate: illegal base64 data at input byte 43 {}"),
        ("jwkCase", "\"public\""),
        ("jwkEcdhNoX", "ERR failed to parse input as ECDH key: invalid EC JWK key: coordinate X is required {}"),
        ("jwkEcdhOffCurve", "ERR failed to convert ECDSA key to ECDH key: ecdsa: invalid public key {}"),
        ("ecdhKeys", "[\"private\",{\"key_algorithm\":{\"algorithm\":{\"name\":\"ECDH\"},\"name\":\"ECDH\"},\"algorithm\":{\"name\":\"ECDH\"},\"name\":\"ECDH\",\"namedCurve\":\"P-256\"},[\"deriveBits\"],\"public\",[]]"),
        ("derive", "AB:99b2dbd645d9ed2e85248c413dfdccce88bd7c5b158665ccef0d8debc53b42e3"),
        ("derive128", "AB:99b2dbd645d9ed2e85248c413dfdccce"),
        ("deriveNull", "AB:99b2dbd645d9ed2e85248c413dfdccce88bd7c5b158665ccef0d8debc53b42e3"),
        ("deriveTooLong", "ERR OperationError: length is too large {\"name\":\"OperationError\",\"message\":\"length is too large\"}"),
        ("derive7", "ERR NotSupportedError: currently only multiples of 8 are supported for length {\"name\":\"NotSupportedError\",\"message\":\"currently only multiples of 8 are supported for length\"}"),
        ("deriveEcdsaPublic", "ERR InvalidAccessError: algorithm name does not match public key's algorithm name: ECDH != ECDSA {\"name\":\"InvalidAccessError\",\"message\":\"algorithm name does not match public key's algorithm name: ECDH != ECDSA\"}"),
        ("ecdhPair", "[[\"deriveBits\",\"deriveKey\"],[],{\"key_algorithm\":{\"algorithm\":{\"name\":\"ECDH\"},\"name\":\"ECDH\"},\"algorithm\":{\"name\":\"ECDH\"},\"name\":\"ECDH\",\"namedCurve\":\"P-256\"}]"),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}

/// RSASSA-PKCS1-v1_5, RSA-PSS and RSA-OAEP with a key, a signature and a
/// ciphertext made by k6 v1.1.0: the same encodings and PKCS#1 v1.5
/// signatures, k6's PSS signature verifies, k6's ciphertext decrypts.
#[test]
fn rsa_behaves_as_in_k6() {
    let inspection = inspect_fixture("crypto/rsa.js", &Env::new()).ok();
    let expect = [
        ("privateKey", "[\"private\",true,{\"key_algorithm\":{\"algorithm\":{\"name\":\"RSASSA-PKCS1-v1_5\"},\"name\":\"RSASSA-PKCS1-v1_5\"},\"algorithm\":{\"name\":\"RSASSA-PKCS1-v1_5\"},\"name\":\"RSASSA-PKCS1-v1_5\",\"modulusLength\":1024,\"hash\":{\"name\":\"SHA-256\"}},[\"sign\"]]"),
        ("pkcs8", "AB:30820276020100300d06092a864886f70d0101010500048202603082025c02010002818100be2995d3ea517b05601d6e9a299aaab50fa267ff9c3b9a89a60a66e3ef7a8ff94f9f124453864d055ea4621ae9d04c880ec96e81b408ec94e082e74c4326e85caee5456fdbf7f033331058eb837c0f679b84e657e8c15e0c0c81b7ac949d8e4d5d7588fb2c9d3250017d1757c69e197866ca1c688aaf08cf82bfe0985314f55902030100010281802514bfda2471820f30c85c7664517c23356ac263d627cb413727051c4269006529b107a35a343095b0f85607107be5488cb59bbe60087375ae77e8397748c17b6734c968be21350fd20924d2dd01795351a8377fd7b76069795b8883062ecf106839ed4c865480e32a483efb57f3cce98dd2ff249181ac00f6a4a08d68330039024100dcea3baef81e10d30053357327b0a851016b26e143ca0a1e90f9795aef5a7ce216e7afc94d555091024517c9dfe0f6856a17b0a4bc54e609f77c983e1d9e3fe5024100dc5d0af1de220637a94ca6b5cf768a475ed32e87b7a963f4d1a3d489d256677147876ae8be13b953f64e661b5442e74959c6675392c59904b133a7580532c0650240207b403345c005f14046fbc0e6c10ebe7a5aeae88c3314b1d1d71c84c654a3b00a761e5e96c4488849b1270243acac1289bad9fa1ec6ccdc024b8b86f68be211024017f358e42ee37dcf80ec1ed675e50964766ef788b2b28b75a96f68034ec42b5c098d3356768a484352eaf47815f16b97f254f9180144cebbced2b16684b21e6d024100d8ccd396046cc5d64f1ea89547b768a2ca59ef7c2a757394725f83b0168a510404544ca0a0e379a4c5b6ffc3cd49a4632f99072ef9651fd00f3b35e1cb043c52"),
        ("jwkPrivate", "\"[[\\\"d\\\",\\\"JRS_2iRxgg8wyFx2ZFF8IzVqwmPWJ8tBNycFHEJpAGUpsQejWjQwlbD4VgcQe-VIjLWbvmAIc3Wud-g5d0jBe2c0yWi-ITUP0gkk0t0BeVNRqDd_17dgaXlbiIMGLs8QaDntTIZUgOMqSD77V_PM6Y3S_ySRgawA9qSgjWgzADk\\\"],[\\\"dp\\\",\\\"IHtAM0XABfFARvvA5sEOvnpa6uiMMxSx0dcchMZUo7AKdh5elsRIiEmxJwJDrKwSibrZ-h7GzNwCS4uG9oviEQ\\\"],[\\\"dq\\\",\\\"F_NY5C7jfc-A7B7WdeUJZHZu94iysot1qW9oA07EK1wJjTNWdopIQ1Lq9HgV8WuX8lT5GAFEzrvO0rFmhLIebQ\\\"],[\\\"e\\\",\\\"AQAB\\\"],[\\\"kty\\\",\\\"RSA\\\"],[\\\"n\\\",\\\"vimV0-pRewVgHW6aKZqqtQ-iZ_-cO5qJpgpm4-96j_lPnxJEU4ZNBV6kYhrp0EyIDslugbQI7JTggudMQyboXK7lRW_b9_AzMxBY64N8D2ebhOZX6MFeDAyBt6yUnY5NXXWI-yydMlABfRdXxp4ZeGbKHGiKrwjPgr_gmFMU9Vk\\\"],[\\\"p\\\",\\\"3Oo7rvgeENMAUzVzJ7CoUQFrJuFDygoekPl5Wu9afOIW56_JTVVQkQJFF8nf4PaFahewpLxU5gn3fJg-HZ4_5Q\\\"],[\\\"q\\\",\\\"3F0K8d4iBjepTKa1z3aKR17TLoe3qWP00aPUidJWZ3FHh2rovhO5U_ZOZhtUQudJWcZnU5LFmQSxM6dYBTLAZQ\\\"],[\\\"qi\\\",\\\"2MzTlgRsxdZPHqiVR7doospZ73wqdXOUcl-DsBaKUQQEVEygoON5pMW2_8PNSaRjL5kHLvllH9APOzXhywQ8Ug\\\"]]\""),
        ("publicKey", "[\"public\",{\"key_algorithm\":{\"algorithm\":{\"name\":\"RSASSA-PKCS1-v1_5\"},\"name\":\"RSASSA-PKCS1-v1_5\"},\"algorithm\":{\"name\":\"RSASSA-PKCS1-v1_5\"},\"name\":\"RSASSA-PKCS1-v1_5\",\"modulusLength\":1024,\"hash\":{\"name\":\"SHA-256\"}},[\"verify\"]]"),
        ("spki", "AB:30819f300d06092a864886f70d010101050003818d0030818902818100be2995d3ea517b05601d6e9a299aaab50fa267ff9c3b9a89a60a66e3ef7a8ff94f9f124453864d055ea4621ae9d04c880ec96e81b408ec94e082e74c4326e85caee5456fdbf7f033331058eb837c0f679b84e657e8c15e0c0c81b7ac949d8e4d5d7588fb2c9d3250017d1757c69e197866ca1c688aaf08cf82bfe0985314f5590203010001"),
        ("jwkPublic", "\"[[\\\"e\\\",\\\"AQAB\\\"],[\\\"kty\\\",\\\"RSA\\\"],[\\\"n\\\",\\\"vimV0-pRewVgHW6aKZqqtQ-iZ_-cO5qJpgpm4-96j_lPnxJEU4ZNBV6kYhrp0EyIDslugbQI7JTggudMQyboXK7lRW_b9_AzMxBY64N8D2ebhOZX6MFeDAyBt6yUnY5NXXWI-yydMlABfRdXxp4ZeGbKHGiKrwjPgr_gmFMU9Vk\\\"]]\""),
        ("jwkImportedPublic", "\"[[\\\"e\\\",\\\"AQAB\\\"],[\\\"kty\\\",\\\"RSA\\\"],[\\\"n\\\",\\\"vimV0-pRewVgHW6aKZqqtQ-iZ_-cO5qJpgpm4-96j_lPnxJEU4ZNBV6kYhrp0EyIDslugbQI7JTggudMQyboXK7lRW_b9_AzMxBY64N8D2ebhOZX6MFeDAyBt6yUnY5NXXWI-yydMlABfRdXxp4ZeGbKHGiKrwjPgr_gmFMU9Vk\\\"]]\""),
        ("pkcs1Sign", "AB:44e1ed2aebe462b5004520811e1b93cd3b7a327ee7452d53f7e352abc9aa013d33ef4994b59b3a9aae782ee05a0804ff68859894066a325cae4c3bf18ca556523418b57bb3c05c21e148b10dc50a7200a9d97bbbeaa4f068c8f6f735979dd0e1e6f10424c84fb6f96f6baf1654bf187a2a7703d4b730d4a35b2c94ff6c4f1a88"),
        ("pkcs1Verify", "true"),
        ("pkcs1VerifyOther", "false"),
        ("raw", "ERR NotSupportedError: unsupported key format raw for algorithm RSASSA-PKCS1-v1_5 {\"name\":\"NotSupportedError\",\"message\":\"unsupported key format raw for algorithm RSASSA-PKCS1-v1_5\"}"),
        ("rawExport", "ERR NotSupportedError: unsupported key format raw {\"name\":\"NotSupportedError\",\"message\":\"unsupported key format raw\"}"),
        ("spkiOfPrivate", "ERR InvalidAccessError: given CryptoKey is not a public RSA key, it's *rsa.PrivateKey {\"name\":\"InvalidAccessError\",\"message\":\"given CryptoKey is not a public RSA key, it's *rsa.PrivateKey\"}"),
        ("pkcs8OfPublic", "ERR InvalidAccessError: given CryptoKey is not a private RSA key, it's *rsa.PublicKey {\"name\":\"InvalidAccessError\",\"message\":\"given CryptoKey is not a private RSA key, it's *rsa.PublicKey\"}"),
        ("noHash", "ERR SyntaxError: could not get hash from algorithm parameter {\"name\":\"SyntaxError\",\"message\":\"could not get hash from algorithm parameter\"}"),
        ("pssVerifyK6", "true"),
        ("pssWrongSalt", "false"),
        ("pssRoundTrip", "true"),
        ("pssNoSalt", "ERR SyntaxError: could not get saltLength from algorithm parameter {\"name\":\"SyntaxError\",\"message\":\"could not get saltLength from algorithm parameter\"}"),
        ("pssNotExtractable", "ERR InvalidAccessError: the key is not extractable {\"name\":\"InvalidAccessError\",\"message\":\"the key is not extractable\"}"),
        ("oaepDecryptK6", "\"736563726574\""),
        ("oaepWrongLabel", "ERR OperationError: could not decrypt data: crypto/rsa: decryption error {\"name\":\"OperationError\",\"message\":\"could not decrypt data: crypto/rsa: decryption error\"}"),
        ("oaepRoundTrip", "\"68656c6c6f\""),
        ("oaepSignUsage", "{\"type\":\"private\",\"extractable\":true,\"algorithm\":{\"key_algorithm\":{\"algorithm\":{\"name\":\"RSA-OAEP\"},\"name\":\"RSA-OAEP\"},\"algorithm\":{\"name\":\"RSA-OAEP\"},\"name\":\"RSA-OAEP\",\"modulusLength\":1024,\"hash\":{\"name\":\"SHA-256\"}},\"usages\":[\"sign\"]}"),
        ("encryptWithPrivate", "ERR InvalidAccessError: encrypt's key does not contain the 'encrypt' usage {\"name\":\"InvalidAccessError\",\"message\":\"encrypt's key does not contain the 'encrypt' usage\"}"),
        ("pair", "[[\"decrypt\"],[\"encrypt\"],{\"key_algorithm\":{\"algorithm\":{\"name\":\"RSA-OAEP\"},\"name\":\"RSA-OAEP\"},\"algorithm\":{\"name\":\"RSA-OAEP\"},\"name\":\"RSA-OAEP\",\"modulusLength\":512,\"hash\":{\"name\":\"SHA-1\"}}]"),
    ];
    for (name, value) in expect {
        assert_eq!(tag(&inspection, name), value, "tag {name}");
    }
}

/// Odd arguments in every position of every function: each call returns,
/// throws or rejects; none panics or hangs.
#[test]
fn odd_arguments_never_bring_the_vu_down() {
    let inspection = inspect_fixture("crypto/robust.js", &Env::new()).ok();
    let calls = tag(&inspection, "calls");
    assert!(calls.parse::<u32>().unwrap() > 10_000, "{calls}");
    assert_eq!(tag(&inspection, "settled"), calls);
}
