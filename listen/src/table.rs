//! The waiting connections (no request in flight), oldest first, and the
//! cap on them: one more than [`Table::new`]'s `max` closes the one that
//! has waited longest. Each connection task updates it as it goes from
//! waiting to busy and back; the lock is held for a map operation.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// The least time between two warnings about the cap.
const WARN_EVERY: Duration = Duration::from_secs(10);

/// A place in the table: the order in which connections began to wait.
pub type Ticket = u64;

#[derive(Debug)]
struct Waiting {
    peer: SocketAddr,
    /// Cancelled when the connection is evicted.
    evict: CancellationToken,
}

/// The waiting connections.
#[derive(Debug)]
pub struct Table {
    max: usize,
    waiting: BTreeMap<Ticket, Waiting>,
    next: Ticket,
    /// Evictions since the last warning.
    unreported: u64,
    last_warning: Option<Instant>,
}

/// Locks `table`; a panic elsewhere while it was held left a consistent
/// map (every operation is one insert or remove), so poison is ignored.
pub fn lock(table: &Mutex<Table>) -> MutexGuard<'_, Table> {
    table
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Table {
    /// A table that holds at most `max` (at least 1) waiting connections.
    pub fn new(max: usize) -> Self {
        Self {
            max: max.max(1),
            waiting: BTreeMap::new(),
            next: 0,
            unreported: 0,
            last_warning: None,
        }
    }

    /// `peer` begins to wait; `evict` is cancelled if it is closed to make
    /// room. Past the cap, the connection that has waited longest is
    /// evicted (never this one: it is the newest).
    pub fn wait(&mut self, peer: SocketAddr, evict: CancellationToken) -> Ticket {
        let ticket = self.next;
        self.next += 1;
        self.waiting.insert(ticket, Waiting { peer, evict });
        while self.waiting.len() > self.max {
            self.evict_oldest();
        }
        ticket
    }

    /// The connection of `ticket` has a request in flight, or closed.
    pub fn leave(&mut self, ticket: Ticket) {
        self.waiting.remove(&ticket);
    }

    /// How many connections wait.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// Evicts the connection that has waited longest, if any; returns its
    /// peer.
    pub fn evict_oldest(&mut self) -> Option<SocketAddr> {
        let (_, oldest) = self.waiting.pop_first()?;
        oldest.evict.cancel();
        self.unreported += 1;
        let now = Instant::now();
        if self
            .last_warning
            .is_none_or(|last| now.duration_since(last) >= WARN_EVERY)
        {
            tracing::warn!(
                "{} waiting connection(s) closed: {} connections without a request in flight is the limit (half the open-file limit); the last came from {}",
                self.unreported,
                self.max,
                oldest.peer
            );
            self.unreported = 0;
            self.last_warning = Some(now);
        }
        Some(oldest.peer)
    }
}

/// The connection's place in the table while it waits; it leaves when
/// dropped.
pub struct Place {
    table: Arc<Mutex<Table>>,
    ticket: Option<Ticket>,
}

impl Place {
    /// No place yet in `table`.
    pub fn new(table: Arc<Mutex<Table>>) -> Self {
        Self {
            table,
            ticket: None,
        }
    }

    /// Waits (again): takes a new place, last in line.
    pub fn wait(&mut self, peer: SocketAddr, evict: &CancellationToken) {
        self.leave();
        let ticket = lock(&self.table).wait(peer, evict.clone());
        self.ticket = Some(ticket);
    }

    /// Leaves the table (a request is in flight, or the connection closes).
    pub fn leave(&mut self) {
        if let Some(ticket) = self.ticket.take() {
            lock(&self.table).leave(ticket);
        }
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn peer(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn past_the_cap_the_longest_waiting_goes_first() {
        let mut table = Table::new(2);
        let tokens: Vec<CancellationToken> = (0..4).map(|_| CancellationToken::new()).collect();
        let first = table.wait(peer(1), tokens[0].clone());
        table.wait(peer(2), tokens[1].clone());
        table.leave(first);
        table.wait(peer(3), tokens[2].clone());
        assert!(tokens.iter().all(|t| !t.is_cancelled()), "2 wait, 1 left");
        table.wait(peer(4), tokens[3].clone());
        assert_eq!(table.len(), 2);
        assert!(tokens[1].is_cancelled(), "peer 2 waited longest");
        assert!(!tokens[2].is_cancelled() && !tokens[3].is_cancelled());
        assert!(!tokens[0].is_cancelled(), "peer 1 had left");
    }

    #[test]
    fn an_empty_table_evicts_nothing() {
        let mut table = Table::new(0);
        assert_eq!(table.evict_oldest(), None);
        let token = CancellationToken::new();
        table.wait(peer(1), token.clone());
        assert!(!token.is_cancelled(), "a cap of 0 still lets one wait");
        assert_eq!(table.evict_oldest(), Some(peer(1)));
        assert!(token.is_cancelled());
    }
}
