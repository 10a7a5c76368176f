//! k6's number syntax for segment values, ported from Go's `math/big`.
//!
//! k6's `stringToRat` parses `X%` with `big.Int.SetString(X, 10)` (an optional
//! sign and decimal digits) and anything else with `big.Rat.SetString`, which
//! accepts more than it seems: fractions `a/b` (numerator with a sign, both
//! parts with `0x`/`0o`/`0b` prefixes, a bare leading `0` meaning octal, and
//! `_` separators), and decimals with a sign, a `0x`/`0o`/`0b` prefix, one
//! `.`, `_` separators and an `e`/`E` (power of 10) or `p`/`P` (power of 2)
//! exponent. This is a faithful port of that grammar, so k6r accepts and
//! refuses exactly the same texts.
//!
//! Where Go would build an arbitrarily large `big.Rat`, we compute in `u128`
//! and report [`Parsed::TooPrecise`] once the reduced value needs more than
//! 64 bits. Go's own guards are kept: a power-of-5 exponent above 10⁶ or a
//! power-of-2 exponent beyond ±10⁷ is *invalid* (as in Go), and the exponent
//! arithmetic never allocates, so `1e-999999` costs nothing.

use super::rational::Rat;

/// The outcome of parsing one syntactically valid value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Parsed {
    /// The exact value.
    Exact(Rat),
    /// Valid for k6, but its reduced form doesn't fit `i64` parts.
    TooPrecise,
}

/// Why a value was refused by the syntax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// Ends with `%` but the rest isn't a base-10 integer.
    Percentage,
    /// Not a `big.Rat` either.
    Value,
}

/// k6's `stringToRat`.
pub(crate) fn parse_value(text: &str) -> Result<Parsed, Syntax> {
    match text.strip_suffix('%') {
        Some(digits) => parse_percentage(digits).ok_or(Syntax::Percentage),
        None => parse_go_rat(text.as_bytes()).ok_or(Syntax::Value),
    }
}

/// `big.Int.SetString(digits, 10)` divided by 100.
fn parse_percentage(digits: &str) -> Option<Parsed> {
    let mut cursor = Cursor::new(digits.as_bytes());
    let negative = cursor.sign()?;
    let mut value: Option<u128> = Some(0);
    let mut count = 0;
    while let Some(c) = cursor.read() {
        if !c.is_ascii_digit() {
            return None;
        }
        count += 1;
        value = value.and_then(|v| v.checked_mul(10)?.checked_add(u128::from(c - b'0')));
    }
    if count == 0 {
        return None;
    }
    Some(exact(signed(value, negative), Some(100)))
}

/// `big.Rat.SetString`.
fn parse_go_rat(s: &[u8]) -> Option<Parsed> {
    if s.is_empty() {
        return None;
    }
    if let Some(slash) = s.iter().position(|&c| c == b'/') {
        // numerator: big.Int.SetString(_, 0) – sign, prefixes, separators
        let mut cursor = Cursor::new(&s[..slash]);
        let negative = cursor.sign()?;
        let num = cursor.nat(false)?;
        cursor.at_end()?;
        // denominator: a bare natural number, also with prefixes
        let mut cursor = Cursor::new(&s[slash + 1..]);
        let den = cursor.nat(false)?;
        cursor.at_end()?;
        if den.is_zero() {
            return None;
        }
        return Some(exact(signed(num.value(), negative), den.value()));
    }

    let mut cursor = Cursor::new(s);
    let negative = cursor.sign()?;
    let mantissa = cursor.nat(true)?;
    let (exp, exp_base) = cursor.exponent()?;
    cursor.at_end()?;
    if mantissa.is_zero() {
        return Some(Parsed::Exact(Rat::ZERO));
    }

    // value = digits · base^trailing_zeros · base^fraction_digits · exp_base^exp,
    // split into powers of 2 and 5 like Go does (10^e = 2^e · 5^e).
    let bits_per_digit: i128 = match mantissa.base {
        2 => 1,
        8 => 3,
        16 => 4,
        _ => 0, // base 10: digits count as powers of 10
    };
    let digit_shift = i128::from(mantissa.trailing_zeros) - i128::from(mantissa.fraction_digits);
    let (mut exp2, mut exp5) = if bits_per_digit == 0 {
        (digit_shift, digit_shift)
    } else {
        (digit_shift * bits_per_digit, 0)
    };
    if exp_base == 10 {
        exp5 += i128::from(exp);
    }
    exp2 += i128::from(exp);
    // Go's own limits (before any allocation). Trailing zeros we folded into
    // the exponents were part of Go's mantissa, so take them out for the check.
    let go_exp5 = if bits_per_digit == 0 {
        exp5 - i128::from(mantissa.trailing_zeros)
    } else {
        exp5
    };
    let go_exp2 = exp2 - i128::from(mantissa.trailing_zeros) * bits_per_digit.max(1);
    if go_exp5.abs() > 1_000_000 || !(-10_000_000..=10_000_000).contains(&go_exp2) {
        return None;
    }

    let Some(mut digits) = mantissa.digits else {
        return Some(Parsed::TooPrecise);
    };
    // Cancel factors of 2 and 5 against negative exponents first, so that
    // "0.50000" or "1.25e-1" stay small.
    while exp2 < 0 && digits % 2 == 0 {
        digits /= 2;
        exp2 += 1;
    }
    while exp5 < 0 && digits % 5 == 0 {
        digits /= 5;
        exp5 += 1;
    }
    let (Some(p2), Some(p5)) = (pow(2, exp2.unsigned_abs()), pow(5, exp5.unsigned_abs())) else {
        return Some(Parsed::TooPrecise);
    };
    let mut num = Some(digits);
    let mut den = Some(1_u128);
    for (power, exponent) in [(p2, exp2), (p5, exp5)] {
        let side = if exponent >= 0 { &mut num } else { &mut den };
        *side = side.and_then(|v| v.checked_mul(power));
    }
    Some(exact(signed(num, negative), den))
}

