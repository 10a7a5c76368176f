//! `k6/experimental/fs`: `open(path)` (init code only) and the `File` it
//! resolves to (`path`, `read(buffer)`, `seek(offset, whence)`,
//! `stat()`), with `SeekMode`.
//!
//! A file is read once per process, through the script's [`Files`] (so it
//! travels in a cluster's bundle), and kept in the run's
//! [`SharedData`]; each `File` only holds its own offset and copies the
//! bytes a `read` asks for. Errors are plain `{ name, message }` objects
//! (`TypeError`, `NotFoundError`, `ForbiddenError`...), as k6 rejects with.
//!
//! [`Files`]: crate::files::Files
//! [`SharedData`]: crate::shared::SharedData

use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, Object, Value};

use super::BuiltinModule;
use crate::compiled::Compiled;
use crate::files::normalize;
use crate::js;
use crate::loader::url_to_path;
use crate::state::VuState;

/// The `k6/experimental/fs` module.
pub(crate) struct Fs;

/// The module's JavaScript, given `natives.open(path)` which returns
/// `{ path, name, size, chunk(offset, length) }`.
static GLUE: Compiled = Compiled::new(
    "k6r:fs",
    r#"(function (natives) {
  // k6 rejects with plain `{ name, message }` objects; the `toString`
  // is how an uncaught one is logged (`TypeError: ...`).
  const errorProto = { toString() { return `${this.name}: ${this.message}`; } };
  const fail = (name, message) => { throw Object.assign(Object.create(errorProto), { name, message }); };
  const integer = (value, what) => {
    if (value === undefined || value === null) fail('TypeError', `seek() failed; reason: the ${what} argument cannot be null or undefined`);
    if (typeof value !== 'number' || !Number.isInteger(value)) fail('TypeError', `seek() failed; reason: the ${what} argument must be a number`);
    return value;
  };
  const SeekMode = Object.freeze({ Start: 0, Current: 1, End: 2 });
  function file({ path, name, size, chunk }) {
    // The offset lives here so that `k6/experimental/csv`, which reads
    // through the file as k6's does, moves it too.
    const state = { path, offset: 0 };
    const opened = {
      path,
      async read(into) {
        if (into === undefined || into === null) fail('TypeError', 'read() failed; reason: into argument cannot be null or undefined');
        if (!(into instanceof Uint8Array)) fail('TypeError', 'read() failed; reason: into argument must be a Uint8Array');
        if (state.offset >= size) return null;
        const n = Math.min(into.length, size - state.offset);
        if (n > 0) into.set(new Uint8Array(chunk(state.offset, n)));
        state.offset += n;
        return n;
      },
      async seek(by, whence) {
        by = integer(by, 'offset');
        whence = integer(whence, 'whence');
        let to;
        switch (whence) {
          case SeekMode.Start:
            if (by < 0) fail('TypeError', 'offset cannot be negative when using SeekModeStart');
            to = by;
            break;
          case SeekMode.Current:
            to = state.offset + by;
            break;
          case SeekMode.End:
            if (by > 0) fail('TypeError', 'offset cannot be positive when using SeekModeEnd');
            // k6 counts from the last byte, not from the end.
            to = size - 1 + by;
            break;
          default:
            fail('TypeError', 'seek() failed; reason: the whence argument must be a SeekMode');
        }
        if (to < 0) fail('TypeError', 'seeking before start of file');
        if (to > size) fail('TypeError', 'seeking beyond end of file');
        state.offset = to;
        return state.offset;
      },
      async stat() {
        return { name, size };
      },
    };
    Object.defineProperty(opened, Symbol.for('k6r.fs.file'), { value: state });
    return opened;
  }
  return {
    async open(path) {
      let opened;
      try {
        opened = natives.open(path);
      } catch (e) {
        throw Object.setPrototypeOf(e, errorProto);
      }
      return file(opened);
    },
    SeekMode,
  };
})"#,
);

impl BuiltinModule for Fs {
    const NAME: &'static str = "k6/experimental/fs";
    const EXPORTS: &'static [&'static str] = &["default", "open", "SeekMode"];

    fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Object<'js>> {
        let natives = Object::new(ctx.clone())?;
        let state = vu.clone();
        let open = move |ctx: Ctx<'js>, path: Opt<Value<'js>>| open(&ctx, &state, path.0);
        natives.set("open", js::function(ctx, "open", open)?)?;
        let glue: Function = GLUE.load(ctx)?;
        glue.call((natives,))
    }
}

/// Throws k6's `{ name, message }` error object.
pub(crate) fn throw(ctx: &Ctx<'_>, name: &str, message: &str) -> rquickjs::Error {
    match Object::new(ctx.clone()).and_then(|error| {
        error.set("name", name)?;
        error.set("message", message)?;
        Ok(error)
    }) {
        Ok(error) => ctx.throw(error.into_value()),
        Err(error) => error,
    }
}

/// `open(path)`'s native part: k6's checks, then the file (read here if
/// no VU of the process read it yet).
fn open<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    path: Option<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    if vu.stage.get() != crate::state::Stage::Init {
        return Err(throw(
            ctx,
            "ForbiddenError",
            "open() failed; reason: opening a file is allowed only in the Init context",
        ));
    }
    let name = match path {
        Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value)?,
        _ => {
            return Err(throw(
                ctx,
                "TypeError",
                "open() failed; reason: path cannot be null or undefined",
            ))
        }
    };
    if name.is_empty() {
        return Err(throw(
            ctx,
            "TypeError",
            "open() failed; reason: path cannot be empty",
        ));
    }
    let path = resolve(vu, &name);
    let content = vu
        .config
        .shared
        .file(&path, || vu.files.read(&path))
        .map_err(|error| open_error(ctx, &path, &error))?;

    let file = Object::new(ctx.clone())?;
    file.set("path", path.display().to_string())?;
    let base = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    file.set("name", base)?;
    file.set("size", content.len() as f64)?;
    let chunk = move |ctx: Ctx<'js>, offset: usize, length: usize| {
        let end = offset.saturating_add(length).min(content.len());
        let bytes = content.get(offset.min(end)..end).unwrap_or_default();
        crate::binary::array_buffer(&ctx, bytes.to_vec())
    };
    file.set("chunk", js::function(ctx, "chunk", chunk)?)?;
    Ok(file)
}

/// k6's error for a file that can't be opened.
fn open_error(ctx: &Ctx<'_>, path: &Path, error: &io::Error) -> rquickjs::Error {
    let shown = path.display();
    match error.kind() {
        io::ErrorKind::NotFound => throw(
            ctx,
            "NotFoundError",
            &format!("no such file or directory \"{shown}\""),
        ),
        io::ErrorKind::IsADirectory => throw(
            ctx,
            "InvalidResourceError",
            &format!("cannot open \"{shown}\": opening a directory is not supported"),
        ),
        _ => throw(
            ctx,
            "InvalidResourceError",
            &format!("cannot open \"{shown}\": {error}"),
        ),
    }
}

/// Absolute paths and `file://` URLs as they are; relative paths start at
/// the entry script's directory, as in k6.
fn resolve(vu: &VuState, name: &str) -> PathBuf {
    if let Some(path) = url_to_path(name) {
        return normalize(&path);
    }
    normalize(&vu.entry_dir.join(name))
}
