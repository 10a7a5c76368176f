//! A method's JavaScript arguments as the Go parameters xk6-redis
//! declares: a `string` (`undefined` and `null` are ""), an `int64`
//! (sobek's conversion: NaN and ±Infinity are 0, out of range is Go's
//! overflow), or a value that must be a string, number or boolean (and
//! is written as go-redis writes it: `true` is `1`, floats in Go's
//! shortest form, `+Inf`).

use rquickjs::Value;

use super::error::Error;
use crate::js;

/// The arguments of one call.
pub(super) struct Args<'a, 'js> {
    values: &'a [Value<'js>],
}

impl<'a, 'js> Args<'a, 'js> {
    pub(super) fn new(values: &'a [Value<'js>]) -> Self {
        Args { values }
    }

    fn get(&self, index: usize) -> Option<&Value<'js>> {
        self.values.get(index)
    }

    /// Argument `index` as a Go `string` parameter.
    pub(super) fn string(&self, index: usize) -> rquickjs::Result<String> {
        match self.get(index) {
            None => Ok(String::new()),
            Some(value) if value.is_undefined() || value.is_null() => Ok(String::new()),
            Some(value) => js::to_string(value),
        }
    }

    /// Arguments from `from` on, as a Go `...string` parameter.
    pub(super) fn strings(&self, from: usize) -> rquickjs::Result<Vec<String>> {
        (from..self.values.len().max(from))
            .map(|index| self.string(index))
            .collect()
    }

    /// Argument `index` as a Go `int64` (or `int`) parameter.
    pub(super) fn int(&self, index: usize) -> rquickjs::Result<i64> {
        match self.get(index) {
            None => Ok(0),
            Some(value) if value.is_undefined() || value.is_null() => Ok(0),
            Some(value) => Ok(to_int64(js::to_number(value)?)),
        }
    }

    /// Argument `index` as an `interface{}` value k6 checks: its bytes,
    /// or the error naming it as argument `reported`.
    pub(super) fn value(
        &self,
        index: usize,
        reported: usize,
    ) -> rquickjs::Result<Result<Vec<u8>, Error>> {
        let unsupported = Err(Error::UnsupportedType { index: reported });
        let Some(value) = self.get(index) else {
            return Ok(unsupported);
        };
        if let Some(text) = value.as_string() {
            return Ok(Ok(text.to_string()?.into_bytes()));
        }
        if let Some(flag) = value.as_bool() {
            return Ok(Ok(if flag { b"1".to_vec() } else { b"0".to_vec() }));
        }
        if let Some(int) = value.as_int() {
            return Ok(Ok(int.to_string().into_bytes()));
        }
        if let Some(number) = value.as_float() {
            return Ok(Ok(go_number(number).into_bytes()));
        }
        Ok(unsupported)
    }

    /// Arguments from `from` on as `...interface{}` values; errors name
    /// their index counting from `offset`.
    pub(super) fn values(
        &self,
        from: usize,
        offset: usize,
    ) -> rquickjs::Result<Result<Vec<Vec<u8>>, Error>> {
        let mut out = Vec::new();
        for index in from..self.values.len().max(from) {
            match self.value(index, index - from + offset)? {
                Ok(bytes) => out.push(bytes),
                Err(error) => return Ok(Err(error)),
            }
        }
        Ok(Ok(out))
    }
}

/// sobek's `toInt64`: NaN and ±Infinity are 0; a finite number is
/// truncated, and one out of range is what Go's conversion gives on
/// amd64 (the lowest `int64`).
pub(super) fn to_int64(number: f64) -> i64 {
    if !number.is_finite() {
        return 0;
    }
    let truncated = number.trunc();
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&truncated) {
        truncated as i64
    } else {
        i64::MIN
    }
}

/// A JavaScript number as sobek exports it and go-redis writes it: an
/// `int64` when integral (not -0), else a float64 in Go's shortest `'f'`
/// form (`1000000000000000000000`, `NaN`, `+Inf`).
pub(super) fn go_number(number: f64) -> String {
    if number.is_nan() {
        return "NaN".into();
    }
    if number.is_infinite() {
        return if number > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let integral = number.fract() == 0.0
        && (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&number)
        && !(number == 0.0 && number.is_sign_negative());
    if integral {
        return (number as i64).to_string();
    }
    format!("{number}")
}

#[cfg(test)]
mod tests {
    use super::{go_number, to_int64};

    #[test]
    fn integers_convert_as_sobek_converts_them() {
        assert_eq!(to_int64(2.7), 2);
        assert_eq!(to_int64(-1.9), -1);
        assert_eq!(to_int64(f64::NAN), 0);
        assert_eq!(to_int64(f64::INFINITY), 0);
        assert_eq!(to_int64(2f64.powi(63)), i64::MIN);
        assert_eq!(to_int64(-(2f64.powi(63))), i64::MIN);
        assert_eq!(to_int64(2f64.powi(53) + 2.0), 9_007_199_254_740_994);
    }

    #[test]
    fn numbers_are_written_as_go_redis_writes_them() {
        assert_eq!(go_number(1.5), "1.5");
        assert_eq!(go_number(1e21), "1000000000000000000000");
        assert_eq!(go_number(-0.0), "-0");
        assert_eq!(go_number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(go_number(3.0), "3");
        assert_eq!(go_number(1e-7), "0.0000001");
    }
}
