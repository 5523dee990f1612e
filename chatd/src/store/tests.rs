//! Tests of the local store against real SQLite files in temporary
//! directories: its guarantees (durability across reopen, ordering, exact
//! limits, rollback, file modes) only exist on a real database. One
//! module per area; the fixtures are here.

mod db;
mod e2e;
mod events;
mod group_messages;
mod groups;
mod history;
mod open;
mod queues;
mod search;

use std::path::PathBuf;

use chatd_api::{Direction, Message, MessageStatus};
use tempfile::TempDir;

use super::{Store, StoreError, Tx};

/// Our own username in the tests.
pub(super) const ME: &str = "me";

/// A temporary directory holding `chatd.db`, and the store open on it.
pub(super) struct Fixture {
    pub dir: TempDir,
    pub store: Store,
}

impl Fixture {
    pub fn new() -> Fixture {
        let dir = TempDir::new().unwrap();
        let store = Store::open(&dir.path().join("chatd.db")).unwrap();
        Fixture { dir, store }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("chatd.db")
    }

    /// Closes and reopens the file, as a daemon restart does.
    pub fn reopen(self) -> Fixture {
        let Fixture { dir, store } = self;
        drop(store);
        let store = Store::open(&dir.path().join("chatd.db")).unwrap();
        Fixture { dir, store }
    }

    /// Runs `f` in a transaction that must succeed.
    pub fn tx<T>(&mut self, f: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>) -> T {
        self.store.transaction(f).unwrap()
    }
}

/// An incoming message from `from`.
pub(super) fn incoming(id: &str, from: &str, ts: i64, text: &str) -> Message {
    Message {
        id: id.into(),
        from: from.into(),
        to: ME.into(),
        text: text.into(),
        ts,
        direction: Direction::In,
        status: MessageStatus::Delivered,
        group: None,
        receipts: None,
        file: None,
    }
}

/// An outgoing message to `to`, still sending.
pub(super) fn outgoing(id: &str, to: &str, ts: i64, text: &str) -> Message {
    Message {
        id: id.into(),
        from: ME.into(),
        to: to.into(),
        text: text.into(),
        ts,
        direction: Direction::Out,
        status: MessageStatus::Sending,
        group: None,
        receipts: None,
        file: None,
    }
}

/// The ids of some messages, in order.
pub(super) fn ids(messages: &[Message]) -> Vec<&str> {
    messages.iter().map(|m| m.id.as_str()).collect()
}
