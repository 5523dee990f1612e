//! A TCP fault proxy for tests: a real proxy on loopback that sits between a
//! client (chatd) and the server and breaks the connection on command, so
//! a test can prove that a flaky network loses nothing. The client is
//! pointed at [`FaultProxy::addr`] instead of the server; everything else
//! (TLS, the server pin) is unchanged, since the proxy only moves bytes.
//!
//! Faults act on the connections open at that moment: [`FaultProxy::cut`]
//! closes both sides (FIN), [`FaultProxy::reset`] aborts both with RST
//! (`SO_LINGER` 0), and [`FaultProxy::stall`] stops forwarding in both
//! directions, without closing anything, until [`FaultProxy::resume`]
//! ([`FaultProxy::stall_up`] stops only what clients send: the server's
//! pushes still arrive but the client's answers, acks among them, wait;
//! [`FaultProxy::stall_down`] only what the server sends).
//! Connections made later pass through until the next fault. Counters say
//! how many connections and bytes went through and how many faults hit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{ReadHalf, WriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How a live connection is ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Close both sides in an orderly way (FIN).
    Cut,
    /// Abort both sides (RST).
    Reset,
}

/// What the proxy has seen and done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Connections accepted (and forwarded to the upstream).
    pub connections: u64,
    /// Connections open now.
    pub open: u64,
    /// Bytes forwarded from clients to the upstream.
    pub bytes_up: u64,
    /// Bytes forwarded from the upstream to clients.
    pub bytes_down: u64,
    /// Connections ended by [`FaultProxy::cut`].
    pub cut: u64,
    /// Connections ended by [`FaultProxy::reset`].
    pub reset: u64,
    /// Calls of [`FaultProxy::stall`].
    pub stalls: u64,
}

#[derive(Default)]
struct Counters {
    connections: AtomicU64,
    open: AtomicU64,
    bytes_up: AtomicU64,
    bytes_down: AtomicU64,
    cut: AtomicU64,
    reset: AtomicU64,
    stalls: AtomicU64,
}

struct Shared {
    upstream: SocketAddr,
    /// Whether forwarding is stopped: (client to upstream, upstream to
    /// client).
    stalled: watch::Sender<(bool, bool)>,
    /// The latest fault, numbered: a connection obeys faults numbered
    /// after the one current when it was accepted.
    fault: watch::Sender<(u64, Option<Fault>)>,
    counters: Counters,
}

/// A running proxy; stops accepting (and drops every connection) when
/// dropped.
pub struct FaultProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    accept: JoinHandle<()>,
}

