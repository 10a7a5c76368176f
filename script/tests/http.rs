//! `k6/http` beyond plain requests: `http.file()` and multipart bodies,
//! the `compression` param, GJSON selectors in `res.json()`, cookie jars,
//! k6's errors for bad URLs (checked against k6 v1.1.0 by hand and in
//! `cli/tests/http_differential.rs`).

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

use common::setup_returns;
use k6r_script::{MemoryFiles, Script};

/// A server on 127.0.0.1 port 0 that sends back the body it got, its
/// `Content-Type`, `Content-Encoding` and `Cookie` as `X-Got-*` headers.
fn echo_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let _ = echo(stream);
            });
        }
    });
    base
}

fn echo(stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let mut got = Vec::new();
        let mut length = 0;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line)?;
            let line = line.trim_end().to_string();
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(':').unwrap_or_default();
            let name = name.to_ascii_lowercase();
            if name == "content-length" {
                length = value.trim().parse().unwrap_or(0);
            }
            if ["content-type", "content-encoding", "cookie"].contains(&name.as_str()) {
                got.push(format!("X-Got-{name}: {}\r\n", value.trim()));
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        write!(
            writer,
            "HTTP/1.1 200 OK\r\n{}Content-Length: {length}\r\n\r\n",
            got.concat()
        )?;
        writer.write_all(&body)?;
    }
}

/// Runs `setup()` of `source` with `base` defined; returns its JSON.
fn setup_of(source: &str) -> (serde_json::Value, Vec<String>) {
    let base = echo_server();
    let source = format!("const BASE = {base:?};\n{source}");
    let script = Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", source.as_str())),
        "/t/main.js",
    );
    setup_returns(&script)
}

#[test]
fn an_object_with_a_file_is_sent_as_multipart() {
    let (out, _) = setup_of(
        r#"
        import http from 'k6/http';
        export function setup() {
            const f = http.file('hi', 'a "b".txt', 'text/plain');
            const r = http.post(`${BASE}/`, { n: 1.5, f, list: [1, 'x'], o: { b: 2, a: null } });
            const bin = http.post(`${BASE}/`, { f: http.file(new Uint8Array([0, 255]).buffer) });
            const plain = http.post(`${BASE}/`, { a: 'b c' });
            return {
                keys: Object.keys(f), json: JSON.stringify(f),
                type: r.headers['X-Got-Content-Type'], body: r.body,
                binType: bin.headers['X-Got-Content-Type'], binLength: bin.body.length,
                plainType: plain.headers['X-Got-Content-Type'], plain: plain.body,
            };
        }
    "#,
    );
    assert_eq!(
        out["keys"],
        serde_json::json!(["data", "filename", "content_type"])
    );
    assert_eq!(
        out["json"],
        r#"{"data":"hi","filename":"a \"b\".txt","content_type":"text/plain"}"#
    );
    let content_type = out["type"].as_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .expect(content_type);
    let b = format!("--{boundary}");
    assert_eq!(
        out["body"].as_str().unwrap(),
        format!(
            "{b}\r\nContent-Disposition: form-data; name=\"n\"\r\n\r\n1.5\r\n\
             {b}\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a \\\"b\\\".txt\"\r\n\
             Content-Type: text/plain\r\n\r\nhi\r\n\
             {b}\r\nContent-Disposition: form-data; name=\"list\"\r\n\r\n[1 x]\r\n\
             {b}\r\nContent-Disposition: form-data; name=\"o\"\r\n\r\nmap[a:<nil> b:2]\r\n{b}--\r\n"
        )
    );
    assert!(out["binType"]
        .as_str()
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    assert_eq!(out["plainType"], "application/x-www-form-urlencoded");
    assert_eq!(out["plain"], "a=b+c");
}

#[test]
fn file_refuses_what_k6_refuses() {
    let (out, _) = setup_of(
        r#"
        import http from 'k6/http';
        export function setup() {
            return [5, 1.5, true, {}, [], null, new Uint8Array(1)].map((v) => {
                try { http.file(v); return 'accepted'; } catch (e) { return String(e); }
            });
        }
    "#,
    );
    let expected: Vec<String> = [
        "int64",
        "float64",
        "bool",
        "map[string]interface {}",
        "[]interface {}",
        "<nil>",
        "[]uint8",
    ]
    .iter()
    .map(|t| format!("GoError: invalid type {t}, expected string or ArrayBuffer"))
    .collect();
    assert_eq!(out, serde_json::json!(expected));
}

#[test]
fn compression_sets_the_header_and_rejects_unknown_algorithms() {
    let (out, lines) = setup_of(
        r#"
        import http from 'k6/http';
        export function setup() {
            const r = http.post(`${BASE}/`, 'hello hello hello', { compression: 'gzip, br' });
            const bad = http.post(`${BASE}/`, 'x', { compression: 'lz4' });
            return {
                got: r.headers['X-Got-Content-Encoding'], sent: r.request.headers['Content-Encoding'],
                echo: r.request.body, length: r.body.length,
                bad: [bad.status, bad.error, bad.error_code, bad.url],
            };
        }
    "#,
    );
    assert_eq!(out["got"], "gzip, br");
    assert_eq!(out["sent"], serde_json::json!(["gzip, br"]));
    assert_eq!(out["echo"], "hello hello hello");
    assert_ne!(out["length"], 17);
    let message =
        "unknown compression algorithm lz4, supported algorithms are [gzip deflate zstd br]";
    assert_eq!(out["bad"], serde_json::json!([0, message, 0, ""]));
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Request Failed") && l.contains(message)),
        "{lines:?}"
    );
}

