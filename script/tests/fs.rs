//! `k6/experimental/fs`: files opened in init code, read once per process
//! and shared; `read`, `seek`, `stat` and k6's errors (checked against
//! k6 v1.1.0 in `cli/tests/data_differential.rs`).

mod common;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{config, setup_call, setup_returns};
use k6r_script::{Env, Files, MemoryFiles, MemoryLog, Script, Vu};

/// Files that count how often each is read.
#[derive(Debug)]
struct Counting {
    inner: MemoryFiles,
    reads: AtomicUsize,
}

impl Files for Counting {
    fn read(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        if path.ends_with("data.txt") {
            self.reads.fetch_add(1, Ordering::SeqCst);
        }
        self.inner.read(path)
    }
}

fn files(source: &str) -> Arc<Counting> {
    Arc::new(Counting {
        inner: MemoryFiles::new()
            .with("/t/main.js", source)
            .with("/t/data.txt", "hello world\nline2\n"),
        reads: AtomicUsize::new(0),
    })
}

fn run(source: &str) -> serde_json::Value {
    setup_returns(&Script::new(files(source), "/t/main.js")).0
}

#[test]
fn read_seek_and_stat_walk_the_file() {
    let value = run(r#"
        import { open, SeekMode } from 'k6/experimental/fs';
        const file = await open('data.txt');
        export async function setup() {
            const out = [file.path, Object.keys(file).join(), JSON.stringify(await file.stat())];
            const four = new Uint8Array(4);
            out.push(await file.read(four), String.fromCharCode(...four));
            const rest = new Uint8Array(100);
            const n = await file.read(rest);
            out.push(n, String.fromCharCode(...rest.slice(0, n)), await file.read(rest));
            // k6 counts SeekMode.End from the last byte.
            out.push(await file.seek(0, SeekMode.Start), await file.seek(2, SeekMode.Current), await file.seek(-1, SeekMode.End));
            out.push(await file.read(rest), rest[0], await file.read(new Uint8Array(0)));
            out.push([SeekMode.Start, SeekMode.Current, SeekMode.End].join());
            return out;
        }
    "#);
    assert_eq!(
        value,
        serde_json::json!([
            "/t/data.txt",
            "path,read,seek,stat",
            r#"{"name":"data.txt","size":18}"#,
            4,
            "hell",
            14,
            "o world\nline2\n",
            null,
            0,
            2,
            16,
            2,
            50,
            null,
            "0,1,2"
        ])
    );
}

#[test]
fn bad_arguments_reject_with_k6s_errors() {
    let value = run(r#"
        import { open, SeekMode } from 'k6/experimental/fs';
        const file = await open('data.txt');
        const errors = [];
        for (const path of ['missing.txt', '', undefined]) {
            try { await open(path); } catch (e) { errors.push(`${e.name}: ${e.message}`); }
        }
        export async function setup() {
            const attempts = [
                () => file.seek(-1, SeekMode.Start), () => file.seek(1, SeekMode.End),
                () => file.seek(-100, SeekMode.Current), () => file.seek(19, SeekMode.Start),
                () => file.seek('3', SeekMode.Start), () => file.seek(1.5, 0), () => file.seek(undefined, 0),
                () => file.seek(0, undefined), () => file.seek(0, 7),
                () => file.read(), () => file.read(new Uint16Array(2)), () => open('data.txt'),
            ];
            for (const attempt of attempts) {
                try { await attempt(); errors.push('no error'); } catch (e) { errors.push(`${e.name}: ${e.message}`); }
            }
            return errors;
        }
    "#);
    assert_eq!(
        value,
        serde_json::json!([
            "NotFoundError: no such file or directory \"/t/missing.txt\"",
            "TypeError: open() failed; reason: path cannot be empty",
            "TypeError: open() failed; reason: path cannot be null or undefined",
            "TypeError: offset cannot be negative when using SeekModeStart",
            "TypeError: offset cannot be positive when using SeekModeEnd",
            "TypeError: seeking before start of file",
            "TypeError: seeking beyond end of file",
            "TypeError: seek() failed; reason: the offset argument must be a number",
            "TypeError: seek() failed; reason: the offset argument must be a number",
            "TypeError: seek() failed; reason: the offset argument cannot be null or undefined",
            "TypeError: seek() failed; reason: the whence argument cannot be null or undefined",
            "TypeError: seek() failed; reason: the whence argument must be a SeekMode",
            "TypeError: read() failed; reason: into argument cannot be null or undefined",
            "TypeError: read() failed; reason: into argument must be a Uint8Array",
            "ForbiddenError: open() failed; reason: opening a file is allowed only in the Init context",
        ])
    );
}

#[test]
fn a_file_is_read_once_for_every_vu_and_each_file_keeps_its_offset() {
    let source = r#"
        import { open } from 'k6/experimental/fs';
        const a = await open('data.txt');
        const b = await open('./data.txt');
        export async function setup() {
            const buf = new Uint8Array(5);
            await a.read(buf);
            await b.read(buf);
            return String.fromCharCode(...buf);
        }
    "#;
    let files = files(source);
    let script = Script::new(files.clone(), "/t/main.js");
    let config = config(Arc::new(MemoryLog::default()));
    for id in 1..=5 {
        let vu = Vu::new(&script, id, &Env::new(), &config).unwrap();
        assert_eq!(vu.call(&setup_call()).value.as_deref(), Some("\"hello\""));
    }
    assert_eq!(files.reads.load(Ordering::SeqCst), 1);
}
