//! Remote modules: fetched over HTTPS when the script loads, from a
//! server of the test's own (a certificate from the test's CA, trusted
//! through `SSL_CERT_FILE` as k6 trusts it), once per script whatever the
//! number of VUs, with k6's errors, and replayed from memory (an archive)
//! without any fetch.

mod common;
#[path = "common/https.rs"]
mod https;

use std::sync::Arc;

use common::config;
use https::{trust_test_ca, Ca, Server};
use k6r_script::{
    inspect_with, DiskFiles, Env, Error, FetchError, MemoryFiles, MemoryLog, ModuleError,
    RecordingFiles, Script, Vu,
};

const LIB: &str =
    "export const v = 'remote v';\nexport { w } from './w.js';\nexport { x } from '/top/x.js';\n";
const W: &str = "export const w = 'remote w';\n";
const X: &str = "export const x = 'remote x';\n";
const CJS: &str = "module.exports = { c: 'remote cjs', up: require('./w.js').w };\n";

fn server() -> Server {
    Server::start(
        trust_test_ca(),
        &[
            ("/lib/m.js", LIB),
            ("/lib/w.js", W),
            ("/top/x.js", X),
            ("/lib/c.js", CJS),
        ],
    )
}

fn main_js(server: &Server) -> String {
    format!(
        "import {{ v, w, x }} from '{m}';\n\
         import c from '{c}';\n\
         const again = require('{c}');\n\
         console.log(v, w, x, c.c, c.up, c === again);\n\
         export default function () {{}}\n",
        m = server.url("/lib/m.js"),
        c = server.url("/lib/c.js"),
    )
}

/// The script `/s/main.js` of `files`, its remote modules from the network.
fn script(files: MemoryFiles) -> Script {
    Script::new(Arc::new(Fetching(files)), "/s/main.js")
}

#[test]
fn remote_modules_load_once_per_script_for_every_vu() {
    let server = server();
    let script = script(MemoryFiles::new().with("/s/main.js", main_js(&server)));
    let log = Arc::new(MemoryLog::default());
    for id in 1..=3 {
        Vu::new(&script, id, &Env::new(), &config(Arc::clone(&log))).expect("init");
    }
    let lines = log.lines();
    assert_eq!(lines.len(), 3, "{lines:?}");
    for line in &lines {
        assert!(
            line.contains("remote v remote w remote x remote cjs remote w true"),
            "{line}"
        );
    }
    let mut requests = server.requests();
    requests.sort();
    assert_eq!(
        requests,
        [
            "/lib/c.js?_k6=1",
            "/lib/m.js?_k6=1",
            "/lib/w.js?_k6=1",
            "/top/x.js?_k6=1"
        ]
    );
}

#[test]
fn what_was_fetched_replays_from_memory_without_the_server() {
    let server = server();
    let local = MemoryFiles::new().with("/s/main.js", main_js(&server));
    // MemoryFiles never fetch: record through files that do (the disk's).
    let recording = Arc::new(RecordingFiles::new(Fetching(local)));
    let packed = Script::new(recording.clone(), "/s/main.js");
    let log = Arc::new(MemoryLog::default());
    inspect_with(&packed, &Env::new(), &config(Arc::clone(&log))).expect("packing init");
    let fetched = recording.recorded_remote();
    assert_eq!(fetched.len(), 4, "{:?}", fetched.keys());
    let main = recording.recorded();
    server.stop();

    let mut archive: MemoryFiles = main.into_iter().collect();
    for (url, content) in fetched {
        archive.insert_remote(url, content.to_vec());
    }
    let log = Arc::new(MemoryLog::default());
    let replay = Script::new(Arc::new(archive), "/s/main.js");
    inspect_with(&replay, &Env::new(), &config(Arc::clone(&log))).expect("replay");
    assert!(log.lines()[0].contains("remote v remote w remote x remote cjs"));
}

/// Memory files for local paths, the network for remote modules.
#[derive(Debug)]
struct Fetching(MemoryFiles);

impl k6r_script::Files for Fetching {
    fn read(&self, path: &std::path::Path) -> std::io::Result<Vec<u8>> {
        self.0.read(path)
    }

    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        DiskFiles.fetch(url)
    }
}

fn import_error(source: String) -> (ModuleError, String) {
    let files = MemoryFiles::new().with("/s/main.js", source);
    let log = Arc::new(MemoryLog::default());
    match inspect_with(&script(files), &Env::new(), &config(log)) {
        Err(Error::Import { error, importer }) => (error, importer),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unreachable_missing_and_untrusted_modules_fail_with_k6s_errors() {
    let server = server();
    let missing = server.url("/lib/nope.js");
    let (error, importer) = import_error(format!(
        "import x from '{missing}'; export default function () {{}}"
    ));
    assert_eq!(importer, "file:///s/main.js");
    // As k6: a failed fetch is tried again without k6's query parameter.
    assert_eq!(server.requests(), ["/lib/nope.js?_k6=1", "/lib/nope.js"]);
    assert_eq!(
        error.to_string(),
        format!("The moduleSpecifier \"{missing}\" couldn't be retrieved from the resolved url \"{missing}\". Error : \"not found: {missing}\"")
    );

    // A relative import in a remote module names the specifier as written.
    let broken = Server::start(
        trust_test_ca(),
        &[("/a/main.js", "import './gone.js'; export default 1;")],
    );
    let (error, importer) = import_error(format!(
        "import x from '{}'; export default function () {{}}",
        broken.url("/a/main.js")
    ));
    assert_eq!(importer, broken.url("/a/main.js"));
    assert!(
        matches!(&error, ModuleError::Unretrievable { specifier, url, error: FetchError::NotFound { .. } }
            if specifier == "./gone.js" && *url == broken.url("/a/gone.js")),
        "{error:?}"
    );

    // A server whose certificate no trusted CA issued.
    let stranger = Server::start(&Ca::new("stranger CA"), &[("/m.js", W)]);
    let (error, _) = import_error(format!(
        "import {{ w }} from '{}'; export default function () {{}}",
        stranger.url("/m.js")
    ));
    assert!(
        matches!(&error, ModuleError::Unretrievable { error: FetchError::Transport { reason, .. }, .. } if reason.contains("UnknownIssuer")),
        "{error:?}"
    );
    assert!(stranger.requests().is_empty());

    let (error, _) = import_error(
        "import x from 'http://127.0.0.1:1/x.js'; export default function () {}".into(),
    );
    assert_eq!(
        error.to_string(),
        "only supported schemes for imports are file and https, http://127.0.0.1:1/x.js has `http`"
    );
}