/// `base^exp` in `u128`, `None` on overflow.
fn pow(base: u128, exp: u128) -> Option<u128> {
    base.checked_pow(u32::try_from(exp).ok()?)
}

/// A magnitude with a sign, `None` when it doesn't fit `i128`.
fn signed(magnitude: Option<u128>, negative: bool) -> Option<i128> {
    let m = i128::try_from(magnitude?).ok()?;
    Some(if negative { -m } else { m })
}

/// `num / den` when both are known and fit after reduction.
fn exact(num: Option<i128>, den: Option<u128>) -> Parsed {
    let den = den.and_then(|d| i128::try_from(d).ok());
    match (num, den) {
        (Some(n), Some(d)) => Rat::new(n, d).map_or(Parsed::TooPrecise, Parsed::Exact),
        _ => Parsed::TooPrecise,
    }
}

/// What Go's `nat.scan` found.
struct Natural {
    /// The significant digits' value (trailing zeros excluded); `None` on
    /// `u128` overflow.
    digits: Option<u128>,
    /// Trailing zero digits not folded into `digits`.
    trailing_zeros: u64,
    /// Digits after the `.`, if any.
    fraction_digits: u64,
    /// 2, 8, 10 or 16.
    base: u32,
}

impl Natural {
    fn is_zero(&self) -> bool {
        self.digits == Some(0)
    }

    /// The full value including trailing zeros; `None` on overflow.
    fn value(&self) -> Option<u128> {
        let scale = u128::from(self.base).checked_pow(u32::try_from(self.trailing_zeros).ok()?)?;
        self.digits?.checked_mul(scale)
    }
}

