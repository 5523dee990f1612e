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
//!
//! A send was five round trips to PostgreSQL (BEGIN, lock, count, insert,
//! COMMIT), each a wait and a wake-up on both sides; the statements now go
//! out together and cost one (see [`pipeline`]).

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use deadpool_postgres::Pool;
use futures_util::future::MaybeDone;
use tokio_postgres::Row;
use tokio_postgres::types::ToSql;

use crate::store::{NewMessage, StoreError, StoredMessage};

/// Locks the named recipients' mailboxes, in id order, until the commit.
const LOCK: &str = "SELECT m.user_id FROM mailboxes m JOIN users u ON u.id = m.user_id \
                    WHERE u.username = ANY($1) ORDER BY m.user_id FOR UPDATE OF m";

/// Checks the limits and stores one message, in one statement. It runs
/// after [`LOCK`] returned, so under READ COMMITTED its snapshot holds
/// every message a concurrent sender to the same mailbox committed: the
/// counts are exact. Unexpired messages only are counted (expired ones
/// will never be delivered), no further than the limits they are
/// compared with. One row: the two counts and the new `seq`, NULL when a
/// limit refused it; no row when the recipient does not exist.
const STORE: &str = "WITH c AS ( \
       SELECT m.user_id, \
         (SELECT count(*) FROM (SELECT 1 FROM messages \
            WHERE recipient_id = m.user_id AND expires_at > $2 LIMIT $3) a) AS stored, \
         (SELECT count(*) FROM (SELECT 1 FROM messages \
            WHERE recipient_id = m.user_id AND sender = $4 AND expires_at > $2 LIMIT $5) b) \
           AS from_sender \
       FROM mailboxes m JOIN users u ON u.id = m.user_id WHERE u.username = $1), \
     s AS ( \
       UPDATE mailboxes SET last_seq = last_seq + 1 FROM c \
       WHERE mailboxes.user_id = c.user_id AND c.stored < $3 AND c.from_sender < $5 \
       RETURNING mailboxes.user_id, mailboxes.last_seq), \
     i AS ( \
       INSERT INTO messages (recipient_id, seq, msg_id, sender, ts, expires_at, envelope) \
       SELECT s.user_id, s.last_seq, $6, $4, $2, $7, $8 FROM s RETURNING seq) \
     SELECT c.stored, c.from_sender, (SELECT seq FROM i) FROM c";

pub(super) async fn enqueue(pool: &Pool, msg: &NewMessage) -> Result<StoredMessage, StoreError> {
    let mut results = enqueue_many(pool, std::slice::from_ref(msg)).await?;
    results.pop().unwrap_or(Err(StoreError::NoSuchUser))
}

/// Stores `msgs` in one transaction that costs one round trip: BEGIN, the
/// lock of every recipient, one [`STORE`] per message and COMMIT go out
/// together (pipelined) and PostgreSQL runs them in order. A refusal by a
/// limit is that message's result and leaves nothing behind; any other
/// error aborts the transaction (the COMMIT then rolls it back) and fails
/// the batch.
pub(super) async fn enqueue_many(
    pool: &Pool,
    msgs: &[NewMessage],
) -> Result<Vec<Result<StoredMessage, StoreError>>, StoreError> {
    let client = pool.get().await?;
    let lock = client.prepare_cached(LOCK).await?;
    let store = client.prepare_cached(STORE).await?;
    let mut names: Vec<String> = msgs.iter().map(|m| m.recipient.clone()).collect();
    names.sort_unstable();
    names.dedup();
    let ids = msgs
        .iter()
        .map(|m| super::super::new_msg_id(m.ts))
        .collect::<Result<Vec<String>, StoreError>>()?;
    let limits: Vec<(i64, i64)> = msgs
        .iter()
        .map(|m| (i64::from(m.mailbox_limit), i64::from(m.sender_limit)))
        .collect();
    let params: Vec<[&(dyn ToSql + Sync); 8]> = msgs
        .iter()
        .zip(&ids)
        .zip(&limits)
        .map(|((m, id), (mailbox, sender))| {
            [
                &m.recipient as &(dyn ToSql + Sync),
                &m.ts,
                mailbox,
                &m.sender,
                sender,
                id,
                &m.expires_at,
                &m.envelope,
            ]
        })
        .collect();
    let lock_params: [&(dyn ToSql + Sync); 1] = [&names];
    let mut flight: Vec<Request<'_>> = Vec::with_capacity(msgs.len() + 3);
    flight.push(Box::pin(async {
        client.batch_execute("BEGIN").await.map(|()| Vec::new())
    }));
    flight.push(Box::pin(client.query(&lock, &lock_params)));
    for p in &params {
        flight.push(Box::pin(client.query(&store, p)));
    }
    flight.push(Box::pin(async {
        client.batch_execute("COMMIT").await.map(|()| Vec::new())
    }));
    // Any error fails the batch: the transaction was aborted at it, and
    // the COMMIT after it rolled everything back. (A request that fails
    // before it is sent, on encoding its parameters, cannot happen here:
    // every parameter's type is fixed by this code.)
    let mut rows = Vec::with_capacity(msgs.len() + 3);
    for answer in pipeline(flight).await {
        rows.push(answer?);
    }
    let stored = rows.get(2..2 + msgs.len()).unwrap_or_default();
    Ok(msgs
        .iter()
        .zip(ids)
        .zip(stored)
        .map(|((msg, msg_id), rows)| outcome(msg, msg_id, rows))
        .collect())
}

/// What [`STORE`] answered for `msg`.
fn outcome(msg: &NewMessage, msg_id: String, rows: &[Row]) -> Result<StoredMessage, StoreError> {
    let row = rows.first().ok_or(StoreError::NoSuchUser)?;
    let (stored, seq): (i64, Option<i64>) = (row.get(0), row.get(2));
    match seq {
        Some(seq) => Ok(StoredMessage {
            seq,
            msg_id,
            sender: msg.sender.clone(),
            ts: msg.ts,
            envelope: msg.envelope.clone(),
        }),
        None if stored >= i64::from(msg.mailbox_limit) => Err(StoreError::MailboxFull),
        None => Err(StoreError::SenderShareFull),
    }
}

/// One request of a pipelined flight, its rows as the answer.
type Request<'a> =
    Pin<Box<dyn Future<Output = Result<Vec<Row>, tokio_postgres::Error>> + Send + 'a>>;

/// Sends every request of `flight`, in order, before waiting for any
/// answer, then collects the answers in the same order.
///
/// tokio-postgres hands a request to its connection when the request's
/// future is first polled, and a connection answers in order; so polling
/// each once, front to back, puts them on the wire in this order in one
/// go (`tokio::join!` would not do: it starts from a different future at
/// each poll, for fairness).
async fn pipeline(flight: Vec<Request<'_>>) -> Vec<Result<Vec<Row>, StoreError>> {
    let mut flight: Vec<MaybeDone<Request<'_>>> =
        flight.into_iter().map(MaybeDone::Future).collect();
    std::future::poll_fn(|cx| {
        for request in flight.iter_mut() {
            let _ = Pin::new(request).poll(cx);
        }
        Poll::Ready(())
    })
    .await;
    let mut answers = Vec::with_capacity(flight.len());
    for mut request in flight {
        (&mut request).await;
        let answer = Pin::new(&mut request)
            .take_output()
            .ok_or_else(|| StoreError::Db("a pipelined request gave no answer".to_owned()));
        answers.push(answer.and_then(|a| a.map_err(StoreError::from)));
    }
    answers
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
