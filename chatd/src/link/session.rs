//! The link task: the reconnect loop around one connection at a time, and
//! within a connection the command loop, the reader and the keep-alive.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use chat_proto::codec::{MAX_FRAME_POST_AUTH, read_frame, write_frame};
use chat_proto::sealed::Sealed;
use chat_proto::wire::{
    self, ChangePasswordCredentials, PasswordCredentials, RequestId, TokenCredentials,
};
use chat_proto::{ErrorCode, Request, ServerMessage, now_ms};
use chatd_api::ConnectionState;
use serde::Serialize;
use tokio::sync::{mpsc, oneshot, watch};

use super::conn::{self, Hello, Reader, Writer};
use super::{
    AuthCmd, Cmd, LinkError, LinkEvent, LinkSetup, LinkState, Pending, Reply, backoff, into_result,
    keys,
};

/// Interval between pings (PROTOCOL.md §1.2: clients ping every 30 s).
const PING_EVERY: Duration = Duration::from_secs(30);
/// Silence after which the connection is presumed dead.
const DEAD_AFTER_MS: i64 = 75_000;

type State = Arc<watch::Sender<LinkState>>;

/// Runs until shutdown: connect, serve, back off, again.
pub(super) async fn supervise(
    setup: LinkSetup,
    mut rx: mpsc::Receiver<Cmd>,
    state: watch::Sender<LinkState>,
) {
    let state: State = Arc::new(state);
    let mut attempt = 0u32;
    // A login or signup that arrived between attempts: it cut the wait
    // short and runs first on the next connection (or is refused if that
    // attempt fails too).
    let mut held: Option<Cmd> = None;
    while !setup.shutdown.is_cancelled() {
        set_conn(&state, ConnectionState::Connecting);
        let pin = match &setup.pin {
            Some(p) => Some(p.clone()),
            None => stored(&setup, keys::SERVER_FINGERPRINT).await,
        };
        match conn::connect(&setup.server, setup.plaintext, pin.as_deref()).await {
            Ok((reader, writer, hello)) => {
                attempt = 0;
                if pin.is_none() {
                    tracing::warn!(
                        fingerprint = %hello.fingerprint,
                        "trusting the server key on first use; compare it with `chat-server fingerprint` on the server"
                    );
                    store_setting(
                        &setup,
                        keys::SERVER_FINGERPRINT,
                        Some(hello.fingerprint.clone()),
                    )
                    .await;
                }
                state.send_modify(|s| {
                    s.conn = ConnectionState::Connected;
                    s.server_fingerprint = Some(hello.fingerprint.clone());
                    s.last_error = None;
                });
                tracing::info!(server = %setup.server, "connected");
                serve(&setup, &mut rx, &state, reader, writer, hello, held.take()).await;
                tracing::info!(server = %setup.server, "disconnected");
            }
            Err(e) => {
                tracing::warn!("{e}");
                if let Some(cmd) = held.take() {
                    refuse(cmd, LinkError::Unreachable(e.to_string()));
                }
                state.send_modify(|s| s.last_error = Some(e.to_string()));
            }
        }
        state.send_modify(|s| {
            s.conn = ConnectionState::Offline;
            s.user = None;
        });
        let wait = tokio::time::sleep(backoff(attempt));
        attempt = attempt.saturating_add(1);
        tokio::pin!(wait);
        loop {
            tokio::select! {
                () = &mut wait => break,
                () = setup.shutdown.cancelled() => return,
                cmd = rx.recv() => match cmd {
                    None => return,
                    // A person logging in should not wait out a backoff
                    // (up to 30 s): try now, and answer after that try.
                    Some(cmd @ Cmd::Auth(AuthCmd::Login { .. } | AuthCmd::Signup { .. }, _)) => {
                        held = Some(cmd);
                        break;
                    }
                    Some(cmd) => refuse(cmd, LinkError::Offline),
                },
            }
        }
    }
}

fn set_conn(state: &State, conn: ConnectionState) {
    state.send_modify(|s| s.conn = conn);
}

fn refuse(cmd: Cmd, err: LinkError) {
    match cmd {
        Cmd::Request(_, reply) | Cmd::Auth(_, reply) => {
            let _ = reply.send(Err(err));
        }
        Cmd::Ack(_) => {}
    }
}

async fn stored(setup: &LinkSetup, key: &'static str) -> Option<String> {
    setup
        .db
        .call(move |tx| tx.setting(key))
        .await
        .ok()
        .flatten()
}

async fn store_setting(setup: &LinkSetup, key: &'static str, value: Option<String>) {
    if let Err(e) = setup
        .db
        .call(move |tx| tx.set_setting(key, value.as_deref()))
        .await
    {
        tracing::error!(error = %e, "cannot save {key}");
    }
}

/// One live connection.
struct Conn {
    writer: Writer,
    identity_pem: String,
    pending: Pending,
    next_id: u64,
    hello: Hello,
}

