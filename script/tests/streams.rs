//! `k6/experimental/streams` in a VU: a stream fed by timers is read to
//! its end within one call (the VU's event loop runs the stream's promise
//! jobs between timers), and what the module costs a VU's heap: nothing
//! for a VU that does not import it. Its behaviour against k6 itself is
//! `cli/tests/streams_differential.rs`.

mod common;

use std::rc::Rc;
use std::sync::Arc;

use common::{config, heap_per_vu, setup_returns};
use k6r_script::{BlockOn, Env, Host, MemoryFiles, MemoryLog, Outcome, Script, Vu};

fn script(source: &str) -> Script {
    Script::new(
        Arc::new(MemoryFiles::new().with("/t/main.js", source)),
        "/t/main.js",
    )
}

#[test]
fn a_stream_fed_by_timers_is_read_within_one_call() {
    let source = r#"
        import { ReadableStream } from 'k6/experimental/streams';
        export async function setup() {
            const seen = [];
            let n = 0;
            const stream = new ReadableStream({
                start(controller) {
                    const next = () => {
                        if (n === 3) return controller.close();
                        controller.enqueue(++n);
                        seen.push(`enqueued ${n}`);
                        setTimeout(next, 10);
                    };
                    setTimeout(next, 10);
                },
            });
            setTimeout(() => seen.push('other timer'), 15);
            const reader = stream.getReader();
            for (;;) {
                const { value, done } = await reader.read();
                if (done) break;
                seen.push(`read ${value}`);
            }
            await reader.closed;
            return seen;
        }
    "#;
    let (value, _) = setup_returns(&script(source));
    assert_eq!(
        value,
        serde_json::json!([
            "enqueued 1",
            "read 1",
            "other timer",
            "enqueued 2",
            "read 2",
            "enqueued 3",
            "read 3"
        ])
    );
}

#[test]
fn a_source_that_throws_fails_the_call_with_its_error() {
    let source = r#"
        import { ReadableStream } from 'k6/experimental/streams';
        export async function setup() {
            const reader = new ReadableStream({ pull() { throw new RangeError('no more'); } }).getReader();
            await reader.read();
        }
    "#;
    let vu = Vu::new(
        &script(source),
        1,
        &Env::new(),
        &config(Arc::new(MemoryLog::default())),
    )
    .unwrap();
    match vu.call(&common::setup_call()).outcome {
        Outcome::Threw(e) => {
            assert_eq!(e.name.as_deref(), Some("RangeError"));
            assert_eq!(e.message, "no more");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_vu_pays_for_the_module_only_when_it_imports_it() {
    let without = heap_per_vu(&script("export function setup() { return 1; }"));
    let imported = heap_per_vu(&script(
        r#"
        import { ReadableStream } from 'k6/experimental/streams';
        export function setup() { return typeof ReadableStream; }
    "#,
    ));
    let used = heap_per_vu(&script(
        r#"
        import { ReadableStream } from 'k6/experimental/streams';
        const stream = new ReadableStream({ start(c) { c.enqueue(1); c.close(); } });
        const reader = stream.getReader();
        export async function setup() { return (await reader.read()).value; }
    "#,
    ));
    eprintln!(
        "heap per VU: {without} bytes without k6/experimental/streams, \
         {imported} importing it, {used} with a stream and a reader"
    );
    // Three native constructors (JavaScript glue was ~32 KB).
    assert!(
        imported < without + 4 * 1024,
        "{imported} vs {without} bytes per VU"
    );
    // A stream, its reader and their methods.
    assert!(
        (imported..imported + 8 * 1024).contains(&used),
        "{used} vs {imported}"
    );
}

/// Streams left behind in cycles through their own objects (a source
/// keeping its controller, its stream and a pull that never settles; a
/// read waiting forever) are collected: calls making thousands of them
/// do not grow the heap call after call.
#[test]
fn streams_in_cycles_are_collected() {
    let source = r#"
        import { ReadableStream } from 'k6/experimental/streams';
        export async function setup() {
            for (let i = 0; i < 2000; i++) {
                const source = {
                    start(c) { this.c = c; },
                    pull(c) { this.pending = new Promise(() => {}); return this.pending; },
                };
                const stream = new ReadableStream(source, { highWaterMark: 0 });
                const reader = stream.getReader();
                Object.assign(source, { stream, reader, read: reader.read() });
            }
            await null;
        }
    "#;
    let script = script(source);
    let config = config(Arc::new(MemoryLog::default()));
    let host = Host::new(&script).unwrap();
    let wait = Rc::new(BlockOn::default());
    let vu = Vu::in_host(&host, &script, 1, &Env::new(), &config, wait).unwrap();
    let mut heaps = Vec::new();
    for _ in 0..6 {
        let outcome = vu.call(&common::setup_call()).outcome;
        assert!(matches!(outcome, Outcome::Returned), "{outcome:?}");
        heaps.push(host.heap_size());
    }
    // Kept, 2,000 streams are megabytes a call: the heap would grow by
    // that much each time, where collecting keeps it under what the first
    // call left (its garbage included) with room for the collector's pace.
    let most = heaps.iter().max().copied().unwrap_or_default();
    assert!(most < heaps[0] * 2, "heap after each call: {heaps:?}");
}
