//! Logged-in connections held open, each pinging as PROTOCOL.md §1.2 asks
//! of every client (the server closes a connection silent for 90 s). A
//! login phase of 19,000 users can last minutes on a busy machine, so each
//! connection starts its keep-alive the moment it is logged in, not when
//! the last one is.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chat_proto::{Request, ServerMessage};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::wire::Conn;

/// How often an idle connection pings (the protocol's 30 s, a bit early).
const PING_EVERY: Duration = Duration::from_secs(25);

/// How long [`Held::ping_all`] waits for the pongs.
const PONG_WAIT: Duration = Duration::from_secs(60);

/// What the keep-alive tasks are told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ctl {
    /// Nothing new.
    Idle,
    /// Ping now (round number) and count the pong.
    Ping(u64),
    /// Stop and hand the connection back.
    Release,
}

/// Connections kept alive by their own tasks; dropping this closes them.
pub struct Held {
    ctl: watch::Sender<Ctl>,
    ctl_rx: watch::Receiver<Ctl>,
    pongs: Arc<AtomicU64>,
    tasks: Vec<JoinHandle<Option<(usize, Conn)>>>,
    round: u64,
}

impl Default for Held {
    fn default() -> Self {
        let (ctl, ctl_rx) = watch::channel(Ctl::Idle);
        Self {
            ctl,
            ctl_rx,
            pongs: Arc::default(),
            tasks: Vec::new(),
            round: 0,
        }
    }
}

impl Held {
    /// A receiver of the control channel, for [`keep_alive`] tasks spawned
    /// elsewhere and handed over with [`Self::adopt`].
    pub fn handle(&self) -> (watch::Receiver<Ctl>, Arc<AtomicU64>) {
        (self.ctl_rx.clone(), self.pongs.clone())
    }

    /// Takes over a task started with [`spawn_keep_alive`].
    pub fn adopt(&mut self, task: JoinHandle<Option<(usize, Conn)>>) {
        self.tasks.push(task);
    }

    /// Connections held.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// None held.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Pings every connection now; returns how many answered in time.
    pub async fn ping_all(&mut self) -> u64 {
        self.round += 1;
        self.pongs.store(0, Ordering::Relaxed);
        let _ = self.ctl.send(Ctl::Ping(self.round));
        let started = Instant::now();
        let want = self.tasks.len() as u64;
        while self.pongs.load(Ordering::Relaxed) < want && started.elapsed() < PONG_WAIT {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.pongs.load(Ordering::Relaxed)
    }

    /// Stops the keep-alives and gives the connections back (those the
    /// server has not closed).
    pub async fn into_conns(mut self) -> Vec<(usize, Conn)> {
        let _ = self.ctl.send(Ctl::Release);
        let mut out = Vec::new();
        for task in std::mem::take(&mut self.tasks) {
            if let Ok(Some(c)) = task.await {
                out.push(c);
            }
        }
        out.sort_by_key(|(i, _)| *i);
        out
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts keeping `conn` alive under a control channel from
/// [`Held::handle`].
pub fn spawn_keep_alive(
    i: usize,
    conn: Conn,
    handle: (watch::Receiver<Ctl>, Arc<AtomicU64>),
) -> JoinHandle<Option<(usize, Conn)>> {
    tokio::spawn(keep_alive(i, conn, handle.0, handle.1))
}

async fn keep_alive(
    i: usize,
    mut conn: Conn,
    mut ctl: watch::Receiver<Ctl>,
    pongs: Arc<AtomicU64>,
) -> Option<(usize, Conn)> {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(PING_EVERY) => {
                if !ping(&mut conn).await {
                    return None;
                }
            }
            changed = ctl.changed() => {
                if changed.is_err() {
                    return None;
                }
                let now = *ctl.borrow_and_update();
                match now {
                    Ctl::Idle => {}
                    Ctl::Release => return Some((i, conn)),
                    Ctl::Ping(_) => {
                        if !ping(&mut conn).await {
                            return None;
                        }
                        pongs.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }
    }
}

async fn ping(conn: &mut Conn) -> bool {
    matches!(
        conn.request(&Request::Ping {}).await,
        Ok(Some(ServerMessage::Pong {}))
    )
}
