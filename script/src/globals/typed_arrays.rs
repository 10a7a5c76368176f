//! `ArrayBuffer`, the typed arrays, `DataView` and `Atomics`, installed on
//! first use. They are 13 KB of every context (a quarter of a bare one),
//! and most VUs never touch a byte array: until one does, each of these
//! globals is an accessor that installs the whole family (QuickJS's own
//! intrinsic) and then answers as the real property would. Rust code that
//! makes a buffer goes through [`ensure`] first (`binary::array_buffer`,
//! the only place allowed to: see clippy.toml).
//!
//! What a script can tell: before the first use, the globals' property
//! descriptors are accessors rather than data properties.

use std::cell::Cell;
use std::rc::Rc;

use rquickjs::context::intrinsic::TypedArrays;
use rquickjs::context::Intrinsic;
use rquickjs::function::Rest;
use rquickjs::object::{AsProperty, PropertyFlags};
use rquickjs::{qjs, Ctx, Function, Object, Value};

/// The globals QuickJS's typed-array intrinsic defines (checked against
/// it by a test).
pub(crate) const NAMES: [&str; 16] = [
    "ArrayBuffer",
    "SharedArrayBuffer",
    "Uint8ClampedArray",
    "Int8Array",
    "Uint8Array",
    "Int16Array",
    "Uint16Array",
    "Int32Array",
    "Uint32Array",
    "BigInt64Array",
    "BigUint64Array",
    "Float16Array",
    "Float32Array",
    "Float64Array",
    "DataView",
    "Atomics",
];

/// Defines the family's globals as accessors that install it on first
/// use.
pub(crate) fn defer<'js>(globals: &Object<'js>) -> rquickjs::Result<()> {
    // Shared by this context's accessors: a script that kept one (from
    // `Object.getOwnPropertyDescriptor`) can't install the family twice.
    let installed = Rc::new(Cell::new(false));
    for name in NAMES {
        let installed = Rc::clone(&installed);
        // One function is both getter and setter (a setter gets the value):
        // each function is ~150 bytes of every context.
        let access =
            move |ctx: Ctx<'js>, value: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                install(&ctx, &installed)?;
                let globals = ctx.globals();
                match value.0.into_iter().next() {
                    None => globals.get(name),
                    Some(value) => globals.set(name, value).map(|()| Value::new_undefined(ctx)),
                }
            };
        globals.prop(name, GetSet(Function::new(globals.ctx().clone(), access)?))?;
    }
    Ok(())
}

/// A configurable, non-enumerable accessor (as the family's own globals
/// are) whose getter and setter are one function.
struct GetSet<'js>(Function<'js>);

impl<'js> AsProperty<'js, ()> for GetSet<'js> {
    fn config(
        self,
        ctx: &Ctx<'js>,
    ) -> rquickjs::Result<(PropertyFlags, Value<'js>, Value<'js>, Value<'js>)> {
        let flags = (qjs::JS_PROP_HAS_GET
            | qjs::JS_PROP_HAS_SET
            | qjs::JS_PROP_HAS_ENUMERABLE
            | qjs::JS_PROP_HAS_CONFIGURABLE
            | qjs::JS_PROP_CONFIGURABLE) as PropertyFlags;
        let access = self.0.into_value();
        Ok((
            flags,
            Value::new_undefined(ctx.clone()),
            access.clone(),
            access,
        ))
    }
}

/// Installs the family unless it is there: for Rust code about to make an
/// `ArrayBuffer`, whose prototype is the intrinsic's. (A script that
/// deleted `ArrayBuffer` before any use gets buffers without one.)
pub(crate) fn ensure(ctx: &Ctx<'_>) -> rquickjs::Result<()> {
    // Reading the global runs its accessor while the family is deferred.
    ctx.globals().get::<_, Value>(NAMES[0]).map(drop)
}

