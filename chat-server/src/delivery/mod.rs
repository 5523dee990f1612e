//! Delivery to one logged-in session, in `seq` order from a cursor. Mail
//! reaches the loop two ways: a store that commits on one thread hands
//! each message over as it commits ([`MailSlot`]), and the loop sends it
//! on as it is; anything else (the session's start, mail committed by
//! another node, a slot that overflowed) only rings, and the loop reads
//! the store from its cursor. Either way per-sender order holds, nothing
//! committed is skipped, and a slow client falls behind without the
//! server buffering for it (the store is the buffer).

mod slot;

pub use slot::MailSlot;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chat_proto::ServerMessage;

use crate::connection::outbound::Outbound;
use crate::context::Shared;
use crate::store::{Store, StoredMessage};

/// Messages read from the store per round.
const BATCH: u32 = 64;

/// Delivers everything stored for `user`, then whatever arrives, until the
/// connection closes. Un-acked messages are sent again by the next session
/// (each session starts at the beginning of the mailbox).
pub async fn run<S: Store>(sh: Arc<Shared<S>>, user: String, out: Outbound, mail: Arc<MailSlot>) {
    let mut cursor = 0i64;
    loop {
        let taken = mail.take();
        if taken.read_store && !read_store(&sh, &user, &out, &mut cursor).await {
            return;
        }
        if !send_handed(&out, taken.handed, &mut cursor).await {
            return;
        }
        tokio::select! {
            () = mail.wait() => {}
            () = out.closed().cancelled() => return,
        }
    }
}

/// Sends what the store holds after `cursor`, until a read comes back
/// short. Returns `false` once the connection is gone.
async fn read_store<S: Store>(
    sh: &Shared<S>,
    user: &str,
    out: &Outbound,
    cursor: &mut i64,
) -> bool {
    loop {
        // Boxed, like the sends: this task waits for mail most of its
        // life, and should hold only what that wait needs.
        match Box::pin(sh.store.pending(user, *cursor, BATCH)).await {
            Ok(batch) => {
                let full = batch.len() == BATCH as usize;
                if !send_handed(out, batch.into(), cursor).await {
                    return false;
                }
                if !full {
                    return true;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "reading the mailbox failed; retrying in a second");
                let retry = Box::pin(async {
                    tokio::select! {
                        () = tokio::time::sleep(Duration::from_secs(1)) => true,
                        () = out.closed().cancelled() => false,
                    }
                });
                if !retry.await {
                    return false;
                }
            }
        }
    }
}

/// Sends the messages after `cursor` in order, moving it on. Returns
/// `false` once the connection is gone.
async fn send_handed(out: &Outbound, msgs: VecDeque<StoredMessage>, cursor: &mut i64) -> bool {
    for msg in msgs {
        if msg.seq <= *cursor {
            continue;
        }
        *cursor = msg.seq;
        let Ok(envelope) = serde_json::from_str(&msg.envelope) else {
            tracing::error!(msg_id = %msg.msg_id, "stored envelope is not a JSON object; skipping it");
            continue;
        };
        let frame = ServerMessage::Deliver {
            msg_id: msg.msg_id,
            from: msg.sender,
            ts: msg.ts,
            envelope,
        };
        if Box::pin(out.send(None, &frame)).await.is_err() {
            return false;
        }
    }
    true
}
