//! One connection to the server: TCP, TLS 1.3 with the pinned key (or bare
//! TCP on loopback), and the hello, whose key must be the pinned key and
//! the very key of the TLS certificate. A wrong key is refused here, before
//! any credential is sealed to it.

use std::time::Duration;

use chat_proto::ServerMessage;
use chat_proto::codec::{MAX_FRAME_POST_AUTH, read_frame};
use chat_proto::crypto::{self, RsaPublicKey};
use chat_proto::sealed::{Sealed, credentials_aad};
use chat_proto::wire::{FileLimits, PROTOCOL_VERSION, decode_server};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite, ReadHalf, WriteHalf};
use tokio::net::TcpStream;

/// A byte stream of either kind.
pub trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// Read side of a connection.
pub type Reader = ReadHalf<Box<dyn Stream>>;
/// Write side of a connection.
pub type Writer = WriteHalf<Box<dyn Stream>>;

/// How long connecting plus hello may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// What hello told us.
#[derive(Debug, Clone)]
pub struct Hello {
    /// The server key, for sealing credentials.
    pub server_key: RsaPublicKey,
    /// Its fingerprint.
    pub fingerprint: String,
    /// The nonce credentials are bound to.
    pub nonce: String,
    /// The blob store's limits (PROTOCOL.md §5.4); `None` when the server
    /// has no blob store.
    pub files: Option<FileLimits>,
}

impl Hello {
    /// Seals one of chat-proto's credential types to the server key, bound
    /// to this connection's nonce (§1.3), so they cannot be replayed on
    /// another connection.
    pub fn seal(&self, creds: &impl Serialize) -> Result<Sealed, super::LinkError> {
        let bytes = zeroize::Zeroizing::new(
            serde_json::to_vec(creds).map_err(|e| super::LinkError::Protocol(e.to_string()))?,
        );
        Sealed::seal(&self.server_key, &credentials_aad(&self.nonce), &bytes)
            .map_err(|e| super::LinkError::Protocol(e.to_string()))
    }
}

/// Why connecting failed.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// Network trouble: retry with backoff.
    #[error("cannot reach the server at {server}: {reason}")]
    Unreachable {
        /// HOST:PORT.
        server: String,
        /// What went wrong.
        reason: String,
    },
    /// The server's key is not the pinned one.
    #[error(
        "server key mismatch: expected fingerprint {expected}, the server presented {presented}; \
         if the server's key was replaced on purpose, re-pin with --server-fingerprint {presented}"
    )]
    PinMismatch {
        /// The pin.
        expected: String,
        /// What the server showed.
        presented: String,
    },
    /// The server spoke something else.
    #[error("the server at {server} does not speak SecureChat protocol 1: {reason}")]
    Protocol {
        /// HOST:PORT.
        server: String,
        /// What was wrong.
        reason: String,
    },
}

/// Connects, handshakes and reads hello.
pub async fn connect(
    server: &str,
    plaintext: bool,
    pin: Option<&str>,
) -> Result<(Reader, Writer, Hello), ConnectError> {
    tokio::time::timeout(CONNECT_TIMEOUT, connect_inner(server, plaintext, pin))
        .await
        .unwrap_or_else(|_| Err(unreachable(server, "timed out")))
}

fn unreachable(server: &str, reason: impl ToString) -> ConnectError {
    ConnectError::Unreachable {
        server: server.to_string(),
        reason: reason.to_string(),
    }
}

async fn connect_inner(
    server: &str,
    plaintext: bool,
    pin: Option<&str>,
) -> Result<(Reader, Writer, Hello), ConnectError> {
    let tcp = TcpStream::connect(server)
        .await
        .map_err(|e| unreachable(server, e))?;
    let _ = tcp.set_nodelay(true);
    let (stream, tls_fingerprint): (Box<dyn Stream>, Option<String>) = if plaintext {
        (Box::new(tcp), None)
    } else {
        let (config, observer) = chat_proto::tls::client_config(pin.map(str::to_string));
        let host = server
            .rsplit_once(':')
            .map_or(server, |(h, _)| h)
            .trim_matches(['[', ']']);
        let name = chat_proto::tls::server_name(host).map_err(|e| unreachable(server, e))?;
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(name, tcp)
            .await
            .map_err(|e| {
                if let Some(chat_proto::tls::ServerKeyError::PinMismatch {
                    expected,
                    presented,
                }) = chat_proto::tls::server_key_error(&e)
                {
                    return ConnectError::PinMismatch {
                        expected: expected.clone(),
                        presented: presented.clone(),
                    };
                }
                unreachable(server, chat_proto::tls::describe_handshake_error(&e))
            })?;
        (Box::new(tls), observer.fingerprint())
    };
    let (mut reader, writer) = tokio::io::split(stream);
    let frame = read_frame(&mut reader, MAX_FRAME_POST_AUTH)
        .await
        .map_err(|e| unreachable(server, e))?
        .ok_or_else(|| unreachable(server, "closed before hello"))?;
    let protocol = |reason: &str| ConnectError::Protocol {
        server: server.to_string(),
        reason: reason.to_string(),
    };
    let Ok((
        _,
        ServerMessage::Hello {
            protocol: version,
            server_key,
            nonce,
            files,
            ..
        },
    )) = decode_server(&frame)
    else {
        return Err(protocol("the first frame is not hello"));
    };
    if version != PROTOCOL_VERSION {
        return Err(protocol(&format!("it speaks version {version}")));
    }
    let key = crypto::public_key_from_pem(&server_key)
        .map_err(|_| protocol("hello carries no valid server key"))?;
    let fingerprint = crypto::fingerprint(&key);
    if let Some(cert) = tls_fingerprint.as_deref()
        && cert != fingerprint
    {
        return Err(protocol("the hello key is not the TLS certificate's key"));
    }
    if let Some(pin) = pin
        && pin != fingerprint
    {
        return Err(ConnectError::PinMismatch {
            expected: pin.to_string(),
            presented: fingerprint,
        });
    }
    Ok((
        reader,
        writer,
        Hello {
            server_key: key,
            fingerprint,
            nonce,
            files,
        },
    ))
}
