//! CommonJS modules, as k6 runs them.
//!
//! k6 treats a file as an ES module when it has an `import` or `export`
//! statement or a top-level `await`, and as CommonJS otherwise: its code
//! becomes the body of a strict-mode function `(module, exports, require)`
//! called with `this` = `module.exports`. So a top-level `return` is allowed, and the
//! k6 jslib bundles (webpack UMD prologues testing `typeof exports`) take
//! their CommonJS branch.
//!
//! The test is made by compiling the source as that function body
//! ([`compile`]): ES module syntax (`import`, `export`, `import.meta`, a
//! top-level `await`) does not compile there, and anything that compiles
//! there has none of it. A file that compiles neither way is handed to the
//! ES module path, which reports its syntax error.
//!
//! A CommonJS module runs once per context ([`evaluate`]); its `module`
//! object is kept in a per-context registry (created on the first
//! CommonJS module) so that `require` and `import` of the same file get
//! the same `module.exports`. Imported with `import`, a CommonJS module is
//! declared as a small ES module ([`facade`]) whose default export is
//! `module.exports` and whose named exports are its own enumerable
//! properties. QuickJS needs those names when the module is declared, so
//! the CommonJS code runs when the importer is loaded rather than when it
//! is evaluated: its side effects come before those of ES modules
//! imported ahead of it (k6 runs them in import order), and importing a
//! name `module.exports` does not have is a `SyntaxError` (k6 gives
//! `undefined`).

use rquickjs::context::EvalOptions;
use rquickjs::function::This;
use rquickjs::{Ctx, Function, Object, Symbol, Value};

/// Where a context keeps the `module` object of each CommonJS module it
/// ran, by module name.
const REGISTRY_KEY: &str = "k6r.commonjs";

/// The wrapper k6 puts around CommonJS code. On the first line, so that
/// line numbers are the file's own.
const PREFIX: &str = "(function (module, exports, require) {";
const SUFFIX: &str = "\n})";

/// What a module's source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// An ES module.
    Esm,
    /// CommonJS (or a plain script).
    CommonJs,
}

/// Compiles `source` as the body of k6's CommonJS wrapper, named `name`
/// in stack traces: the wrapper function when it is CommonJS, `None` when
/// it is (or must be tried as) an ES module.
pub(crate) fn compile<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    source: &[u8],
) -> rquickjs::Result<Option<Function<'js>>> {
    let mut wrapped = Vec::with_capacity(PREFIX.len() + source.len() + SUFFIX.len());
    wrapped.extend_from_slice(PREFIX.as_bytes());
    wrapped.extend_from_slice(source);
    wrapped.extend_from_slice(SUFFIX.as_bytes());
    let mut options = EvalOptions::default();
    options.global = true;
    // k6 compiles CommonJS code in strict mode too.
    options.strict = true;
    options.filename = Some(name.to_owned());
    match ctx.eval_with_options::<Function, _>(wrapped, options) {
        Ok(function) => Ok(Some(function)),
        Err(rquickjs::Error::Exception) => {
            let thrown = ctx.catch();
            let syntax = thrown
                .as_object()
                .and_then(|error| error.get::<_, String>("name").ok())
                .is_some_and(|kind| kind == "SyntaxError");
            if syntax {
                Ok(None)
            } else {
                Err(ctx.throw(thrown))
            }
        }
        Err(error) => Err(error),
    }
}

/// The `module.exports` of the CommonJS module `name` if this context
/// already ran it (or is running it: a cycle sees the exports so far).
pub(crate) fn exports<'js>(ctx: &Ctx<'js>, name: &str) -> rquickjs::Result<Option<Value<'js>>> {
    let Some(registry) = registry(ctx, false)? else {
        return Ok(None);
    };
    let module: Value = registry.get(name)?;
    match module.as_object() {
        Some(module) => Ok(Some(module.get("exports")?)),
        None => Ok(None),
    }
}

/// Runs the CommonJS module `name` (its wrapper `function`) and returns
/// its `module.exports`.
pub(crate) fn evaluate<'js>(
    ctx: &Ctx<'js>,
    name: &str,
    function: Function<'js>,
) -> rquickjs::Result<Value<'js>> {
    let registry = registry(ctx, true)?.ok_or(rquickjs::Error::Unknown)?;
    let module = Object::new(ctx.clone())?;
    let exports = Object::new(ctx.clone())?;
    module.set("exports", exports.clone())?;
    module.set("id", name)?;
    registry.set(name, module.clone())?;
    let require: Value = ctx.globals().get("require")?;
    function.call::<_, ()>((This(exports.clone()), module.clone(), exports, require))?;
    module.get("exports")
}

/// The source of the ES module standing for the CommonJS module `name`
/// whose `module.exports` is `exports`.
pub(crate) fn facade(name: &str, exports: &Value<'_>) -> rquickjs::Result<String> {
    let quoted = serde_json::to_string(name).map_err(|_| rquickjs::Error::Unknown)?;
    let mut source = format!(
        "const m = globalThis[Symbol.for(\"{REGISTRY_KEY}\")][{quoted}].exports;\nexport default m;\n"
    );
    if let Some(object) = exports.as_object() {
        for (index, key) in object.keys::<String>().enumerate() {
            let key = key?;
            if key == "default" || !is_identifier_name(&key) {
                continue;
            }
            source.push_str(&format!(
                "const e{index} = m[\"{key}\"];\nexport {{ e{index} as {key} }};\n"
            ));
        }
    }
    Ok(source)
}

/// ASCII identifier names only: other keys can't be imported by name.
fn is_identifier_name(key: &str) -> bool {
    let mut chars = key.chars();
    let starts = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '$');
    starts && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// The context's registry of CommonJS modules, made when `create` and
/// missing.
fn registry<'js>(ctx: &Ctx<'js>, create: bool) -> rquickjs::Result<Option<Object<'js>>> {
    let key = Symbol::new_global(ctx.clone(), REGISTRY_KEY)?;
    let globals = ctx.globals();
    let current: Value = globals.get(key.clone())?;
    if let Some(object) = current.as_object() {
        return Ok(Some(object.clone()));
    }
    if !create {
        return Ok(None);
    }
    let registry = Object::new(ctx.clone())?;
    globals.prop(key, rquickjs::object::Property::from(registry.clone()))?;
    Ok(Some(registry))
}

#[cfg(test)]
mod tests {
    use super::is_identifier_name;

    #[test]
    fn only_identifier_names_are_exported_by_name() {
        assert!(is_identifier_name("hello"));
        assert!(is_identifier_name("$x_1"));
        assert!(is_identifier_name("if"));
        assert!(!is_identifier_name("1x"));
        assert!(!is_identifier_name("a-b"));
        assert!(!is_identifier_name(""));
    }
}
