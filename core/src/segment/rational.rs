//! A tiny exact rational with `i64` parts, the number type of segments.
//!
//! Why not `Ratio<i64>` directly: its operators panic on overflow and its
//! reduction can overflow on `i64::MIN`. Here every operation goes through
//! `i128`, reduces, and then *narrows* back to `i64`, returning `None` when
//! the reduced result does not fit. Values are always kept reduced with a
//! positive denominator, so the derived `Eq`/`Hash` are value equality.

use std::cmp::Ordering;
use std::fmt;

use num_rational::Ratio;

/// `num / den`, reduced, `den > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Rat {
    num: i64,
    den: i64,
}

impl Rat {
    pub(crate) const ZERO: Rat = Rat { num: 0, den: 1 };
    pub(crate) const ONE: Rat = Rat { num: 1, den: 1 };

    /// Reduces `num / den` and narrows it to `i64` parts; `None` if `den == 0`
    /// or the reduced parts don't fit.
    pub(crate) fn new(num: i128, den: i128) -> Option<Rat> {
        if den == 0 {
            return None;
        }
        let g = gcd(num.unsigned_abs(), den.unsigned_abs());
        // g >= 1 because den != 0; dividing the magnitudes cannot overflow.
        let (n, d) = (num.unsigned_abs() / g, den.unsigned_abs() / g);
        let d = if n == 0 { 1 } else { i64::try_from(d).ok()? };
        // |n| <= 2^63 keeps the signed value in i128 and lets i64::MIN through.
        if n > 1 << 63 {
            return None;
        }
        let signed = if (num < 0) != (den < 0) {
            -(n as i128)
        } else {
            n as i128
        };
        let n = i64::try_from(signed).ok()?;
        Some(Rat { num: n, den: d })
    }

    pub(crate) fn num(self) -> i64 {
        self.num
    }

    pub(crate) fn den(self) -> i64 {
        self.den
    }

    /// `self - other`, or `None` when the reduced result doesn't fit `i64`.
    pub(crate) fn checked_sub(self, other: Rat) -> Option<Rat> {
        // |num·den| < 2^126, so the difference stays below 2^127.
        let a = i128::from(self.num) * i128::from(other.den);
        let b = i128::from(other.num) * i128::from(self.den);
        Rat::new(a - b, i128::from(self.den) * i128::from(other.den))
    }

    /// For error values and accessors.
    pub(crate) fn to_ratio(self) -> Ratio<i64> {
        Ratio::new_raw(self.num, self.den)
    }
}

impl Ord for Rat {
    fn cmp(&self, other: &Rat) -> Ordering {
        // Both products are below 2^126 in magnitude: no overflow.
        (i128::from(self.num) * i128::from(other.den))
            .cmp(&(i128::from(other.num) * i128::from(self.den)))
    }
}

impl PartialOrd for Rat {
    fn partial_cmp(&self, other: &Rat) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Go's `big.Rat.RatString`: `"n"` for integers, else `"n/d"`.
impl fmt::Display for Rat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// Go's `big.Rat.FloatString(2)`: rounded to two decimals, halves away from
/// zero, with a `-` sign even when the rounded value is zero (`-1/1000` →
/// `-0.00`), exactly like k6's segment error messages.
pub(crate) fn float_string2(value: &Ratio<i64>) -> String {
    let (num, den) = (*value.numer(), *value.denom());
    let negative = (num < 0) != (den < 0) && num != 0;
    let sign = if negative { "-" } else { "" };
    let a = u128::from(num.unsigned_abs());
    let b = u128::from(den.unsigned_abs()).max(1);
    let (mut q, rem) = (a / b, a % b);
    if rem == 0 {
        return format!("{sign}{q}.00");
    }
    let (mut r, r2) = (rem * 100 / b, rem * 100 % b);
    if 2 * r2 >= b {
        r += 1;
        if r >= 100 {
            q += 1;
            r -= 100;
        }
    }
    format!("{sign}{q}.{r:02}")
}

/// Greatest common divisor (Euclid); `gcd(0, 0) == 0`.
pub(crate) fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i128, d: i128) -> Rat {
        Rat::new(n, d).unwrap()
    }

    #[test]
    fn reduces_and_normalises_sign() {
        assert_eq!(r(2, 4), r(1, 2));
        assert_eq!(r(3, -6), r(-1, 2));
        assert_eq!(r(0, -5), Rat::ZERO);
        assert_eq!(r(-4, -2), r(2, 1));
        assert_eq!(Rat::new(1, 0), None);
        assert_eq!(Rat::new(1, i128::from(i64::MAX) + 1), None);
        assert_eq!(r(i128::from(i64::MIN), 1).num(), i64::MIN);
        assert_eq!(Rat::new(i128::from(i64::MIN) - 1, 1), None);
    }

    #[test]
    fn orders_and_subtracts() {
        assert!(r(1, 3) < r(1, 2));
        assert!(r(-1, 3) < Rat::ZERO);
        assert_eq!(r(2, 3).checked_sub(r(1, 3)), Some(r(1, 3)));
        assert_eq!(r(1, 1).checked_sub(r(1, 5)), Some(r(4, 5)));
        let huge = Rat::new(1, i128::from(i64::MAX)).unwrap();
        let other = Rat::new(1, i128::from(i64::MAX - 1)).unwrap();
        assert_eq!(other.checked_sub(huge), None);
    }

    #[test]
    fn prints_like_go() {
        assert_eq!(r(1, 3).to_string(), "1/3");
        assert_eq!(r(0, 1).to_string(), "0");
        assert_eq!(r(1, 1).to_string(), "1");
        let f = |n: i128, d: i128| float_string2(&r(n, d).to_ratio());
        assert_eq!(f(2, 3), "0.67");
        assert_eq!(f(1, 3), "0.33");
        assert_eq!(f(-1, 1), "-1.00");
        assert_eq!(f(3, 2), "1.50");
        assert_eq!(f(0, 1), "0.00");
        assert_eq!(f(1, 8), "0.13");
        assert_eq!(f(-1, 200), "-0.01");
        assert_eq!(f(-1, 1000), "-0.00");
        assert_eq!(f(-1, 250), "-0.00");
        assert_eq!(f(999, 1000), "1.00");
        assert_eq!(f(i128::from(i64::MIN), 1), "-9223372036854775808.00");
        assert_eq!(f(i128::from(i64::MAX), 2), "4611686018427387903.50");
    }
}
