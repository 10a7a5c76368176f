//! When running JavaScript must stop: a deadline (init code, `setup`,
//! `teardown`), the cancellation of an iteration, and `exec.test.abort()`.
//!
//! QuickJS polls the runtime's interrupt handler while it executes;
//! answering `true` raises an uncatchable `InternalError: interrupted`
//! that unwinds every JavaScript frame. Host functions that wait
//! (`sleep`, requests) race the same deadline and cancellation token, so
//! they never outlive them.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use tokio_util::sync::CancellationToken;

/// Why JavaScript was interrupted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The deadline passed; the budget it was armed with.
    Deadline(Duration),
    /// `exec.test.abort(reason)`.
    Aborted(Option<String>),
    /// The call's cancellation token fired (the iteration was interrupted).
    Interrupted,
}

/// The interrupt state of one VU.
#[derive(Debug, Default)]
pub(crate) struct Interrupt {
    deadline: Cell<Option<(Instant, Duration)>>,
    stop: RefCell<Option<Stop>>,
    cancel: RefCell<Option<CancellationToken>>,
}

impl Interrupt {
    /// Starts a new call: no stop recorded, interrupted when `cancel` fires.
    pub(crate) fn begin(&self, cancel: Option<CancellationToken>) {
        *self.stop.borrow_mut() = None;
        *self.cancel.borrow_mut() = cancel;
    }

    /// The current call's cancellation token.
    pub(crate) fn token(&self) -> Option<CancellationToken> {
        self.cancel.borrow().clone()
    }

    /// When the armed deadline passes, if one is armed.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline.get().map(|(at, _)| at)
    }

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
        if self
            .cancel
            .borrow()
            .as_ref()
            .is_some_and(CancellationToken::is_cancelled)
        {
            self.stop.borrow_mut().get_or_insert(Stop::Interrupted);
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
}
