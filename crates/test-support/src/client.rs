//! A protocol client written from PROTOCOL.md §1 alone, as an independent
//! client would be: raw frames, JSON values, sealed credentials. Server
//! tests drive the real server with it, including with deliberately broken
//! input.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use chat_proto::ServerMessage;
use chat_proto::codec::{MAX_FRAME_POST_AUTH, encode_frame, read_frame};
use chat_proto::crypto;
use chat_proto::sealed::{Sealed, credentials_aad};
use chat_proto::wire::{RequestId, decode_server};
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadHalf, WriteHalf};
use tokio::net::TcpStream;

/// A byte stream of either kind.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// How long a response may take before the test fails.
pub const RESPONSE_TIMEOUT: Duration = Duration::from_secs(20);

/// A frame as received: the id (responses) and the message.
pub type Frame = (Option<RequestId>, ServerMessage);

/// One connection to a chat-server.
pub struct WireClient {
    reader: ReadHalf<Box<dyn Stream>>,
    writer: WriteHalf<Box<dyn Stream>>,
    /// The server's key from hello.
    pub server_key: String,
    /// The hello nonce.
    pub nonce: String,
    next_id: u64,
    /// Frames received while waiting for something else.
    pub backlog: VecDeque<Frame>,
}

impl WireClient {
    /// Connects over bare TCP and reads hello.
    pub async fn connect(addr: SocketAddr) -> anyhow::Result<Self> {
        let tcp = TcpStream::connect(addr)
            .await
            .with_context(|| format!("connect to {addr}"))?;
        Self::over(Box::new(tcp)).await
    }

