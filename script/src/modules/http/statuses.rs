//! `http.expectedStatuses()` and `http.setResponseCallback()`: the
//! statuses that count as expected (`http_req_failed`).

use rquickjs::function::Rest;
use rquickjs::object::Property;
use rquickjs::{Array, Ctx, Object, Symbol, Value};

use crate::js;
use crate::state::VuState;

/// A range of statuses a response callback treats as expected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct StatusRange {
    pub min: i64,
    pub max: i64,
}

const STATUSES_KEY: &str = "k6r.expectedStatuses";

/// `expectedStatuses(200, {min: 300, max: 399}, ...)`: an opaque object
/// (`{}` when printed, as in k6) carrying the ranges under a hidden key.
pub(super) fn expected_statuses<'js>(
    ctx: Ctx<'js>,
    args: Rest<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    let ranges = Array::new(ctx.clone())?;
    for (index, arg) in args.0.iter().enumerate() {
        let range = status_range(arg)?.ok_or_else(|| {
            js::throw_go_error(
                &ctx,
                &format!(
                    "argument number {} to expectedStatuses was neither an integer nor an object like {{min:100, max:329}}",
                    index + 1
                ),
            )
        })?;
        ranges.set(index, vec![range.min, range.max])?;
    }
    let object = Object::new(ctx.clone())?;
    let key = Symbol::new_global(ctx.clone(), STATUSES_KEY)?;
    object.prop(key, Property::from(ranges))?;
    Ok(object)
}

fn status_range(value: &Value<'_>) -> rquickjs::Result<Option<StatusRange>> {
    if let Some(status) = integer(value) {
        return Ok(Some(StatusRange {
            min: status,
            max: status,
        }));
    }
    let Some(object) = value.as_object() else {
        return Ok(None);
    };
    let min = integer(&object.get::<_, Value>("min")?);
    let max = integer(&object.get::<_, Value>("max")?);
    Ok(min.zip(max).map(|(min, max)| StatusRange { min, max }))
}

fn integer(value: &Value<'_>) -> Option<i64> {
    let number = value.as_number()?;
    (number.fract() == 0.0 && number.abs() < 1e15).then_some(number as i64)
}

/// The ranges of an `expectedStatuses` object, `None` for anything else.
fn read_statuses<'js>(
    ctx: &Ctx<'js>,
    value: &Value<'js>,
) -> rquickjs::Result<Option<Vec<StatusRange>>> {
    let Some(object) = value.as_object() else {
        return Ok(None);
    };
    let key = Symbol::new_global(ctx.clone(), STATUSES_KEY)?;
    let Some(ranges) = object.get::<_, Value>(key)?.into_array() else {
        return Ok(None);
    };
    let mut out = Vec::with_capacity(ranges.len());
    for pair in ranges.iter::<Vec<i64>>() {
        match pair?.as_slice() {
            [min, max] => out.push(StatusRange {
                min: *min,
                max: *max,
            }),
            _ => return Ok(None),
        }
    }
    Ok(Some(out))
}

/// `http.setResponseCallback(callback)`: an `expectedStatuses` object,
/// or null or undefined for none.
pub(super) fn set_response_callback<'js>(
    ctx: &Ctx<'js>,
    vu: &VuState,
    callback: Option<Value<'js>>,
) -> rquickjs::Result<()> {
    let ranges = match callback {
        None => None,
        Some(value) if value.is_null() || value.is_undefined() => None,
        Some(value) => Some(read_statuses(ctx, &value)?.ok_or_else(|| {
            js::throw_go_error(ctx, "unsupported argument, expected http.expectedStatuses")
        })?),
    };
    let mut http = vu.http.borrow_mut();
    http.response_callback = ranges;
    http.callback_applied = false;
    Ok(())
}
