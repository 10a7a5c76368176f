//! `http.url`: a URL from a template literal, named for its template.

use rquickjs::function::{Opt, Rest};
use rquickjs::{Ctx, Object, Value};

use crate::js;

/// ``http.url`https://x/${id}` ``: the URL and a name that groups every
/// URL of the template under one tag value.
pub(super) fn url<'js>(
    ctx: Ctx<'js>,
    strings: Opt<Value<'js>>,
    values: Rest<Value<'js>>,
) -> rquickjs::Result<Object<'js>> {
    let mut name = String::new();
    let mut url = String::new();
    let parts = strings.0.and_then(Value::into_array);
    for (index, part) in parts
        .iter()
        .flat_map(|parts| parts.iter::<Value>())
        .enumerate()
    {
        let part = js::to_string(&part?)?;
        if index > 0 {
            name.push_str("${}");
            if let Some(value) = values.0.get(index - 1) {
                url.push_str(&js::to_string(value)?);
            }
        }
        name.push_str(&part);
        url.push_str(&part);
    }
    let object = Object::new(ctx.clone())?;
    object.set("name", name)?;
    object.set("url", url.clone())?;
    object.set("clean_url", url)?;
    Ok(object)
}
