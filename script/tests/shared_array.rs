//! `k6/data`'s `SharedArray`: one callback run per process whatever the
//! VUs' threads, frozen copies, array behaviour and k6's errors (checked
//! against k6 v1.1.0 in `cli/tests/data_differential.rs`).

mod common;

use std::sync::Arc;

use common::{config, setup_call, setup_returns};
use k6r_script::{Config, Env, Error, MemoryFiles, MemoryLog, Outcome, Script, SharedData, Vu};

fn script(source: &str) -> Script {
    Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", source)),
        "/t/main.js",
    )
}

/// Runs `setup` in VU 1 and returns what it returned, as JSON.
fn setup_value(source: &str) -> serde_json::Value {
    setup_returns(&script(source)).0
}

fn init_error(source: &str) -> String {
    let log = Arc::new(MemoryLog::default());
    match Vu::new(&script(source), 1, &Env::new(), &config(log)) {
        Ok(_) => panic!("init succeeded"),
        Err(Error::Exception(e)) => format!("{}: {}", e.name.unwrap_or_default(), e.message),
        Err(other) => panic!("not an exception: {other}"),
    }
}

const COUNTED: &str = r#"
    import { SharedArray } from 'k6/data';
    const users = new SharedArray('users', function () {
        console.log(`callback in VU ${__VU}`);
        return [{ name: 'a', tags: ['x'] }, { name: 'b', tags: [] }];
    });
    const again = new SharedArray('users', () => { console.log('second callback'); return [1]; });
    export function setup() { return [users.length, again.length, users[1].name]; }
"#;