#[test]
fn json_takes_gjson_selectors() {
    let (out, _) = setup_of(
        r#"
        import http from 'k6/http';
        export function setup() {
            const body = JSON.stringify({ list: [{ a: 1, n: 'x' }, { a: 2, n: 'y' }], s: 'q"\\' });
            const r = http.post(`${BASE}/`, body);
            return ['list.#', 'list.1.n', 'list.#.n', 'list.#(a>1).n', 'li*.0.a', 's', 'nope', 'list.@reverse.0.a']
                .map((s) => r.json(s) === undefined ? 'undefined' : r.json(s));
        }
    "#,
    );
    assert_eq!(
        out,
        serde_json::json!([2, "y", ["x", "y"], "y", 1, "q\"\\", "undefined", 2])
    );
}

/// A response's nested parts are built on first read (issue 18), yet
/// behave as k6's plain properties: the same object each read, writes
/// kept, every key enumerated in k6's order, all of it in JSON.
#[test]
fn response_parts_read_once_and_keep_writes() {
    let (out, _) = setup_of(
        r#"
        import http from 'k6/http';
        export function setup() {
            const r = http.post(`${BASE}/`, 'hi', { headers: { 'Content-Type': 'text/x' } });
            const same = r.headers === r.headers && r.timings === r.timings && r.request === r.request;
            r.headers['X-Mine'] = '1';
            const kept = r.headers['X-Mine'];
            r.body = 'replaced';
            const json = JSON.parse(JSON.stringify(r));
            const spread = { ...r };
            const own = Object.getOwnPropertyNames(r).join(',');
            const other = http.post(`${BASE}/`, 'again');
            return [
                same, kept, r.body, json.body, json.headers['X-Got-Content-Type'], json.headers['X-Mine'],
                json.timings.duration >= 0, json.ocsp.status, json.request.method, spread.status,
                own, 'body' in r, r.hasOwnProperty('timings'), other.body, other.headers['X-Mine'],
                typeof r.json, delete r.cookies, Object.keys(r).includes('cookies'),
            ];
        }
    "#,
    );
    assert_eq!(
        out,
        serde_json::json!([
            true, "1", "replaced", "replaced", "text/x", "1", true, "", "POST", 200,
            "remote_ip,remote_port,url,status,status_text,proto,headers,cookies,body,timings,tls_version,tls_cipher_suite,ocsp,error,error_code,request",
            true, true, "again", null, "function", true, false
        ])
    );
}

