//! A rate curve: the whole test's arrival rate over a scenario's time,
//! piecewise linear, and the area under it (the iterations due so far).
//! What a live change of an arrival-rate scenario edits: every instance
//! holds the same curve and starts the iterations its stripe owns where
//! the area reaches them, so a change splits across instances exactly as
//! the rate did at start.

/// One piece: from `start` for `len` (nanoseconds from the scenario
/// start), the rate goes linearly from `from` to `to` (iterations per
/// nanosecond).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Piece {
    pub start: f64,
    pub len: f64,
    pub from: f64,
    pub to: f64,
}

impl Piece {
    pub fn constant(start: f64, len: f64, rate: f64) -> Piece {
        Piece {
            start,
            len,
            from: rate,
            to: rate,
        }
    }

    fn end(&self) -> f64 {
        self.start + self.len
    }

    /// The rate `x` into the piece.
    fn rate(&self, x: f64) -> f64 {
        if self.len <= 0.0 {
            return self.to;
        }
        self.from + (self.to - self.from) * (x / self.len)
    }

    /// The area of the first `x` of the piece.
    fn area(&self, x: f64) -> f64 {
        if self.len <= 0.0 {
            return 0.0;
        }
        self.from * x + (self.to - self.from) * x * x / (2.0 * self.len)
    }

    /// Where into the piece the area reaches `k` (≤ the piece's area).
    fn reach(&self, k: f64) -> f64 {
        if k <= 0.0 {
            return 0.0;
        }
        let slope = (self.to - self.from) / self.len;
        let root = (self.from * self.from + 2.0 * k * slope).max(0.0).sqrt();
        // 2k / (from + √(from² + 2k·slope)): stable for any slope.
        let denominator = self.from + root;
        if denominator <= 0.0 {
            return self.len;
        }
        (2.0 * k / denominator).min(self.len)
    }

    /// The part of the piece within `[a, b]`.
    fn clip(&self, a: f64, b: f64) -> Option<Piece> {
        let (s, e) = (self.start.max(a), self.end().min(b));
        (e > s).then(|| Piece {
            start: s,
            len: e - s,
            from: self.rate(s - self.start),
            to: self.rate(e - self.start),
        })
    }
}

/// Contiguous pieces from 0 to the regular end.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Curve {
    pub pieces: Vec<Piece>,
}

impl Curve {
    /// The regular end (nanoseconds).
    pub fn end(&self) -> f64 {
        self.pieces.last().map_or(0.0, Piece::end)
    }

    /// The area from 0 to `t`.
    pub fn area(&self, t: f64) -> f64 {
        let mut area = 0.0;
        for p in &self.pieces {
            if t <= p.start {
                break;
            }
            area += p.area((t - p.start).min(p.len));
        }
        area
    }

    /// The rate at `t` (0 past the end).
    pub fn rate(&self, t: f64) -> f64 {
        self.pieces
            .iter()
            .find(|p| t >= p.start && t < p.end())
            .map_or(0.0, |p| p.rate(t - p.start))
    }

    /// The first time the area reaches `area`, if within the curve.
    pub fn time_of(&self, area: f64) -> Option<f64> {
        let mut before = 0.0;
        for p in &self.pieces {
            let whole = p.area(p.len);
            if before + whole >= area {
                return Some(p.start + p.reach(area - before));
            }
            before += whole;
        }
        None
    }

    /// The pieces within `[a, b]`.
    pub fn clip(&self, a: f64, b: f64) -> Vec<Piece> {
        self.pieces.iter().filter_map(|p| p.clip(a, b)).collect()
    }

    /// Keeps the curve up to `t` and continues with `tail` (which starts
    /// at `t`).
    pub fn splice(&mut self, t: f64, tail: Vec<Piece>) {
        let mut pieces = self.clip(0.0, t);
        pieces.extend(tail);
        self.pieces = pieces;
    }

    /// Holds the last rate until `end` (a longer scenario).
    pub fn extend_to(&mut self, end: f64) {
        let last = self.end();
        if end > last {
            let rate = self.pieces.last().map_or(0.0, |p| p.to);
            self.pieces.push(Piece::constant(last, end - last, rate));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn area_and_time_agree_on_a_ramp() {
        let c = Curve {
            pieces: vec![
                Piece {
                    start: 0.0,
                    len: 2.0,
                    from: 0.0,
                    to: 10.0,
                },
                Piece::constant(2.0, 1.0, 10.0),
            ],
        };
        assert_eq!(c.area(2.0), 10.0);
        assert_eq!(c.area(3.0), 20.0);
        let t = c.time_of(2.5).unwrap();
        assert!((c.area(t) - 2.5).abs() < 1e-9);
        assert_eq!(c.time_of(15.0), Some(2.5));
        assert_eq!(c.time_of(21.0), None);
        assert_eq!(c.rate(1.0), 5.0);
    }

    #[test]
    fn splice_keeps_the_area_before() {
        let mut c = Curve {
            pieces: vec![Piece::constant(0.0, 10.0, 1.0)],
        };
        c.splice(4.0, vec![Piece::constant(4.0, 6.0, 2.0)]);
        assert_eq!(c.area(4.0), 4.0);
        assert_eq!(c.area(10.0), 16.0);
        c.extend_to(12.0);
        assert_eq!(c.area(12.0), 20.0);
    }
}
