//! `open(path, mode?)`: a file's content as a string, or as an
//! `ArrayBuffer` with mode `"b"`. Init code only; see [`resolve`] for
//! where relative paths start.

use std::io;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use rquickjs::function::Opt;
use rquickjs::{Ctx, Function, IntoJs, Value};

use crate::files::normalize;
use crate::js;
use crate::loader::{base_dir, file_url, url_to_path};
use crate::log::Level;
use crate::state::VuState;

const OUTSIDE_INIT: &str = "the \"open\" function is only available in the init stage (i.e. the global scope), see https://grafana.com/docs/k6/latest/using-k6/test-lifecycle/ for more information";

pub(super) fn build<'js>(ctx: &Ctx<'js>, vu: &Rc<VuState>) -> rquickjs::Result<Function<'js>> {
    let state = vu.clone();
    let open = move |ctx: Ctx<'js>, path: Opt<Value<'js>>, mode: Opt<Value<'js>>| {
        open(&ctx, &state, path, mode)
    };
    js::function(ctx, "open", open)
}

fn open<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    path: Opt<Value<'js>>,
    mode: Opt<Value<'js>>,
) -> rquickjs::Result<Value<'js>> {
    vu.require_init(ctx, OUTSIDE_INIT)?;
    let name = match path.0 {
        Some(value) if !value.is_undefined() && !value.is_null() => js::to_string(&value)?,
        _ => String::new(),
    };
    if name.is_empty() {
        return Err(js::throw_go_error(
            ctx,
            "open() can't be used with an empty filename",
        ));
    }
    let binary = match mode.0 {
        Some(value) if !value.is_undefined() => js::to_string(&value)? == "b",
        _ => false,
    };

    let path = resolve(ctx, vu, &name);
    let content = vu.files.read(&path).map_err(|error| {
        let message = match error.kind() {
            io::ErrorKind::NotFound => {
                format!("stat {}: no such file or directory", path.display())
            }
            _ => format!("open {}: {error}", path.display()),
        };
        js::throw_go_error(ctx, &message)
    })?;

    if binary {
        crate::binary::array_buffer(ctx, content)
    } else {
        String::from_utf8_lossy(&content).into_js(ctx)
    }
}

/// Absolute paths and `file://` URLs as they are. Relative paths start,
/// as in k6 v1.1, at the directory of the module whose top-level code is
/// running (the outermost JavaScript frame), and k6's warning is logged
/// when the module that calls `open` lives elsewhere (k6 will switch to
/// that one).
fn resolve(ctx: &Ctx<'_>, vu: &VuState, name: &str) -> PathBuf {
    if let Some(path) = url_to_path(name) {
        return normalize(&path);
    }
    let path = Path::new(name);
    if path.is_absolute() {
        return normalize(path);
    }
    let (written_in, running) = callers(ctx);
    let running_dir = running.as_deref().and_then(base_dir);
    if let (Some(written_in), Some(running_dir)) = (&written_in, &running_dir) {
        if base_dir(written_in).as_ref() != Some(running_dir) {
            let message = format!(
                "open() was used and is currently relative to '{}/', but in the future it will be aligned with how `require` and imports work and will be relative to '{written_in}'. This means that in the future open will open relative path relative to the module/file it is written in. You can future proof this by using `import.meta.resolve()` to get relative paths to the file it is written in the current k6 version.",
                file_url(running_dir)
            );
            vu.log.log(Level::Warning, &message, &[]);
        }
    }
    let dir = running_dir.unwrap_or_else(|| vu.entry_dir.clone());
    normalize(&dir.join(path))
}

/// How far down the stack to look for the running module's frame.
const MAX_FRAMES: isize = 64;

/// The names of the innermost JavaScript frame (the code calling `open`;
/// host functions push no frame of their own) and of the outermost one
/// (the module whose top level runs). Native frames have no name and are
/// skipped; so is everything past [`MAX_FRAMES`].
fn callers(ctx: &Ctx<'_>) -> (Option<String>, Option<String>) {
    let name = |level| {
        ctx.script_or_module_name(level)
            .and_then(|atom| atom.to_string().ok())
    };
    let innermost = name(0);
    let outermost = (1..MAX_FRAMES)
        .rev()
        .find_map(name)
        .or_else(|| innermost.clone());
    (innermost, outermost)
}