impl Conn {
    /// Writes a request with a fresh id; the reply arrives on `reply`.
    async fn send(&mut self, request: &Request, reply: Reply) -> std::io::Result<()> {
        let id = self.next_id;
        self.next_id += 1;
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(id, reply);
        }
        write_frame(
            &mut self.writer,
            &wire::encode(Some(&RequestId::from(id)), request),
        )
        .await
    }

    /// Writes a request and waits for its answer.
    async fn call(&mut self, request: &Request) -> Result<ServerMessage, LinkError> {
        let (tx, rx) = oneshot::channel();
        self.send(request, tx)
            .await
            .map_err(|_| LinkError::Offline)?;
        rx.await.map_err(|_| LinkError::Offline)?
    }

    /// Seals one of chat-proto's credential types to the server key,
    /// bound to this connection's nonce.
    fn seal(&self, creds: &impl Serialize) -> Result<Sealed, LinkError> {
        self.hello.seal(creds)
    }
}

async fn serve(
    setup: &LinkSetup,
    rx: &mut mpsc::Receiver<Cmd>,
    state: &State,
    reader: Reader,
    writer: Writer,
    hello: Hello,
    first: Option<Cmd>,
) {
    let pending: Pending = Arc::default();
    let last_seen = Arc::new(AtomicI64::new(now_ms()));
    let mut reader_task = tokio::spawn(read_loop(
        reader,
        pending.clone(),
        setup.events.clone(),
        last_seen.clone(),
    ));
    let mut conn = Conn {
        writer,
        identity_pem: setup.identity_pem.clone(),
        pending: pending.clone(),
        next_id: 1,
        hello,
    };
    resume(setup, state, &mut conn).await;
    if let Some(cmd) = first
        && handle(setup, state, &mut conn, cmd).await.is_err()
    {
        reader_task.abort();
        fail_pending(&pending);
        return;
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    loop {
        tokio::select! {
            _ = &mut reader_task => break,
            () = setup.shutdown.cancelled() => break,
            _ = ping.tick() => {
                if now_ms() - last_seen.load(Ordering::Relaxed) > DEAD_AFTER_MS {
                    tracing::warn!("the server has been silent too long; reconnecting");
                    break;
                }
                let (tx, _rx) = oneshot::channel();
                if conn.send(&Request::Ping {}, tx).await.is_err() {
                    break;
                }
            }
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { break };
                if handle(setup, state, &mut conn, cmd).await.is_err() {
                    break;
                }
            }
        }
    }
    reader_task.abort();
    fail_pending(&pending);
}

/// Whatever was in flight will not be answered on this connection.
fn fail_pending(pending: &Pending) {
    if let Ok(mut pending) = pending.lock() {
        for (_, reply) in pending.drain() {
            let _ = reply.send(Err(LinkError::Offline));
        }
    }
}

async fn handle(
    setup: &LinkSetup,
    state: &State,
    conn: &mut Conn,
    cmd: Cmd,
) -> std::io::Result<()> {
    match cmd {
        Cmd::Request(request, reply) => conn.send(&request, reply).await,
        Cmd::Ack(msg_ids) => {
            write_frame(
                &mut conn.writer,
                &wire::encode(None, &Request::Ack { msg_ids }),
            )
            .await
        }
        Cmd::Auth(auth, reply) => {
            let (request, after) = match auth_request(conn, state, auth) {
                Ok(pair) => pair,
                Err(e) => {
                    let _ = reply.send(Err(e));
                    return Ok(());
                }
            };
            let (tx, rx) = oneshot::channel();
            conn.send(&request, tx).await?;
            // Wait for the answer off this loop (bcrypt takes a while on the
            // server), then record its effect before telling the caller.
            let (db, events, state) = (setup.db.clone(), setup.events.clone(), state.clone());
            tokio::spawn(async move {
                let answer = rx.await.unwrap_or(Err(LinkError::Offline));
                if let Ok(msg) = &answer {
                    after_auth(&db, &events, &state, after, msg).await;
                }
                let _ = reply.send(answer);
            });
            Ok(())
        }
    }
}

/// What to record once an account operation succeeds.
enum After {
    Nothing,
    LoggedIn,
    LoggedOut,
}

fn auth_request(conn: &Conn, state: &State, auth: AuthCmd) -> Result<(Request, After), LinkError> {
    let public_key = || conn.identity_pem.clone();
    match auth {
        AuthCmd::Signup { username, password } => {
            let credentials = conn.seal(&PasswordCredentials {
                username,
                password: password.to_string(),
            })?;
            Ok((
                Request::Signup {
                    credentials,
                    public_key: public_key(),
                },
                After::Nothing,
            ))
        }
        AuthCmd::Login { username, password } => {
            let credentials = conn.seal(&PasswordCredentials {
                username,
                password: password.to_string(),
            })?;
            Ok((
                Request::Login {
                    credentials,
                    public_key: public_key(),
                },
                After::LoggedIn,
            ))
        }
        AuthCmd::ChangePassword {
            password,
            new_password,
        } => {
            let user = state.borrow().user.clone().ok_or(LinkError::NotLoggedIn)?;
            let credentials = conn.seal(&ChangePasswordCredentials {
                username: user,
                password: password.to_string(),
                new_password: new_password.to_string(),
            })?;
            Ok((Request::ChangePassword { credentials }, After::Nothing))
        }
        AuthCmd::Logout => Ok((Request::Logout {}, After::LoggedOut)),
    }
}

