//! Accepting connections: the listen socket with an explicit backlog, the
//! connection cap, the TLS handshake, and an orderly shutdown that stops
//! accepting, ends every connection and waits for them.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chat_proto::ServerMessage;
use chat_proto::wire::ErrorCode;
use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::connection;
use crate::context::Shared;
use crate::logs::peer_text;
use crate::store::Store;

/// Connections turned away at once, beyond which they are simply dropped.
const MAX_REJECTING: usize = 64;
/// How long shutdown waits for connections to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Binds a listening socket with an explicit backlog (tokio's default of
/// 128 drops connection storms on the floor).
pub fn bind(addr: SocketAddr, backlog: u32) -> std::io::Result<TcpListener> {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&addr.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    TcpListener::from_std(socket.into())
}

/// Serves `listener` until `shutdown` is cancelled, then ends every
/// connection and returns once they are gone (or after a grace period).
pub async fn run<S: Store>(
    listener: TcpListener,
    sh: Arc<Shared<S>>,
    tls: Option<TlsAcceptor>,
    shutdown: CancellationToken,
) {
    let slots = Arc::new(Semaphore::new(sh.config.max_connections));
    let rejecting = Arc::new(Semaphore::new(MAX_REJECTING));
    let tracker = TaskTracker::new();
    let next_id = AtomicU64::new(1);
    tracker.spawn(crate::purge::run(sh.clone(), shutdown.clone()));
    tracker.spawn(crate::purge::run_blobs(sh.clone(), shutdown.clone()));
    loop {
        let (tcp, peer) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: back off briefly
                    // instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let _ = tcp.set_nodelay(true);
        let id = next_id.fetch_add(1, Ordering::Relaxed);
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let (sh, tls, close) = (sh.clone(), tls.clone(), shutdown.child_token());
                tracker.spawn(async move {
                    accept_one(sh, tcp, peer, id, tls, close).await;
                    drop(slot);
                });
            }
            Err(_) => {
                if let Ok(permit) = rejecting.clone().try_acquire_owned() {
                    let (tls, grace) = (tls.clone(), sh.config.login_timeout);
                    tracker.spawn(async move {
                        turn_away(tcp, tls, grace).await;
                        drop(permit);
                    });
                }
            }
        }
    }
    tracker.close();
    if tokio::time::timeout(SHUTDOWN_GRACE, tracker.wait())
        .await
        .is_err()
    {
        tracing::warn!("some connections did not close within the grace period");
    }
    sh.store.shutdown().await;
}

async fn accept_one<S: Store>(
    sh: Arc<Shared<S>>,
    tcp: TcpStream,
    peer: SocketAddr,
    id: u64,
    tls: Option<TlsAcceptor>,
    close: CancellationToken,
) {
    tracing::debug!(%peer, "connection accepted");
    // One deadline from accept covers the TLS handshake and the login.
    let login_deadline = tokio::time::Instant::now() + sh.config.login_timeout;
    match tls {
        None => connection::serve(sh, tcp, peer, id, close, login_deadline).await,
        // Boxed, with its handshake: a TLS stream is large (rustls keeps its
        // state inline), and inline it would take room in every
        // connection's task for the connection's whole life, plaintext or not.
        Some(acceptor) => {
            Box::pin(serve_tls(
                sh,
                tcp,
                peer,
                id,
                acceptor,
                close,
                login_deadline,
            ))
            .await
        }
    }
}

/// The TLS handshake, then the connection over it.
async fn serve_tls<S: Store>(
    sh: Arc<Shared<S>>,
    tcp: TcpStream,
    peer: SocketAddr,
    id: u64,
    acceptor: TlsAcceptor,
    close: CancellationToken,
    login_deadline: tokio::time::Instant,
) {
    let handshake = tokio::time::timeout_at(login_deadline, acceptor.accept(tcp));
    match handshake.await {
        Ok(Ok(stream)) => connection::serve(sh, stream, peer, id, close, login_deadline).await,
        Ok(Err(e)) => {
            let error = e.to_string();
            tracing::debug!(%peer, error = %peer_text(&error), "TLS handshake failed")
        }
        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
    }
}

/// Tells a client over the connection cap to come back later.
async fn turn_away(tcp: TcpStream, tls: Option<TlsAcceptor>, grace: Duration) {
    let busy = ServerMessage::Error {
        code: ErrorCode::ServerBusy,
        message: "the server has too many connections; try again later".into(),
        retry_after_ms: Some(5_000),
    };
    let frame = chat_proto::codec::encode_frame(&chat_proto::wire::encode(None, &busy));
    async fn say<W: AsyncWrite + Unpin>(mut w: W, frame: &[u8]) {
        let _ = w.write_all(frame).await;
        let _ = w.shutdown().await;
    }
    let _ = tokio::time::timeout(grace, async {
        match tls {
            None => say(tcp, &frame).await,
            Some(acceptor) => {
                if let Ok(stream) = acceptor.accept(tcp).await {
                    say(stream, &frame).await;
                }
            }
        }
    })
    .await;
}
