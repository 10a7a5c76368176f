// k6/experimental/websockets, the parts a script sees: WebSocket objects
// (listeners, on* properties, events, binaryType) over the natives'
// connection handle, and Blob. `natives`: open, goError, warn, encode,
// decode, ReadableStream.
(function (natives) {
  'use strict';
  // A blob's bytes. Made with the first blob: a WeakMap made at import
  // would install Map and Set in every VU (see globals::lazy).
  let blobs = null;
  const BYTES = {
    has: (blob) => blobs !== null && blobs.has(blob),
    get: (blob) => (blobs === null ? undefined : blobs.get(blob)),
    set: (blob, bytes) => (blobs ??= new WeakMap()).set(blob, bytes),
  };
  const TYPES = ['open', 'message', 'error', 'close', 'ping', 'pong'];

  function goError(message) {
    try {
      natives.goError(message);
    } catch (e) {
      return e;
    }
  }

  // Go's %T of a value that is not a blob part (k6's message).
  function goType(value) {
    if (value === null || value === undefined) return '<nil>';
    if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
    if (typeof value === 'boolean') return 'bool';
    if (typeof value === 'function') return 'func(sobek.FunctionCall) sobek.Value';
    if (Array.isArray(value)) return '[]interface {}';
    return 'map[string]interface {}';
  }

  function partBytes(part) {
    if (typeof part === 'string') return new Uint8Array(natives.encode(part));
    if (part instanceof ArrayBuffer) return new Uint8Array(part.slice(0));
    if (part instanceof DataView) return new Uint8Array(part.buffer.slice(0));
    if (ArrayBuffer.isView(part)) {
      return new Uint8Array(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength));
    }
    if (BYTES.has(part)) return BYTES.get(part);
    throw goError(`failed to process [blobParts]: unsupported type: ${goType(part)}`);
  }

  function toInteger(value) {
    const n = Math.trunc(Number(value));
    return Number.isNaN(n) ? 0 : n;
  }

  class Blob {
    constructor(parts, options) {
      const chunks = [];
      if (parts !== undefined) {
        if (!Array.isArray(parts)) {
          throw goError(`failed to process [blobParts]: could not convert ${String(parts)} to []interface {}`);
        }
        for (const part of parts) chunks.push(partBytes(part));
      }
      let type = '';
      if (options !== undefined) {
        if (options === null || typeof options !== 'object' || Array.isArray(options)) {
          throw goError('[options] must be an object');
        }
        if (options.type !== undefined) type = String(options.type);
      }
      const size = chunks.reduce((n, c) => n + c.length, 0);
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.length;
      }
      BYTES.set(this, bytes);
      const copy = () => bytes.buffer.slice(0);
      Object.defineProperties(this, {
        size: { get: () => bytes.length, enumerable: true, configurable: true },
        type: { get: () => type, enumerable: true, configurable: true },
        arrayBuffer: { value: () => Promise.resolve(copy()), enumerable: true, writable: true, configurable: true },
        bytes: { value: () => Promise.resolve(new Uint8Array(copy())), enumerable: true, writable: true, configurable: true },
        slice: {
          value: (start, end, contentType) => {
            const length = bytes.length;
            const clamp = (n) => Math.min(Math.max(n < 0 ? length + n : n, 0), length);
            const from = start === undefined ? 0 : clamp(toInteger(start));
            const to = end === undefined ? length : clamp(toInteger(end));
            const sliced = bytes.slice(from, Math.max(from, to));
            return new Blob([sliced], { type: contentType === undefined ? '' : String(contentType) });
          },
          enumerable: true,
          writable: true,
          configurable: true,
        },
        text: { value: () => Promise.resolve(natives.decode(bytes)), enumerable: true, writable: true, configurable: true },
        stream: {
          // As k6's: chunks of up to 1 KiB as strings, then an empty one.
          value: () => {
            let at = 0;
            return new natives.ReadableStream({
              pull(controller) {
                if (at < bytes.length) {
                  const chunk = bytes.subarray(at, at + 1024);
                  at += chunk.length;
                  controller.enqueue(natives.decode(chunk));
                  return;
                }
                controller.enqueue('');
                controller.close();
              },
            });
          },
          enumerable: true,
          writable: true,
          configurable: true,
        },
      });
    }

    toString() {
      return '[object Blob]';
    }
  }

  function WebSocket(url, protocols, params) {
    const listeners = { open: [], message: [], error: [], close: [], ping: [], pong: [] };
    const on = { open: null, message: null, error: null, close: null, ping: null, pong: null };
    let binaryType = 'blob';
    let handle;
    const ws = {};

    function event(type, timestamp, extra) {
      const e = {};
      Object.defineProperties(e, {
        type: { get: () => type, enumerable: true, configurable: true },
        target: { get: () => ws, enumerable: true, configurable: true },
        timestamp: { get: () => timestamp, enumerable: true, configurable: true },
      });
      for (const [key, value] of extra) {
        Object.defineProperty(e, key, { value, enumerable: true, configurable: true });
      }
      return e;
    }

    function all(type) {
      return on[type] ? [on[type], ...listeners[type]] : listeners[type].slice();
    }

    function call(type, e) {
      for (const listener of all(type)) listener(e);
    }

    // A listener of open or message threw: the connection is dropped, the
    // error and close listeners hear of it, then the exception goes on.
    function failWith(exception) {
      handle.drop();
      try {
        call('error', event('error', Date.now(), [['error', String(exception)]]));
        call('close', event('close', Date.now(), []));
      } catch (ignored) {
        // The first exception is the one reported.
      }
      throw exception;
    }

    function dispatch(kind, a, b) {
      switch (kind) {
        case 'open':
          try {
            call('open', event('open', Date.now(), []));
          } catch (e) {
            failWith(e);
          }
          break;
        case 'message': {
          let data = a;
          if (typeof a !== 'string') data = binaryType === 'blob' ? new Blob([a]) : a;
          try {
            call('message', event('message', b, [['data', data], ['origin', handle.url]]));
          } catch (e) {
            failWith(e);
          }
          break;
        }
        case 'ping':
        case 'pong':
          call(kind, event(kind, Date.now(), []));
          break;
        case 'closed':
          if (a !== undefined) call('error', event('error', Date.now(), [['error', a]]));
          call('close', event('close', Date.now(), []));
          break;
      }
    }

    handle = natives.open(url, protocols, params, dispatch);

    const method = (value) => ({ value, enumerable: true, configurable: true });
    const getter = (get, set) => ({ get, set, enumerable: true, configurable: true });
    Object.defineProperties(ws, {
      addEventListener: method((type, handler) => {
        if (typeof handler !== 'function') {
          throw goError(`handler for event type "${type}" isn't a callable function`);
        }
        if (!TYPES.includes(type)) {
          natives.warn(`can't add event handler: unknown event type: ${type}`);
          return;
        }
        listeners[type].push(handler);
      }),
      send: method((data) => handle.send(BYTES.has(data) ? BYTES.get(data).buffer.slice(0) : data)),
      ping: method(() => handle.ping()),
      close: method((code, reason) => handle.close(code, reason)),
      url: method(handle.url),
      readyState: getter(() => handle.readyState()),
      bufferedAmount: getter(() => handle.bufferedAmount()),
      extensions: getter(() => handle.extensions()),
      protocol: getter(() => handle.protocol()),
      binaryType: getter(
        () => binaryType,
        (value) => {
          const type = String(value);
          if (type !== 'blob' && type !== 'arraybuffer') {
            throw goError(`unknown binaryType ${type}, the supported ones are "blob" and "arraybuffer"`);
          }
          binaryType = type;
        },
      ),
    });
    for (const type of ['message', 'error', 'open', 'close', 'ping', 'pong']) {
      Object.defineProperty(
        ws,
        `on${type}`,
        getter(
          () => on[type],
          (handler) => {
            if (handler === undefined || handler === null) {
              on[type] = null;
              return;
            }
            if (typeof handler !== 'function') throw goError(`a value for 'on${type}' should be callable`);
            on[type] = handler;
          },
        ),
      );
    }
    return ws;
  }

  // Listed by `for...in`, as k6's is.
  Object.defineProperty(Blob.prototype, 'toString', { enumerable: true });

  return { WebSocket, Blob };
});
