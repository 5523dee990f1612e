//! The same client for frontends without an async runtime (GUI loops,
//! notifiers, small tools). Its I/O runs on a current-thread Tokio runtime
//! of its own, on a dedicated thread, so events keep flowing between calls
//! and nothing here depends on the caller's context.
//!
//! The rule: a `BlockingClient` may be used from any thread, even from
//! inside another Tokio runtime, without panicking (it never calls
//! `block_on` or `blocking_recv` on the caller's thread). Each call does
//! block the calling thread until chatd answers, though, so from async code
//! prefer [`Client`]: a blocking call there stalls that worker thread (on a
//! current-thread runtime, every task) for the duration of the call.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::runtime::Handle;
use tokio::sync::oneshot;

use crate::client::{Client, ClientError, EventStream, TryRecvError};
use crate::method::Method;
use crate::{
    Conversations, Empty, Event, Fingerprint, HistoryParams, LoggedIn, Messages, OneMessage,
    SearchParams, Sent, Settings, SettingsPatch, Status, SubscribeParams, Subscribed, TrustResult,
    Users, UsersParams,
};

/// The dedicated runtime thread; it stops when the last handle is dropped.
struct RuntimeThread {
    handle: Handle,
    _stop: oneshot::Sender<()>,
}

impl RuntimeThread {
    fn start() -> Result<Arc<Self>, ClientError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        std::thread::Builder::new()
            .name("chatd-client".into())
            .spawn(move || {
                // Runs until `_stop` is dropped; then the runtime and every
                // task on it (the connection's reader and writer) go.
                runtime.block_on(async {
                    let _ = stopped.await;
                });
            })?;
        Ok(Arc::new(Self {
            handle,
            _stop: stop,
        }))
    }

    /// Runs `fut` on the runtime thread and waits for its output; `None`
    /// when the runtime is gone.
    fn block<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        self.handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().ok()
    }
}

/// A blocking handle on a connection to chatd; clone it freely. See the
/// module documentation for where it may be used.
#[derive(Clone)]
pub struct BlockingClient {
    client: Client,
    runtime: Arc<RuntimeThread>,
}

impl std::fmt::Debug for BlockingClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingClient").finish_non_exhaustive()
    }
}

impl BlockingClient {
    /// Connects to the socket at `path` (see [`Client::connect`]).
    pub fn connect(path: &Path) -> Result<Self, ClientError> {
        let runtime = RuntimeThread::start()?;
        let path = path.to_path_buf();
        let client = runtime
            .block(async move { Client::connect(&path).await })
            .unwrap_or(Err(ClientError::Disconnected))?;
        Ok(Self { client, runtime })
    }

    /// Connects to the default socket (see [`Client::connect_default`]).
    pub fn connect_default() -> Result<Self, ClientError> {
        let path = crate::paths::default_socket().ok_or(ClientError::NoSocketPath)?;
        Self::connect(&path)
    }

    /// The async client underneath, for code that has a runtime after all.
    pub fn as_async(&self) -> &Client {
        &self.client
    }

    fn run<T, F>(&self, call: impl FnOnce(Client) -> F) -> Result<T, ClientError>
    where
        T: Send + 'static,
        F: Future<Output = Result<T, ClientError>> + Send + 'static,
    {
        self.runtime
            .block(call(self.client.clone()))
            .unwrap_or(Err(ClientError::Disconnected))
    }

    /// See [`Client::call`].
    pub fn call(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let method = method.to_string();
        self.run(move |c| async move { c.call(&method, params).await })
    }

