//! The state the engine keeps between calls, as plain records behind small
//! traits. The daemon implements them over SQLite (the records derive serde
//! so a row can hold JSON); [`crate::MemoryStore`] implements them for
//! tests. Stores hold no logic: every rule lives in the engine, so the two
//! implementations cannot drift apart.
//!
//! One engine call may write several records (a message updates its key's
//! replay window and may confirm a sending key). The daemon should run each
//! call, together with the history write it leads to, in one transaction,
//! and ack or send only after it commits.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::envelope::SessionKeyEnvelope;
use crate::error::StoreError;
use crate::pins::Pin;
use crate::replay::ReplayWindow;
use crate::session::SecretKey;

/// Our current sending key to one peer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SendingKey {
    /// The recipient.
    pub peer: String,
    /// The key's id (uuid).
    pub key_id: String,
    /// The AES-256-GCM key.
    pub key: SecretKey,
    /// The seq the next message gets (1 for a fresh key).
    pub next_seq: u64,
    /// When it was made, Unix ms.
    pub created_ms: i64,
    /// Our identity fingerprint when it was made (rotate when ours changes).
    pub own_fingerprint: String,
    /// The peer's pinned fingerprint when it was made (rotate when theirs does).
    pub peer_fingerprint: String,
    /// The signed `session_key` envelope, re-sent until confirmed.
    pub announcement: SessionKeyEnvelope,
    /// The peer proved it holds the key (a receipt for a message under it).
    pub confirmed: bool,
    /// Ids of text messages (`text`, `group_text`) sent under the key
    /// while unconfirmed (the most recent few); a receipt naming one of
    /// them confirms the key.
    pub unconfirmed_ids: Vec<Uuid>,
}

/// A peer's session key we accepted, with its replay state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReceivingKey {
    /// The sender.
    pub peer: String,
    /// The key's id.
    pub key_id: String,
    /// The AES-256-GCM key.
    pub key: SecretKey,
    /// The sender's fingerprint it was signed with (its pin at the time).
    pub sender_fingerprint: String,
    /// When we accepted it, Unix ms.
    pub created_ms: i64,
    /// Which sequence numbers were accepted.
    pub window: ReplayWindow,
}

/// What is left of a retired receiving key: its id, so that neither its
/// `session_key` (which would reset the replay window) nor its messages are
/// accepted again. No key material.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RetiredKey {
    /// The sender.
    pub peer: String,
    /// The key's id.
    pub key_id: String,
    /// When it was retired, Unix ms.
    pub retired_ms: i64,
}

/// Pins of peers' identity keys, one per username.
pub trait PinStore {
    /// The pin of `user`, if any.
    fn pin(&self, user: &str) -> Result<Option<Pin>, StoreError>;
    /// Inserts or replaces the pin of `pin.user`.
    fn put_pin(&mut self, pin: &Pin) -> Result<(), StoreError>;
}

/// Our sending keys, at most one per peer.
pub trait SendingKeyStore {
    /// The sending key to `peer`, if any.
    fn sending_key(&self, peer: &str) -> Result<Option<SendingKey>, StoreError>;
    /// Inserts or replaces the sending key to `key.peer`.
    fn put_sending_key(&mut self, key: &SendingKey) -> Result<(), StoreError>;
    /// Forgets the sending key to `peer` (no-op when absent).
    fn delete_sending_key(&mut self, peer: &str) -> Result<(), StoreError>;
}

/// Peers' session keys, keyed by (peer, key_id).
pub trait ReceivingKeyStore {
    /// One key.
    fn receiving_key(&self, peer: &str, key_id: &str) -> Result<Option<ReceivingKey>, StoreError>;
    /// All live keys of one peer (a handful: the engine caps them).
    fn receiving_keys(&self, peer: &str) -> Result<Vec<ReceivingKey>, StoreError>;
    /// Inserts or replaces the key (peer, key_id).
    fn put_receiving_key(&mut self, key: &ReceivingKey) -> Result<(), StoreError>;
    /// Deletes the key (no-op when absent).
    fn delete_receiving_key(&mut self, peer: &str, key_id: &str) -> Result<(), StoreError>;
}

/// Ids of retired receiving keys, keyed by (peer, key_id).
pub trait RetiredKeyStore {
    /// One retired key.
    fn retired_key(&self, peer: &str, key_id: &str) -> Result<Option<RetiredKey>, StoreError>;
    /// All retired keys of one peer (the engine caps them).
    fn retired_keys(&self, peer: &str) -> Result<Vec<RetiredKey>, StoreError>;
    /// Inserts or replaces the record (peer, key_id).
    fn put_retired_key(&mut self, key: &RetiredKey) -> Result<(), StoreError>;
    /// Deletes the record (no-op when absent).
    fn delete_retired_key(&mut self, peer: &str, key_id: &str) -> Result<(), StoreError>;
}

/// Everything the engine needs; implemented for every type with the four
/// parts. Object safe: `&mut dyn E2eStore` works.
pub trait E2eStore: PinStore + SendingKeyStore + ReceivingKeyStore + RetiredKeyStore {}

impl<T: PinStore + SendingKeyStore + ReceivingKeyStore + RetiredKeyStore + ?Sized> E2eStore for T {}
