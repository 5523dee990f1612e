//! Durable state of the relay behind one trait, so that the SQLite store
//! used on a single machine can be replaced by a PostgreSQL one when a
//! cluster outgrows it, without touching the connection handlers.
//!
//! Every method may block (disk, fsync): callers are async and the trait is
//! async for that reason; implementations keep the blocking work off the
//! async workers themselves.

mod blobs;
mod postgres;
mod sqlite;

pub use blobs::{BlobRecord, NewBlob, QuotaRefusal};
pub use postgres::{PgTarget, PostgresOptions, PostgresStore};
pub use sqlite::SqliteStore;

use std::future::Future;

use tokio::sync::oneshot;

/// A row id of the `users` table.
pub type UserId = i64;

/// What the store needs to check a password.
#[derive(Debug, Clone)]
pub struct UserAuth {
    /// Row id.
    pub id: UserId,
    /// Canonical username as stored.
    pub username: String,
    /// bcrypt hash (`$2b$...`).
    pub password_hash: String,
}

/// A user's current identity key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRecord {
    /// SubjectPublicKeyInfo PEM as registered.
    pub public_key: String,
    /// fingerprint(public_key), 64 hex chars.
    pub fingerprint: String,
}

/// A stored envelope waiting for its recipient's ack.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredMessage {
    /// Monotonic per store; the order of delivery. Ascending `seq` is the
    /// order in which sends were committed.
    pub seq: i64,
    /// The id given to clients (`msg_id`): a UUID string, version 7 for
    /// messages stored now (PROTOCOL.md D4).
    pub msg_id: String,
    /// Sender username.
    pub sender: String,
    /// Server timestamp of the send (Unix ms).
    pub ts: i64,
    /// The envelope as JSON text, exactly as received.
    pub envelope: String,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Sender username.
    pub sender: String,
    /// Recipient username (must exist).
    pub recipient: String,
    /// Envelope JSON text.
    pub envelope: String,
    /// Server timestamp (Unix ms).
    pub ts: i64,
    /// After this time (Unix ms) the message is purged unacked.
    pub expires_at: i64,
    /// Refuse with [`StoreError::MailboxFull`] when the recipient already has
    /// this many stored.
    pub mailbox_limit: u32,
    /// Refuse with [`StoreError::SenderShareFull`] when the recipient
    /// already has this many stored from this sender.
    pub sender_limit: u32,
}

/// The last committed membership of a group (PROTOCOL.md §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    /// The committed version (1 or more).
    pub version: u64,
    /// Its state hash, 64 lowercase hex digits.
    pub state_hash: String,
    /// Members, ascending.
    pub members: Vec<String>,
    /// Admins, ascending, each a member.
    pub admins: Vec<String>,
}

/// A session token row (only its SHA-256 is ever stored).
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Owner.
    pub user_id: UserId,
    /// SHA-256 of the raw token bytes.
    pub token_hash: [u8; 32],
    /// Creation (Unix ms).
    pub created_at: i64,
    /// Absolute expiry (Unix ms).
    pub expires_at: i64,
}

/// Store failures callers distinguish.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// signup for a name that exists.
    #[error("username is taken")]
    UsernameTaken,
    /// The named user does not exist.
    #[error("no such user")]
    NoSuchUser,
    /// The recipient has `mailbox_limit` messages stored.
    #[error("recipient mailbox is full")]
    MailboxFull,
    /// The recipient has `sender_limit` messages stored from this sender.
    #[error("the sender's share of the recipient's mailbox is full")]
    SenderShareFull,
    /// The store is shutting down or its writer died.
    #[error("store is unavailable")]
    Unavailable,
    /// Anything else from the database.
    #[error("database error: {0}")]
    Db(String),
}

/// A write that holds its place in the commit order and is not committed
/// yet: [`Commit::wait`] resolves once it is (or has failed). Lets a
/// connection queue its next send before the previous one is durable
/// without giving up per-sender order.
#[derive(Debug)]
pub struct Commit<T>(oneshot::Receiver<Result<T, StoreError>>);

impl<T> Commit<T> {
    /// A commit whose result arrives on `rx`.
    pub fn new(rx: oneshot::Receiver<Result<T, StoreError>>) -> Self {
        Commit(rx)
    }

