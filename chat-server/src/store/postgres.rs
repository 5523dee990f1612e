//! The relay's store on PostgreSQL, for when one machine is outgrown and
//! several chat-server nodes share one database (issue 15). PostgreSQL is
//! the source of truth: every write is its own transaction, committed
//! (`synchronous_commit` as the server is configured, on by default, so
//! flushed to its WAL) before the call returns, so `sent` still means
//! durable. The driver is async, so no call blocks an async worker.
//!
//! One module per concern, each holding its SQL: [`pool`] (connections,
//! errors), [`migrate`], [`accounts`], [`tokens`], [`mailbox`] (the
//! per-recipient sequence that keeps delivery order across nodes),
//! [`groups`] and [`blobs`].

mod accounts;
mod blobs;
mod connect;
mod groups;
mod mailbox;
mod migrate;
mod pool;
mod tokens;

pub use connect::PgTarget;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use deadpool_postgres::Pool;

use super::{
    BlobRecord, Commit, GroupRecord, KeyRecord, NewBlob, NewMessage, NewToken, QuotaRefusal, Store,
    StoreError, StoredMessage, UserAuth, UserId,
};

/// Tunables of [`PostgresStore::connect_with`]; the defaults suit one node.
#[derive(Debug, Clone)]
pub struct PostgresOptions {
    /// Connections this node keeps at most (at least 1). Every node of a
    /// cluster has its own; PostgreSQL's `max_connections` must cover them
    /// all.
    pub max_connections: usize,
    /// How long connecting, or waiting for a free connection, may take
    /// before a call fails.
    pub connect_timeout: Duration,
    /// Verified TLS against the CA certificates (PEM) in this file
    /// (`--store-ca`); plain text without it.
    pub ca: Option<PathBuf>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        PostgresOptions {
            max_connections: 16,
            connect_timeout: Duration::from_secs(10),
            ca: None,
        }
    }
}

