//! `k6/experimental/streams` against the reference `k6 run` (k6 v1.1.0):
//! the same scripts print the same console lines, in the same order, and
//! exit alike. A stream fed by timers among other timers, pull sources
//! under each high-water mark (async ones too), backpressure through
//! `desiredSize` and sizes, the errors of every misuse with k6's
//! messages, cancelling with a reason, and the objects' shapes.
//!
//! Each script reads one stream at a time: k6's Go code runs the promise
//! jobs a stream makes before jobs already queued (sobek drains its queue
//! whenever Go code calls into JavaScript from a job), so two streams
//! pulled concurrently interleave differently there. Where the values of
//! a read are printed, they are printed by name: k6 builds `{ value,
//! done }` from a Go map, whose key order changes from run to run.

mod common;

use std::path::Path;

/// A stream of numbers pushed by a timer, with two other timers due
/// between its chunks.
const NUMBERS: &str = r#"
import { ReadableStream } from 'k6/experimental/streams';
import { setTimeout } from 'k6/timers';
export const options = { iterations: 1 };

function numbers(count, every) {
  let n = 0;
  return new ReadableStream({
    start(controller) {
      console.log('start, desiredSize', controller.desiredSize);
      const tick = () => {
        if (n === count) {
          controller.close();
          console.log('closed the source');
          return;
        }
        n++;
        controller.enqueue(n * 10);
        console.log('enqueued', n * 10, 'desiredSize', controller.desiredSize);
        setTimeout(tick, every);
      };
      setTimeout(tick, every);
    },
  });
}

export default async function () {
  const stream = numbers(4, 100);
  setTimeout(() => console.log('other timer, 150 ms'), 150);
  setTimeout(() => console.log('other timer, 250 ms'), 250);
  const reader = stream.getReader();
  console.log('locked', stream.locked);
  let sum = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    sum += value;
    console.log('read', value);
  }
  console.log('sum', sum, 'then', JSON.stringify(await reader.read()));
  console.log('closed resolved with', await reader.closed);
  reader.releaseLock();
  console.log('locked', stream.locked);
}
"#;

/// Pull sources: how far each high-water mark fills the queue before
/// anything is read, then everything read; an async pull.
const PULL: &str = r#"
import { ReadableStream, CountQueuingStrategy } from 'k6/experimental/streams';
import { setTimeout } from 'k6/timers';
export const options = { iterations: 1 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export default async function () {
  for (const hwm of [0, 1, 3]) {
    let n = 0;
    const source = {
      pull(controller) {
        n++;
        console.log(`hwm ${hwm}: pull ${n}, desiredSize ${controller.desiredSize}, this is the source: ${this === source}`);
        if (n > 4) controller.close();
        else controller.enqueue(n);
      },
    };
    const stream = new ReadableStream(source, new CountQueuingStrategy({ highWaterMark: hwm }));
    await sleep(10);
    console.log(`hwm ${hwm}: ${n} pulls before any read`);
    const reader = stream.getReader();
    const got = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      got.push(value);
    }
    console.log(`hwm ${hwm}: read ${got.join(',')} in ${n} pulls`);
  }

  let i = 0;
  const slow = new ReadableStream({
    async pull(controller) {
      i++;
      console.log('slow pull', i);
      await sleep(20);
      if (i > 3) controller.close();
      else controller.enqueue(`chunk ${i}`);
    },
  }, { highWaterMark: 0 });
  const reader = slow.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    console.log('slow read', value);
  }

  const started = new ReadableStream({
    start(controller) {
      console.log('start waits');
      return sleep(30).then(() => { console.log('start done'); controller.enqueue('first'); });
    },
    pull(controller) {
      console.log('pull after start, queue at', controller.desiredSize);
      controller.close();
    },
  });
  const startedReader = started.getReader();
  const first = await startedReader.read();
  console.log('first', first.value, first.done);
  console.log('then done', (await startedReader.read()).done);
}
"#;