    /// A write that needed nothing done, so it is as good as committed.
    pub fn done(value: T) -> Self {
        Self::finished(Ok(value))
    }

    /// A write already committed (or refused) when its place was taken.
    pub fn finished(result: Result<T, StoreError>) -> Self {
        let (tx, rx) = oneshot::channel();
        let _ = tx.send(result);
        Commit(rx)
    }

    /// Waits for the outcome; a store that went away is `Unavailable`.
    pub async fn wait(self) -> Result<T, StoreError> {
        self.0.await.map_err(|_| StoreError::Unavailable)?
    }
}

/// Told of every message a store commits, in commit (`seq`) order, right
/// after the commit: the store's way of handing new mail straight to the
/// recipient's delivery loop, which otherwise reads it back from the store
/// after a wake-up. Called on the store's writer thread: it must not block.
pub trait CommitSink: Send + Sync + 'static {
    /// `msg` for `recipient` is committed; every message committed before
    /// it was passed here before it.
    fn committed(&self, recipient: &str, msg: &StoredMessage);
}

/// A fresh `msg_id`: a UUID of version 7 (PROTOCOL.md D4), whose first
/// bits are the time, so that the ids of new messages land at the end of
/// the `msg_id` index instead of on a random page of it each.
pub(crate) fn new_msg_id(ts: i64) -> Result<String, StoreError> {
    let random = chat_proto::crypto::random_bytes::<10>()
        .map_err(|e| StoreError::Db(format!("the system random source failed: {e}")))?;
    let ms = u64::try_from(ts).unwrap_or(0);
    Ok(uuid::Builder::from_unix_timestamp_millis(ms, &random)
        .into_uuid()
        .to_string())
}

