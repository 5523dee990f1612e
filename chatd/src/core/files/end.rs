//! What a transfer's changes of state leave behind, each in one
//! transaction with its stored `transfer` event. A finished upload
//! becomes the message people see: the `file` (or `group_file`) payload
//! is queued in the outbox in the same transaction that marks the upload
//! done, so a crash between the two cannot send a message twice or lose
//! it. A finished download is already in place (renamed by the engine
//! after every check); here it is recorded.

use std::sync::Arc;

use chat_e2e::Payload;
use chat_e2e::file::FileLimits;
use chat_e2e::payload::{FilePayload, GroupFilePayload};
use chatd_api::{
    Event, EventBody, MessageStatus, SecurityReason, TransferDirection, TransferState,
};

use crate::core::groups::fanout::queue_fanout;
use crate::core::outbound::queue;
use crate::core::{Core, CoreError};
use crate::store::{TransferRow, Tx};

/// Moves `row` to `state` with `why`, and tells frontends; false when it
/// had ended already (a cancel won).
pub async fn set_state(
    core: &Arc<Core>,
    row: &TransferRow,
    state: TransferState,
    why: Option<String>,
) -> Result<bool, CoreError> {
    let id = row.id.clone();
    let (changed, events) = core
        .db()
        .run(move |tx| {
            let now = chat_proto::now_ms();
            if !tx.transfer_set_state(&id, state, why.as_deref(), now)? {
                return Ok::<_, CoreError>((false, Vec::new()));
            }
            Ok((true, vec![transfer_event(tx, &id, now)?]))
        })
        .await?;
    core.hub().announce(events);
    Ok(changed)
}

/// The upload is finished on the server with `digest`: the message goes
/// out now (queued with the upload's end), and the spooled copy goes.
pub async fn upload_done(
    core: &Arc<Core>,
    row: &TransferRow,
    digest: chat_e2e::file::BlobDigest,
) -> Result<(), CoreError> {
    let (id, message_id) = (row.id.clone(), row.message_id.clone());
    let events = core
        .db()
        .run(move |tx| {
            let now = chat_proto::now_ms();
            let mut file = tx
                .message_file(&message_id)?
                .ok_or_else(|| CoreError::Internal("an upload's message has no file".into()))?;
            file.digest = Some(digest.to_hex());
            tx.set_message_file(&message_id, &file)?;
            if !tx.transfer_set_state(&id, TransferState::Done, None, now)? {
                // Cancelled meanwhile: nothing is sent.
                return Ok::<_, CoreError>(Vec::new());
            }
            let total = tx.transfer(&id)?.map_or(0, |t| t.total);
            tx.transfer_set_bytes(&id, total)?;
            let message = tx
                .message(&message_id)?
                .ok_or_else(|| CoreError::Internal("an upload's message is gone".into()))?;
            let caption = (!message.text.is_empty()).then(|| message.text.clone());
            let attachment = file
                .attachment(caption)
                .ok_or_else(|| CoreError::Internal("an upload's file is incomplete".into()))?;
            attachment
                .check(&FileLimits::default())
                .map_err(|e| CoreError::InvalidInput(e.to_string()))?;
            let pid = uuid::Uuid::parse_str(&message_id)
                .map_err(|_| CoreError::Internal("a message id is not a uuid".into()))?;
            let mut events = Vec::new();
            match &message.group {
                None => {
                    let payload = Payload::File(FilePayload {
                        id: pid,
                        ts: message.ts,
                        file: attachment,
                    });
                    queue(tx, &message.to, &payload, Some(message_id.clone()), now)?;
                }
                Some(g) => {
                    let gid = uuid::Uuid::parse_str(&g.id)
                        .map_err(|_| CoreError::Internal("a group id is not a uuid".into()))?;
                    let held = tx
                        .group_held(gid)?
                        .filter(|h| h.state().is_member(&message.from))
                        .ok_or_else(|| {
                            CoreError::NotGroupMember(
                                "you are no longer a member of this group; the file was not sent"
                                    .into(),
                            )
                        })?;
                    let s = held.state();
                    let to: Vec<String> = s
                        .members()
                        .iter()
                        .filter(|m| **m != message.from)
                        .cloned()
                        .collect();
                    let payload = Payload::GroupFile(GroupFilePayload {
                        id: pid,
                        ts: message.ts,
                        group_id: gid,
                        version: s.version(),
                        file: attachment,
                    });
                    tx.group_receipts_init(&message_id, &to)?;
                    if to.is_empty() && tx.set_status(&message_id, MessageStatus::Sent)? {
                        events.push(tx.append_event(
                            &EventBody::Receipt {
                                id: message_id.clone(),
                                status: MessageStatus::Sent,
                                user: None,
                                receipts: None,
                            },
                            now,
                        )?);
                    }
                    queue_fanout(tx, &to, &payload, Some(&message_id), &message_id, now)?;
                }
            }
            events.insert(0, transfer_event(tx, &id, now)?);
            Ok(events)
        })
        .await?;
    remove_spool(row);
    core.hub().announce(events);
    core.kick_outbox();
    Ok(())
}

