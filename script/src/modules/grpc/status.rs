//! gRPC status codes: the `grpc.Status*` constants (k6's values, gRPC's
//! codes), the name of each code and the value k6 gives a status.

use rquickjs::object::Property;
use rquickjs::{Array, Constructor, Ctx, Object, Symbol, Value};

use crate::js;

/// Every `grpc.Status*` export with its code.
pub(super) const CONSTANTS: &[(&str, i32)] = &[
    ("StatusOK", 0),
    ("StatusCanceled", 1),
    ("StatusUnknown", 2),
    ("StatusInvalidArgument", 3),
    ("StatusDeadlineExceeded", 4),
    ("StatusNotFound", 5),
    ("StatusAlreadyExists", 6),
    ("StatusPermissionDenied", 7),
    ("StatusResourceExhausted", 8),
    ("StatusFailedPrecondition", 9),
    ("StatusAborted", 10),
    ("StatusOutOfRange", 11),
    ("StatusUnimplemented", 12),
    ("StatusInternal", 13),
    ("StatusUnavailable", 14),
    ("StatusDataLoss", 15),
    ("StatusUnauthenticated", 16),
];

/// Go's name of `code` (`codes.Code.String()`).
pub(super) fn name(code: i32) -> String {
    const NAMES: &[&str] = &[
        "OK",
        "Canceled",
        "Unknown",
        "InvalidArgument",
        "DeadlineExceeded",
        "NotFound",
        "AlreadyExists",
        "PermissionDenied",
        "ResourceExhausted",
        "FailedPrecondition",
        "Aborted",
        "OutOfRange",
        "Unimplemented",
        "Internal",
        "Unavailable",
        "DataLoss",
        "Unauthenticated",
    ];
    usize::try_from(code)
        .ok()
        .and_then(|i| NAMES.get(i))
        .map(|name| (*name).to_owned())
        .unwrap_or_else(|| format!("Code({code})"))
}

/// Where a VU keeps its status values (see [`value`]).
const VALUES_KEY: &str = "k6r.grpc.codes";

/// The value of status `code` as k6 gives it: a Go `codes.Code`, which
/// in k6 is an object that compares, computes and serialises as its
/// number and prints as its name. k6r makes it a `Number` object whose
/// `toString` is the name, one per code and VU, so a response's
/// `status === grpc.StatusOK` holds as in k6. A code gRPC does not
/// define is a plain number.
pub(super) fn value<'js>(ctx: &Ctx<'js>, code: i32) -> rquickjs::Result<Value<'js>> {
    let Some(index) = usize::try_from(code).ok().filter(|&i| i < CONSTANTS.len()) else {
        return Ok(Value::new_int(ctx.clone(), code));
    };
    let key = Symbol::new_global(ctx.clone(), VALUES_KEY)?;
    let globals = ctx.globals();
    let table = match globals.get::<_, Option<Array>>(key.clone())? {
        Some(table) => table,
        None => {
            let table = Array::new(ctx.clone())?;
            let number: Constructor = globals.get("Number")?;
            for (i, &(_, code)) in CONSTANTS.iter().enumerate() {
                let object: Object = number.construct((code,))?;
                let text = name(code);
                let to_string = js::function(ctx, "toString", move || text.clone())?;
                object.prop(
                    "toString",
                    Property::from(to_string).writable().configurable(),
                )?;
                table.set(i, object)?;
            }
            globals.prop(key, Property::from(table.clone()))?;
            table
        }
    };
    table.get(index)
}
