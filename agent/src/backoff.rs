//! Exponential backoff with jitter for reconnecting.
//!
//! Delays double from `min` up to `max`; each is drawn uniformly from its
//! upper half ("equal jitter"), so agents restarted together spread out
//! while none retries sooner than half the nominal delay. A session that
//! got as far as Welcome resets the sequence.

use std::time::Duration;

/// Reconnect delays.
#[derive(Clone, Debug)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    /// Delays from `min` doubling up to `max` (`max` is raised to `min`).
    pub fn new(min: Duration, max: Duration) -> Self {
        Self::with_rng(min, max, fastrand::Rng::new())
    }

    /// Like [`new`](Self::new) with a seeded generator, for tests.
    pub fn with_seed(min: Duration, max: Duration, seed: u64) -> Self {
        Self::with_rng(min, max, fastrand::Rng::with_seed(seed))
    }

    fn with_rng(min: Duration, max: Duration, rng: fastrand::Rng) -> Self {
        Self {
            min,
            max: max.max(min),
            attempt: 0,
            rng,
        }
    }

    /// The nominal (un-jittered) delay of the next attempt.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt).unwrap_or(u32::MAX);
        self.min.saturating_mul(factor).min(self.max)
    }

    /// The delay before the next attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling();
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        let spread = u64::try_from((ceiling - half).as_nanos()).unwrap_or(u64::MAX);
        half + Duration::from_nanos(self.rng.u64(0..=spread))
    }

    /// Attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Back to `min`: the last session was established.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        let mut backoff = Backoff::with_seed(100 * MS, 1000 * MS, 7);
        let ceilings: Vec<_> = (0..6)
            .map(|_| {
                let ceiling = backoff.ceiling();
                let delay = backoff.next_delay();
                assert!(
                    delay >= ceiling / 2 && delay <= ceiling,
                    "{delay:?} vs {ceiling:?}"
                );
                ceiling
            })
            .collect();
        assert_eq!(
            ceilings,
            [100, 200, 400, 800, 1000, 1000].map(|n| n * MS).to_vec()
        );
    }

    #[test]
    fn reset_starts_over_and_huge_attempt_counts_saturate() {
        let mut backoff = Backoff::with_seed(MS, Duration::from_secs(30), 1);
        for _ in 0..200 {
            backoff.next_delay();
        }
        assert_eq!(backoff.ceiling(), Duration::from_secs(30));
        assert_eq!(backoff.attempts(), 200);
        backoff.reset();
        assert_eq!(backoff.ceiling(), MS);
    }

    #[test]
    fn jitter_spreads_agents() {
        let delays: std::collections::HashSet<_> = (0..20)
            .map(|seed| Backoff::with_seed(MS * 100, MS * 100, seed).next_delay())
            .collect();
        assert!(delays.len() > 10, "{delays:?}");
    }
}