/// Backpressure: `desiredSize` with a size function, a push source that
/// fills up to its high-water mark and is pulled for more, strategies.
const BACKPRESSURE: &str = r#"
import { ReadableStream, CountQueuingStrategy } from 'k6/experimental/streams';
import { setTimeout } from 'k6/timers';
export const options = { iterations: 1 };

export default async function () {
  let controller;
  const sized = new ReadableStream({ start(c) { controller = c; } }, {
    highWaterMark: 10,
    size(chunk) { return chunk.length; },
  });
  for (const word of ['abc', 'de', 'fghij', 'klmno']) {
    controller.enqueue(word);
    console.log('enqueued', word, 'desiredSize', controller.desiredSize);
  }
  const reader = sized.getReader();
  while (controller.desiredSize <= 0) {
    const { value } = await reader.read();
    console.log('read', value, 'desiredSize', controller.desiredSize);
  }
  controller.close();
  console.log('close requested, desiredSize', controller.desiredSize);
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    console.log('drained', value);
  }
  console.log('closed, desiredSize', controller.desiredSize);

  let produced = 0;
  const push = new ReadableStream({
    start(c) {
      while (c.desiredSize > 0) c.enqueue(++produced);
      console.log('start filled', produced, 'desiredSize', c.desiredSize);
    },
    pull(c) {
      c.enqueue(++produced);
      console.log('pulled for', produced, 'desiredSize', c.desiredSize);
      if (produced === 6) c.close();
    },
  }, new CountQueuingStrategy({ highWaterMark: 3 }));
  await new Promise((resolve) => setTimeout(resolve, 10));
  console.log('produced before reading', produced);
  const pushReader = push.getReader();
  for (;;) {
    const { value, done } = await pushReader.read();
    if (done) break;
    console.log('push read', value, 'produced', produced);
  }

  const strategy = {};
  new ReadableStream({}, strategy);
  console.log('a strategy without one is given', JSON.stringify(strategy));
  const count = new CountQueuingStrategy({ highWaterMark: 4 });
  console.log(JSON.stringify(count), Object.keys(count).join(','), count.size('anything'), typeof count.size);
  const infinite = new ReadableStream({ start(c) { c.enqueue(1); console.log('Infinity hwm, desiredSize', c.desiredSize); } }, { highWaterMark: Infinity });
  const nullSize = new ReadableStream({ start(c) { c.enqueue(1); console.log('null size, desiredSize', c.desiredSize); } }, { highWaterMark: 2, size: null });
  const stringSize = new ReadableStream({ start(c) { c.enqueue(1); console.log('size "2", desiredSize', c.desiredSize); } }, { highWaterMark: 2, size: () => '2' });
  console.log(typeof infinite, typeof nullSize, typeof stringSize);
}
"#;

/// Every misuse, caught: what was thrown or rejected, with k6's
/// messages and error classes.
const ERRORS: &str = r#"
import { ReadableStream, ReadableStreamDefaultReader, CountQueuingStrategy } from 'k6/experimental/streams';
import { setTimeout } from 'k6/timers';
export const options = { iterations: 1 };

function describe(e) {
  if (e === null || typeof e !== 'object') return `${typeof e} ${String(e)}`;
  const kind = e instanceof TypeError ? 'TypeError' : e instanceof RangeError ? 'RangeError' : e instanceof Error ? 'Error' : 'object';
  return `${kind} ${e.name}: ${e.message} ${JSON.stringify(e)}`;
}
function sync(label, f) {
  try { f(); console.log(label, 'did not throw'); } catch (e) { console.log(label, 'threw', describe(e)); }
}
async function later(label, promise) {
  try { console.log(label, 'resolved', JSON.stringify(await promise)); } catch (e) { console.log(label, 'rejected', describe(e)); }
}

