//! A TLS server only OpenSSL still speaks to: `openssl s_server -www`
//! (Debian's `openssl`) with a throwaway RSA authority, offering what its
//! arguments allow (RSA key exchange, TLS 1.0, a required client
//! certificate). For tests of the client's legacy TLS; rustls, which
//! serves [`crate::tls`], speaks neither.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// Writes into `dir` an RSA authority (`ca.pem`, `ca.key`), a server
/// certificate for 127.0.0.1 and localhost (`leaf.pem`, `leaf.key`) and a
/// client certificate (`client.pem`, `client.key`), both signed by it.
/// Panics when `openssl` fails: this is for tests.
pub fn certificates(dir: &Path) {
    let openssl = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(dir)
            .args(args)
            .output()
            .expect("openssl runs");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/CN=k6r legacy CA",
    ]);
    for (name, ext) in [
        (
            "leaf",
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
        ),
        ("client", "extendedKeyUsage=clientAuth\n"),
    ] {
        let (key, csr, pem, extfile) = (
            format!("{name}.key"),
            format!("{name}.csr"),
            format!("{name}.pem"),
            format!("{name}.ext"),
        );
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            &key,
            "-out",
            &csr,
            "-subj",
            &format!("/CN={name}"),
        ]);
        std::fs::write(dir.join(&extfile), ext).expect("the extensions file is written");
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-out",
            &pem,
            "-extfile",
            &extfile,
        ]);
    }
}

/// `openssl s_server -www` on 127.0.0.1, a free port, with `dir`'s
/// `leaf.pem` and `args`; killed when dropped.
pub struct LegacyServer {
    child: Child,
    /// The port it listens on.
    pub port: u16,
}

impl LegacyServer {
    /// Starts it in `dir` (see [`certificates`]) and waits until it
    /// listens.
    pub fn start(dir: &Path, args: &[&str]) -> LegacyServer {
        let mut child = Command::new("openssl")
            .current_dir(dir)
            .args(["s_server", "-accept", "127.0.0.1:0", "-www"])
            .args(["-cert", "leaf.pem", "-key", "leaf.key"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("openssl runs");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = loop {
            let line = lines
                .next()
                .expect("s_server prints its address")
                .expect("s_server's output reads");
            if let Some(addr) = line.strip_prefix("ACCEPT ") {
                break addr
                    .rsplit(':')
                    .next()
                    .and_then(|p| p.parse().ok())
                    .expect("a port");
            }
        };
        // Keep reading what it prints so that it never blocks on a pipe.
        std::thread::spawn(move || lines.for_each(drop));
        LegacyServer { child, port }
    }
}

impl Drop for LegacyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
