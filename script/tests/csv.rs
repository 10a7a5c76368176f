//! `k6/experimental/csv`: `parse` into a shared array and the streaming
//! `Parser`, with k6's options (checked against k6 v1.1.0 in
//! `cli/tests/data_differential.rs`).

mod common;

use std::sync::Arc;

use common::{config, setup_returns};
use k6r_script::{Env, Error, MemoryFiles, MemoryLog, Script, Vu};

const CSV: &str = "name,age,city\nalice,30,Paris\nbob,25,\"New York, NY\"\ncarol,41,Berlin\n";

fn script(source: &str) -> Script {
    Script::new(
        Arc::new(
            MemoryFiles::new()
                .with("/t/main.js", source)
                .with("/t/data.csv", CSV)
                .with("/t/semi.csv", "a;b\n1;2\n"),
        ),
        "/t/main.js",
    )
}

fn run(source: &str) -> serde_json::Value {
    setup_returns(&script(source)).0
}

#[test]
fn parse_makes_a_shared_array_of_the_selected_rows() {
    let value = run(r#"
        import { open } from 'k6/experimental/fs';
        import csv from 'k6/experimental/csv';
        const file = await open('data.csv');
        const all = await csv.parse(file, { delimiter: ',' });
        // Parsing reads the file to its end, as in k6.
        const again = await csv.parse(file);
        const objects = await csv.parse(await open('data.csv'), { asObjects: true });
        const skipped = await csv.parse(await open('data.csv'), { skipFirstLine: true });
        const range = await csv.parse(await open('data.csv'), { fromLine: 1, toLine: 2 });
        const semi = await csv.parse(await open('semi.csv'), { delimiter: ';' });
        export function setup() {
            return {
                all: [all.length, again.length, all[2], Array.isArray(all), Object.isFrozen(all[0])],
                objects: [objects.length, JSON.stringify(objects[0])],
                skipped: skipped[0], range: JSON.stringify(range), semi: semi[1],
            };
        }
    "#);
    assert_eq!(
        value,
        serde_json::json!({
            "all": [4, 0, ["bob", "25", "New York, NY"], true, true],
            "objects": [3, r#"{"age":"30","city":"Paris","name":"alice"}"#],
            "skipped": ["alice", "30", "Paris"],
            "range": r#"[["alice","30","Paris"],["bob","25","New York, NY"]]"#,
            "semi": ["1", "2"],
        })
    );
}

#[test]
fn the_parser_streams_rows_until_done() {
    let value = run(r#"
        import { open } from 'k6/experimental/fs';
        import { Parser } from 'k6/experimental/csv';
        const file = await open('data.csv');
        const rows = new Parser(file, { skipFirstLine: true });
        const objects = new Parser(await open('data.csv'), { asObjects: true, toLine: 1 });
        export async function setup() {
            const out = [Object.keys(rows).join(), await file.read(new Uint8Array(1))];
            let r;
            while (!(r = await rows.next()).done) out.push(r.value.join('|'));
            out.push(JSON.stringify(r), JSON.stringify(await rows.next()));
            while (!(r = await objects.next()).done) out.push(JSON.stringify(r.value));
            return out;
        }
    "#);
    assert_eq!(
        value,
        serde_json::json!([
            "next",
            null,
            "alice|30|Paris",
            "bob|25|New York, NY",
            "carol|41|Berlin",
            r#"{"done":true,"value":[]}"#,
            r#"{"done":true,"value":[]}"#,
            r#"{"name":"alice","age":"30","city":"Paris"}"#,
        ])
    );
}

#[test]
fn bad_options_are_k6s_errors() {
    let cases = [
        ("new Parser(f, { fromLine: 2, toLine: 2 })", "encountered an error while interpreting Parser options; reason: fromLine must be less than or equal to toLine"),
        ("new Parser(f, { asObjects: true, fromLine: 1 })", "failed to create a new parser; reason: the 'header' option cannot be enabled when 'fromLine' is set to a value greater than 0"),
        ("new Parser('x')", "first argument expected to be a fs.File instance, got string instead"),
    ];
    for (code, expected) in cases {
        let source = format!(
            "import {{ open }} from 'k6/experimental/fs';\nimport {{ Parser }} from 'k6/experimental/csv';\nconst f = await open('data.csv');\n{code};\n"
        );
        let log = Arc::new(MemoryLog::default());
        match Vu::new(&script(&source), 1, &Env::new(), &config(log)) {
            Err(Error::Exception(e)) => {
                assert_eq!(e.name.as_deref(), Some("GoError"), "{code}");
                assert_eq!(e.message, expected, "{code}");
            }
            Err(other) => panic!("{code}: {other}"),
            Ok(_) => panic!("{code}: no error"),
        }
    }
}