export default async function () {
  sync('source 5', () => new ReadableStream(5));
  sync('source null', () => new ReadableStream(null));
  sync('source array', () => new ReadableStream([]));
  sync('source function', () => new ReadableStream(() => {}));
  sync('source date', () => new ReadableStream(new Date()));
  sync('source map', () => new ReadableStream(new Map()));
  sync('type bytes', () => new ReadableStream({ type: 'bytes' }));
  sync('type other', () => new ReadableStream({ type: 'text' }));
  sync('type null', () => new ReadableStream({ type: null }));
  sync('start not a function', () => new ReadableStream({ start: 1 }));
  sync('start undefined', () => new ReadableStream({ start: undefined }));
  sync('pull not a function', () => new ReadableStream({ pull: 'x' }));
  sync('cancel not a function', () => new ReadableStream({ cancel: {} }));
  sync('start and pull wrong', () => new ReadableStream({ pull: 1, start: 1 }));
  sync('auto_allocate_chunk_size', () => new ReadableStream({ auto_allocate_chunk_size: 'x' }));
  sync('highWaterMark -1', () => new ReadableStream({}, { highWaterMark: -1 }));
  sync('highWaterMark NaN', () => new ReadableStream({}, { highWaterMark: NaN }));
  sync('highWaterMark "3"', () => new ReadableStream({}, { highWaterMark: '3' }));
  sync('highWaterMark and start wrong', () => new ReadableStream({ start: 1 }, { highWaterMark: -1 }));
  sync('size not a function', () => new ReadableStream({}, { size: 5 }));
  sync('strategy 5', () => new ReadableStream({}, 5));
  sync('strategy array', () => new ReadableStream({}, []));
  sync('strategy string', () => new ReadableStream({}, 'ab'));
  sync('start throws', () => new ReadableStream({ start() { throw new Error('start failed'); } }));
  sync('CountQueuingStrategy()', () => new CountQueuingStrategy());
  sync('CountQueuingStrategy(a, b)', () => new CountQueuingStrategy({ highWaterMark: 1 }, 2));
  sync('CountQueuingStrategy(5)', () => new CountQueuingStrategy(5));
  sync('CountQueuingStrategy({})', () => new CountQueuingStrategy({}));
  sync('reader of nothing', () => new ReadableStreamDefaultReader());
  sync('reader of an object', () => new ReadableStreamDefaultReader({}));

  const stream = new ReadableStream();
  const reader = stream.getReader();
  sync('second getReader', () => stream.getReader());
  sync('reader of a locked stream', () => new ReadableStreamDefaultReader(stream));
  sync('getReader mode byob', () => new ReadableStream().getReader({ mode: 'byob' }));
  sync('getReader mode other', () => new ReadableStream().getReader({ mode: 'other' }));
  sync('getReader 5', () => new ReadableStream().getReader(5));
  sync('tee', () => new ReadableStream().tee());
  await later('cancel a locked stream', stream.cancel('why'));
  const pending = reader.read();
  const closed = reader.closed;
  reader.releaseLock();
  await later('read pending at release', pending);
  await later('closed at release', closed);
  await later('read after release', reader.read());
  await later('cancel after release', reader.cancel());
  console.log('release twice', reader.releaseLock(), 'locked', stream.locked);

  let controller;
  const closing = new ReadableStream({ start(c) { controller = c; } });
  controller.close();
  sync('enqueue after close', () => controller.enqueue(1));
  sync('close after close', () => controller.close());
  const closedReader = closing.getReader();
  await later('read of a closed stream', closedReader.read().then((r) => r.done));
  closedReader.releaseLock();
  await later('closed after release of a closed stream', closedReader.closed);

  let erroring;
  const errored = new ReadableStream({ start(c) { erroring = c; } });
  const errReader = errored.getReader();
  const waiting = errReader.read();
  erroring.error(new TypeError('source broke'));
  erroring.error(new Error('ignored'));
  await later('read waiting when errored', waiting);
  await later('read after the error', errReader.read());
  await later('closed after the error', errReader.closed);
  console.log('desiredSize of an errored stream', erroring.desiredSize);
  sync('enqueue after error', () => erroring.enqueue(1));
  errReader.releaseLock();
  await later('cancel an errored stream', errored.cancel());
  await later('closed of a new reader of it', errored.getReader().closed);

  for (const reason of [undefined, 'text', 42]) {
    const s = new ReadableStream({ start(c) { c.error(reason); } });
    await later(`errored with ${String(reason)}, a new reader's closed`, new ReadableStreamDefaultReader(s).closed);
  }
  sync('errored with null, a new reader', () => new ReadableStream({ start(c) { c.error(null); } }).getReader());

  await later('start rejects', new ReadableStream({ start() { return Promise.reject(new Error('no start')); } }).getReader().read());
  await later('start rejects later', new ReadableStream({
    start() { return new Promise((_, reject) => setTimeout(() => reject('late'), 10)); },
  }).getReader().read());
  await later('pull throws', new ReadableStream({ pull() { throw new RangeError('no pull'); } }).getReader().read());
  await later('pull rejects', new ReadableStream({ pull() { return Promise.reject(7); } }).getReader().read());

  let sizing;
  new ReadableStream({ start(c) { sizing = c; } }, { size() { return -1; } });
  sync('size -1', () => sizing.enqueue('x'));
  for (const size of [NaN, Infinity, undefined]) {
    let c;
    new ReadableStream({ start(controller) { c = controller; } }, { size: () => size });
    sync(`size ${String(size)}`, () => c.enqueue('x'));
  }
  let throwing;
  const throwingStream = new ReadableStream({ start(c) { throwing = c; } }, { size() { throw new Error('no size'); } });
  sync('size throws', () => throwing.enqueue('x'));
  console.log('after a size error, desiredSize', throwing.desiredSize, 'locked', throwingStream.locked);
}
"#;

