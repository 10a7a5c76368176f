//! CommonJS files and `require()`: files without ES module syntax run as
//! k6 runs them (wrapped in `(module, exports, require)`), the UMD shapes
//! of the k6 jslib bundles load, and `require` reaches built-ins, CommonJS
//! and ES modules alike. The same fixtures run against k6 v1.1.0 in
//! `cli/tests/modules_differential.rs`.

mod common;

use std::sync::Arc;

use common::{config, inspect_fixture};
use k6r_script::{
    Call, CallKind, Env, Error, MemoryFiles, MemoryLog, ModuleError, Outcome, Script, Vu,
};
use tokio_util::sync::CancellationToken;

fn vu(files: MemoryFiles, entry: &str) -> (Result<Vu, Error>, Arc<MemoryLog>) {
    let script = Script::new(Arc::new(files), entry);
    let log = Arc::new(MemoryLog::default());
    let vu = Vu::new(&script, 1, &Env::new(), &config(Arc::clone(&log)));
    (vu, log)
}

fn call(function: &str, kind: CallKind) -> Call {
    Call {
        function: function.into(),
        kind,
        data: None,
        cancel: CancellationToken::new(),
        timeout: None,
    }
}

/// The messages of the logged lines (`level=info msg="..."` → `...`).
fn messages(log: &MemoryLog) -> Vec<String> {
    log.lines()
        .iter()
        .map(|line| match line.split_once("msg=") {
            Some((_, rest)) => rest.to_owned(),
            None => line.clone(),
        })
        .collect()
}

#[test]
fn jslib_shaped_bundles_and_require_load_as_in_k6() {
    let outcome = inspect_fixture("commonjs/main.js", &Env::new());
    let lines = outcome.lines.join("\n");
    let inspection = outcome.ok();
    assert_eq!(inspection.exports, ["default"]);
    for expected in [
        r#"umd object 5 [{\"duration\":\"1s\",\"target\":3}] true"#,
        r#"papa [[\"a\",\"b\"],[\"c\",\"d\"]] 1,2\n3,4"#,
        "exports function 42 true 4 true",
        r#"early {\"early\":true}"#,
        "fn hello k6 1.2.3",
        "esm 42 esm default",
        "require function function function",
        r#"externals [\"function\",\"function\"]"#,
    ] {
        assert!(lines.contains(expected), "{expected:?} not in\n{lines}");
    }
}

#[test]
fn a_commonjs_entry_exports_options_and_functions() {
    let outcome = inspect_fixture("commonjs/entry.js", &Env::new());
    let inspection = outcome.ok();
    assert_eq!(inspection.options, serde_json::json!({"iterations": 1}));
    let mut exports = inspection.exports.clone();
    exports.sort();
    assert_eq!(exports, ["default", "setup"]);
}

#[test]
fn commonjs_code_is_strict_and_this_is_module_exports() {
    let files = MemoryFiles::new().with(
        "/c/main.js",
        "var inner = (function () { return this; })();\n\
         var sloppy = true; try { undeclared = 1; } catch (e) { sloppy = false; }\n\
         exports.seen = [this === module.exports, inner === undefined, sloppy, typeof require];\n\
         exports.default = function () { return this === undefined; };\n",
    );
    let (vu, log) = vu(files, "/c/main.js");
    let vu = vu.expect("init");
    let result = vu.call(&call("default", CallKind::Setup));
    assert!(
        matches!(result.outcome, Outcome::Returned),
        "{:?}",
        result.outcome
    );
    assert_eq!(result.value.as_deref(), Some("true"));
    assert!(log.lines().is_empty(), "{:?}", log.lines());
}

#[test]
fn a_module_is_evaluated_once_however_it_is_reached() {
    let files = MemoryFiles::new()
        .with(
            "/m/main.js",
            "import a from './lib/counted.js';\n\
             import { n } from './lib/counted.js';\n\
             const b = require('./lib/counted.js');\n\
             const c = require('./lib/../lib/counted.js');\n\
             const esm1 = require('./lib/esm.js');\n\
             import * as esm2 from './lib/esm.js';\n\
             console.log(a === b, b === c, n, globalThis.runs, esm1 === esm2);\n\
             export default function () {}\n",
        )
        .with(
            "/m/lib/counted.js",
            "globalThis.runs = (globalThis.runs || 0) + 1; exports.n = globalThis.runs;",
        )
        .with("/m/lib/esm.js", "export const x = 1;");
    let (vu, log) = vu(files, "/m/main.js");
    vu.expect("init");
    assert_eq!(messages(&log), ["\"true true 1 1 true\" source=console"]);
}

#[test]
fn require_resolves_against_the_calling_module() {
    let files = MemoryFiles::new()
        .with(
            "/r/main.js",
            "const lib = require('./lib/a.js'); console.log(lib.b); export default function () {}",
        )
        .with("/r/lib/a.js", "exports.b = require('./b.js').name;")
        .with("/r/lib/b.js", "module.exports = { name: 'b in lib' };");
    let (vu, log) = vu(files, "/r/main.js");
    vu.expect("init");
    assert_eq!(messages(&log), ["\"b in lib\" source=console"]);
}

#[test]
fn require_fails_with_k6s_errors() {
    let files = MemoryFiles::new()
        .with(
            "/e/main.js",
            "try { require('./nope.js'); } catch (e) { console.log(e.name, e.message.slice(0, 61)); }\n\
             try { require('k6/nope'); } catch (e) { console.log(e.name, e.message); }\n\
             try { require('k6/experimental/timers'); } catch (e) { console.log(e.message.slice(0, 55)); }\n\
             export default function () { require('k6'); }\n",
        );
    let (vu, log) = vu(files, "/e/main.js");
    let vu = vu.expect("init");
    assert_eq!(
        messages(&log),
        [
            r#""GoError The moduleSpecifier \"./nope.js\" couldn't be found on local di" source=console"#,
            r#""GoError unknown module: k6/nope" source=console"#,
            r#""k6/experimental/timers has been graduated, and it's now" source=console"#,
        ]
    );
    let result = vu.call(&call("default", CallKind::Setup));
    let Outcome::Threw(exception) = result.outcome else {
        panic!("{:?}", result.outcome);
    };
    assert!(
        exception
            .message
            .starts_with("the \"require\" function is only available in the init stage"),
        "{}",
        exception.message
    );
}

#[test]
fn a_throwing_commonjs_module_fails_the_import() {
    let files = MemoryFiles::new()
        .with(
            "/t/main.js",
            "import x from './bad.js'; export default function () {}",
        )
        .with(
            "/t/bad.js",
            "module.exports = 1;\nthrow new Error('bad module');\n",
        );
    let (vu, _log) = vu(files, "/t/main.js");
    match vu {
        Err(Error::Exception(exception)) => assert_eq!(exception.message, "bad module"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("init succeeded"),
    }
}

#[test]
fn removed_modules_get_k6s_migration_hint() {
    let files = MemoryFiles::new().with(
        "/h/main.js",
        "import { setTimeout } from 'k6/experimental/timers'; export default function () {}",
    );
    let (vu, _log) = vu(files, "/h/main.js");
    let Err(error) = vu else {
        panic!("init succeeded")
    };
    assert_eq!(error.exit_code(), 107);
    assert!(
        matches!(&error, Error::Import { error: ModuleError::Removed { specifier, .. }, .. } if specifier == "k6/experimental/timers"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "k6/experimental/timers has been graduated, and it's now globally available as defined by standard WebAPIs. You just need to remove the import."
    );
}
