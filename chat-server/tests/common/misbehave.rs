//! Clients that misbehave on purpose, for the abuse tests: one that writes
//! and never reads, one that sends a frame header byte by byte, and TLS
//! connections whose handshake the test paces.

use std::net::SocketAddr;

use chat_proto::ServerMessage;
use chat_proto::codec::{encode_frame, read_frame};
use tokio::io::{AsyncRead, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinHandle;

/// A connection that sends pings as fast as the server takes them and never
/// reads a byte. Its receive buffer is tiny, so the server's answers back up
/// at once.
pub struct NeverReader {
    /// The read half, held (never read) so the socket stays open.
    _read: tokio::net::tcp::OwnedReadHalf,
    /// The pinging task; it ends (with an error) once the server closes the
    /// connection.
    pub writer: JoinHandle<std::io::Result<()>>,
}

impl NeverReader {
    /// Connects and starts pinging.
    pub async fn start(addr: SocketAddr) -> std::io::Result<Self> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(4096)?;
        let tcp = socket.connect(addr).await?;
        let (read, mut write) = tcp.into_split();
        let ping = encode_frame(br#"{"type":"ping","id":1}"#);
        let burst: Vec<u8> = ping
            .iter()
            .copied()
            .cycle()
            .take(ping.len() * 256)
            .collect();
        let writer = tokio::spawn(async move {
            loop {
                write.write_all(&burst).await?;
            }
        });
        Ok(Self {
            _read: read,
            writer,
        })
    }
}

/// Reads frames until the server closes the connection (or resets it),
/// returning what it sent.
pub async fn frames_until_closed<R: AsyncRead + Unpin>(reader: &mut R) -> Vec<ServerMessage> {
    let mut seen = Vec::new();
    while let Ok(Some(frame)) = read_frame(reader, 1 << 20).await {
        match chat_proto::wire::decode_server(&frame) {
            Ok((_, msg)) => seen.push(msg),
            Err(e) => panic!("undecodable server frame: {e:?}"),
        }
    }
    seen
}

/// Completes a TLS 1.3 handshake over `tcp` (trusting the server's key on
/// first use).
pub async fn tls_over(
    tcp: TcpStream,
    addr: SocketAddr,
) -> std::io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let (config, _observer) = chat_proto::tls::client_config(None);
    let name = chat_proto::tls::server_name(&addr.ip().to_string())
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await
}
