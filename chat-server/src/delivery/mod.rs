//! Delivery to one logged-in session. The loop reads the recipient's
//! stored messages in `seq` order from a cursor and is woken when new mail
//! is committed, instead of having senders push envelopes into it: that
//! keeps per-sender order, never skips a message committed while a batch
//! was in flight, and lets a slow client fall behind without the server
//! buffering for it (the store is the buffer).

use std::sync::Arc;
use std::time::Duration;

use chat_proto::ServerMessage;
use tokio::sync::Notify;

use crate::connection::outbound::Outbound;
use crate::context::Shared;
use crate::store::Store;

/// Messages read from the store per round.
const BATCH: u32 = 64;

/// Delivers everything stored for `user`, then whatever arrives, until the
/// connection closes. Un-acked messages are sent again by the next session
/// (each session starts at the beginning of the mailbox).
pub async fn run<S: Store>(sh: Arc<Shared<S>>, user: String, out: Outbound, mail: Arc<Notify>) {
    let mut cursor = 0i64;
    loop {
        // Boxed, like the sends below: this task waits for mail most of
        // its life, and should hold only what that wait needs.
        match Box::pin(sh.store.pending(&user, cursor, BATCH)).await {
            Ok(batch) => {
                let full = batch.len() == BATCH as usize;
                for msg in batch {
                    cursor = msg.seq;
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
                        return;
                    }
                }
                if full {
                    continue;
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
                if retry.await {
                    continue;
                }
                return;
            }
        }
        tokio::select! {
            () = mail.notified() => {}
            () = out.closed().cancelled() => return,
        }
    }
}