    /// See [`Client::invoke`].
    pub fn invoke<M: Method + 'static>(&self, params: M::Params) -> Result<M::Result, ClientError> {
        self.run(move |c| async move { c.invoke::<M>(&params).await })
    }

    /// See [`Client::status`].
    pub fn status(&self) -> Result<Status, ClientError> {
        self.run(move |c| async move { c.status().await })
    }

    /// See [`Client::signup`].
    pub fn signup(&self, username: &str, password: &str) -> Result<LoggedIn, ClientError> {
        let (u, p) = (username.to_string(), password.to_string());
        self.run(move |c| async move { c.signup(&u, &p).await })
    }

    /// See [`Client::login`].
    pub fn login(&self, username: &str, password: &str) -> Result<LoggedIn, ClientError> {
        let (u, p) = (username.to_string(), password.to_string());
        self.run(move |c| async move { c.login(&u, &p).await })
    }

    /// See [`Client::logout`].
    pub fn logout(&self) -> Result<Empty, ClientError> {
        self.run(move |c| async move { c.logout().await })
    }

    /// See [`Client::change_password`].
    pub fn change_password(
        &self,
        password: &str,
        new_password: &str,
    ) -> Result<Empty, ClientError> {
        let (old, new) = (password.to_string(), new_password.to_string());
        self.run(move |c| async move { c.change_password(&old, &new).await })
    }

    /// See [`Client::users`].
    pub fn users(&self, params: &UsersParams) -> Result<Users, ClientError> {
        let params = params.clone();
        self.run(move |c| async move { c.users(&params).await })
    }

    /// See [`Client::send`].
    pub fn send(&self, to: &str, text: &str) -> Result<Sent, ClientError> {
        let (to, text) = (to.to_string(), text.to_string());
        self.run(move |c| async move { c.send(&to, &text).await })
    }

    /// See [`Client::history`].
    pub fn history(&self, params: &HistoryParams) -> Result<Messages, ClientError> {
        let params = params.clone();
        self.run(move |c| async move { c.history(&params).await })
    }

    /// See [`Client::message`].
    pub fn message(&self, id: &str) -> Result<OneMessage, ClientError> {
        let id = id.to_string();
        self.run(move |c| async move { c.message(&id).await })
    }

    /// See [`Client::conversations`].
    pub fn conversations(&self) -> Result<Conversations, ClientError> {
        self.run(move |c| async move { c.conversations().await })
    }

    /// See [`Client::mark_read`].
    pub fn mark_read(&self, peer: &str) -> Result<Empty, ClientError> {
        let peer = peer.to_string();
        self.run(move |c| async move { c.mark_read(&peer).await })
    }

    /// See [`Client::mark_read_up_to`].
    pub fn mark_read_up_to(&self, peer: &str, up_to: &str) -> Result<Empty, ClientError> {
        let (peer, up_to) = (peer.to_string(), up_to.to_string());
        self.run(move |c| async move { c.mark_read_up_to(&peer, &up_to).await })
    }

    /// See [`Client::fingerprint`].
    pub fn fingerprint(&self, user: Option<&str>) -> Result<Fingerprint, ClientError> {
        let user = user.map(str::to_string);
        self.run(move |c| async move { c.fingerprint(user.as_deref()).await })
    }

    /// See [`Client::verify`].
    pub fn verify(&self, user: &str, fingerprint: &str) -> Result<TrustResult, ClientError> {
        let (user, fpr) = (user.to_string(), fingerprint.to_string());
        self.run(move |c| async move { c.verify(&user, &fpr).await })
    }

    /// See [`Client::trust`].
    pub fn trust(&self, user: &str) -> Result<TrustResult, ClientError> {
        let user = user.to_string();
        self.run(move |c| async move { c.trust(&user).await })
    }

    /// See [`Client::search`].
    pub fn search(&self, params: &SearchParams) -> Result<Messages, ClientError> {
        let params = params.clone();
        self.run(move |c| async move { c.search(&params).await })
    }

    /// See [`Client::focus`].
    pub fn focus(&self, peer: Option<&str>) -> Result<Empty, ClientError> {
        let peer = peer.map(str::to_string);
        self.run(move |c| async move { c.focus(peer.as_deref()).await })
    }

    /// See [`Client::settings`].
    pub fn settings(&self) -> Result<Settings, ClientError> {
        self.run(move |c| async move { c.settings().await })
    }

    /// See [`Client::set_settings`].
    pub fn set_settings(&self, patch: &SettingsPatch) -> Result<Settings, ClientError> {
        let patch = patch.clone();
        self.run(move |c| async move { c.set_settings(&patch).await })
    }

    /// See [`Client::subscribe`]. Events are read in the background
    /// between calls; take them with [`BlockingEventStream::recv`] or poll
    /// with [`BlockingEventStream::try_recv`].
    pub fn subscribe(
        &self,
        params: SubscribeParams,
    ) -> Result<(Subscribed, BlockingEventStream), ClientError> {
        let (subscribed, stream) = self.run(async move |c| c.subscribe(params).await)?;
        let stream = BlockingEventStream {
            stream: Some(stream),
            runtime: self.runtime.clone(),
        };
        Ok((subscribed, stream))
    }
}

/// Why [`BlockingEventStream::recv_timeout`] returned no event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RecvTimeoutError {
    /// No event came within the time given.
    #[error("no event within the time given")]
    Timeout,
    /// The stream has ended.
    #[error("the event stream has ended")]
    Ended,
}

/// The blocking side of an [`EventStream`].
pub struct BlockingEventStream {
    /// `None` only after the runtime thread vanished mid-wait.
    stream: Option<EventStream>,
    runtime: Arc<RuntimeThread>,
}

impl std::fmt::Debug for BlockingEventStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BlockingEventStream")
            .field("stream", &self.stream)
            .finish_non_exhaustive()
    }
}

impl BlockingEventStream {
    /// Waits for the next event; `None` once the stream has ended.
    pub fn recv(&mut self) -> Option<Event> {
        self.wait(None).ok()
    }

    /// Waits at most `timeout` for the next event.
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<Event, RecvTimeoutError> {
        self.wait(Some(timeout))
    }

    /// The next event if one is queued, without waiting.
    pub fn try_recv(&mut self) -> Result<Event, TryRecvError> {
        match &mut self.stream {
            Some(stream) => stream.try_recv(),
            None => Err(TryRecvError::Ended),
        }
    }

    /// See [`EventStream::lagged`].
    pub fn lagged(&self) -> bool {
        self.stream.as_ref().is_some_and(EventStream::lagged)
    }

    /// See [`EventStream::last_seq`].
    pub fn last_seq(&self) -> Option<u64> {
        self.stream.as_ref().and_then(EventStream::last_seq)
    }

    /// The stream moves to the runtime thread for the wait and comes back
    /// with the outcome (a timeout cancels `recv`, which loses nothing).
    fn wait(&mut self, timeout: Option<Duration>) -> Result<Event, RecvTimeoutError> {
        let mut stream = self.stream.take().ok_or(RecvTimeoutError::Ended)?;
        let outcome = self.runtime.block(async move {
            let event = match timeout {
                Some(t) => tokio::time::timeout(t, stream.recv())
                    .await
                    .map_err(|_| RecvTimeoutError::Timeout),
                None => Ok(stream.recv().await),
            };
            (event, stream)
        });
        let Some((event, stream)) = outcome else {
            return Err(RecvTimeoutError::Ended);
        };
        self.stream = Some(stream);
        event.and_then(|e| e.ok_or(RecvTimeoutError::Ended))
    }
}
