//! The one task that runs transfers: oldest first, one at a time, on a
//! bulk connection of their own (PROTOCOL.md §5.4), opened when there is
//! work and closed when there is none. One at a time keeps the memory and
//! the load of chatd flat whatever is queued; the chat connection is never
//! shared with bulk data, so messages keep flowing while a file moves.
//!
//! A transfer that meets a network failure waits (state `waiting`, with
//! why) and goes on from where the server or the spool file says it got
//! to, after a backoff, a reconnect, or a restart of chatd; one that meets
//! a refusal (quota, size, an expired blob, a file that fails its checks)
//! fails at once with the reason.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chatd_api::{ConnectionState, TransferDirection, TransferState};
use tokio_util::sync::CancellationToken;

use super::end;
use super::progress::Progress;
use crate::core::{Core, CoreError};
use crate::link::bulk::{Bulk, BulkSetup};
use crate::link::keys;
use crate::store::TransferRow;
use crate::transfer::download;
use crate::transfer::error::TransferError;
use crate::transfer::upload::{self, UploadJob};

/// How one run of a transfer ended.
enum Outcome {
    /// Uploaded and sent, or downloaded and in place.
    Done,
    /// A network failure: try again later.
    Retry(String),
    /// It cannot succeed; `tampered` when a download failed its checks.
    Failed { why: String, tampered: bool },
    /// Cancelled, or it ended meanwhile.
    Stopped,
}

/// Runs transfers until `shutdown`.
pub async fn run(core: Arc<Core>, shutdown: CancellationToken) {
    let mut link = core.link().watch();
    let mut bulk: Option<Bulk> = None;
    let mut failures = 0u32;
    loop {
        if shutdown.is_cancelled() {
            break;
        }
        let next = match core.db().call(|tx| tx.transfers_open()).await {
            Ok(rows) => rows.into_iter().next(),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the transfers; trying again");
                if pause(&core, &shutdown, Duration::from_secs(1)).await {
                    break;
                }
                continue;
            }
        };
        let Some(row) = next else {
            if let Some(b) = bulk.take() {
                b.close().await;
            }
            tokio::select! {
                () = core.files().woken() => {}
                () = shutdown.cancelled() => break,
            }
            continue;
        };
        if link.borrow().conn != ConnectionState::LoggedIn {
            if let Some(b) = bulk.take() {
                b.close().await;
            }
            wait_for(&core, &row, "waiting for the server; it goes on by itself").await;
            tokio::select! {
                changed = link.changed() => if changed.is_err() { break },
                () = core.files().woken() => {}
                () = shutdown.cancelled() => break,
            }
            continue;
        }
        let conn = match &bulk {
            Some(b) => b,
            None => match open_bulk(&core).await {
                Ok(b) => bulk.insert(b),
                Err(why) => {
                    wait_for(&core, &row, &why).await;
                    failures += 1;
                    if pause(&core, &shutdown, backoff(failures)).await {
                        break;
                    }
                    continue;
                }
            },
        };
        let token = core.files().running(&row.id);
        let outcome = tokio::select! {
            o = run_one(&core, conn, &row) => o,
            () = token.cancelled() => Outcome::Stopped,
            () = shutdown.cancelled() => {
                core.files().finished(&row.id);
                break;
            }
        };
        core.files().finished(&row.id);
        match outcome {
            Outcome::Done => failures = 0,
            Outcome::Retry(why) => {
                tracing::info!(transfer = %row.id, %why, "transfer interrupted; it resumes");
                if let Some(b) = bulk.take() {
                    b.close().await;
                }
                wait_for(&core, &row, &format!("{why}; it goes on by itself")).await;
                failures += 1;
                if pause(&core, &shutdown, backoff(failures)).await {
                    break;
                }
            }
            Outcome::Failed { why, tampered } => {
                tracing::warn!(transfer = %row.id, %why, "transfer failed");
                if let Err(e) = end::failed(&core, &row, why, tampered).await {
                    tracing::error!(error = %e, "cannot record a failed transfer");
                }
            }
            Outcome::Stopped => stopped(&core, bulk.as_ref(), &row).await,
        }
    }
    if let Some(b) = bulk {
        b.close().await;
    }
}