#[test]
fn response_methods_are_the_prototype_s_as_in_k6() {
    // What k6 v1.1.0 prints for the same script (its method names aside).
    let (out, _) = setup_of(
        r#"
        import http from 'k6/http';
        export function setup() {
            const bad = http.get('http://127.0.0.1:1/');
            let thrown;
            try { bad.json(); } catch (e) { thrown = String(e); }
            const r = http.post(`${BASE}/`, '{"a":{"b":[1,2]}}');
            const proto = Object.getPrototypeOf(r);
            return [thrown, Object.keys(proto), r.json(), r.json('a.b.1'), r.json('no.such') === undefined,
                ['json', 'html', 'clickLink', 'submitForm'].map((m) => typeof r[m]),
                r.html().find('p').size(), r.json === http.get(`${BASE}/`).json];
        }
    "#,
    );
    assert_eq!(
        out,
        serde_json::json!([
            "GoError: the body is null so we can't transform it to JSON - this likely was because of a request error getting the response",
            [], {"a": {"b": [1, 2]}}, 2, true,
            ["function", "function", "function", "function"], 0, true
        ])
    );
}

#[test]
fn cookie_jars_keep_creation_order_and_delete_as_k6() {
    let (out, _) = setup_of(
        r#"
        import http from 'k6/http';
        export function setup() {
            const jar = new http.CookieJar();
            jar.set(BASE, 'b', '1');
            jar.set(BASE, 'a', '2');
            jar.set(BASE, 'c', '3', { path: '/deep' });
            const first = http.get(`${BASE}/deep/x`, { jar }).headers['X-Got-Cookie'];
            jar.delete(BASE, 'b');
            const second = http.get(`${BASE}/deep/x`, { jar, cookies: { z: '9' } }).headers['X-Got-Cookie'];
            const vu = http.get(`${BASE}/deep/x`).headers['X-Got-Cookie'];
            const errors = [() => jar.clear('::'), () => jar.set(BASE, 'x', 'y', { expires: 'never' }), () => jar.delete()]
                .map((f) => { try { f(); return 'ok'; } catch (e) { return String(e); } });
            return { first, second, vu: vu === undefined ? 'none' : vu, keys: Object.keys(jar), errors,
                set: jar.set(BASE, 'k', 'v'), listed: jar.cookiesForURL(`${BASE}/deep/`) };
        }
    "#,
    );
    assert_eq!(out["first"], "c=3; b=1; a=2");
    assert_eq!(out["second"], "z=9; c=3; a=2");
    assert_eq!(out["vu"], "none");
    assert_eq!(
        out["keys"],
        serde_json::json!(["clear", "cookiesForURL", "delete", "set"])
    );
    assert_eq!(
        out["errors"],
        serde_json::json!([
            "GoError: parse \"::\": missing protocol scheme",
            "GoError: unable to parse \"expires\" date string \"never\": parsing time \"never\" as \"Mon, 02 Jan 2006 15:04:05 MST\": cannot parse \"never\" as \"Mon\"",
            "GoError: cookie: is null"
        ])
    );
    assert_eq!(out["set"], true);
    assert_eq!(
        out["listed"],
        serde_json::json!({"c": ["3"], "a": ["2"], "k": ["v"]})
    );
}

#[test]
fn bad_urls_fail_with_k6s_codes() {
    let (out, lines) = setup_of(
        r#"
        import http from 'k6/http';
        export function setup() {
            return ['not a url', 'http://[::1'].map((u) => {
                const r = http.get(u);
                return [r.error, r.error_code, r.url];
            });
        }
    "#,
    );
    assert_eq!(
        out,
        serde_json::json!([
            ["unsupported protocol scheme \"\"", 1000, "not a url"],
            [
                "invalid URL: parse \"http://[::1\": missing ']' in host",
                1020,
                ""
            ]
        ])
    );
    assert!(
        lines.iter().any(
            |l| l.contains("Get \\\"not%20a%20url\\\": unsupported protocol scheme")
                || l.contains("Get \"not%20a%20url\": unsupported protocol scheme")
        ),
        "{lines:?}"
    );
}
