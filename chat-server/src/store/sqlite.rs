//! The relay's store on one machine: a SQLite file in WAL mode with one
//! writer thread that group-commits, so that every `sent` is fsynced before
//! it is answered without making concurrent senders queue for one fsync
//! each, and a pool of readers so that logins and deliveries never wait for
//! the writer.
//!
//! Every SQLite call runs off the async workers: writes on the writer
//! thread, reads on tokio's blocking pool.

mod blobs;
mod connection;
mod migrate;
mod ops;
mod queries;
mod readers;
mod writer;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use rusqlite::Connection;

use self::readers::Readers;
use self::writer::Writer;
pub use self::writer::WriterStats;
use super::{
    BlobRecord, Commit, CommitSink, GroupRecord, KeyRecord, NewBlob, NewMessage, NewToken,
    QuotaRefusal, Store, StoreError, StoredMessage, UserAuth, UserId,
};

/// Tunables of [`SqliteStore::open_with`]; the defaults suit one server.
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    /// Read-only connections in the pool (at least 1).
    pub readers: usize,
    /// Most writes committed in one transaction (at least 1).
    pub batch_max: usize,
    /// Writes that may wait for the writer before callers are made to wait
    /// for room (at least 1).
    pub queue_capacity: usize,
    /// How long a connection waits for a lock held by another process
    /// (a backup tool, a second server by mistake) before failing.
    pub busy_timeout: Duration,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        SqliteOptions {
            readers: 4,
            batch_max: 256,
            queue_capacity: 1024,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

/// [`Store`] on a SQLite file. Dropping it stops the writer once the
/// queued writes are done; [`SqliteStore::close`] also waits for that.
pub struct SqliteStore {
    writer: Writer,
    readers: Readers,
    /// Where committed messages go ([`Store::publish_commits`]). One
    /// writer thread commits everything, so its order is `seq` order.
    sink: Arc<OnceLock<Arc<dyn CommitSink>>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with default
    /// options and brings its schema up to date.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        Self::open_with(path, &SqliteOptions::default())
    }

    /// Opens the database at `path` with the given tunables.
    pub fn open_with(path: &Path, options: &SqliteOptions) -> Result<SqliteStore, StoreError> {
        let mut conn = connection::open_writer(path, options.busy_timeout)?;
        migrate::apply(&mut conn, now_ms())?;
        // Readers are opened after the writer made the file a WAL database.
        let readers = Readers::open(path, options.readers, options.busy_timeout)?;
        let writer = Writer::spawn(conn, options.batch_max, options.queue_capacity)?;
        Ok(SqliteStore {
            writer,
            readers,
            sink: Arc::default(),
        })
    }

    /// Refuses new calls (they fail with [`StoreError::Unavailable`]),
    /// waits until every write already queued is committed, and stops the
    /// writer thread. Calling it again does nothing.
    pub async fn close(&self) {
        self.readers.close();
        let Some(thread) = self.writer.shut() else {
            return;
        };
        let joined = tokio::task::spawn_blocking(move || thread.join()).await;
        if !matches!(joined, Ok(Ok(()))) {
            tracing::error!("the database writer thread panicked");
        }
    }

    /// Counters of the group commit (batches and writes committed).
    pub fn writer_stats(&self) -> WriterStats {
        self.writer.stats()
    }

    /// The newest schema version this build applies (`chat-server
    /// migrate` reads files up to this version and refuses newer ones).
    pub fn schema_version() -> i64 {
        migrate::latest()
    }

    async fn read<T, F>(&self, read: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.readers.run(read).await
    }

    async fn write<T, F>(&self, op: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.writer.run(op).await
    }

    /// Queues `msgs` to be stored by `op` and, once committed, passed to
    /// the sink (if any) in order, each with its recipient.
    async fn queue_mail<T, F>(
        &self,
        recipients: Vec<String>,
        op: F,
        stored: fn(&T) -> Vec<Option<&StoredMessage>>,
    ) -> Result<Commit<T>, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let sink = Arc::clone(&self.sink);
        self.writer
            .queue_then(op, move |result: &T| {
                let Some(sink) = sink.get() else {
                    return;
                };
                for (to, msg) in recipients.iter().zip(stored(result)) {
                    if let Some(msg) = msg {
                        sink.committed(to, msg);
                    }
                }
            })
            .await
    }

    async fn queue_one(&self, msg: NewMessage) -> Result<Commit<StoredMessage>, StoreError> {
        let recipients = vec![msg.recipient.clone()];
        self.queue_mail(
            recipients,
            move |c| ops::enqueue(c, &msg),
            |m| vec![Some(m)],
        )
        .await
    }
}

