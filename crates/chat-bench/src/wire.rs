//! The bench's own connection to a chat-server, written on chat-proto's
//! codec and types. test-support's `WireClient` answers one request at a
//! time behind a shared split and a per-frame timeout, which suits tests;
//! a load generator needs owned, buffered halves that a reader task and a
//! writer task can drive at full speed, and a source address per
//! connection so that per-address limits see many clients, as they would
//! in the field.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use anyhow::{Context, bail};
use chat_proto::codec::{MAX_FRAME_POST_AUTH, encode_frame, read_frame};
use chat_proto::crypto;
use chat_proto::sealed::{Sealed, credentials_aad};
use chat_proto::wire::{PasswordCredentials, RequestId, TokenCredentials, decode_server, encode};
use chat_proto::{ErrorCode, Request, ServerMessage};
use tokio::io::{AsyncWriteExt, BufReader, BufWriter};
use tokio::net::TcpSocket;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The reading half, buffered so that a burst of frames costs one syscall.
pub type Reader = BufReader<OwnedReadHalf>;
/// The writing half, buffered so that a window of requests is one write.
pub type Writer = BufWriter<OwnedWriteHalf>;

/// How long one setup request (signup, login, resume) may take.
const SETUP_TIMEOUT: Duration = Duration::from_secs(120);

/// How long to wait for hello after connecting. The server speaks first,
/// so a connection the server never accepted is silent forever: when its
/// accept queue overflows, a handshake completed with a SYN cookie leaves
/// the client "connected" to no socket at all (tcp_abort_on_overflow=0).
/// A client must give up and reconnect, as chatd does.
pub const HELLO_TIMEOUT: Duration = Duration::from_secs(10);

/// The local address for connection number `n` when the server is on
/// loopback: every connection gets its own 127.100.x.y, so the server's
/// per-address limits (signups per hour, CPU jobs per source) treat them
/// as the distinct clients they stand for.
pub fn source_for(server: SocketAddr, n: usize) -> Option<IpAddr> {
    if !server.ip().is_loopback() || !server.is_ipv4() {
        return None;
    }
    let n = n % (250 * 250);
    let (hi, lo) = (n / 250, n % 250 + 1);
    Some(IpAddr::V4(Ipv4Addr::new(
        127,
        100,
        u8::try_from(hi).ok()?,
        u8::try_from(lo).ok()?,
    )))
}

/// One connection after hello.
pub struct Conn {
    /// Reading half.
    pub reader: Reader,
    /// Writing half.
    pub writer: Writer,
    server_key: String,
    nonce: String,
    next_id: u64,
    /// The last credentials sealed on this connection, with their JSON: a
    /// retry after `server_busy` sends them again instead of paying for
    /// another RSA encryption, so that in a storm the load generator's
    /// CPU goes to the server, not to our own crypto.
    sealed: Option<(Vec<u8>, Sealed)>,
}

/// No hello within [`HELLO_TIMEOUT`]: reconnect.
#[derive(Debug, thiserror::Error)]
#[error("no hello from the server within {HELLO_TIMEOUT:?}")]
pub struct NoHello;

/// A refusal worth retrying: `server_busy` or `rate_limited`.
#[derive(Debug)]
pub struct Busy {
    /// The code the server gave.
    pub code: ErrorCode,
    /// How long it asked us to wait.
    pub retry_after: Duration,
}

/// The outcome of signup, login or resume.
pub enum Auth {
    /// Logged in (login, resume: with the token for later resumes; signup:
    /// the account exists now, the token is empty).
    Ok(String),
    /// signup of a name that exists already.
    Taken,
    /// Told to come back later.
    Busy(Busy),
    /// The server closed the connection before answering.
    Closed,
}

impl Conn {
    /// Connects (from `source` when given) and reads hello.
    pub async fn connect(addr: SocketAddr, source: Option<IpAddr>) -> anyhow::Result<Self> {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        if let Some(ip) = source {
            socket
                .bind(SocketAddr::new(ip, 0))
                .with_context(|| format!("bind {ip}"))?;
        }
        let tcp = socket
            .connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        tcp.set_nodelay(true)?;
        let (r, w) = tcp.into_split();
        let mut conn = Self {
            reader: BufReader::with_capacity(16 * 1024, r),
            writer: BufWriter::with_capacity(16 * 1024, w),
            server_key: String::new(),
            nonce: String::new(),
            next_id: 1,
            sealed: None,
        };
        match conn.recv().await? {
            Some((
                _,
                ServerMessage::Hello {
                    server_key, nonce, ..
                },
            )) => {
                conn.server_key = server_key;
                conn.nonce = nonce;
                Ok(conn)
            }
            Some((
                _,
                ServerMessage::Error {
                    code,
                    retry_after_ms,
                    ..
                },
            )) => {
                bail!("server refused the connection: {code:?} (retry after {retry_after_ms:?} ms)")
            }
            other => bail!("expected hello, got {other:?}"),
        }
    }

    /// The next frame; `None` when the server closed the connection.
    pub async fn recv(&mut self) -> anyhow::Result<Option<(Option<RequestId>, ServerMessage)>> {
        recv(&mut self.reader).await
    }