/// A byte reader with Go's `ReadByte`/`UnreadByte` semantics.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Cursor { bytes, pos: 0 }
    }

    fn read(&mut self) -> Option<u8> {
        let c = self.bytes.get(self.pos).copied()?;
        self.pos += 1;
        Some(c)
    }

    fn unread(&mut self) {
        self.pos -= 1;
    }

    fn at_end(&self) -> Option<()> {
        (self.pos == self.bytes.len()).then_some(())
    }

    /// Go's `scanSign`: fails on empty input; returns whether it was `-`.
    fn sign(&mut self) -> Option<bool> {
        match self.read()? {
            b'-' => Some(true),
            b'+' => Some(false),
            _ => {
                self.unread();
                Some(false)
            }
        }
    }

    /// Go's `nat.scan(r, 0, frac_ok)`: base prefixes, `_` separators (only
    /// after a digit, never last), and with `frac_ok` one `.`; a bare leading
    /// `0` means octal only without `frac_ok`.
    fn nat(&mut self, frac_ok: bool) -> Option<Natural> {
        let mut prev = b'.';
        let mut invalid_separator = false;
        let mut base: u32 = 10;
        let mut octal_zero = false;
        let mut count: u64 = 0;
        let mut ch = self.read();
        if ch == Some(b'0') {
            prev = b'0';
            count = 1;
            ch = self.read();
            if let Some(c) = ch {
                match c {
                    b'x' | b'X' => base = 16,
                    b'b' | b'B' => base = 2,
                    b'o' | b'O' => base = 8,
                    _ if !frac_ok => {
                        base = 8;
                        octal_zero = true;
                    }
                    _ => {}
                }
                if base != 10 {
                    // the prefix is not a digit; "0x"/"0b"/"0o" is consumed
                    count = 0;
                    if !octal_zero {
                        ch = self.read();
                    }
                }
            }
        }

        let mut digits: Option<u128> = Some(0);
        let mut trailing_zeros: u64 = 0;
        let mut point: Option<u64> = None;
        while let Some(c) = ch {
            if c == b'.' && frac_ok && point.is_none() {
                point = Some(count);
                prev = b'.';
            } else if c == b'_' {
                invalid_separator |= prev != b'0';
                prev = b'_';
            } else {
                let d = digit_value(c);
                if d >= base {
                    self.unread();
                    break;
                }
                prev = b'0';
                count += 1;
                // Zeros are only multiplied in once a non-zero digit follows,
                // so leading and trailing zeros never overflow.
                if d == 0 {
                    if digits != Some(0) {
                        trailing_zeros += 1;
                    }
                } else if digits == Some(0) {
                    digits = Some(u128::from(d));
                } else {
                    let scale = pow(u128::from(base), u128::from(trailing_zeros) + 1);
                    digits = digits
                        .zip(scale)
                        .and_then(|(v, s)| v.checked_mul(s)?.checked_add(u128::from(d)));
                    trailing_zeros = 0;
                }
            }
            ch = self.read();
        }
        if invalid_separator || prev == b'_' {
            return None;
        }
        if count == 0 {
            if octal_zero {
                // only the octal prefix "0": Go reads it as decimal 0
                return Some(Natural {
                    digits: Some(0),
                    trailing_zeros: 0,
                    fraction_digits: 0,
                    base: 10,
                });
            }
            return None;
        }
        let fraction_digits = point.map_or(0, |p| count - p);
        Some(Natural {
            digits,
            trailing_zeros,
            fraction_digits,
            base,
        })
    }

    /// Go's `scanExponent(r, true, true)`: nothing, or `e`/`E`/`p`/`P`, an
    /// optional sign and decimal digits (with `_` separators) that fit `i64`.
    /// Returns the exponent and its base (10 or 2).
    fn exponent(&mut self) -> Option<(i64, u32)> {
        let base = match self.read() {
            None => return Some((0, 10)),
            Some(b'e' | b'E') => 10,
            Some(b'p' | b'P') => 2,
            Some(_) => {
                self.unread();
                return Some((0, 10));
            }
        };
        let mut negative = false;
        let mut ch = self.read();
        if let Some(c @ (b'+' | b'-')) = ch {
            negative = c == b'-';
            ch = self.read();
        }
        let mut prev = b'.';
        let mut invalid_separator = false;
        let mut magnitude: Option<u128> = None;
        while let Some(c) = ch {
            if c.is_ascii_digit() {
                let d = u128::from(c - b'0');
                // saturate: anything above 2^64 is out of i64 range anyway
                magnitude = Some(magnitude.unwrap_or(0).saturating_mul(10).saturating_add(d));
                prev = b'0';
            } else if c == b'_' {
                invalid_separator |= prev != b'0';
                prev = b'_';
            } else {
                self.unread();
                break;
            }
            ch = self.read();
        }
        let magnitude = i128::try_from(magnitude?).ok()?;
        let exp = i64::try_from(if negative { -magnitude } else { magnitude }).ok()?;
        if invalid_separator || prev == b'_' {
            return None;
        }
        Some((exp, base))
    }
}