async fn after_auth(
    db: &crate::store::Db,
    events: &mpsc::Sender<LinkEvent>,
    state: &State,
    after: After,
    msg: &ServerMessage,
) {
    match (after, msg) {
        (
            After::LoggedIn,
            ServerMessage::LoginOk {
                username,
                token,
                token_expires,
            },
        ) => {
            let (u, t, e) = (username.clone(), token.clone(), token_expires.to_string());
            let saved = db
                .call(move |tx| {
                    tx.set_setting(keys::USERNAME, Some(&u))?;
                    tx.set_setting(keys::TOKEN, Some(&t))?;
                    tx.set_setting(keys::TOKEN_EXPIRES, Some(&e))
                })
                .await;
            if let Err(e) = saved {
                tracing::error!(error = %e, "cannot save the session token; the next restart will need the password");
            }
            logged_in(events, state, username).await;
        }
        (After::LoggedOut, ServerMessage::LogoutOk {}) => {
            let cleared = db
                .call(|tx| {
                    tx.set_setting(keys::TOKEN, None)?;
                    tx.set_setting(keys::TOKEN_EXPIRES, None)
                })
                .await;
            if let Err(e) = cleared {
                tracing::error!(error = %e, "cannot forget the session token");
            }
            state.send_modify(|s| {
                s.user = None;
                s.conn = ConnectionState::Connected;
            });
        }
        _ => {}
    }
}

async fn logged_in(events: &mpsc::Sender<LinkEvent>, state: &State, username: &str) {
    tracing::info!(user = %username, "logged in");
    let mut session = 0;
    state.send_modify(|s| {
        s.user = Some(username.to_string());
        s.conn = ConnectionState::LoggedIn;
        s.session += 1;
        session = s.session;
    });
    let user = username.to_string();
    let _ = events.send(LinkEvent::LoggedIn { user, session }).await;
}

/// Resumes with the stored token, if there is a live one.
async fn resume(setup: &LinkSetup, state: &State, conn: &mut Conn) {
    let (Some(user), Some(token)) = (
        stored(setup, keys::USERNAME).await,
        stored(setup, keys::TOKEN).await,
    ) else {
        return;
    };
    let expires = stored(setup, keys::TOKEN_EXPIRES)
        .await
        .and_then(|e| e.parse::<i64>().ok())
        .unwrap_or(0);
    if expires <= now_ms() {
        store_setting(setup, keys::TOKEN, None).await;
        return;
    }
    let Ok(credentials) = conn.seal(&TokenCredentials {
        username: user,
        token,
    }) else {
        return;
    };
    let resume = Request::Resume {
        credentials,
        deliver: None,
    };
    match conn.call(&resume).await {
        Ok(ServerMessage::LoginOk { username, .. }) => {
            logged_in(&setup.events, state, &username).await
        }
        Err(LinkError::Server {
            code: ErrorCode::BadCredentials,
            ..
        }) => {
            tracing::warn!("the stored session is no longer valid; log in again");
            store_setting(setup, keys::TOKEN, None).await;
        }
        Ok(other) => tracing::warn!(answer = ?other, "unexpected answer to resume"),
        Err(e) => tracing::warn!(error = %e, "resume failed"),
    }
}

/// Routes answers to their callers and pushes to the daemon.
async fn read_loop(
    mut reader: Reader,
    pending: Pending,
    events: mpsc::Sender<LinkEvent>,
    last_seen: Arc<AtomicI64>,
) {
    loop {
        let frame = match read_frame(&mut reader, MAX_FRAME_POST_AUTH).await {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(e) => {
                tracing::debug!(error = %e, "read from server failed");
                return;
            }
        };
        last_seen.store(now_ms(), Ordering::Relaxed);
        let (id, msg) = match wire::decode_server(&frame) {
            Ok(decoded) => decoded,
            // A newer server may send types we do not know: skip them.
            Err(e) if e.code == ErrorCode::UnknownType => continue,
            Err(e) => {
                tracing::warn!(reason = %e.message, "undecodable frame from the server");
                continue;
            }
        };
        match id {
            Some(RequestId::Number(n)) => {
                let reply = n
                    .as_u64()
                    .and_then(|n| pending.lock().ok().and_then(|mut p| p.remove(&n)));
                if let Some(reply) = reply {
                    let _ = reply.send(into_result(msg));
                }
            }
            Some(RequestId::Text(_)) => {}
            None => {
                if events.send(LinkEvent::Push(msg)).await.is_err() {
                    return;
                }
            }
        }
    }
}
