//! QuickJS intrinsics installed on first use: `ArrayBuffer` with the typed
//! arrays, `DataView` and `Atomics` (13 KB of every context, a quarter of
//! a bare one), `Map`/`Set`/`WeakMap`/`WeakSet` (4 KB) and `Date` (2 KB).
//! Many VUs never touch them: until one does, each global of a [`Family`]
//! is an accessor that installs the whole family and then answers as the
//! real property would. Each has a test that its names are the globals
//! its intrinsic defines.
//!
//! QuickJS makes objects of these classes only through their globals,
//! except Rust code making an `ArrayBuffer`: that goes through
//! [`ensure`] first (`binary::array_buffer`, the only place allowed to:
//! see clippy.toml). Questions about a value's kind read its class
//! (`binary::is_array_buffer` and co.), so asking installs nothing.
//!
//! What a script can tell: before the first use, the globals' property
//! descriptors are accessors rather than data properties.
//!
//! k6r's own globals that most VUs never touch (`console`, `crypto`) are
//! made on first use the same way ([`global`]).

use std::cell::Cell;
use std::ptr::NonNull;
use std::rc::Rc;

use rquickjs::context::intrinsic::{Date, MapSet, TypedArrays};
use rquickjs::context::Intrinsic;
use rquickjs::function::Rest;
use rquickjs::object::Property;
use rquickjs::{qjs, Ctx, Function, Object, Value};

use crate::js::FnAccessor;

/// Globals QuickJS defines together, and how.
pub(crate) struct Family {
    pub names: &'static [&'static str],
    /// QuickJS's intrinsic that defines them.
    add: unsafe fn(NonNull<qjs::JSContext>),
}

/// `ArrayBuffer` and its kin.
pub(crate) const TYPED_ARRAYS: Family = Family {
    names: &[
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
    ],
    add: TypedArrays::add_intrinsic,
};

/// The keyed collections.
pub(crate) const MAP_SET: Family = Family {
    names: &["Map", "Set", "WeakMap", "WeakSet"],
    add: MapSet::add_intrinsic,
};

pub(crate) const DATE: Family = Family {
    names: &["Date"],
    add: Date::add_intrinsic,
};

/// The families a context defers.
pub(crate) const FAMILIES: [&Family; 3] = [&TYPED_ARRAYS, &MAP_SET, &DATE];

/// Defines the globals of every family as accessors that install it on
/// first use.
pub(crate) fn defer_all(globals: &Object<'_>) -> rquickjs::Result<()> {
    FAMILIES
        .into_iter()
        .try_for_each(|family| defer(globals, family))
}

/// Defines `family`'s globals as accessors that install it on first use.
fn defer<'js>(globals: &Object<'js>, family: &'static Family) -> rquickjs::Result<()> {
    // Shared by the family's accessors in this context: a script that kept
    // one (from `Object.getOwnPropertyDescriptor`) can't install it twice.
    let installed = Rc::new(Cell::new(false));
    for &name in family.names {
        let installed = Rc::clone(&installed);
        // One function is both getter and setter (a setter gets the value):
        // each function is ~120 bytes of every context.
        let access =
            move |ctx: Ctx<'js>, value: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
                install(&ctx, family, &installed)?;
                let globals = ctx.globals();
                match value.0.into_iter().next() {
                    None => globals.get(name),
                    Some(value) => globals.set(name, value).map(|()| Value::new_undefined(ctx)),
                }
            };
        let access = Function::new(globals.ctx().clone(), access)?;
        // Configurable and not enumerable, as the family's own globals.
        globals.prop(name, FnAccessor::both(access, false))?;
    }
    Ok(())
}

/// Defines the global `name` (k6r's, not an intrinsic) as an accessor
/// that makes its value with `make` on first use and then becomes a data
/// property (writable, enumerable, configurable: as a plain global); a
/// write before any read replaces it without making it. A VU whose script
/// never touches it pays for one function (~120 bytes) instead.
pub(crate) fn global<'js>(
    globals: &Object<'js>,
    name: &'static str,
    make: impl Fn(&Ctx<'js>) -> rquickjs::Result<Value<'js>> + 'js,
) -> rquickjs::Result<()> {
    let access = move |ctx: Ctx<'js>, value: Rest<Value<'js>>| -> rquickjs::Result<Value<'js>> {
        let value = match value.0.into_iter().next() {
            Some(value) => value,
            None => make(&ctx)?,
        };
        let property = Property::from(value.clone())
            .writable()
            .enumerable()
            .configurable();
        ctx.globals().prop(name, property)?;
        Ok(value)
    };
    let access = Function::new(globals.ctx().clone(), access)?;
    globals.prop(name, FnAccessor::both(access, true))
}