/// Cancelling: the reason reaches the source's cancel; what cancel()
/// resolves or rejects with; reads and `closed` after it.
const CANCEL: &str = r#"
import { ReadableStream } from 'k6/experimental/streams';
import { setTimeout } from 'k6/timers';
export const options = { iterations: 1 };

function describe(e) {
  if (e === null || typeof e !== 'object') return `${typeof e} ${String(e)}`;
  return `${e.constructor.name} ${String(e)}`;
}
async function settle(label, promise) {
  try { console.log(label, 'resolved', describe(await promise)); } catch (e) { console.log(label, 'rejected', describe(e)); }
}

export default async function () {
  const source = {
    start(c) { c.enqueue('queued'); },
    cancel(reason) {
      console.log('source cancel:', describe(reason), 'arguments', arguments.length, 'this is the source', this === source);
      return 'ignored';
    },
  };
  const stream = new ReadableStream(source);
  const reader = stream.getReader();
  await settle('reader.cancel', reader.cancel('not needed any more'));
  console.log('read after cancel', JSON.stringify(await reader.read()));
  await settle('closed after cancel', reader.closed);
  await settle('cancel again', reader.cancel('again'));

  for (const args of [[], [undefined], [null], [{ why: 'object' }]]) {
    const s = new ReadableStream({ cancel(reason) { console.log(`cancel(${args.length} args) gives the source`, describe(reason)); } });
    await s.cancel(...args);
  }

  const waiting = new ReadableStream();
  const waitingReader = waiting.getReader();
  const pending = waitingReader.read();
  await waitingReader.cancel('bye');
  console.log('pending read after cancel', JSON.stringify(await pending));

  await settle('async cancel', new ReadableStream({
    cancel(reason) {
      return new Promise((resolve) => setTimeout(() => { console.log('source done cancelling', reason); resolve('value dropped'); }, 20));
    },
  }).cancel('slowly'));
  await settle('cancel throws', new ReadableStream({ cancel() { throw new Error('cannot cancel'); } }).cancel());
  for (const reason of ['text', 5, true, undefined, null]) {
    await settle(`cancel rejects with ${String(reason)}`, new ReadableStream({ cancel() { return Promise.reject(reason); } }).cancel());
  }
  await settle('cancel returns a thenable', new ReadableStream({ cancel() { return { then(_, reject) { reject('ignored'); } }; } }).cancel());
  await settle('cancel of a closed stream', new ReadableStream({
    start(c) { c.close(); },
    cancel() { console.log('never called'); },
  }).cancel('late'));
}
"#;

