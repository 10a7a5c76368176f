//! k6's objects list their methods as their own keys (`Object.keys(sel)`
//! gives `url, add, attr, ...`): prototypes are built with their
//! members in alphabetical order, and each new selection or element
//! gets them as own properties, copied from its prototype.

use std::collections::BTreeMap;

use rquickjs::{Ctx, Object, Value};

/// A new object with every own member of `sources` (a later source's
/// member replacing an earlier one's), keys in alphabetical order.
pub(crate) fn sorted<'js>(
    ctx: &Ctx<'js>,
    sources: &[&Object<'js>],
) -> rquickjs::Result<Object<'js>> {
    let mut all: BTreeMap<String, Value<'js>> = BTreeMap::new();
    for source in sources {
        for entry in source.props::<String, Value>() {
            let (key, value) = entry?;
            all.insert(key, value);
        }
    }
    let out = Object::new(ctx.clone())?;
    for (key, value) in all {
        out.set(key, value)?;
    }
    Ok(out)
}

/// Sets every own member of `proto` on `object`, in `proto`'s order.
pub(crate) fn copy<'js>(object: &Object<'js>, proto: &Object<'js>) -> rquickjs::Result<()> {
    for entry in proto.props::<String, Value>() {
        let (key, value) = entry?;
        object.set(key, value)?;
    }
    Ok(())
}