    /// Connects over TLS 1.3, pinning `pin` (or trusting on first use), and
    /// reads hello.
    pub async fn connect_tls(addr: SocketAddr, pin: Option<String>) -> anyhow::Result<Self> {
        let (config, _observer) = chat_proto::tls::client_config(pin);
        let tcp = TcpStream::connect(addr).await?;
        let name = chat_proto::tls::server_name(&addr.ip().to_string())?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| anyhow::anyhow!(chat_proto::tls::describe_handshake_error(&e)))?;
        Self::over(Box::new(tls)).await
    }

    async fn over(stream: Box<dyn Stream>) -> anyhow::Result<Self> {
        let (reader, writer) = tokio::io::split(stream);
        let mut me = Self {
            reader,
            writer,
            server_key: String::new(),
            nonce: String::new(),
            next_id: 1,
            backlog: VecDeque::new(),
        };
        match me.recv().await? {
            Some((
                _,
                ServerMessage::Hello {
                    server_key,
                    nonce,
                    protocol: 1,
                    ..
                },
            )) => {
                me.server_key = server_key;
                me.nonce = nonce;
                Ok(me)
            }
            other => bail!("expected hello, got {other:?}"),
        }
    }

    /// Writes raw bytes (no framing added).
    pub async fn write_raw(&mut self, bytes: &[u8]) -> anyhow::Result<()> {
        self.writer.write_all(bytes).await?;
        self.writer.flush().await?;
        Ok(())
    }

    /// Sends one frame holding `payload`.
    pub async fn send_payload(&mut self, payload: &[u8]) -> anyhow::Result<()> {
        self.write_raw(&encode_frame(payload)).await
    }

    /// Sends a JSON value as one frame (no id added).
    pub async fn send_value(&mut self, value: &Value) -> anyhow::Result<()> {
        self.send_payload(&serde_json::to_vec(value)?).await
    }

    /// The next frame from the wire (ignoring the backlog); `None` when
    /// the server closed the connection.
    pub async fn recv(&mut self) -> anyhow::Result<Option<Frame>> {
        let read = tokio::time::timeout(
            RESPONSE_TIMEOUT,
            read_frame(&mut self.reader, MAX_FRAME_POST_AUTH),
        )
        .await
        .context("no frame from the server in time")?;
        match read {
            Ok(Some(bytes)) => {
                let (id, msg) = decode_server(&bytes)
                    .map_err(|e| anyhow::anyhow!("undecodable server frame: {e:?}"))?;
                Ok(Some((id, msg)))
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

    /// Waits until the server closes the connection, returning any frames
    /// that came first.
    pub async fn expect_closed(&mut self) -> anyhow::Result<Vec<ServerMessage>> {
        let mut seen: Vec<ServerMessage> = self.backlog.drain(..).map(|(_, m)| m).collect();
        while let Some((_, m)) = self.recv().await? {
            seen.push(m);
        }
        Ok(seen)
    }

    /// Sends `value` with a fresh numeric id and returns the response
    /// carrying that id; pushes that arrive meanwhile go to the backlog.
    pub async fn request(&mut self, mut value: Value) -> anyhow::Result<ServerMessage> {
        let id = self.next_id;
        self.next_id += 1;
        value["id"] = json!(id);
        self.send_value(&value).await?;
        let want = RequestId::from(id);
        loop {
            match self.recv().await? {
                Some((Some(got), msg)) if got == want => return Ok(msg),
                Some(frame) => self.backlog.push_back(frame),
                None => bail!("connection closed while waiting for the answer to {value}"),
            }
        }
    }

    /// The next push (a frame without id), from the backlog first.
    pub async fn next_push(&mut self) -> anyhow::Result<ServerMessage> {
        if let Some(i) = self.backlog.iter().position(|(id, _)| id.is_none())
            && let Some((_, m)) = self.backlog.remove(i)
        {
            return Ok(m);
        }
        loop {
            match self.recv().await? {
                Some((None, msg)) => return Ok(msg),
                Some(frame) => self.backlog.push_back(frame),
                None => bail!("connection closed while waiting for a push"),
            }
        }
    }

    /// Seals `creds` to the hello key with this connection's nonce.
    pub fn seal(&self, creds: &Value) -> anyhow::Result<Value> {
        self.seal_with_nonce(creds, &self.nonce.clone())
    }

    /// Seals `creds` with an arbitrary nonce (for replay tests).
    pub fn seal_with_nonce(&self, creds: &Value, nonce: &str) -> anyhow::Result<Value> {
        let key = crypto::public_key_from_pem(&self.server_key)?;
        let sealed = Sealed::seal(&key, &credentials_aad(nonce), &serde_json::to_vec(creds)?)?;
        Ok(serde_json::to_value(sealed)?)
    }

    /// signup with a password and identity key.
    pub async fn signup(
        &mut self,
        user: &str,
        password: &str,
        key_pem: &str,
    ) -> anyhow::Result<ServerMessage> {
        let credentials = self.seal(&json!({"username": user, "password": password}))?;
        self.request(json!({"type": "signup", "credentials": credentials, "public_key": key_pem}))
            .await
    }

    /// login with a password and identity key.
    pub async fn login(
        &mut self,
        user: &str,
        password: &str,
        key_pem: &str,
    ) -> anyhow::Result<ServerMessage> {
        let credentials = self.seal(&json!({"username": user, "password": password}))?;
        self.request(json!({"type": "login", "credentials": credentials, "public_key": key_pem}))
            .await
    }

    /// resume with a token.
    pub async fn resume(&mut self, user: &str, token: &str) -> anyhow::Result<ServerMessage> {
        let credentials = self.seal(&json!({"username": user, "token": token}))?;
        self.request(json!({"type": "resume", "credentials": credentials}))
            .await
    }

    /// resume with a token as a transfers-only session (`deliver: false`).
    pub async fn resume_for_transfers(
        &mut self,
        user: &str,
        token: &str,
    ) -> anyhow::Result<ServerMessage> {
        let credentials = self.seal(&json!({"username": user, "token": token}))?;
        self.request(json!({"type": "resume", "credentials": credentials, "deliver": false}))
            .await
    }

    /// Connects, signs `user` up (if needed) and logs in; returns the
    /// client and its token.
    pub async fn logged_in(
        addr: SocketAddr,
        user: &str,
        key_pem: &str,
    ) -> anyhow::Result<(Self, String)> {
        let mut c = Self::connect(addr).await?;
        match c.signup(user, crate::fixtures::PASSWORD, key_pem).await? {
            ServerMessage::SignupOk { .. } => {}
            ServerMessage::Error {
                code: chat_proto::ErrorCode::UsernameTaken,
                ..
            } => {}
            other => bail!("signup of {user}: {other:?}"),
        }
        match c.login(user, crate::fixtures::PASSWORD, key_pem).await? {
            ServerMessage::LoginOk { token, .. } => Ok((c, token)),
            other => bail!("login of {user}: {other:?}"),
        }
    }
}

impl WireClient {
    /// Connects over bare TCP from a chosen local address.
    pub async fn connect_from(local: std::net::IpAddr, addr: SocketAddr) -> anyhow::Result<Self> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::new(local, 0))?;
        let tcp = socket.connect(addr).await?;
        Self::over(Box::new(tcp)).await
    }
}