/// One run of `row`, until it ends or meets a failure.
async fn run_one(core: &Arc<Core>, bulk: &Bulk, row: &TransferRow) -> Outcome {
    match end::set_state(core, row, TransferState::Active, None).await {
        Ok(true) => {}
        Ok(false) => return Outcome::Stopped,
        Err(e) => return Outcome::Retry(format!("the local database failed: {e}")),
    }
    let result = match row.direction {
        TransferDirection::Upload => upload_one(core, bulk, row).await,
        TransferDirection::Download => download_one(core, bulk, row).await,
    };
    match result {
        Ok(()) => Outcome::Done,
        Err(Step::Transfer(e)) if e.is_retryable() => Outcome::Retry(e.to_string()),
        Err(Step::Transfer(e)) => Outcome::Failed {
            tampered: matches!(e, TransferError::Tampered(_)),
            why: e.to_string(),
        },
        Err(Step::Again(why)) => Outcome::Retry(why),
        Err(Step::Core(CoreError::NotGroupMember(why))) => Outcome::Failed {
            why,
            tampered: false,
        },
        Err(Step::Core(e)) => Outcome::Retry(format!("chatd could not record it: {e}")),
    }
}

/// Why a run stopped short.
enum Step {
    Transfer(TransferError),
    Core(CoreError),
    /// Start the run again (after a reset the run made itself).
    Again(String),
}

impl From<TransferError> for Step {
    fn from(e: TransferError) -> Self {
        Step::Transfer(e)
    }
}

impl From<CoreError> for Step {
    fn from(e: CoreError) -> Self {
        Step::Core(e)
    }
}

impl From<crate::store::StoreError> for Step {
    fn from(e: crate::store::StoreError) -> Self {
        Step::Core(e.into())
    }
}

async fn upload_one(core: &Arc<Core>, bulk: &Bulk, row: &TransferRow) -> Result<(), Step> {
    let mid = row.message_id.clone();
    let mut file = core
        .db()
        .call(move |tx| tx.message_file(&mid))
        .await?
        .ok_or_else(|| CoreError::Internal("an upload's message has no file".into()))?;
    let key = file
        .file_key()
        .ok_or_else(|| CoreError::Internal("an upload's key is missing".into()))?;
    let blob = match file.blob_id() {
        Some(b) => b,
        None => {
            let b = upload::create(bulk, file.size).await?;
            // Recorded before a byte is sent, so a restart resumes this
            // blob instead of reserving another.
            file.blob = Some(b.to_hex());
            let (mid, f) = (row.message_id.clone(), file.clone());
            core.db()
                .call(move |tx| tx.set_message_file(&mid, &f))
                .await?;
            b
        }
    };
    let progress = Progress::start(core, view(core, row).await?);
    let job = UploadJob {
        spool: PathBuf::from(&row.spool),
        size: file.size,
        key,
        blob,
    };
    let digest = match upload::upload(bulk, &job, progress.callback()).await {
        Err(TransferError::NoSuchBlob) => {
            // The unfinished upload expired on the server (offline past
            // its time): forget it, and the next run starts a new one.
            file.blob = None;
            let mid = row.message_id.clone();
            core.db()
                .call(move |tx| tx.set_message_file(&mid, &file))
                .await?;
            return Err(Step::Again(
                "the server dropped the unfinished upload; starting it again".into(),
            ));
        }
        other => other?,
    };
    drop(progress);
    end::upload_done(core, row, digest).await?;
    Ok(())
}