/// Replaces the accessors with the family, once.
fn install(ctx: &Ctx<'_>, installed: &Cell<bool>) -> rquickjs::Result<()> {
    if installed.replace(true) {
        return Ok(());
    }
    let globals = ctx.globals();
    for name in NAMES {
        globals.remove(name)?;
    }
    // SAFETY: `ctx` is a live context of this thread, and the family is
    // not in it yet (`installed` was false): QuickJS defines it once.
    #[allow(unsafe_code)]
    unsafe {
        TypedArrays::add_intrinsic(ctx.as_raw())
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use rquickjs::context::intrinsic::{Eval, Json};
    use rquickjs::{Context, Runtime};

    use super::*;

    /// The globals a context without and with QuickJS's intrinsic has.
    fn globals_of(with_family: bool) -> Vec<String> {
        let runtime = Runtime::new().unwrap();
        let context = if with_family {
            Context::custom::<(Eval, Json, TypedArrays)>(&runtime)
        } else {
            Context::custom::<(Eval, Json)>(&runtime)
        }
        .unwrap();
        context.with(|ctx| ctx.eval("Object.getOwnPropertyNames(globalThis)").unwrap())
    }

    #[test]
    fn the_names_are_the_globals_the_intrinsic_defines() {
        let without = globals_of(false);
        let mut added: Vec<String> = globals_of(true)
            .into_iter()
            .filter(|name| !without.contains(name))
            .collect();
        added.sort();
        let mut names: Vec<String> = NAMES.iter().map(|n| n.to_string()).collect();
        names.sort();
        assert_eq!(added, names);
    }

    #[test]
    fn the_first_use_installs_the_whole_family_once() {
        let runtime = Runtime::new().unwrap();
        let context = Context::custom::<(Eval, Json)>(&runtime).unwrap();
        context.with(|ctx| {
            defer(&ctx.globals()).unwrap();
            let kinds = "Object.getOwnPropertyNames(globalThis).filter((k) => \
                 ['Int8Array', 'ArrayBuffer', 'DataView', 'Atomics'].includes(k)) \
                 .map((k) => `${k}:${'get' in Object.getOwnPropertyDescriptor(globalThis, k) ? 'deferred' : typeof globalThis[k]}`) \
                 .sort().join(' ')";
            let before: String = ctx.eval(kinds).unwrap();
            assert_eq!(
                before,
                "ArrayBuffer:deferred Atomics:deferred DataView:deferred Int8Array:deferred"
            );
            // A getter kept from before the install doesn't install twice.
            let kept: bool = ctx
                .eval(
                    "const getter = Object.getOwnPropertyDescriptor(globalThis, 'Uint8Array').get;\
                     const bytes = new Uint8Array([1, 2, 3]);\
                     getter() === Uint8Array && bytes instanceof getter() \
                     && bytes.buffer instanceof ArrayBuffer && Object.getPrototypeOf(Int8Array) === Object.getPrototypeOf(Uint8Array)",
                )
                .unwrap();
            assert!(kept);
            let after: String = ctx.eval(kinds).unwrap();
            assert_eq!(
                after,
                "ArrayBuffer:function Atomics:object DataView:function Int8Array:function"
            );
        });
    }

    #[test]
    fn assigning_first_installs_then_sets() {
        let runtime = Runtime::new().unwrap();
        let context = Context::custom::<(Eval, Json)>(&runtime).unwrap();
        context.with(|ctx| {
            defer(&ctx.globals()).unwrap();
            let result: String = ctx
                .eval(
                    "'use strict'; globalThis.Float32Array = 'mine'; \
                     `${Float32Array} ${typeof Float64Array} ${new Uint8Array(2).length}`",
                )
                .unwrap();
            assert_eq!(result, "mine function 2");
        });
    }

    #[test]
    fn rust_made_buffers_have_the_family_prototype() {
        let runtime = Runtime::new().unwrap();
        let context = Context::custom::<(Eval, Json)>(&runtime).unwrap();
        context.with(|ctx| {
            defer(&ctx.globals()).unwrap();
            let buffer = crate::binary::array_buffer(&ctx, vec![7, 8]).unwrap();
            ctx.globals().set("made", buffer).unwrap();
            let seen: String = ctx
                .eval("`${made instanceof ArrayBuffer} ${made.byteLength} ${new Uint8Array(made)[1]}`")
                .unwrap();
            assert_eq!(seen, "true 2 8");
        });
    }
}
