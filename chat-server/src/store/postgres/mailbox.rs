//! Messages: storing with the recipient's sequence, reading in that order,
//! acks and expiry.
//!
//! A send locks the recipient's `mailboxes` row, checks the limits, takes
//! `last_seq + 1` and commits; the lock is held until the commit. So the
//! sequence is taken inside the commit: one recipient's messages become
//! visible in ascending `seq`, a reader that resumes after the last `seq`
//! it saw can never miss one committed later with a smaller number (as it
//! could with a global sequence), and the limits are exact under
//! concurrent senders. A batch (`send_multi`) locks all its recipients at
//! once, in id order, so batches never deadlock each other.

use std::collections::HashMap;

use deadpool_postgres::{Pool, Transaction};

use crate::store::{NewMessage, StoreError, StoredMessage, UserId};

pub(super) async fn enqueue(pool: &Pool, msg: &NewMessage) -> Result<StoredMessage, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let locked = lock_mailboxes(&tx, std::slice::from_ref(&msg.recipient)).await?;
    let recipient = *locked.get(&msg.recipient).ok_or(StoreError::NoSuchUser)?;
    let stored = store(&tx, recipient, msg).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(super) async fn enqueue_many(
    pool: &Pool,
    msgs: &[NewMessage],
) -> Result<Vec<Result<StoredMessage, StoreError>>, StoreError> {
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    let mut names: Vec<String> = msgs.iter().map(|m| m.recipient.clone()).collect();
    names.sort_unstable();
    names.dedup();
    let locked = lock_mailboxes(&tx, &names).await?;
    let mut results = Vec::with_capacity(msgs.len());
    for msg in msgs {
        let Some(&recipient) = locked.get(&msg.recipient) else {
            results.push(Err(StoreError::NoSuchUser));
            continue;
        };
        // A refusal happens before the insert and leaves nothing behind;
        // any other error fails the whole batch (the transaction rolls
        // back on drop).
        match store(&tx, recipient, msg).await {
            Ok(stored) => results.push(Ok(stored)),
            Err(e @ (StoreError::MailboxFull | StoreError::SenderShareFull)) => {
                results.push(Err(e));
            }
            Err(e) => return Err(e),
        }
    }
    tx.commit().await?;
    Ok(results)
}

/// Locks the mailboxes of the named users (those that exist), in id order,
/// until the transaction ends; returns their ids by name.
async fn lock_mailboxes(
    tx: &Transaction<'_>,
    usernames: &[String],
) -> Result<HashMap<String, UserId>, StoreError> {
    let stmt = tx
        .prepare_cached(
            "SELECT u.username, m.user_id FROM mailboxes m JOIN users u ON u.id = m.user_id \
             WHERE u.username = ANY($1) ORDER BY m.user_id FOR UPDATE OF m",
        )
        .await?;
    let rows = tx.query(&stmt, &[&usernames]).await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Checks the limits and stores one message under its recipient's lock.
async fn store(
    tx: &Transaction<'_>,
    recipient: UserId,
    msg: &NewMessage,
) -> Result<StoredMessage, StoreError> {
    // Unexpired messages only (expired ones will never be delivered),
    // counted no further than the limits they are compared with.
    let counts = tx
        .prepare_cached(
            "SELECT \
             (SELECT count(*) FROM (SELECT 1 FROM messages \
                WHERE recipient_id = $1 AND expires_at > $2 LIMIT $3) a), \
             (SELECT count(*) FROM (SELECT 1 FROM messages \
                WHERE recipient_id = $1 AND sender = $4 AND expires_at > $2 LIMIT $5) b)",
        )
        .await?;
    let (mailbox_limit, sender_limit) = (i64::from(msg.mailbox_limit), i64::from(msg.sender_limit));
    let row = tx
        .query_one(
            &counts,
            &[
                &recipient,
                &msg.ts,
                &mailbox_limit,
                &msg.sender,
                &sender_limit,
            ],
        )
        .await?;
    let (stored, from_sender): (i64, i64) = (row.get(0), row.get(1));
    if stored >= mailbox_limit {
        return Err(StoreError::MailboxFull);
    }
    if from_sender >= sender_limit {
        return Err(StoreError::SenderShareFull);
    }
    let msg_id = super::super::new_msg_id(msg.ts)?;
    let insert = tx
        .prepare_cached(
            "WITH s AS (UPDATE mailboxes SET last_seq = last_seq + 1 WHERE user_id = $1 \
                        RETURNING last_seq) \
             INSERT INTO messages (recipient_id, seq, msg_id, sender, ts, expires_at, envelope) \
             SELECT $1, s.last_seq, $2, $3, $4, $5, $6 FROM s RETURNING seq",
        )
        .await?;
    let row = tx
        .query_one(
            &insert,
            &[
                &recipient,
                &msg_id,
                &msg.sender,
                &msg.ts,
                &msg.expires_at,
                &msg.envelope,
            ],
        )
        .await?;
    Ok(StoredMessage {
        seq: row.get(0),
        msg_id,
        sender: msg.sender.clone(),
        ts: msg.ts,
        envelope: msg.envelope.clone(),
    })
}

pub(super) async fn pending(
    pool: &Pool,
    recipient: &str,
    after: i64,
    limit: u32,
    now: i64,
) -> Result<Vec<StoredMessage>, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "SELECT seq, msg_id, sender, ts, envelope FROM messages \
             WHERE recipient_id = (SELECT id FROM users WHERE username = $1) \
               AND seq > $2 AND expires_at > $3 \
             ORDER BY seq LIMIT $4",
        )
        .await?;
    let rows = client
        .query(&stmt, &[&recipient, &after, &now, &i64::from(limit)])
        .await?;
    Ok(rows
        .iter()
        .map(|r| StoredMessage {
            seq: r.get(0),
            msg_id: r.get(1),
            sender: r.get(2),
            ts: r.get(3),
            envelope: r.get(4),
        })
        .collect())
}

pub(super) async fn ack(
    pool: &Pool,
    recipient: &str,
    msg_ids: &[String],
) -> Result<(), StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "DELETE FROM messages \
             WHERE recipient_id = (SELECT id FROM users WHERE username = $1) \
               AND msg_id = ANY($2)",
        )
        .await?;
    client.execute(&stmt, &[&recipient, &msg_ids]).await?;
    Ok(())
}

/// Deletes expired messages and tokens in one statement; returns how many
/// messages went.
pub(super) async fn purge_expired(pool: &Pool, now: i64) -> Result<u64, StoreError> {
    let client = pool.get().await?;
    let stmt = client
        .prepare_cached(
            "WITH t AS (DELETE FROM tokens WHERE expires_at <= $1) \
             DELETE FROM messages WHERE expires_at <= $1",
        )
        .await?;
    Ok(client.execute(&stmt, &[&now]).await?)
}