async fn download_one(core: &Arc<Core>, bulk: &Bulk, row: &TransferRow) -> Result<(), Step> {
    let mid = row.message_id.clone();
    let file = core
        .db()
        .call(move |tx| tx.message_file(&mid))
        .await?
        .ok_or_else(|| CoreError::Internal("a download's message has no file".into()))?;
    let (Some(blob), Some(attachment)) = (file.blob_id(), file.attachment(None)) else {
        return Err(CoreError::Internal("a download's file is incomplete".into()).into());
    };
    let progress = Progress::start(core, view(core, row).await?);
    let part = Path::new(&row.spool);
    if let Some(dir) = part.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(|e| {
            CoreError::Internal(format!(
                "cannot create {}: {e}; check chatd's data directory",
                dir.display()
            ))
        })?;
    }
    download::fetch(bulk, &blob, row.total, part, progress.callback()).await?;
    drop(progress);
    let dest = row
        .path
        .clone()
        .map_or_else(|| core.config().downloads.clone(), PathBuf::from);
    let placed = download::open(part, &attachment, &dest).await?;
    end::download_done(core, row, placed.to_string_lossy().into_owned()).await?;
    Ok(())
}

/// A cancelled run: drop what it left (the server's copy of an upload
/// too, so it leaves the quota at once).
async fn stopped(core: &Arc<Core>, bulk: Option<&Bulk>, row: &TransferRow) {
    end::remove_spool(row);
    if row.direction != TransferDirection::Upload {
        return;
    }
    let mid = row.message_id.clone();
    let blob = core
        .db()
        .call(move |tx| tx.message_file(&mid))
        .await
        .ok()
        .flatten()
        .and_then(|f| f.blob);
    if let (Some(bulk), Some(blob_id)) = (bulk, blob) {
        let _ = bulk
            .request(chat_proto::Request::BlobDelete { blob_id })
            .await;
    }
}

/// The transfer as frontends see it, for progress.
async fn view(core: &Arc<Core>, row: &TransferRow) -> Result<chatd_api::Transfer, Step> {
    let id = row.id.clone();
    let view = core
        .db()
        .call(move |tx| {
            let row = tx.transfer(&id)?;
            row.map(|r| tx.transfer_view(&r)).transpose()
        })
        .await?;
    view.ok_or_else(|| Step::Core(CoreError::Internal("a transfer vanished".into())))
}

/// Marks `row` waiting with `why`, unless it says so already.
async fn wait_for(core: &Arc<Core>, row: &TransferRow, why: &str) {
    if row.state == TransferState::Waiting && row.error.as_deref() == Some(why) {
        return;
    }
    if let Err(e) = end::set_state(core, row, TransferState::Waiting, Some(why.to_string())).await {
        tracing::warn!(error = %e, "cannot record a waiting transfer");
    }
}

/// Opens the bulk connection with the session's token.
async fn open_bulk(core: &Arc<Core>) -> Result<Bulk, String> {
    let (token, username, pin) = core
        .db()
        .call(|tx| {
            Ok((
                tx.setting(keys::TOKEN)?,
                tx.setting(keys::USERNAME)?,
                tx.setting(keys::SERVER_FINGERPRINT)?,
            ))
        })
        .await
        .map_err(|e| format!("the local database failed: {e}"))?;
    let (Some(token), Some(username)) = (token, username) else {
        return Err("not logged in".into());
    };
    let config = core.config();
    let setup = BulkSetup {
        server: config.server.clone(),
        plaintext: config.plaintext,
        pin: config.server_fingerprint.clone().or(pin),
        username,
        token: zeroize::Zeroizing::new(token),
    };
    Bulk::open(&setup).await.map_err(|e| e.to_string())
}

/// Sleeps `how_long` unless woken (a new transfer, a cancel) or shut down
/// (then true).
async fn pause(core: &Arc<Core>, shutdown: &CancellationToken, how_long: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(how_long) => false,
        () = core.files().woken() => false,
        () = shutdown.cancelled() => true,
    }
}

/// 1 s doubling to 60 s.
fn backoff(failures: u32) -> Duration {
    Duration::from_secs(1u64 << failures.min(6)).min(Duration::from_secs(60))
}
