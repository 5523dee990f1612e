//! Writing the PostgreSQL side: the schema as a server start would make
//! it, then one transaction that locks the tables, refuses (or, asked to,
//! empties) a target holding data, inserts every batch and fixes what the
//! SQLite schema keeps differently. Nothing is visible until the commit,
//! and an error anywhere drops the transaction, so a failed migration
//! leaves the target as it was.
//!
//! Each batch is one `INSERT ... SELECT FROM unnest(...)` with a bound
//! array per column: one round trip and one plan for thousands of rows,
//! without COPY's text escaping. Row ids, `seq` and `msg_id` are copied as
//! they are, so every reference between tables holds without a mapping and
//! a recipient's queued messages keep their order.

use std::time::Duration;

use anyhow::{Context, bail};
use tokio_postgres::Transaction;
use tokio_postgres::error::SqlState;

use super::Summary;
use super::source::{Batch, Blobs, Groups, Keys, Messages, Tokens, Users};
use crate::store::{PgTarget, PostgresOptions, PostgresStore, StoreError};

/// The tables the relay's durable state lives in, in an order that
/// `LOCK` and `TRUNCATE` accept.
const TABLES: &str = "users, identity_keys, tokens, mailboxes, messages, group_records, blobs";
/// How long to wait for the tables' locks before concluding that
/// something (a chat-server on the target) is using them.
const LOCK_TIMEOUT: &str = "10s";
/// Connecting may take this long.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Brings the target's schema up to date (refusing one newer than this
/// build, as a server start would) and opens the connection the copy runs
/// on.
pub(super) async fn connect(
    url: &str,
    ca: Option<&std::path::Path>,
) -> anyhow::Result<tokio_postgres::Client> {
    let target = PgTarget::new(url, ca, CONNECT_TIMEOUT)?;
    let options = PostgresOptions {
        max_connections: 1,
        connect_timeout: CONNECT_TIMEOUT,
        ca: ca.map(ToOwned::to_owned),
    };
    let schema = PostgresStore::open(&target, &options)
        .await
        .map_err(|e| anyhow::anyhow!("cannot prepare the target database: {e}"))?;
    schema.close();
    target
        .connect("chat-server migrate")
        .await
        .map_err(|e| anyhow::anyhow!("cannot connect to the target: {e}"))
}

/// Locks the tables against every other writer and checks that they are
/// empty; with `overwrite`, empties them instead of refusing.
pub(super) async fn prepare(tx: &Transaction<'_>, overwrite: bool) -> anyhow::Result<()> {
    tx.batch_execute(&format!("SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"))
        .await
        .map_err(db)?;
    if let Err(e) = tx
        .batch_execute(&format!("LOCK TABLE {TABLES} IN EXCLUSIVE MODE"))
        .await
    {
        if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) {
            bail!(
                "the target's tables stayed locked for {LOCK_TIMEOUT}; stop every chat-server \
                 using the target database and run migrate again"
            );
        }
        return Err(db(e));
    }
    let mut holding = Vec::new();
    for table in TABLES.split(", ") {
        let row = tx
            .query_one(&format!("SELECT EXISTS (SELECT 1 FROM {table})"), &[])
            .await
            .map_err(db)?;
        if row.get::<_, bool>(0) {
            holding.push(table);
        }
    }
    if holding.is_empty() {
        return Ok(());
    }
    if !overwrite {
        bail!(
            "the target database already holds data (in {}); migrate into an empty database, \
             or pass --overwrite to replace everything it holds",
            holding.join(", ")
        );
    }
    tx.batch_execute(&format!("TRUNCATE {TABLES} RESTART IDENTITY CASCADE"))
        .await
        .map_err(db)?;
    Ok(())
}

/// Inserts one batch.
pub(super) async fn insert(tx: &Transaction<'_>, batch: Batch) -> anyhow::Result<()> {
    match batch {
        Batch::Users(b) => users(tx, &b).await.context("copying accounts"),
        Batch::Keys(b) => keys(tx, &b).await.context("copying identity keys"),
        Batch::Tokens(b) => tokens(tx, &b).await.context("copying session tokens"),
        Batch::Messages(b) => messages(tx, &b).await.context("copying queued messages"),
        Batch::Groups(b) => groups(tx, &b).await.context("copying group records"),
        Batch::Blobs(b) => blobs(tx, &b).await.context("copying blob metadata"),
    }
}

async fn users(tx: &Transaction<'_>, b: &Users) -> anyhow::Result<()> {
    // The seed's `created_at` is a text timestamp; PostgreSQL's is a
    // timestamptz. An unreadable one becomes the time of the migration.
    tx.execute(
        "INSERT INTO users (id, username, password_hash, created_at) \
         SELECT id, username, hash, coalesce(to_timestamp(created), now()) \
         FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[]) \
         AS t (id, username, hash, created)",
        &[&b.id, &b.username, &b.password_hash, &b.created_s],
    )
    .await
    .map_err(db)?;
    Ok(())
}

