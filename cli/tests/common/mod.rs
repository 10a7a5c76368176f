//! What the differential tests share: running a script with `k6 run` or
//! `k6r-cli run` the same way, and reading k6's logfmt log lines.
#![allow(dead_code)] // Each test binary uses its own part.

use std::path::Path;
use std::process::Command;

/// How one run ended.
pub struct Ran {
    /// The exit code.
    pub code: Option<i32>,
    /// Everything written to stderr (the log).
    pub stderr: String,
}

/// Writes `script` to `dir/script.js` and runs `binary run -q
/// --no-summary` on it there, without the REST API (k6's default port
/// may be taken by a parallel test).
pub fn run_script(binary: &str, dir: &Path, script: &str) -> Ran {
    run_script_with(binary, dir, script, &["--no-summary"])
}

/// [`run_script`] with `flags` instead of `--no-summary`.
pub fn run_script_with(binary: &str, dir: &Path, script: &str, flags: &[&str]) -> Ran {
    std::fs::write(dir.join("script.js"), script).unwrap();
    let out = Command::new(binary)
        .current_dir(dir)
        .args(["run", "-q", "-a", ""])
        .args(flags)
        .arg("script.js")
        .output()
        .expect("binary runs");
    Ran {
        code: out.status.code(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// One log line: its level, message (unescaped) and other fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub level: String,
    pub msg: String,
    pub fields: Vec<(String, String)>,
}

impl LogLine {
    /// A field's value.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether `console.log` & co. wrote it.
    pub fn is_console(&self) -> bool {
        self.field("source") == Some("console")
    }

    /// `level msg`.
    pub fn level_and_msg(&self) -> String {
        format!("{} {}", self.level, self.msg)
    }
}

/// The log lines of `stderr` (lines that are no logfmt record are left
/// out).
pub fn log_lines(stderr: &str) -> Vec<LogLine> {
    stderr.lines().filter_map(log_line).collect()
}

/// The messages `console.log` & co. wrote, in order.
pub fn console_messages(stderr: &str) -> Vec<String> {
    log_lines(stderr)
        .into_iter()
        .filter(LogLine::is_console)
        .map(|line| line.msg)
        .collect()
}

fn log_line(line: &str) -> Option<LogLine> {
    let mut pairs = logfmt(line);
    let level = take(&mut pairs, "level")?;
    let msg = take(&mut pairs, "msg").unwrap_or_default();
    pairs.retain(|(k, _)| k != "time");
    Some(LogLine {
        level,
        msg,
        fields: pairs,
    })
}

fn take(pairs: &mut Vec<(String, String)>, key: &str) -> Option<String> {
    let at = pairs.iter().position(|(k, _)| k == key)?;
    Some(pairs.remove(at).1)
}

/// `key=value key="quoted \"value\""` pairs, unescaped.
fn logfmt(line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.next_if_eq(&' ').is_some() {}
        let key: String =
            std::iter::from_fn(|| chars.next_if(|c| *c != '=' && *c != ' ')).collect();
        if key.is_empty() || chars.next_if_eq(&'=').is_none() {
            return pairs;
        }
        let mut value = String::new();
        if chars.next_if_eq(&'"').is_some() {
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('n') => value.push('\n'),
                        Some('t') => value.push('\t'),
                        Some(other) => value.push(other),
                        None => break,
                    },
                    c => value.push(c),
                }
            }
        } else {
            value.extend(std::iter::from_fn(|| chars.next_if(|c| *c != ' ')));
        }
        pairs.push((key, value));
    }
}

#[test]
fn logfmt_lines_are_read_with_their_escapes() {
    let lines = log_lines(
        "time=\"2026-12-06T00:00:00Z\" level=info msg=\"a \\\"b\\\"\\n\\tc\" source=console\nnot a record\nlevel=error msg=bare x=1",
    );
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].msg, "a \"b\"\n\tc");
    assert!(lines[0].is_console());
    assert_eq!(lines[1].level_and_msg(), "error bare");
    assert_eq!(lines[1].field("x"), Some("1"));
}

/// The demo target (`k6r_demo::serve`: its HTTP routes and the
/// `/ws/echo` WebSocket) on 127.0.0.1, port 0, on a runtime of its own,
/// until dropped.
pub type Demo = k6r_demo::in_process::InProcess;

/// The demo target over HTTPS (`k6r_demo::tls::serve_tls`, HTTP/2 and
/// HTTP/1.1, the `/ws/echo` WebSocket) with a new throwaway authority, on
/// 127.0.0.1, port 0, on a runtime of its own, until dropped. `dir` holds
/// the authority's `ca.pem` and a client certificate it signed
/// (`client.pem`, `client-key.pem`).
pub struct TlsDemo {
    /// Its port (its certificate names `localhost`).
    pub port: u16,
    /// Where the certificates are.
    pub dir: tempfile::TempDir,
    _server: k6r_demo::in_process::InProcess,
}

impl TlsDemo {
    /// Starts it with `options` (OCSP stapling, versions, ...).
    pub fn start(options: &k6r_demo::tls::TlsServerOptions) -> TlsDemo {
        let identity = k6r_demo::tls::Identity::generate().expect("a throwaway authority");
        let dir = tempfile::tempdir().expect("a folder for the certificates");
        for (name, pem) in [
            ("ca.pem", &identity.ca_pem),
            ("client.pem", &identity.client_cert_pem),
            ("client-key.pem", &identity.client_key_pem),
        ] {
            std::fs::write(dir.path().join(name), pem).expect("a certificate written");
        }
        let config = k6r_demo::tls::server_config(&identity, options).expect("a TLS config");
        let server = k6r_demo::in_process::InProcess::start(|listener, shutdown| {
            k6r_demo::tls::serve_tls(listener, config, k6r_demo::router(), shutdown)
        })
        .expect("the demo target over HTTPS starts");
        TlsDemo {
            port: server.addr.port(),
            dir,
            _server: server,
        }
    }

    /// `SCHEME://localhost:PORT`.
    pub fn url(&self, scheme: &str) -> String {
        format!("{scheme}://localhost:{}", self.port)
    }
}

/// Writes `dir/encrypted-key.pem`: `dir/client-key.pem` encrypted the
/// legacy (PEM `DEK-Info`) way with `cipher` (`-aes256`, `-des3`) and the
/// password `secret`, by `openssl`, as k6's `password` options read it.
pub fn encrypt_client_key(dir: &Path, cipher: &str) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args([
            "ec",
            "-in",
            "client-key.pem",
            cipher,
            "-passout",
            "pass:secret",
        ])
        .args(["-out", "encrypted-key.pem"])
        .output()
        .expect("openssl runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