/// Wall-clock Unix milliseconds, for the few places the trait gives no
/// `now` (the migration log, `pending`'s expiry filter).
fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Store for SqliteStore {
    async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        key: &KeyRecord,
        now: i64,
    ) -> Result<UserId, StoreError> {
        let (username, password_hash) = (username.to_owned(), password_hash.to_owned());
        let key = key.clone();
        self.write(move |c| ops::create_user(c, &username, &password_hash, &key, now))
            .await
    }

    async fn user_auth(&self, username: &str) -> Result<Option<UserAuth>, StoreError> {
        let username = username.to_owned();
        self.read(move |c| queries::user_auth(c, &username)).await
    }

    async fn set_password(&self, user: UserId, password_hash: &str) -> Result<(), StoreError> {
        let password_hash = password_hash.to_owned();
        self.write(move |c| ops::set_password(c, user, &password_hash))
            .await
    }

    async fn current_key(&self, username: &str) -> Result<Option<KeyRecord>, StoreError> {
        let username = username.to_owned();
        self.read(move |c| queries::current_key(c, &username)).await
    }

    async fn replace_key(&self, user: UserId, key: &KeyRecord, now: i64) -> Result<(), StoreError> {
        let key = key.clone();
        self.write(move |c| ops::replace_key(c, user, &key, now))
            .await
    }

    async fn list_users(
        &self,
        prefix: &str,
        after: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let prefix = prefix.to_owned();
        let after = after.map(str::to_owned);
        self.read(move |c| queries::list_users(c, &prefix, after.as_deref(), limit))
            .await
    }

    async fn user_exists(&self, username: &str) -> Result<bool, StoreError> {
        let username = username.to_owned();
        self.read(move |c| queries::user_exists(c, &username)).await
    }

    async fn insert_token(&self, token: NewToken) -> Result<(), StoreError> {
        self.write(move |c| ops::insert_token(c, &token)).await
    }

    async fn use_token(
        &self,
        username: &str,
        token_hash: [u8; 32],
        now: i64,
        idle_ms: i64,
    ) -> Result<Option<(UserId, i64)>, StoreError> {
        let username = username.to_owned();
        let owner = self
            .read(move |c| queries::token_owner(c, &username, &token_hash, now, idle_ms))
            .await?;
        // Only a token that looks valid costs a write; the writer checks
        // again, since a revoke may have committed in between.
        let Some(user) = owner else {
            return Ok(None);
        };
        self.write(move |c| ops::touch_token(c, user, &token_hash, now, idle_ms))
            .await
    }

    async fn revoke_token(&self, token_hash: [u8; 32]) -> Result<(), StoreError> {
        self.write(move |c| ops::revoke_token(c, &token_hash)).await
    }

    async fn revoke_tokens_except(
        &self,
        user: UserId,
        keep: Option<[u8; 32]>,
    ) -> Result<(), StoreError> {
        self.write(move |c| ops::revoke_tokens_except(c, user, keep.as_ref()))
            .await
    }

    async fn enqueue(&self, msg: NewMessage) -> Result<StoredMessage, StoreError> {
        self.queue_one(msg).await?.wait().await
    }

    async fn enqueue_in_order(&self, msg: NewMessage) -> Result<Commit<StoredMessage>, StoreError> {
        self.queue_one(msg).await
    }

    fn publish_commits(&self, sink: Arc<dyn CommitSink>) -> bool {
        // Set once, at start; a second sink would have missed messages.
        self.sink.set(sink).is_ok()
    }

    async fn enqueue_many(
        &self,
        msgs: Vec<NewMessage>,
    ) -> Result<Vec<Result<StoredMessage, StoreError>>, StoreError> {
        if msgs.is_empty() {
            return Ok(Vec::new());
        }
        let recipients = msgs.iter().map(|m| m.recipient.clone()).collect();
        self.queue_mail(
            recipients,
            move |c| ops::enqueue_many(c, &msgs),
            |results| results.iter().map(|r| r.as_ref().ok()).collect(),
        )
        .await?
        .wait()
        .await
    }

    async fn group(&self, group_id: &str) -> Result<Option<GroupRecord>, StoreError> {
        let group_id = group_id.to_owned();
        self.read(move |c| queries::group(c, &group_id)).await
    }

    async fn commit_group(
        &self,
        group_id: &str,
        expected: u64,
        record: GroupRecord,
        by: &str,
        now: i64,
    ) -> Result<Result<(), Option<GroupRecord>>, StoreError> {
        let (group_id, by) = (group_id.to_owned(), by.to_owned());
        self.write(move |c| ops::commit_group(c, &group_id, expected, &record, &by, now))
            .await
    }

    async fn pending(
        &self,
        recipient: &str,
        after: i64,
        limit: u32,
    ) -> Result<Vec<StoredMessage>, StoreError> {
        let recipient = recipient.to_owned();
        // The trait gives no `now` here: expiry is judged by the wall clock.
        let now = now_ms();
        self.read(move |c| queries::pending(c, &recipient, after, limit, now))
            .await
    }

    async fn ack(&self, recipient: &str, msg_ids: &[String]) -> Result<(), StoreError> {
        if msg_ids.is_empty() {
            return Ok(());
        }
        let recipient = recipient.to_owned();
        let msg_ids = msg_ids.to_vec();
        self.write(move |c| ops::ack(c, &recipient, &msg_ids)).await
    }

    async fn ack_in_order(
        &self,
        recipient: &str,
        msg_ids: Vec<String>,
    ) -> Result<Commit<()>, StoreError> {
        if msg_ids.is_empty() {
            return Ok(Commit::done(()));
        }
        let recipient = recipient.to_owned();
        self.writer
            .queue(move |c| ops::ack(c, &recipient, &msg_ids))
            .await
    }

    async fn purge_expired(&self, now: i64) -> Result<u64, StoreError> {
        self.write(move |c| ops::purge_expired(c, now)).await
    }

    async fn blob_create(&self, new: NewBlob) -> Result<Result<(), QuotaRefusal>, StoreError> {
        self.write(move |c| blobs::create(c, &new)).await
    }

    async fn blob(&self, blob_id: &str) -> Result<Option<BlobRecord>, StoreError> {
        let blob_id = blob_id.to_owned();
        self.read(move |c| blobs::get(c, &blob_id)).await
    }

    async fn blob_advance(&self, blob_id: &str, from: u64, to: u64) -> Result<bool, StoreError> {
        let blob_id = blob_id.to_owned();
        self.write(move |c| blobs::advance(c, &blob_id, from, to))
            .await
    }

    async fn blob_finish(
        &self,
        blob_id: &str,
        digest: &str,
        now: i64,
        expires: i64,
    ) -> Result<bool, StoreError> {
        let (blob_id, digest) = (blob_id.to_owned(), digest.to_owned());
        self.write(move |c| blobs::finish(c, &blob_id, &digest, now, expires))
            .await
    }

    async fn blob_delete(&self, blob_id: &str) -> Result<bool, StoreError> {
        let blob_id = blob_id.to_owned();
        self.write(move |c| blobs::delete(c, &blob_id)).await
    }

    async fn blobs_expired(&self, now: i64, limit: u32) -> Result<Vec<String>, StoreError> {
        self.read(move |c| blobs::expired(c, now, limit)).await
    }

    async fn shutdown(&self) {
        self.close().await;
    }
}
