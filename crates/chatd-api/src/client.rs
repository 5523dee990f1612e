//! The async client every frontend uses to talk to chatd over its local
//! socket, so that none of them re-implements framing, id routing or event
//! delivery. A [`Client`] is a cheap handle: clone it freely and issue
//! requests concurrently; one reader task per connection routes each answer
//! to its caller and each event to the subscribers.
//!
//! ```no_run
//! # async fn demo() -> Result<(), chatd_api::client::ClientError> {
//! use chatd_api::client::Client;
//! let client = Client::connect_default().await?;
//! let (_, mut events) = client.subscribe(Default::default()).await?;
//! client.send("bob", "hello").await?;
//! while let Some(event) = events.recv().await {
//!     println!("{event:?}");
//! }
//! # Ok(()) }
//! ```

mod conn;
mod error;
mod events;
mod lines;
mod methods;

use std::path::Path;
use std::sync::Arc;

use interprocess::local_socket::tokio::prelude::*;
use interprocess::local_socket::{ConnectOptions, GenericFilePath};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncRead, AsyncWrite};

use crate::jsonrpc::request_line;
use crate::method::{Method, call};
use crate::{SubscribeParams, Subscribed};
use conn::Connection;

pub use error::{ClientError, EXIT_FAILURE, EXIT_NOT_RUNNING, EXIT_OK, EXIT_REFUSED, EXIT_USAGE};
pub use events::{EVENT_BUFFER, EventStream, TryRecvError};

/// A connection to chatd. Cloning shares the connection; it closes when
/// the last clone and the last [`EventStream`] are dropped. Every method
/// must run inside a Tokio runtime (use
/// [`BlockingClient`](crate::blocking::BlockingClient) elsewhere).
#[derive(Clone)]
pub struct Client {
    conn: Arc<Connection>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// Connects to the socket at `path`. A missing socket or one nobody
    /// listens on is [`ClientError::NotRunning`].
    pub async fn connect(path: &Path) -> Result<Client, ClientError> {
        let name = path.to_fs_name::<GenericFilePath>()?;
        match ConnectOptions::new().name(name).connect_tokio().await {
            Ok(stream) => Ok(Self::from_stream(stream)),
            Err(e) if is_nobody_there(&e) => Err(ClientError::NotRunning {
                path: path.to_path_buf(),
            }),
            Err(e) => Err(ClientError::Io(e)),
        }
    }

    /// Connects to [`paths::default_socket`](crate::paths::default_socket):
    /// `$CHATD_SOCKET`, else `$XDG_RUNTIME_DIR/securechat/chatd.sock`.
    pub async fn connect_default() -> Result<Client, ClientError> {
        let path = crate::paths::default_socket().ok_or(ClientError::NoSocketPath)?;
        Self::connect(&path).await
    }

    /// A client over any byte stream that speaks the local API (an
    /// in-memory pipe in a frontend's tests, a socket obtained elsewhere).
    pub fn from_stream<S>(stream: S) -> Client
    where
        S: AsyncRead + AsyncWrite + Send + 'static,
    {
        Client {
            conn: Connection::start(stream),
        }
    }

    /// Calls `method` with `params` (an object, by name) and returns the
    /// raw result. The typed methods are built on this.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        self.conn
            .request(|id| request_line(id, method, params))
            .await
    }

    /// Calls `method` with typed params and decodes the result as `R`.
    pub async fn call_as<P, R>(&self, method: &str, params: &P) -> Result<R, ClientError>
    where
        P: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let params = serde_json::to_value(params).map_err(|e| {
            ClientError::Protocol(format!("cannot encode the params of `{method}`: {e}"))
        })?;
        let result = self.call(method, params).await?;
        serde_json::from_value(result).map_err(|e| {
            ClientError::Protocol(format!(
                "chatd answered `{method}` with a result of an unexpected shape ({e}); are \
                 chatd and this frontend from the same release?"
            ))
        })
    }

    /// Calls the method `M` (a marker type of [`call`]) with its typed
    /// params and decodes its typed result; every named method below is a
    /// thin wrapper over this, and a method without one is still reachable:
    /// `client.invoke::<call::Status>(&Empty {})`.
    pub async fn invoke<M: Method>(&self, params: &M::Params) -> Result<M::Result, ClientError> {
        self.call_as(M::NAME, params).await
    }

    /// Subscribes to events: the stream is registered before the request
    /// goes out, so events chatd sends before (or right after) its answer,
    /// such as the `since` replay, are all in it, in order. A connection
    /// has one subscription at chatd; use one connection per independent
    /// subscription.
    pub async fn subscribe(
        &self,
        params: SubscribeParams,
    ) -> Result<(Subscribed, EventStream), ClientError> {
        let stream = self.conn.add_subscriber(params.events.clone())?;
        let subscribed = self.invoke::<call::Subscribe>(&params).await?;
        Ok((subscribed, stream))
    }
}

/// Errors that mean no daemon listens at the path.
fn is_nobody_there(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused
    )
}
