//! Answers in request order while sends (and acks) wait for their commit.
//! A `send` is answered `sent` only once it is durable, and a commit takes
//! an fsync; waiting for it before reading the next frame held one
//! connection to one fsync per message. Here the read loop queues each send with the store
//! (which fixes its place in the commit order, so per-sender order holds)
//! and hands the pending answer to this connection's answerer task, which
//! writes the answers in the order the requests came, each after its
//! commit. Many sends of one connection then share a group commit. An
//! `ack` goes the same way: it has no answer, but the connection need not
//! stop reading while its deletes are committed.
//!
//! Bounded twice: a connection has at most `Config::pipeline_depth`
//! answers pending (the read loop stops reading at the bound, and a client
//! that never reads its answers stalls here, not in server memory), and the
//! server at most `Config::max_sends_in_flight` sends awaiting a commit
//! (beyond, `server_busy`: load past what the disk can commit is pushed
//! back at once rather than queued).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chat_proto::ServerMessage;
use chat_proto::wire::{ErrorCode, RequestId};
use tokio::sync::{OwnedSemaphorePermit, mpsc, oneshot};
use tokio::task::JoinHandle;

use super::outbound::Outbound;
use crate::context::Shared;
use crate::handlers::{QueuedSend, Refusal, Reply};
use crate::store::{Commit, Store};

/// How long a client told `server_busy` for a send should wait: commits
/// take milliseconds, so the backlog is gone soon.
pub const BUSY_RETRY_MS: u64 = 100;

/// One answer in request order.
enum Answer {
    /// Known already (a refusal, a ping).
    Ready(Option<RequestId>, ServerMessage),
    /// Known once a commit is done (a send's `sent`, or nothing for an
    /// ack). A send holds its place among the server's sends in flight.
    Pending(
        Option<RequestId>,
        Pin<Box<dyn Future<Output = Reply> + Send>>,
        Option<OwnedSemaphorePermit>,
    ),
    /// Everything before this is written.
    Flushed(oneshot::Sender<()>),
}

/// The answerer of one connection; it ends once the read loop drops this
/// and every pending answer is written.
#[derive(Debug)]
pub struct Pipeline {
    tx: mpsc::Sender<Answer>,
    task: JoinHandle<()>,
    out: Outbound,
}

/// The pipeline is gone: the connection is closing.
#[derive(Debug)]
pub struct Gone;

impl Pipeline {
    /// Starts the answerer for a connection writing to `out`.
    pub fn start<S: Store>(sh: &Shared<S>, out: &Outbound) -> Self {
        let (tx, rx) = mpsc::channel(sh.config.pipeline_depth.max(1));
        let task = tokio::spawn(answer_loop(out.clone(), rx));
        Pipeline {
            tx,
            task,
            out: out.clone(),
        }
    }

    /// A place among the server's sends in flight, or `server_busy`.
    pub fn admit<S: Store>(sh: &Shared<S>) -> Result<OwnedSemaphorePermit, Refusal> {
        sh.sends_in_flight
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal {
                retry_after_ms: Some(BUSY_RETRY_MS),
                ..Refusal::new(
                    ErrorCode::ServerBusy,
                    "the server has too many messages waiting to be stored; nothing was stored, \
                     send it again in a moment",
                )
            })
    }

    /// Queues the answer to a send; waits while the connection has
    /// `pipeline_depth` answers pending.
    pub async fn send<S: Store>(
        &self,
        sh: &Arc<Shared<S>>,
        id: Option<RequestId>,
        queued: QueuedSend,
        permit: OwnedSemaphorePermit,
    ) -> Result<(), Gone> {
        let sh = sh.clone();
        let answer = Box::pin(async move { queued.answer(&sh).await });
        self.push(Answer::Pending(id, answer, Some(permit))).await
    }

    /// Queues an ack's commit: nothing is answered unless it fails.
    pub async fn ack(&self, id: Option<RequestId>, commit: Commit<()>) -> Result<(), Gone> {
        let answer = Box::pin(async move {
            commit.wait().await?;
            Ok(None)
        });
        self.push(Answer::Pending(id, answer, None)).await
    }

    /// Queues an answer that is known already, behind the pending ones.
    pub async fn ready(&self, id: Option<RequestId>, msg: ServerMessage) -> Result<(), Gone> {
        self.push(Answer::Ready(id, msg)).await
    }

    /// Waits until every answer queued so far is written, so that what the
    /// read loop does next happens after the sends before it are durable
    /// and answered (a login must not be answered before them, and its
    /// deliveries must not overtake its answer).
    pub async fn flush(&self) -> Result<(), Gone> {
        let (done, wait) = oneshot::channel();
        self.push(Answer::Flushed(done)).await?;
        tokio::select! {
            biased;
            () = self.out.closed().cancelled() => Err(Gone),
            r = wait => r.map_err(|_| Gone),
        }
    }

    async fn push(&self, answer: Answer) -> Result<(), Gone> {
        tokio::select! {
            biased;
            () = self.out.closed().cancelled() => Err(Gone),
            r = self.tx.send(answer) => r.map_err(|_| Gone),
        }
    }

    /// Stops taking answers and waits until the pending ones are written
    /// (or the connection closed under them).
    pub async fn finish(self) {
        drop(self.tx);
        let _ = self.task.await;
    }
}

async fn answer_loop(out: Outbound, mut rx: mpsc::Receiver<Answer>) {
    while let Some(answer) = rx.recv().await {
        let (id, msg) = match answer {
            Answer::Ready(id, msg) => (id, msg),
            Answer::Pending(id, answer, permit) => {
                let reply = answer.await;
                drop(permit);
                match reply {
                    Ok(Some(msg)) => (id, msg),
                    Ok(None) => continue,
                    Err(refusal) => (id, refusal.into_message()),
                }
            }
            Answer::Flushed(done) => {
                let _ = done.send(());
                continue;
            }
        };
        if out.send(id.as_ref(), &msg).await.is_err() {
            // The commits still pending complete on their own: what was
            // queued is stored whether or not its answer gets out.
            out.close();
            return;
        }
    }
}