/// The relay's durable state. Every write is committed (durable against a
/// crash of the process) before its future resolves.
pub trait Store: Send + Sync + 'static {
    /// Creates an account with its first identity key.
    fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        key: &KeyRecord,
        now: i64,
    ) -> impl Future<Output = Result<UserId, StoreError>> + Send;

    /// Looks up an account for a password check (exact, case-sensitive).
    fn user_auth(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<UserAuth>, StoreError>> + Send;

    /// Replaces the password hash.
    fn set_password(
        &self,
        user: UserId,
        password_hash: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The user's current identity key.
    fn current_key(
        &self,
        username: &str,
    ) -> impl Future<Output = Result<Option<KeyRecord>, StoreError>> + Send;

    /// Makes `key` current for `user`; the previous one is kept in history.
    fn replace_key(
        &self,
        user: UserId,
        key: &KeyRecord,
        now: i64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Usernames starting with `prefix`, sorted, strictly after `after` when
    /// given, at most `limit`.
    fn list_users(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Whether the account exists.
    fn user_exists(&self, username: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores a new session token hash.
    fn insert_token(&self, token: NewToken) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Checks a token for `username`: valid when it exists, belongs to that
    /// user, `now < expires_at`, and it was used within `idle_ms`. A valid
    /// token's last use is set to `now`. Returns the user id and the
    /// token's absolute expiry (Unix ms) when valid.
    fn use_token(
        &self,
        username: &str,
        token_hash: [u8; 32],
        now: i64,
        idle_ms: i64,
    ) -> impl Future<Output = Result<Option<(UserId, i64)>, StoreError>> + Send;

    /// Revokes one token.
    fn revoke_token(
        &self,
        token_hash: [u8; 32],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Revokes every token of `user` except `keep` (when given).
    fn revoke_tokens_except(
        &self,
        user: UserId,
        keep: Option<[u8; 32]>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a message durably; fails with `NoSuchUser`, `MailboxFull` or
    /// `SenderShareFull`.
    fn enqueue(
        &self,
        msg: NewMessage,
    ) -> impl Future<Output = Result<StoredMessage, StoreError>> + Send;

    /// Queues a message as [`Store::enqueue`] would store it and resolves
    /// as soon as its place in the commit order is taken: a write queued
    /// after this one resolves is committed after it. The [`Commit`]
    /// resolves once it is durable.
    fn enqueue_in_order(
        &self,
        msg: NewMessage,
    ) -> impl Future<Output = Result<Commit<StoredMessage>, StoreError>> + Send;

    /// Stores `msgs` in one transaction, in order, each as [`Store::enqueue`]
    /// would: one result per message. An item refused (`NoSuchUser`,
    /// `MailboxFull`, `SenderShareFull`) stores nothing and does not stop
    /// the others; the outer `Err` means nothing at all was stored.
    fn enqueue_many(
        &self,
        msgs: Vec<NewMessage>,
    ) -> impl Future<Output = Result<Vec<Result<StoredMessage, StoreError>>, StoreError>> + Send;

    /// The last committed membership of `group_id`, if any.
    fn group(
        &self,
        group_id: &str,
    ) -> impl Future<Output = Result<Option<GroupRecord>, StoreError>> + Send;

    /// Records `record` as the membership of `group_id`, committed by `by`,
    /// if the version held now is `expected` (0: no record yet); otherwise
    /// changes nothing and returns the record held now (`Ok(Err(..))`).
    /// The comparison and the write are one step of the writer, so two
    /// commits for one version cannot both succeed.
    fn commit_group(
        &self,
        group_id: &str,
        expected: u64,
        record: GroupRecord,
        by: &str,
        now: i64,
    ) -> impl Future<Output = Result<Result<(), Option<GroupRecord>>, StoreError>> + Send;

    /// Passes every message committed from now on to `sink`, in `seq`
    /// order, if this store can ([`CommitSink`]); returns whether it will.
    /// A store that cannot (several nodes commit to it) returns `false`,
    /// and callers wake the recipients to read their mail themselves.
    fn publish_commits(&self, sink: std::sync::Arc<dyn CommitSink>) -> bool {
        let _ = sink;
        false
    }

    /// Unacked, unexpired messages for `recipient` with `seq > after`,
    /// ascending, at most `limit`.
    fn pending(
        &self,
        recipient: &str,
        after: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<StoredMessage>, StoreError>> + Send;

    /// Deletes the listed messages if they are addressed to `recipient`
    /// (ids of other users' messages and unknown ids are ignored).
    fn ack(
        &self,
        recipient: &str,
        msg_ids: &[String],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Queues an [`Store::ack`] and resolves once its place in the commit
    /// order is taken; the [`Commit`] resolves once it is durable.
    fn ack_in_order(
        &self,
        recipient: &str,
        msg_ids: Vec<String>,
    ) -> impl Future<Output = Result<Commit<()>, StoreError>> + Send;

    /// Deletes expired messages and expired tokens; returns how many
    /// messages went.
    fn purge_expired(&self, now: i64) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// Records a blob reservation (PROTOCOL.md §5.3) unless the owner's
    /// unexpired blobs plus this one would pass `quota` bytes, or the owner
    /// already has `max_uploads` unfinished uploads (`Ok(Err(..))`). The
    /// check and the insert are one step of the writer.
    fn blob_create(
        &self,
        new: NewBlob,
    ) -> impl Future<Output = Result<Result<(), QuotaRefusal>, StoreError>> + Send;

    /// The record of `blob_id`, expired or not.
    fn blob(
        &self,
        blob_id: &str,
    ) -> impl Future<Output = Result<Option<BlobRecord>, StoreError>> + Send;

    /// Moves an unfinished blob's durable offset from `from` to `to`
    /// (compare-and-set); false when it was not at `from`.
    fn blob_advance(
        &self,
        blob_id: &str,
        from: u64,
        to: u64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Marks an unfinished blob whose offset is its size finished with
    /// `digest`, expiring at `expires`; false when it is not such a blob.
    fn blob_finish(
        &self,
        blob_id: &str,
        digest: &str,
        now: i64,
        expires: i64,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deletes a blob's record, freeing its quota; false when there was none.
    fn blob_delete(&self, blob_id: &str) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Ids of blobs expired at `now`, at most `limit`.
    fn blobs_expired(
        &self,
        now: i64,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Finishes the writes already queued and releases the database; later
    /// calls fail with [`StoreError::Unavailable`]. Called once at shutdown.
    fn shutdown(&self) -> impl Future<Output = ()> + Send;
}