/// The download is checked and in place at `path`.
pub async fn download_done(
    core: &Arc<Core>,
    row: &TransferRow,
    path: String,
) -> Result<(), CoreError> {
    let (id, message_id) = (row.id.clone(), row.message_id.clone());
    let events = core
        .db()
        .run(move |tx| {
            let now = chat_proto::now_ms();
            if !tx.transfer_set_state(&id, TransferState::Done, None, now)? {
                return Ok::<_, CoreError>(Vec::new());
            }
            let total = tx.transfer(&id)?.map_or(0, |t| t.total);
            tx.transfer_set_bytes(&id, total)?;
            tx.transfer_set_path(&id, &path)?;
            if let Some(mut file) = tx.message_file(&message_id)? {
                file.path = Some(path.clone());
                tx.set_message_file(&message_id, &file)?;
            }
            Ok(vec![transfer_event(tx, &id, now)?])
        })
        .await?;
    remove_spool(row);
    core.hub().announce(events);
    Ok(())
}

/// The transfer cannot succeed: recorded with `why`; an upload's message
/// is marked failed; a download that failed its checks is reported as a
/// `security` event about the sender (`file_tampered`).
pub async fn failed(
    core: &Arc<Core>,
    row: &TransferRow,
    why: String,
    tampered: bool,
) -> Result<(), CoreError> {
    let (id, message_id, direction) = (row.id.clone(), row.message_id.clone(), row.direction);
    let events = core
        .db()
        .run(move |tx| {
            let now = chat_proto::now_ms();
            if !tx.transfer_set_state(&id, TransferState::Failed, Some(&why), now)? {
                return Ok::<_, CoreError>(Vec::new());
            }
            let mut events = vec![transfer_event(tx, &id, now)?];
            events.extend(after_end(tx, &message_id, direction, tampered, now)?);
            Ok(events)
        })
        .await?;
    remove_spool(row);
    core.hub().announce(events);
    Ok(())
}

/// Cancels transfer `id` (the API's `cancel_transfer`); answers the row as
/// it was, or `None` when it had ended already.
pub async fn cancel(core: &Arc<Core>, id: &str) -> Result<Option<TransferRow>, CoreError> {
    let id = id.to_string();
    let (row, events) = core
        .db()
        .run(move |tx| {
            let now = chat_proto::now_ms();
            let row = tx.transfer(&id)?.ok_or_else(|| {
                CoreError::NoSuchTransfer(format!("no transfer {id}; `chat transfers` lists them"))
            })?;
            if !tx.transfer_set_state(&id, TransferState::Cancelled, None, now)? {
                return Ok::<_, CoreError>((None, Vec::new()));
            }
            let mut events = vec![transfer_event(tx, &id, now)?];
            events.extend(after_end(tx, &row.message_id, row.direction, false, now)?);
            Ok((Some(row), events))
        })
        .await?;
    core.hub().announce(events);
    if let Some(row) = &row {
        // The worker drops what it holds of it; a row not running has only
        // its spool file to lose.
        if !core.files().stop(&row.id) {
            remove_spool(row);
        }
    }
    Ok(row)
}

/// What an upload or download that ended without success changes besides
/// its row.
fn after_end(
    tx: &mut Tx<'_>,
    message_id: &str,
    direction: TransferDirection,
    tampered: bool,
    now: i64,
) -> Result<Vec<Event>, CoreError> {
    let mut events = Vec::new();
    match direction {
        TransferDirection::Upload => {
            if tx.set_status(message_id, MessageStatus::Failed)? {
                events.push(tx.append_event(
                    &EventBody::Receipt {
                        id: message_id.to_string(),
                        status: MessageStatus::Failed,
                        user: None,
                        receipts: None,
                    },
                    now,
                )?);
            }
        }
        TransferDirection::Download if tampered => {
            if let Some(m) = tx.message(message_id)? {
                events.push(tx.append_event(
                    &EventBody::Security {
                        user: m.from,
                        reason: SecurityReason::FileTampered,
                        group: m.group.map(|g| g.id),
                    },
                    now,
                )?);
            }
        }
        TransferDirection::Download => {}
    }
    Ok(events)
}

/// The stored `transfer` event of transfer `id` as it is now.
fn transfer_event(tx: &mut Tx<'_>, id: &str, now: i64) -> Result<Event, CoreError> {
    let row = tx
        .transfer(id)?
        .ok_or_else(|| CoreError::Internal("a transfer vanished".into()))?;
    let transfer = tx.transfer_view(&row)?;
    Ok(tx.append_event(
        &EventBody::Transfer {
            transfer: Box::new(transfer),
            progress: false,
        },
        now,
    )?)
}

/// Removes chatd's own file of an ended transfer (a missing one is fine).
pub fn remove_spool(row: &TransferRow) {
    if let Err(e) = std::fs::remove_file(&row.spool)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(path = %row.spool, error = %e, "cannot remove a spool file");
    }
}