/// [`Store`] on a PostgreSQL database.
pub struct PostgresStore {
    pool: Pool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`,
    /// or libpq's key=value form; `host=/run/postgresql` for a unix socket)
    /// with default options and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        Self::connect_with(url, &PostgresOptions::default()).await
    }

    /// Connects with the given tunables.
    pub async fn connect_with(
        url: &str,
        options: &PostgresOptions,
    ) -> Result<PostgresStore, StoreError> {
        let target = PgTarget::new(url, options.ca.as_deref(), options.connect_timeout)?;
        Self::open(&target, options).await
    }

    /// Connects to `target` with the given tunables (their `ca` is
    /// `target`'s already) and brings the schema up to date.
    pub async fn open(
        target: &PgTarget,
        options: &PostgresOptions,
    ) -> Result<PostgresStore, StoreError> {
        let pool = pool::open(target, options.max_connections, options.connect_timeout)?;
        migrate::apply(&pool, now_ms()).await?;
        Ok(PostgresStore { pool })
    }

    /// Refuses new calls (they fail with [`StoreError::Unavailable`]) and
    /// closes idle connections; calls under way finish.
    pub fn close(&self) {
        self.pool.close();
    }

    /// The newest schema version this build applies.
    pub fn schema_version() -> i64 {
        migrate::latest()
    }
}

/// Wall-clock Unix milliseconds, for the places the trait gives no `now`
/// (the migration log, `pending`'s expiry filter). The node's clock, not
/// the database's, as for every other time the relay stores.
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Store for PostgresStore {
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        key: &KeyRecord,
        now: i64,
    ) -> Result<UserId, StoreError> {
        accounts::create_user(&self.pool, username, password_hash, key, now).await
    }

    async fn user_auth(&self, username: &str) -> Result<Option<UserAuth>, StoreError> {
        accounts::user_auth(&self.pool, username).await
    }

    async fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        accounts::set_password(&self.pool, user, password_hash).await
    }

    async fn current_key(&self, username: &str) -> Result<Option<KeyRecord>, StoreError> {
        accounts::current_key(&self.pool, username).await
    }

    async fn replace_key(&self, user: UserId, key: &KeyRecord, now: i64) -> Result<(), StoreError> {
        accounts::replace_key(&self.pool, user, key, now).await
    }

    async fn list_users(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        accounts::list_users(&self.pool, prefix, after, limit).await
    }

    async fn user_exists(&self, username: &str) -> Result<bool, StoreError> {
        accounts::user_exists(&self.pool, username).await
    }

    async fn insert_token(&self, token: NewToken) -> Result<(), StoreError> {
        tokens::insert(&self.pool, &token).await
    }

    async fn use_token(
        &self,
        username: &str,
        token_hash: [u8; 32],
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<(UserId, i64)>, StoreError> {
        tokens::use_token(&self.pool, username, &token_hash, now, idle_ms).await
    }

    async fn revoke_token(&self, token_hash: [u8; 32]) -> Result<(), StoreError> {
        tokens::revoke(&self.pool, &token_hash).await
    }

    async fn revoke_tokens_except(
        &self,
        user: UserId,
        keep: Option<[u8; 32]>,
    ) -> Result<(), StoreError> {
        tokens::revoke_except(&self.pool, user, keep.as_ref()).await
    }

    async fn enqueue(&self, msg: NewMessage) -> Result<StoredMessage, StoreError> {
        mailbox::enqueue(&self.pool, &msg).await
    }

    /// Committed before its place is given back: a connection's sends
    /// are stored one after another, which keeps per-sender order without
    /// a single writer to queue behind (so a connection's sends are not
    /// pipelined into one commit on PostgreSQL; each commits on its own).
    async fn enqueue_in_order(&self, msg: NewMessage) -> Result<Commit<StoredMessage>, StoreError> {
        Ok(Commit::finished(self.enqueue(msg).await))
    }

    async fn enqueue_many(
        &self,
        msgs: Vec<NewMessage>,
    ) -> Result<Vec<Result<StoredMessage, StoreError>>, StoreError> {
        if msgs.is_empty() {
            return Ok(Vec::new());
        }
        mailbox::enqueue_many(&self.pool, &msgs).await
    }

    async fn group(&self, group_id: &str) -> Result<Option<GroupRecord>, StoreError> {
        groups::get(&self.pool, group_id).await
    }

    async fn commit_group(
        &self,
        group_id: &str,
        expected: u64,
        record: GroupRecord,
        by: &str,
        now: i64,
    ) -> Result<Result<(), Option<GroupRecord>>, StoreError> {
        groups::commit(&self.pool, group_id, expected, &record, by, now).await
    }

    async fn pending(
        &self,
        recipient: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        mailbox::pending(&self.pool, recipient, after, limit, now_ms()).await
    }

    async fn ack(&self, recipient: &str, msg_ids: &[String]) -> Result<(), StoreError> {
        if msg_ids.is_empty() {
            return Ok(());
        }
        mailbox::ack(&self.pool, recipient, msg_ids).await
    }

    /// Committed before its place is given back, as
    /// [`Store::enqueue_in_order`] here.
    async fn ack_in_order(
        &self,
        recipient: &str,
        msg_ids: Vec<String>,
    ) -> Result<Commit<()>, StoreError> {
        Ok(Commit::finished(self.ack(recipient, &msg_ids).await))
    }

    async fn purge_expired(&self, now: i64) -> Result<u64, StoreError> {
        mailbox::purge_expired(&self.pool, now).await
    }

    async fn blob_create(&self, new: NewBlob) -> Result<Result<(), QuotaRefusal>, StoreError> {
        blobs::create(&self.pool, &new).await
    }

    async fn blob(&self, blob_id: &str) -> Result<Option<BlobRecord>, StoreError> {
        blobs::get(&self.pool, blob_id).await
    }

    async fn blob_advance(&self, blob_id: &str, from: u64, to: u64) -> Result<bool, StoreError> {
        blobs::advance(&self.pool, blob_id, from, to).await
    }

    async fn blob_finish(
        &self,
        blob_id: &str,
        digest: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool, StoreError> {
        blobs::finish(&self.pool, blob_id, digest, now, expires).await
    }

    async fn blob_delete(&self, blob_id: &str) -> Result<bool, StoreError> {
        blobs::delete(&self.pool, blob_id).await
    }

    async fn blobs_expired(&self, now: i64, limit: u32) -> Result<Vec<String>, StoreError> {
        blobs::expired(&self.pool, now, limit).await
    }

    async fn shutdown(&self) {
        self.close();
    }
}