async fn keys(tx: &Transaction<'_>, b: &Keys) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO identity_keys \
         (id, user_id, public_key, fingerprint, created_at, replaced_at) \
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], \
         $5::bigint[], $6::bigint[])",
        &[
            &b.id,
            &b.user_id,
            &b.public_key,
            &b.fingerprint,
            &b.created_at,
            &b.replaced_at,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

async fn tokens(tx: &Transaction<'_>, b: &Tokens) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO tokens (token_hash, user_id, created_at, expires_at, last_used_at) \
         SELECT * FROM unnest($1::bytea[], $2::bigint[], $3::bigint[], $4::bigint[], \
         $5::bigint[])",
        &[
            &b.token_hash,
            &b.user_id,
            &b.created_at,
            &b.expires_at,
            &b.last_used_at,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

async fn messages(tx: &Transaction<'_>, b: &Messages) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO messages (recipient_id, seq, msg_id, sender, ts, expires_at, envelope) \
         SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], \
         $5::bigint[], $6::bigint[], $7::text[])",
        &[
            &b.recipient_id,
            &b.seq,
            &b.msg_id,
            &b.sender,
            &b.ts,
            &b.expires_at,
            &b.envelope,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

async fn groups(tx: &Transaction<'_>, b: &Groups) -> anyhow::Result<()> {
    // SQLite keeps member lists as JSON arrays, PostgreSQL as text[]; the
    // order (ascending, as committed) is kept element by element.
    tx.execute(
        "INSERT INTO group_records \
         (group_id, version, state_hash, members, admins, committed_by, committed_at) \
         SELECT g, v, h, \
           ARRAY(SELECT e FROM json_array_elements_text(m::json) WITH ORDINALITY AS x (e, n) \
                 ORDER BY n), \
           ARRAY(SELECT e FROM json_array_elements_text(a::json) WITH ORDINALITY AS x (e, n) \
                 ORDER BY n), \
           cb, ca \
         FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], \
         $6::text[], $7::bigint[]) AS t (g, v, h, m, a, cb, ca)",
        &[
            &b.group_id,
            &b.version,
            &b.state_hash,
            &b.members_json,
            &b.admins_json,
            &b.committed_by,
            &b.committed_at,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

async fn blobs(tx: &Transaction<'_>, b: &Blobs) -> anyhow::Result<()> {
    tx.execute(
        "INSERT INTO blobs (blob_id, owner_id, size, durable_offset, digest, state, \
         created_at, finished_at, expires_at) \
         SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], \
         $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[])",
        &[
            &b.blob_id,
            &b.owner_id,
            &b.size,
            &b.durable_offset,
            &b.digest,
            &b.state,
            &b.created_at,
            &b.finished_at,
            &b.expires_at,
        ],
    )
    .await
    .map_err(db)?;
    Ok(())
}

/// What SQLite keeps differently: every account gets its `mailboxes` row,
/// whose `last_seq` continues after its highest queued `seq` (so new
/// messages are delivered after the copied ones), and the identity
/// sequences continue after the copied ids. Then counts what the target
/// now holds.
pub(super) async fn finish(tx: &Transaction<'_>) -> anyhow::Result<Summary> {
    tx.batch_execute(
        "INSERT INTO mailboxes (user_id, last_seq) \
           SELECT u.id, coalesce(max(m.seq), 0) FROM users u \
           LEFT JOIN messages m ON m.recipient_id = u.id GROUP BY u.id; \
         SELECT setval(pg_get_serial_sequence('users', 'id'), coalesce(max(id), 0) + 1, false) \
           FROM users; \
         SELECT setval(pg_get_serial_sequence('identity_keys', 'id'), \
           coalesce(max(id), 0) + 1, false) FROM identity_keys;",
    )
    .await
    .map_err(db)
    .context("setting the mailboxes' sequences")?;
    let row = tx
        .query_one(
            "SELECT (SELECT count(*) FROM users), \
               (SELECT count(*) FROM identity_keys), \
               (SELECT count(*) FROM identity_keys WHERE replaced_at IS NULL), \
               (SELECT count(*) FROM tokens), \
               (SELECT count(*) FROM messages), \
               (SELECT count(DISTINCT recipient_id) FROM messages), \
               (SELECT count(*) FROM group_records), \
               (SELECT count(*) FROM blobs), \
               (SELECT coalesce(sum(size), 0)::bigint FROM blobs WHERE state = 'finished')",
            &[],
        )
        .await
        .map_err(db)?;
    let n = |i: usize| u64::try_from(row.get::<_, i64>(i)).unwrap_or(0);
    Ok(Summary {
        accounts: n(0),
        identity_keys: n(1),
        current_keys: n(2),
        tokens: n(3),
        messages: n(4),
        recipients: n(5),
        groups: n(6),
        blobs: n(7),
        blob_bytes: n(8),
        ..Summary::default()
    })
}

/// A driver error in the words the store uses (PostgreSQL's message and
/// its SQLSTATE).
fn db(e: tokio_postgres::Error) -> anyhow::Error {
    anyhow::anyhow!("{}", StoreError::from(e))
}