    /// Writes one request with a fresh id and flushes.
    async fn send(&mut self, req: &Request) -> anyhow::Result<RequestId> {
        let id = RequestId::from(self.next_id);
        self.next_id += 1;
        write_request(&mut self.writer, Some(&id), req).await?;
        self.writer.flush().await?;
        Ok(id)
    }

    /// Sends `req` and waits for its answer, skipping pushes; `None` when
    /// the server closed the connection first.
    pub async fn request(&mut self, req: &Request) -> anyhow::Result<Option<ServerMessage>> {
        let Ok(id) = self.send(req).await else {
            return Ok(None);
        };
        tokio::time::timeout(SETUP_TIMEOUT, async {
            loop {
                match self.recv().await {
                    Ok(Some((Some(got), msg))) if got == id => return Ok(Some(msg)),
                    Ok(Some(_)) => {}
                    Ok(None) | Err(_) => return Ok(None),
                }
            }
        })
        .await
        .context("no answer from the server in time")?
    }

    fn seal(&mut self, json: &[u8]) -> anyhow::Result<Sealed> {
        if let Some((sealed_json, sealed)) = &self.sealed
            && sealed_json == json
        {
            return Ok(sealed.clone());
        }
        let key = crypto::public_key_from_pem(&self.server_key)?;
        let sealed = Sealed::seal(&key, &credentials_aad(&self.nonce), json)?;
        self.sealed = Some((json.to_vec(), sealed.clone()));
        Ok(sealed)
    }

    /// Drops the credentials kept for retries (once logged in).
    pub fn forget_sealed(&mut self) {
        self.sealed = None;
    }

    /// Creates an account.
    pub async fn signup(&mut self, user: &str, password: &str, key: &str) -> anyhow::Result<Auth> {
        let creds = PasswordCredentials {
            username: user.to_string(),
            password: password.to_string(),
        };
        let credentials = self.seal(&serde_json::to_vec(&creds)?)?;
        let req = Request::Signup {
            credentials,
            public_key: key.to_string(),
        };
        match self.request(&req).await? {
            Some(ServerMessage::SignupOk { .. }) => Ok(Auth::Ok(String::new())),
            Some(ServerMessage::Error {
                code: ErrorCode::UsernameTaken,
                ..
            }) => Ok(Auth::Taken),
            other => auth_answer("signup", user, other),
        }
    }

    /// Logs in with the password.
    pub async fn login(&mut self, user: &str, password: &str, key: &str) -> anyhow::Result<Auth> {
        let creds = PasswordCredentials {
            username: user.to_string(),
            password: password.to_string(),
        };
        let credentials = self.seal(&serde_json::to_vec(&creds)?)?;
        let req = Request::Login {
            credentials,
            public_key: key.to_string(),
        };
        auth_answer("login", user, self.request(&req).await?)
    }

    /// Logs in with a token from an earlier login.
    pub async fn resume(&mut self, user: &str, token: &str) -> anyhow::Result<Auth> {
        let creds = TokenCredentials {
            username: user.to_string(),
            token: token.to_string(),
        };
        let credentials = self.seal(&serde_json::to_vec(&creds)?)?;
        auth_answer(
            "resume",
            user,
            self.request(&Request::Resume {
                credentials,
                deliver: None,
            })
            .await?,
        )
    }
}

fn auth_answer(what: &str, user: &str, answer: Option<ServerMessage>) -> anyhow::Result<Auth> {
    match answer {
        None => Ok(Auth::Closed),
        Some(ServerMessage::LoginOk { token, .. }) => Ok(Auth::Ok(token)),
        Some(ServerMessage::Error {
            code: code @ (ErrorCode::ServerBusy | ErrorCode::RateLimited),
            retry_after_ms,
            ..
        }) => Ok(Auth::Busy(Busy {
            code,
            retry_after: Duration::from_millis(retry_after_ms.unwrap_or(1_000)),
        })),
        other => bail!(
            "{what} of {user} failed: {other:?}; a server started with other limits may need \
             --signups-per-source, --cpu-per-source or --max-connections raised"
        ),
    }
}

/// Reads and decodes one server frame; `None` on a clean close or a reset.
pub async fn recv(
    reader: &mut Reader,
) -> anyhow::Result<Option<(Option<RequestId>, ServerMessage)>> {
    match read_frame(reader, MAX_FRAME_POST_AUTH).await {
        Ok(Some(bytes)) => {
            let decoded = decode_server(&bytes)
                .map_err(|e| anyhow::anyhow!("undecodable server frame: {e:?}"))?;
            Ok(Some(decoded))
        }
        Ok(None) => Ok(None),
        Err(chat_proto::codec::FrameError::Io(e))
            if e.kind() == std::io::ErrorKind::ConnectionReset =>
        {
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

/// Appends one framed request to the buffer (no flush: the caller batches).
pub async fn write_request(
    writer: &mut Writer,
    id: Option<&RequestId>,
    req: &Request,
) -> std::io::Result<()> {
    writer.write_all(&encode_frame(&encode(id, req))).await
}
