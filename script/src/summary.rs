//! The end of a run on the script's side: the custom metrics its init
//! context declared, and `handleSummary(data)` (§6.7 of the reference).

use std::sync::Arc;
use std::time::Duration;

use k6r_core::metrics::Metric;
use rquickjs::{CatchResultExt, CaughtError, Ctx, Function, Object, Value};

use crate::exception::JsException;
use crate::interrupt::Stop;
use crate::runtime::Vu;
use crate::state::Stage;

/// One destination of `handleSummary`'s result: `stdout`, `stderr` or a
/// file path, and the bytes to write there.
pub type SummaryOutput = (String, Vec<u8>);

/// Why `handleSummary` produced nothing to write.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HandleSummaryError {
    /// It threw, timed out or was interrupted (k6 logs it and prints the
    /// default summary).
    #[error("{0}")]
    Threw(JsException),
    /// A destination's value is neither a string nor an `ArrayBuffer`
    /// (k6 logs it and writes nothing).
    #[error("error handling summary object {key}: invalid type {found}, it needs to be a string or ArrayBuffer")]
    Output {
        /// The destination.
        key: String,
        /// Go's name for what was there (`int64`, `bool`...).
        found: &'static str,
    },
}

impl Vu {
    /// The custom metrics declared by the init code, by name.
    pub fn custom_metrics(&self) -> Vec<Arc<Metric>> {
        self.state.metrics.borrow().all().collect()
    }

    /// Calls the exported `handleSummary(data)` within `timeout`. `None`
    /// when it returned nothing usable (a falsy value: k6 then prints the
    /// default summary); otherwise its keys in order with their contents
    /// (strings as UTF-8, `ArrayBuffer`s as they are).
    pub fn handle_summary(
        &self,
        data: &serde_json::Value,
        timeout: Duration,
    ) -> Result<Option<Vec<SummaryOutput>>, HandleSummaryError> {
        let state = &self.state;
        state.stage.set(Stage::Vu);
        state.interrupt.begin(None);
        state.interrupt.arm(timeout);
        let result = self.enter(|ctx| self.call_handle_summary(&ctx, data));
        state.interrupt.disarm();
        state.flush_samples();
        let threw = |message: String| Err(HandleSummaryError::Threw(plain(message)));
        match state.interrupt.stopped() {
            Some(Stop::Deadline(after)) => threw(format!(
                "handleSummary() execution timed out after {} seconds",
                after.as_secs()
            )),
            Some(Stop::Aborted(_)) | Some(Stop::Interrupted) => {
                threw("handleSummary() was interrupted".to_owned())
            }
            None => result,
        }
    }

    fn call_handle_summary<'js>(
        &self,
        ctx: &Ctx<'js>,
        data: &serde_json::Value,
    ) -> Result<Option<Vec<SummaryOutput>>, HandleSummaryError> {
        let caught = |caught: CaughtError<'js>| {
            HandleSummaryError::Threw(JsException::from_caught(ctx, caught))
        };
        let namespace = self
            .namespace
            .clone()
            .restore(ctx)
            .catch(ctx)
            .map_err(caught)?;
        let function: Value = namespace.get("handleSummary").catch(ctx).map_err(caught)?;
        let Some(function) = function.into_function() else {
            return Err(HandleSummaryError::Threw(plain(
                "handleSummary is not an exported function".to_owned(),
            )));
        };
        let json = serde_json::to_vec(data).unwrap_or_default();
        let data = ctx.json_parse(json).catch(ctx).map_err(caught)?;
        let returned: Value = Function::call(&function, (data,))
            .catch(ctx)
            .map_err(caught)?;
        let returned = self.settle(ctx, returned).catch(ctx).map_err(caught)?;
        if !truthy(&returned) {
            return Ok(None);
        }
        let Some(object) = returned.into_object() else {
            return Err(HandleSummaryError::Threw(plain(
                "handleSummary() must return an object of destinations".to_owned(),
            )));
        };
        let mut outputs = Vec::new();
        for entry in object.props::<String, Value>() {
            let (key, value) = entry.catch(ctx).map_err(caught)?;
            outputs.push((key.clone(), bytes_of(ctx, &key, value)?));
        }
        Ok(Some(outputs))
    }
}

fn bytes_of<'js>(
    ctx: &Ctx<'js>,
    key: &str,
    value: Value<'js>,
) -> Result<Vec<u8>, HandleSummaryError> {
    let caught = |c: CaughtError<'js>| HandleSummaryError::Threw(JsException::from_caught(ctx, c));
    if let Some(text) = value.as_string() {
        return text
            .to_string()
            .map(String::into_bytes)
            .catch(ctx)
            .map_err(caught);
    }
    if let Some(object) = value
        .as_object()
        .filter(|o: &&Object<'js>| crate::binary::is_array_buffer(o))
    {
        // Copied through JavaScript: reading the engine's buffer directly
        // would need `unsafe`.
        let copy = || -> rquickjs::Result<Vec<u8>> {
            let f: Function = ctx.eval("(x) => Array.from(new Uint8Array(x))")?;
            f.call((object.clone(),))
        };
        return copy().catch(ctx).map_err(caught);
    }
    Err(HandleSummaryError::Output {
        key: key.to_owned(),
        found: go_type(&value),
    })
}

/// Go's name for the type a JavaScript value exports to.
fn go_type(value: &Value<'_>) -> &'static str {
    if value.is_null() || value.is_undefined() {
        "<nil>"
    } else if value.is_bool() {
        "bool"
    } else if value.is_int() {
        "int64"
    } else if let Some(n) = value.as_number() {
        if n.fract() == 0.0 {
            "int64"
        } else {
            "float64"
        }
    } else if value.is_array() {
        "[]interface {}"
    } else if value.is_function() {
        "func(goja.FunctionCall) goja.Value"
    } else {
        "map[string]interface {}"
    }
}

/// JavaScript's truthiness, for what `handleSummary` returned.
fn truthy(value: &Value<'_>) -> bool {
    if value.is_undefined() || value.is_null() {
        return false;
    }
    if let Some(b) = value.as_bool() {
        return b;
    }
    if let Some(n) = value.as_number() {
        return n != 0.0 && !n.is_nan();
    }
    if let Some(s) = value.as_string() {
        return s.to_string().is_ok_and(|s| !s.is_empty());
    }
    true
}

fn plain(message: String) -> JsException {
    JsException {
        name: None,
        message,
        stack: Vec::new(),
    }
}