/// The objects' members, descriptors and prototypes.
const SHAPES: &str = r#"
import streams, { ReadableStream, ReadableStreamDefaultReader, CountQueuingStrategy } from 'k6/experimental/streams';
export const options = { iterations: 1 };

function members(object) {
  const names = new Set(Object.keys(object));
  for (let p = Object.getPrototypeOf(object); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) names.add(name);
  }
  return [...names].sort().join(',');
}
const flags = (d) => d ? ['writable', 'enumerable', 'configurable'].filter((f) => d[f]).join('+') + (d.get ? '+get' : '') : 'none';

export default function () {
  console.log('default export', Object.keys(streams).sort().join(','), typeof ReadableStream, typeof CountQueuingStrategy, typeof ReadableStreamDefaultReader);
  let controller;
  const stream = new ReadableStream({ start(c) { controller = c; } });
  const called = ReadableStream();
  console.log('stream', Object.keys(stream).join(','), members(stream), JSON.stringify(stream), String(stream));
  console.log('called without new', JSON.stringify(called), stream instanceof ReadableStream);
  console.log('stream props', ['locked', 'source', 'cancel', 'getReader', 'tee'].map((k) => flags(Object.getOwnPropertyDescriptor(stream, k))).join(' '));
  console.log('controller', Object.keys(controller).length, members(controller), controller.desiredSize, typeof controller.enqueue);
  const reader = stream.getReader();
  console.log('reader', Object.keys(reader).join(','), Object.getPrototypeOf(reader) === Object.prototype, reader instanceof ReadableStreamDefaultReader);
  console.log('reader props', ['closed', 'cancel', 'read', 'releaseLock'].map((k) => flags(Object.getOwnPropertyDescriptor(reader, k))).join(' '));
  console.log('reader json', JSON.stringify(reader), typeof reader.closed.then, reader.closed === reader.closed);
  console.log('locked', stream.locked, JSON.stringify(stream));
  const count = new CountQueuingStrategy({ highWaterMark: 2 });
  console.log('strategy', Object.keys(count).join(','), flags(Object.getOwnPropertyDescriptor(count, 'highWaterMark')), count instanceof CountQueuingStrategy);
  const { enqueue, close } = controller;
  enqueue('detached');
  close();
  const { read } = reader;
  read().then((r) => console.log('detached read', r.value, r.done));
}
"#;

/// `(exit code, the console lines)` of `binary run` on `script`.
fn console_lines(binary: &str, dir: &Path, script: &str) -> (Option<i32>, Vec<String>) {
    let ran = common::run_script(binary, dir, script);
    (ran.code, common::console_messages(&ran.stderr))
}

fn same_as_k6(name: &str, script: &str) {
    let dir = tempfile::tempdir().unwrap();
    let expected = console_lines("k6", dir.path(), script);
    assert_eq!(expected.0, Some(0), "{name}: k6 failed");
    assert!(expected.1.len() > 5, "{name}: k6 printed {:?}", expected.1);
    let found = console_lines(env!("CARGO_BIN_EXE_k6r-cli"), dir.path(), script);
    assert_eq!(found.0, expected.0, "{name}: exit code");
    for (line, (k6r, k6)) in found.1.iter().zip(&expected.1).enumerate() {
        assert_eq!(k6r, k6, "{name}: line {}", line + 1);
    }
    assert_eq!(found.1.len(), expected.1.len(), "{name}: {:?}", found.1);
}

#[test]
fn a_stream_fed_by_timers_reads_as_in_k6() {
    same_as_k6("numbers", NUMBERS);
}

#[test]
fn pull_sources_are_pulled_as_in_k6() {
    same_as_k6("pull", PULL);
}

#[test]
fn backpressure_follows_desired_size_as_in_k6() {
    same_as_k6("backpressure", BACKPRESSURE);
}

#[test]
fn misuses_fail_with_k6s_errors() {
    same_as_k6("errors", ERRORS);
}

#[test]
fn cancel_reaches_the_source_as_in_k6() {
    same_as_k6("cancel", CANCEL);
}

#[test]
fn objects_have_k6s_shapes() {
    same_as_k6("shapes", SHAPES);
}