/// Installs `family` unless it is there: for Rust code about to make one
/// of its objects, whose prototype is the intrinsic's. (A script that
/// deleted the family's first global before any use gets objects without
/// one.)
pub(crate) fn ensure(ctx: &Ctx<'_>, family: &Family) -> rquickjs::Result<()> {
    // Reading the global runs its accessor while the family is deferred.
    ctx.globals().get::<_, Value>(family.names[0]).map(drop)
}

/// The global `name` to test a value against with `instanceof`, or
/// `None` while it is deferred: no object of its class exists yet, and
/// reading it would install its family. Only a family's name is looked
/// at for an accessor; any other global is read as it is.
pub(crate) fn class_if_used<'js>(
    ctx: &Ctx<'js>,
    name: &str,
) -> rquickjs::Result<Option<Object<'js>>> {
    let globals = ctx.globals();
    let lazy = FAMILIES.iter().any(|family| family.names.contains(&name));
    if !lazy {
        return Ok(globals.get::<_, Value>(name)?.into_object());
    }
    let object: Object = globals.get("Object")?;
    let describe: Function = object.get("getOwnPropertyDescriptor")?;
    let descriptor: Option<Object> = describe.call((globals.clone(), name))?;
    let deferred = match &descriptor {
        Some(descriptor) => descriptor.get::<_, Value>("get")?.is_function(),
        None => false,
    };
    if deferred {
        return Ok(None);
    }
    Ok(globals.get::<_, Value>(name)?.into_object())
}

/// Replaces `family`'s accessors with the family, once.
fn install(ctx: &Ctx<'_>, family: &Family, installed: &Cell<bool>) -> rquickjs::Result<()> {
    if installed.replace(true) {
        return Ok(());
    }
    let globals = ctx.globals();
    for &name in family.names {
        globals.remove(name)?;
    }
    // SAFETY: `ctx` is a live context of this thread, and the family is
    // not in it yet (`installed` was false): QuickJS defines it once.
    #[allow(unsafe_code)]
    unsafe {
        (family.add)(ctx.as_raw())
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use rquickjs::context::intrinsic::{Eval, Json};
    use rquickjs::{Context, Runtime};

    use super::*;

    /// The globals of a bare context, with `family` installed if given.
    fn globals_of(family: Option<&Family>) -> Vec<String> {
        let runtime = Runtime::new().unwrap();
        let context = Context::custom::<(Eval, Json)>(&runtime).unwrap();
        context.with(|ctx| {
            if let Some(family) = family {
                #[allow(unsafe_code)]
                // SAFETY: a live context without the family.
                unsafe {
                    (family.add)(ctx.as_raw())
                };
            }
            ctx.eval("Object.getOwnPropertyNames(globalThis)").unwrap()
        })
    }

    #[test]
    fn the_names_are_the_globals_each_intrinsic_defines() {
        let bare = globals_of(None);
        for family in FAMILIES {
            let mut added: Vec<String> = globals_of(Some(family))
                .into_iter()
                .filter(|name| !bare.contains(name))
                .collect();
            added.sort();
            let mut names: Vec<String> = family.names.iter().map(|n| n.to_string()).collect();
            names.sort();
            assert_eq!(added, names);
        }
    }

    /// Runs `f` in a bare context whose families are deferred.
    fn in_deferred(f: impl FnOnce(Ctx<'_>)) {
        let runtime = Runtime::new().unwrap();
        let context = Context::custom::<(Eval, Json)>(&runtime).unwrap();
        context.with(|ctx| {
            defer_all(&ctx.globals()).unwrap();
            f(ctx)
        });
    }

    #[test]
    fn each_family_works_once_used() {
        in_deferred(|ctx| {
            let seen: String = ctx
                .eval(
                    "const m = new Map([[1, 'one']]); const w = new WeakMap(); w.set(m, 2); \
                     `${m.get(1)} ${new Set([1, 1, 2]).size} ${w.get(m)} ${new WeakSet().has(m)} \
                     ${JSON.stringify(new Date(0))} ${typeof Date.now()} ${m instanceof Map}`",
                )
                .unwrap();
            assert_eq!(
                seen,
                "one 2 2 false \"1970-01-01T00:00:00.000Z\" number true"
            );
        });
    }

    #[test]
    fn the_first_use_installs_the_whole_family_once() {
        in_deferred(|ctx| {
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
        in_deferred(|ctx| {
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
        in_deferred(|ctx| {
            let buffer = crate::binary::array_buffer(&ctx, vec![7, 8]).unwrap();
            ctx.globals().set("made", buffer).unwrap();
            let seen: String = ctx
                .eval("`${made instanceof ArrayBuffer} ${made.byteLength} ${new Uint8Array(made)[1]}`")
                .unwrap();
            assert_eq!(seen, "true 2 8");
        });
    }
}
