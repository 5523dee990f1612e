//! `chat-server migrate`: moves a single-node installation's durable state
//! from its SQLite file into a PostgreSQL database, for when one machine
//! is outgrown (issue 15).
//!
//! All or nothing, because a half-copied store would lose messages without
//! anyone noticing: the copy is one PostgreSQL transaction, and a target
//! that already holds data is refused, so two stores are never merged by
//! accident. The source is read, never written, from one consistent
//! snapshot, and only once no server has it open: a server still running
//! would go on accepting `sent` messages that the copy does not carry.
//!
//! Reading ([`source`], blocking, on a blocking thread) and writing
//! ([`target`], async) overlap through a small bounded channel of column
//! batches, so a mailbox of 100,000 messages moves in seconds with a
//! bounded amount of it in memory.
//!
//! What is not in the database is not moved: blob bytes and the server key
//! stay in the data directory (the summary says so), and failed-login
//! throttling lives in memory.

mod source;
mod target;

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use tokio::sync::mpsc;

use crate::blobs::BLOB_DIR;
use crate::keys::DEFAULT_KEY_FILE;

/// Batches read ahead of the writer at most.
const READ_AHEAD: usize = 4;

/// What to move where.
#[derive(Clone)]
pub struct MigrateOptions {
    /// The SQLite database file of the stopped server.
    pub from: PathBuf,
    /// `postgres://...` URL of the target database.
    pub to: String,
    /// Replace what the target holds instead of refusing it.
    pub overwrite: bool,
    /// Reach the target over TLS verified against this CA (PEM).
    pub ca: Option<PathBuf>,
}

/// Never prints the URL: it may hold a password.
impl fmt::Debug for MigrateOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MigrateOptions")
            .field("from", &self.from)
            .field("overwrite", &self.overwrite)
            .finish_non_exhaustive()
    }
}

/// What the target holds after a migration.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// The source's schema version.
    pub schema_version: i64,
    /// Accounts (with their bcrypt hashes as they were).
    pub accounts: u64,
    /// Identity keys, current and replaced.
    pub identity_keys: u64,
    /// Of those, current.
    pub current_keys: u64,
    /// Session tokens (resume).
    pub tokens: u64,
    /// Queued messages.
    pub messages: u64,
    /// Accounts with queued messages.
    pub recipients: u64,
    /// Group records.
    pub groups: u64,
    /// Blob records (metadata only).
    pub blobs: u64,
    /// Bytes of finished blobs they describe.
    pub blob_bytes: u64,
    /// The directory of the source database, where the blob bytes and
    /// the server key stay.
    pub data_dir: PathBuf,
}

/// Copies everything durable from `opts.from` into `opts.to` in one
/// transaction. On error the target holds what it held before (its
/// schema, if it had none, is created as a server start would).
pub async fn run(opts: &MigrateOptions) -> anyhow::Result<Summary> {
    let from = opts.from.clone();
    let source = tokio::task::spawn_blocking(move || source::Source::open(&from))
        .await
        .context("the task reading the SQLite file failed")??;
    let schema_version = source.version();
    let mut client = target::connect(&opts.to, opts.ca.as_deref()).await?;
    let mut summary = copy(&mut client, source, opts.overwrite)
        .await
        .context("nothing was written to the target (its transaction was rolled back)")?;
    summary.schema_version = schema_version;
    summary.data_dir = data_dir_of(&opts.from);
    Ok(summary)
}

async fn copy(
    client: &mut tokio_postgres::Client,
    source: source::Source,
    overwrite: bool,
) -> anyhow::Result<Summary> {
    let tx = client
        .transaction()
        .await
        .map_err(|e| anyhow::anyhow!("{}", crate::store::StoreError::from(e)))?;
    target::prepare(&tx, overwrite).await?;
    let (sender, mut batches) = mpsc::channel(READ_AHEAD);
    let reader = tokio::task::spawn_blocking(move || source.stream(&sender));
    let mut written = Ok(());
    while let Some(batch) = batches.recv().await {
        if let Err(e) = target::insert(&tx, batch).await {
            written = Err(e);
            break;
        }
    }
    // Stops the reader if the writer failed.
    drop(batches);
    let read = reader
        .await
        .context("the task reading the SQLite file failed")?;
    written?;
    read?;
    let summary = target::finish(&tx).await?;
    tx.commit()
        .await
        .map_err(|e| anyhow::anyhow!("committing: {}", crate::store::StoreError::from(e)))?;
    Ok(summary)
}

/// The directory holding the database file (the server's data directory).
fn data_dir_of(db: &Path) -> PathBuf {
    match db.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "Migrated (SQLite schema version {}, one PostgreSQL transaction, committed):",
            self.schema_version
        )?;
        writeln!(f, "  accounts        {}", self.accounts)?;
        writeln!(
            f,
            "  identity keys   {} ({} current)",
            self.identity_keys, self.current_keys
        )?;
        writeln!(f, "  session tokens  {}", self.tokens)?;
        writeln!(
            f,
            "  queued messages {} (for {} recipients)",
            self.messages, self.recipients
        )?;
        writeln!(f, "  groups          {}", self.groups)?;
        writeln!(
            f,
            "  blobs           {} ({} bytes finished; metadata only)",
            self.blobs, self.blob_bytes
        )?;
        let dir = &self.data_dir;
        writeln!(
            f,
            "Not copied (they are not in the database): the blob bytes in {} and the server \
             key {}.",
            dir.join(BLOB_DIR).display(),
            dir.join(DEFAULT_KEY_FILE).display(),
        )?;
        write!(
            f,
            "Start the server on PostgreSQL with --data-dir {}, or copy both into its data \
             directory first: without that key clients refuse the server (they pin its \
             fingerprint), and without the blobs their downloads fail.",
            dir.display(),
        )
    }
}
