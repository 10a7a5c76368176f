//! An exactly rounded, order-independent sum of `f64` values.
//!
//! Floating-point addition is not associative, so two agents' partial
//! sums added in another order than one sink would have seen them give a
//! (slightly) different total. [`ExactSum`] keeps the exact sum as a short
//! list of non-overlapping partials (Shewchuk's algorithm, as in Python's
//! `math.fsum`) and rounds only when read, so the result is the correctly
//! rounded exact sum whatever the order of additions and merges. For the
//! usual inputs (timings, counts) the list holds one or two numbers.
//!
//! Infinities and NaN are summed apart and dominate the result, as in plain
//! `f64` arithmetic. A finite sum beyond `f64::MAX` overflows to infinity.

use serde::{Deserialize, Serialize};

/// An exact running sum.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ExactSum {
    /// Non-overlapping partials, increasing in magnitude.
    partials: Vec<f64>,
    /// The sum of the non-finite values added.
    special: f64,
}

impl ExactSum {
    /// Zero.
    pub fn new() -> Self {
        ExactSum::default()
    }

    /// Adds `x` exactly.
    pub fn add(&mut self, x: f64) {
        if !x.is_finite() {
            self.special += x;
            return;
        }
        let mut x = x;
        let mut kept = 0;
        for j in 0..self.partials.len() {
            let mut y = self.partials[j];
            if x.abs() < y.abs() {
                std::mem::swap(&mut x, &mut y);
            }
            let hi = x + y;
            if !hi.is_finite() {
                // The exact sum left the f64 range: it is an overflow.
                self.special += hi;
                self.partials.clear();
                return;
            }
            let lo = y - (hi - x);
            if lo != 0.0 {
                self.partials[kept] = lo;
                kept += 1;
            }
            x = hi;
        }
        self.partials.truncate(kept);
        self.partials.push(x);
    }

    /// Adds everything `other` holds.
    pub fn merge(&mut self, other: &ExactSum) {
        for &p in &other.partials {
            self.add(p);
        }
        self.special += other.special;
    }

    /// The exact state, for shipping it: the non-overlapping finite
    /// partials (increasing in magnitude) and the sum of the non-finite
    /// values (0 when none). Adding each back into an empty sum gives an
    /// equal one.
    pub fn parts(&self) -> (&[f64], f64) {
        (&self.partials, self.special)
    }

    /// The exact sum rounded to the nearest `f64` (ties to even).
    pub fn value(&self) -> f64 {
        if self.special != 0.0 || self.special.is_nan() {
            return self.special;
        }
        let p = &self.partials;
        let mut n = p.len();
        if n == 0 {
            return 0.0;
        }
        n -= 1;
        let mut hi = p[n];
        let mut lo = 0.0;
        while n > 0 {
            let x = hi;
            let y = p[n - 1];
            n -= 1;
            hi = x + y;
            let yr = hi - x;
            lo = y - yr;
            if lo != 0.0 {
                break;
            }
        }
        // Round half to even across the remaining partials.
        if n > 0 && ((lo < 0.0 && p[n - 1] < 0.0) || (lo > 0.0 && p[n - 1] > 0.0)) {
            let y = lo * 2.0;
            let x = hi + y;
            let yr = x - hi;
            if y == yr {
                hi = x;
            }
        }
        hi
    }
}

impl PartialEq for ExactSum {
    fn eq(&self, other: &Self) -> bool {
        self.value().to_bits() == other.value().to_bits()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sum(xs: &[f64]) -> f64 {
        let mut s = ExactSum::new();
        xs.iter().for_each(|&x| s.add(x));
        s.value()
    }

    #[test]
    fn is_exact_where_naive_summation_is_not() {
        assert_eq!(sum(&[1e100, 1.0, -1e100, 1e-100]), 1.0);
        assert_eq!(sum(&[0.1; 10]), 1.0);
        assert_ne!([0.1f64; 10].iter().sum::<f64>(), 1.0);
        assert_eq!(sum(&[]), 0.0);
        assert_eq!(sum(&[1.0, f64::INFINITY]), f64::INFINITY);
        assert_eq!(sum(&[f64::MAX, f64::MAX]), f64::INFINITY);
    }

    #[test]
    fn order_and_merging_do_not_matter() {
        let xs = [0.3, 1e16, -7.25, 1.0 / 3.0, 2e-9, -1e16, 123.456];
        let mut a = ExactSum::new();
        xs[..3].iter().for_each(|&x| a.add(x));
        let mut b = ExactSum::new();
        xs[3..].iter().rev().for_each(|&x| b.add(x));
        b.merge(&a);
        assert_eq!(b.value(), sum(&xs));
    }
}