/// Go's digit values: `0-9`, then `a-z`/`A-Z` as 10..35, anything else 37.
fn digit_value(c: u8) -> u32 {
    match c {
        b'0'..=b'9' => u32::from(c - b'0'),
        b'a'..=b'z' => u32::from(c - b'a') + 10,
        b'A'..=b'Z' => u32::from(c - b'A') + 10,
        _ => 37,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(text: &str) -> Result<Parsed, Syntax> {
        parse_value(text)
    }

    fn exact(text: &str) -> (i64, i64) {
        match parse_value(text) {
            Ok(Parsed::Exact(r)) => (r.num(), r.den()),
            other => panic!("{text:?} gave {other:?}"),
        }
    }

    #[test]
    fn plain_forms() {
        assert_eq!(exact("1/3"), (1, 3));
        assert_eq!(exact("2/4"), (1, 2));
        assert_eq!(exact("0.25"), (1, 4));
        assert_eq!(exact("25%"), (1, 4));
        assert_eq!(exact("1e-2"), (1, 100));
        assert_eq!(exact("-1"), (-1, 1));
        assert_eq!(exact("+1"), (1, 1));
        assert_eq!(exact("1"), (1, 1));
        assert_eq!(exact("0"), (0, 1));
        assert_eq!(exact(".5"), (1, 2));
        assert_eq!(exact("5."), (5, 1));
        assert_eq!(exact("0.5e0"), (1, 2));
        assert_eq!(exact("0.123456789"), (123_456_789, 1_000_000_000));
        assert_eq!(exact("+5%"), (1, 20));
        assert_eq!(exact("-0%"), (0, 1));
        assert_eq!(exact("-1/3"), (-1, 3));
        assert_eq!(exact("+1/3"), (1, 3));
    }

    #[test]
    fn go_extras() {
        // hex float, binary exponent on a decimal mantissa
        assert_eq!(exact("0x1p-2"), (1, 4));
        assert_eq!(exact("1p-2"), (1, 4));
        assert_eq!(exact("0x1.8p-1"), (3, 4));
        assert_eq!(exact("0x1e"), (30, 1));
        // a bare leading 0 is octal in fractions, decimal in decimals
        assert_eq!(exact("010/30"), (4, 15));
        assert_eq!(exact("010"), (10, 1));
        assert_eq!(exact("1/0x3"), (1, 3));
        assert_eq!(exact("0b1/11"), (1, 11));
        assert_eq!(exact("0o7/010"), (7, 8));
        assert_eq!(exact("1_0/30"), (1, 3));
        assert_eq!(exact("0_5/10"), (1, 2));
        assert_eq!(exact("0.000_1"), (1, 10_000));
        assert_eq!(exact("1e0_1"), (10, 1));
        assert_eq!(exact("0/5"), (0, 1));
        assert_eq!(exact("0e-99999999"), (0, 1));
    }

    #[test]
    fn refused_like_go() {
        for bad in [
            "",
            "abc",
            "1/",
            "/3",
            "1/0",
            "1/+3",
            "1/-3",
            " 1/3",
            "1/3 ",
            "1//3",
            "1/3/4",
            "08/10",
            "0x",
            "0x/3",
            ".",
            "+",
            "-",
            "e5",
            "1e",
            "1e+",
            "1_",
            "_1",
            "1__0",
            "1e1_",
            "0x_",
            "1.2.3",
            "1/3.0",
            "1a",
            "5%x",
            "inf",
            "NaN",
            "1e99999999999999999999",
            "1e1000001",
            "1p10000001",
            "0e99999999999999999999",
        ] {
            assert_eq!(value(bad), Err(Syntax::Value), "{bad:?}");
        }
        for bad in ["x%", "1.5%", "%", "1__0%", "0x5%", "1_0%", "--5%", "5%%"] {
            assert_eq!(value(bad), Err(Syntax::Percentage), "{bad:?}");
        }
    }

    #[test]
    fn huge_values_are_too_precise_not_panics() {
        for big in [
            "1e-999",
            "1e-30",
            "1e30",
            "99999999999999999999999999999999999999999999",
            "99999999999999999999%",
            "1/99999999999999999999",
            "0.000000000000000000000000000000000000000000001",
            "1e999999",
            "1p-9999999",
        ] {
            assert_eq!(value(big), Ok(Parsed::TooPrecise), "{big:?}");
        }
        // trailing zeros never make a small value "too precise"
        assert_eq!(
            exact("0.5000000000000000000000000000000000000000000000000"),
            (1, 2)
        );
        assert_eq!(
            exact("1000000000000000000000000000000000000000000e-42"),
            (1, 1)
        );
        assert_eq!(
            exact("0000000000000000000000000000000000000000000000000001"),
            (1, 1)
        );
        assert_eq!(exact(&format!("0.{}1e52", "0".repeat(51))), (1, 1));
        assert_eq!(exact("9223372036854775807"), (i64::MAX, 1));
        assert_eq!(exact("-9223372036854775808"), (i64::MIN, 1));
        assert_eq!(value("9223372036854775808"), Ok(Parsed::TooPrecise));
    }
}