#[test]
fn the_callback_runs_once_for_every_vu_of_every_thread() {
    let log = Arc::new(MemoryLog::default());
    let shared = Arc::new(SharedData::new());
    let config = config(Arc::clone(&log)).with_shared(Arc::clone(&shared));
    let script = script(COUNTED);
    let threads: Vec<_> = (0..4)
        .map(|thread| {
            let (script, config) = (script.clone(), config.clone());
            std::thread::spawn(move || {
                for id in 0..5 {
                    let vu = Vu::new(&script, thread * 5 + id, &Env::new(), &config).unwrap();
                    let result = vu.call(&setup_call());
                    assert_eq!(result.value.as_deref(), Some(r#"[2,2,"b"]"#));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let callbacks: Vec<_> = log
        .lines()
        .into_iter()
        .filter(|line| line.contains("callback"))
        .collect();
    assert_eq!(callbacks.len(), 1, "{callbacks:?}");
    assert_eq!(shared.array_names(), ["users"]);
    let bytes = shared.array_bytes("users").unwrap();
    assert_eq!(
        bytes,
        r#"{"name":"a","tags":["x"]}{"name":"b","tags":[]}"#.len()
    );
}

#[test]
fn separate_stores_run_their_own_callbacks() {
    let log = Arc::new(MemoryLog::default());
    let script = script(COUNTED);
    for _ in 0..2 {
        let config = config(Arc::clone(&log)).with_shared(Arc::default());
        Vu::new(&script, 1, &Env::new(), &config).unwrap();
    }
    let count = log
        .lines()
        .iter()
        .filter(|l| l.contains("callback in"))
        .count();
    assert_eq!(count, 2);
}

#[test]
fn items_are_fresh_frozen_copies_and_the_array_behaves_as_an_array() {
    let value = setup_value(
        r#"
        import { SharedArray } from 'k6/data';
        const a = new SharedArray('a', () => [{ x: { y: [1] } }, 'two', 3, null, true]);
        export function setup() {
            const first = a[0];
            let threw = '';
            try { first.x.y.push(2); } catch (e) { threw = e.name; }
            const seen = [];
            for (const item of a) seen.push(item);
            return {
                length: a.length, first, threw,
                deep: Object.isFrozen(first.x.y), fresh: a[0] !== a[0],
                seen, isArray: Array.isArray(a), keys: Object.keys(a),
                mapped: a.map((v) => typeof v), str: a['1'], json: JSON.stringify(a),
                missing: [a[5], a[-1], a['01'], a['1x'], a[1.5]].map((v) => v === undefined),
                has: [0 in a, 5 in a],
            };
        }
    "#,
    );
    assert_eq!(
        value,
        serde_json::json!({
            "length": 5, "first": {"x": {"y": [1]}}, "threw": "TypeError",
            "deep": true, "fresh": true,
            "seen": [{"x": {"y": [1]}}, "two", 3, null, true], "isArray": true,
            "keys": ["0", "1", "2", "3", "4"],
            "mapped": ["object", "string", "number", "object", "boolean"],
            "str": "two", "json": r#"[{"x":{"y":[1]}},"two",3,null,true]"#,
            "missing": [true, true, true, true, true], "has": [true, false],
        })
    );
}

#[test]
fn writes_throw_k6s_type_error() {
    let value = setup_value(
        r#"
        import { SharedArray } from 'k6/data';
        const a = new SharedArray('a', () => [1, 2]);
        export function setup() {
            const errors = [];
            for (const write of [() => { a[0] = 5; }, () => { delete a[0]; }, () => { a.length = 0; }, () => a.push(3)]) {
                try { write(); errors.push('no error'); } catch (e) { errors.push(`${e.name}: ${e.message}`); }
            }
            return { errors, after: [a[0], a.length] };
        }
    "#,
    );
    let immutable = "TypeError: SharedArray is immutable";
    assert_eq!(
        value,
        serde_json::json!({"errors": [immutable, immutable, immutable, immutable], "after": [1, 2]})
    );
}

#[test]
fn bad_constructions_throw_k6s_errors() {
    let cases = [
        (
            "new SharedArray()",
            "GoError: a function is expected as the second argument of SharedArray's constructor",
        ),
        (
            "new SharedArray('')",
            "GoError: empty name provided to SharedArray's constructor",
        ),
        (
            "new SharedArray('n', 5)",
            "GoError: a function is expected as the second argument of SharedArray's constructor",
        ),
        (
            "new SharedArray('n', () => 5)",
            "GoError: only arrays can be made into SharedArray",
        ),
        (
            "new SharedArray('n', () => ({ length: 1, 0: 1 }))",
            "GoError: only arrays can be made into SharedArray",
        ),
        (
            "new SharedArray('n', () => { throw new RangeError('cb'); })",
            "RangeError: cb",
        ),
        (
            "new SharedArray('n', () => [undefined])[0]",
            "SyntaxError: invalid character 'u' looking for beginning of value",
        ),
    ];
    for (code, expected) in cases {
        let source = format!("import {{ SharedArray }} from 'k6/data';\n{code};\n");
        assert_eq!(init_error(&source), expected, "{code}");
    }
}

#[test]
fn a_failed_callback_leaves_the_name_to_the_next_vu() {
    let log = Arc::new(MemoryLog::default());
    let config = config(log).with_shared(Arc::default());
    let source = r#"
        import { SharedArray } from 'k6/data';
        const a = new SharedArray('n', () => { if (__VU === 1) throw new Error('first'); return [__VU]; });
        export function setup() { return a[0]; }
    "#;
    let script = script(source);
    assert!(Vu::new(&script, 1, &Env::new(), &config).is_err());
    let vu = Vu::new(&script, 2, &Env::new(), &config).unwrap();
    assert_eq!(vu.call(&setup_call()).value.as_deref(), Some("2"));
}

#[test]
fn construction_outside_init_code_is_k6s_go_error() {
    let log = Arc::new(MemoryLog::default());
    let source = r#"
        import { SharedArray } from 'k6/data';
        export function setup() { new SharedArray('late', () => [1]); }
    "#;
    let vu = Vu::new(&script(source), 1, &Env::new(), &config(log)).unwrap();
    match vu.call(&setup_call()).outcome {
        Outcome::Threw(e) => {
            assert_eq!(e.name.as_deref(), Some("GoError"));
            assert_eq!(
                e.message,
                "new SharedArray must be called in the init context"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_default_config_has_a_store_of_its_own() {
    let a = Config::default();
    let b = a.clone();
    assert!(Arc::ptr_eq(&a.shared, &b.shared));
    assert!(!Arc::ptr_eq(&a.shared, &Config::default().shared));
}

/// The heap one VU of a shared runtime adds with `source` as its script,
/// once a VU of another runtime made the process's arrays.
fn heap_per_vu(source: &str, data: &str) -> u64 {
    let script = Script::new(
        Arc::new(
            MemoryFiles::new()
                .with("/t/main.js", source)
                .with("/t/data.json", data),
        ),
        "/t/main.js",
    );
    let config = config(Arc::new(MemoryLog::default())).with_shared(Arc::default());
    // "VU 0": runs the callbacks in a runtime of its own.
    Vu::new(&script, 0, &Env::new(), &config).unwrap();
    let host = k6r_script::Host::new(&script).unwrap();
    let before = host.heap_size();
    let vus: Vec<Vu> = (1..=50)
        .map(|id| {
            let wait = std::rc::Rc::new(k6r_script::BlockOn::default());
            let vu = Vu::in_host(&host, &script, id, &Env::new(), &config, wait).unwrap();
            assert_eq!(vu.call(&setup_call()).value.as_deref(), Some("\"user7\""));
            vu
        })
        .collect();
    (host.heap_size() - before) / vus.len() as u64
}

#[test]
fn a_vu_pays_for_its_view_not_for_the_items() {
    let items: Vec<String> = (0..20_000)
        .map(|i| format!(r#"{{"id":{i},"name":"user{i}","email":"user{i}@example.com"}}"#))
        .collect();
    let data = format!("[{}]", items.join(","));
    assert!(data.len() > 1_000_000);
    let with = heap_per_vu(
        r#"
        import { SharedArray } from 'k6/data';
        const users = new SharedArray('users', () => JSON.parse(open('/t/data.json')));
        export function setup() { return users[7].name; }
    "#,
        &data,
    );
    let without = heap_per_vu(
        r#"
        const users = [{ name: 'user7' }];
        export function setup() { return users[0].name; }
    "#,
        &data,
    );
    eprintln!("heap per VU: {with} bytes with a 1 MB SharedArray, {without} without");
    // The module, its glue and the view; never the items (a megabyte).
    assert!(
        with < without + 5 * 1024,
        "{with} vs {without} bytes per VU"
    );
}
