//! When running JavaScript must stop: a deadline for init code and
//! `exec.test.abort()`.
//!
//! QuickJS polls the runtime's interrupt handler while it executes;
//! answering `true` raises an uncatchable `InternalError: interrupted`
//! that unwinds every JavaScript frame. Host functions that block
//! (`sleep`) consult the same deadline so they never outlive it.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

/// Why JavaScript was interrupted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The deadline passed; the budget it was armed with.
    Deadline(Duration),
    /// `exec.test.abort(reason)`.
    Aborted(Option<String>),
}

/// The interrupt state of one VU.
#[derive(Debug, Default)]
pub(crate) struct Interrupt {
    deadline: Cell<Option<(Instant, Duration)>>,
    stop: RefCell<Option<Stop>>,
}

impl Interrupt {
    /// From now on, interrupt once `budget` has elapsed.
    pub(crate) fn arm(&self, budget: Duration) {
        let deadline = Instant::now().checked_add(budget);
        self.deadline.set(deadline.map(|at| (at, budget)));
    }

    /// No deadline any more (a stop already requested stays).
    pub(crate) fn disarm(&self) {
        self.deadline.set(None);
    }

    /// Asks for JavaScript to stop as soon as possible.
    pub(crate) fn abort(&self, reason: Option<String>) {
        self.stop.borrow_mut().get_or_insert(Stop::Aborted(reason));
    }

    /// The answer to QuickJS's periodic "should I stop?".
    pub(crate) fn should_stop(&self) -> bool {
        if self.stop.borrow().is_some() {
            return true;
        }
        match self.deadline.get() {
            Some((at, budget)) if Instant::now() >= at => {
                *self.stop.borrow_mut() = Some(Stop::Deadline(budget));
                true
            }
            _ => false,
        }
    }

    /// Why JavaScript was (or is being) stopped, if it was.
    pub(crate) fn stopped(&self) -> Option<Stop> {
        self.stop.borrow().clone()
    }

    /// Sleeps for `duration`, but not past the deadline nor after a stop.
    /// A deadline reached while sleeping counts as passed even if no
    /// JavaScript runs afterwards.
    pub(crate) fn sleep(&self, duration: Duration) {
        if self.should_stop() {
            return;
        }
        let duration = match self.deadline.get() {
            Some((at, _)) => duration.min(at.saturating_duration_since(Instant::now())),
            None => duration,
        };
        std::thread::sleep(duration);
        self.should_stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_and_abort() {
        let interrupt = Interrupt::default();
        assert!(!interrupt.should_stop());
        interrupt.arm(Duration::ZERO);
        assert!(interrupt.should_stop());
        assert_eq!(interrupt.stopped(), Some(Stop::Deadline(Duration::ZERO)));

        let interrupt = Interrupt::default();
        interrupt.arm(Duration::from_secs(3600));
        interrupt.abort(Some("enough".into()));
        interrupt.abort(None);
        assert!(interrupt.should_stop());
        assert_eq!(
            interrupt.stopped(),
            Some(Stop::Aborted(Some("enough".into())))
        );
    }

    #[test]
    fn sleep_is_bounded_by_the_deadline() {
        let interrupt = Interrupt::default();
        interrupt.arm(Duration::from_millis(20));
        let start = Instant::now();
        interrupt.sleep(Duration::from_secs(3600));
        assert!(start.elapsed() < Duration::from_secs(60));
        assert_eq!(
            interrupt.stopped(),
            Some(Stop::Deadline(Duration::from_millis(20)))
        );
    }
}