impl FaultProxy {
    /// Listens on an ephemeral loopback port and forwards to `upstream`.
    pub async fn start(upstream: SocketAddr) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            upstream,
            stalled: watch::channel((false, false)).0,
            fault: watch::channel((0, None)).0,
            counters: Counters::default(),
        });
        let accept = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Self {
            addr,
            shared,
            accept,
        })
    }

    /// Closes every open connection (both sides get FIN).
    pub fn cut(&self) {
        self.fault(Fault::Cut);
    }

    /// Aborts every open connection (both sides get RST). Bytes a stall
    /// holds die with them, even if [`FaultProxy::resume`] follows at once.
    pub fn reset(&self) {
        self.fault(Fault::Reset);
    }

    fn fault(&self, fault: Fault) {
        self.shared
            .fault
            .send_modify(|(n, f)| (*n, *f) = (*n + 1, Some(fault)));
    }

    /// Stops forwarding in both directions, closing nothing, until
    /// [`FaultProxy::resume`]. Bytes already read wait in the proxy.
    pub fn stall(&self) {
        self.shared.counters.stalls.fetch_add(1, Ordering::Relaxed);
        self.shared.stalled.send_replace((true, true));
    }

    /// Stops forwarding what clients send (the upstream's bytes still
    /// reach them) until [`FaultProxy::resume`].
    pub fn stall_up(&self) {
        self.shared.counters.stalls.fetch_add(1, Ordering::Relaxed);
        self.shared.stalled.send_replace((true, false));
    }

    /// Stops forwarding what the upstream sends (what clients send still
    /// reaches it) until [`FaultProxy::resume`]: a client that keeps
    /// talking but hears nothing yet.
    pub fn stall_down(&self) {
        self.shared.counters.stalls.fetch_add(1, Ordering::Relaxed);
        self.shared.stalled.send_replace((false, true));
    }

    /// Stops forwarding for `how_long`, then forwards again by itself.
    pub fn stall_for(&self, how_long: Duration) {
        self.stall();
        let shared = self.shared.clone();
        tokio::spawn(async move {
            crate::wait::elapse(how_long, "a stall of the length the test asked for").await;
            shared.stalled.send_replace((false, false));
        });
    }

    /// Forwards again after [`FaultProxy::stall`].
    pub fn resume(&self) {
        self.shared.stalled.send_replace((false, false));
    }

    /// The counters now.
    pub fn counts(&self) -> Counts {
        let c = &self.shared.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        Counts {
            connections: get(&c.connections),
            open: get(&c.open),
            bytes_up: get(&c.bytes_up),
            bytes_down: get(&c.bytes_down),
            cut: get(&c.cut),
            reset: get(&c.reset),
            stalls: get(&c.stalls),
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
        // Live connections end too.
        self.reset();
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        // The fault number at accept: earlier faults do not concern it.
        let faults = shared.fault.subscribe();
        let shared = shared.clone();
        tokio::spawn(async move {
            // An unreachable upstream (the server is restarting) closes
            // the client's connection, as a refused connect would.
            let Ok(server) = TcpStream::connect(shared.upstream).await else {
                return;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            let c = &shared.counters;
            c.connections.fetch_add(1, Ordering::Relaxed);
            c.open.fetch_add(1, Ordering::Relaxed);
            let ended = forward(client, server, &shared, faults).await;
            c.open.fetch_sub(1, Ordering::Relaxed);
            match ended {
                Some(Fault::Cut) => c.cut.fetch_add(1, Ordering::Relaxed),
                Some(Fault::Reset) => c.reset.fetch_add(1, Ordering::Relaxed),
                None => 0,
            };
        });
    }
}

/// Moves bytes both ways until either side closes or a fault arrives;
/// returns the fault that ended it.
async fn forward(
    mut client: TcpStream,
    mut server: TcpStream,
    shared: &Shared,
    mut faults: watch::Receiver<(u64, Option<Fault>)>,
) -> Option<Fault> {
    let fault = {
        let (mut cr, mut cw) = client.split();
        let (mut sr, mut sw) = server.split();
        let up = pump(&mut cr, &mut sw, shared, Dir::Up);
        let down = pump(&mut sr, &mut cw, shared, Dir::Down);
        // A fault comes first: a test that resets and then resumes
        // (`reset(); resume();`) means the bytes held by the stall to
        // die with the connection. Unbiased, `select!` could poll a pump
        // first, see the resume and forward them before the reset.
        tokio::select! {
            biased;
            f = faults.changed() => match f {
                Ok(()) => faults.borrow_and_update().1,
                Err(_) => Some(Fault::Reset),
            },
            () = up => None,
            () = down => None,
        }
    };
    if fault == Some(Fault::Reset) {
        let _ = client.set_zero_linger();
        let _ = server.set_zero_linger();
    }
    // Dropping both sockets closes them: FIN, or RST with linger 0.
    fault
}

/// Whether a direction flows, given (client to upstream stalled, upstream
/// to client stalled).
type Flowing = fn(&(bool, bool)) -> bool;

/// Which way a pump moves bytes.
#[derive(Clone, Copy)]
enum Dir {
    Up,
    Down,
}

/// Copies from `from` to `to`, holding what it read while its direction
/// is stalled; returns when `from` ends or either side fails.
async fn pump(from: &mut ReadHalf<'_>, to: &mut WriteHalf<'_>, shared: &Shared, dir: Dir) {
    let mut buf = vec![0u8; 16 * 1024];
    let mut stalled = shared.stalled.subscribe();
    let (flowing, count): (Flowing, &AtomicU64) = match dir {
        Dir::Up => (|s| !s.0, &shared.counters.bytes_up),
        Dir::Down => (|s| !s.1, &shared.counters.bytes_down),
    };
    loop {
        if stalled.wait_for(flowing).await.is_err() {
            return;
        }
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        // A stall that began while reading holds these bytes too.
        if stalled.wait_for(flowing).await.is_err() {
            return;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
        count.fetch_add(n as u64, Ordering::Relaxed);
    }
}
