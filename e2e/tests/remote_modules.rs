//! A script importing remote modules runs on a cluster whose agents never
//! fetch them: the CLI fetches them (it trusts the module server's CA
//! through `SSL_CERT_FILE`, as k6 would), packs them into the archive by
//! URL, and the module server is stopped before the agents load the
//! script. The agents do not trust that CA either, so a fetch from an
//! agent could only fail the run.

#[path = "../../script/tests/common/https.rs"]
#[allow(dead_code)]
mod https;

use std::process::Command;
use std::time::{Duration, Instant};

use https::{Ca, Server};
use k6r_e2e::{bin, Cluster};

const LIB: &str = "export const v = 'remote v';\nexport { w } from './w.js';\n";
const W: &str = "export const w = 'remote w';\n";
const CJS: &str = "module.exports = { c: 'remote cjs' };\n";

#[test]
fn agents_run_remote_modules_from_the_archive_with_the_server_stopped() {
    let ca = Ca::new("k6r e2e CA");
    let server = Server::start(
        &ca,
        &[("/lib/m.js", LIB), ("/lib/w.js", W), ("/lib/c.js", CJS)],
    );
    let cluster = Cluster::start(2);
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "import {{ check }} from 'k6';\n\
         import {{ v, w }} from '{m}';\n\
         const c = require('{c}');\n\
         export const options = {{ vus: 2, iterations: 6 }};\n\
         export default function () {{\n\
           check(null, {{ 'remote modules': () => v === 'remote v' && w === 'remote w' && c.c === 'remote cjs' }});\n\
         }}\n",
        m = server.url("/lib/m.js"),
        c = server.url("/lib/c.js"),
    );
    std::fs::write(dir.path().join("script.js"), script).unwrap();

    let child = Command::new(bin("k6r-cli"))
        .current_dir(dir.path())
        .env("SSL_CERT_FILE", &ca.pem_file)
        .args([
            "run",
            "--coordinator",
            &cluster.url(),
            "--summary-export",
            "summary.json",
            "script.js",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("k6r-cli starts");

    // The CLI fetches each module once, to load the options (packing the
    // archive reuses what it fetched): then nothing needs the server.
    let deadline = Instant::now() + Duration::from_secs(60);
    while server.requests().len() < 3 {
        assert!(Instant::now() < deadline, "{:?}", server.requests());
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut requests = server.requests();
    server.stop();
    requests.sort();
    assert_eq!(
        requests,
        ["/lib/c.js?_k6=1", "/lib/m.js?_k6=1", "/lib/w.js?_k6=1"]
    );

    let out = child.wait_with_output().expect("k6r-cli ends");
    let shown = format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{shown}");
    let export: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(export["metrics"]["checks"]["passes"], 6, "{export}");
    assert_eq!(export["metrics"]["checks"]["fails"], 0, "{export}");
}
