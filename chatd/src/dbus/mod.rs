//! The D-Bus face of chatd: the local API of PROTOCOL.md §3 on the session
//! bus as `org.securechat.Chatd1`, for desktop tools that speak D-Bus
//! (busctl, gdbus, D-Bus activation) rather than our socket. Like the socket
//! layer it only translates: a method is one typed `Request` through
//! `core::api::handle`, an event one signal. Signatures and conventions: docs/dbus/README.md. chatd runs
//! without a bus: failing to reach one costs a single warning.

mod callers;
mod convert;
mod error;
mod events;
mod interface;

use std::sync::Arc;
use std::time::Duration;

use chatd_api::SubscribeParams;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use zbus::Connection;
use zbus::fdo::RequestNameFlags;
use zbus::object_server::SignalEmitter;

use crate::core::Core;
use callers::Callers;

pub use convert::{DbusConversation, DbusMessage};
pub use error::{ERROR_PREFIX, Error};
pub use interface::Chatd1;

/// The well-known bus name.
pub const NAME: &str = "org.securechat.Chatd1";
/// The object path.
pub const PATH: &str = "/org/securechat/Chatd1";
/// The interface name.
pub const INTERFACE: &str = "org.securechat.Chatd1";

/// How long connecting to the bus and taking the name may take before
/// chatd gives up on D-Bus (a wedged bus must not hold up the socket).
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// The running D-Bus service.
pub struct Service {
    conn: Connection,
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

/// Why the service did not start.
#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("cannot connect to the session bus: {0}")]
    Connect(zbus::Error),
    #[error(
        "another process owns {NAME} on the session bus (is another chatd running for this user?)"
    )]
    NameTaken,
    #[error("cannot set up {NAME}: {0}")]
    Setup(#[from] zbus::Error),
    #[error("the session bus did not answer within {SETUP_TIMEOUT:?}")]
    Timeout,
}

/// Offers the interface on the session bus. Without a usable bus (none,
/// unreachable, name taken) logs one warning and returns `None`: the local
/// socket serves alone.
pub async fn start(core: &Arc<Core>, shutdown: &CancellationToken) -> Option<Service> {
    let stop = shutdown.child_token();
    let started = match tokio::time::timeout(SETUP_TIMEOUT, serve(core, &stop)).await {
        Ok(r) => r,
        Err(_) => Err(StartError::Timeout),
    };
    match started {
        Ok(service) => {
            tracing::info!("offering {NAME} on the session bus");
            Some(service)
        }
        Err(e) => {
            stop.cancel();
            tracing::warn!(
                "D-Bus interface off: {e}; serving the local socket only (set DBUS_SESSION_BUS_ADDRESS to a running bus, or pass --no-dbus to silence this)"
            );
            None
        }
    }
}

/// Connects, registers the object, starts the signal tasks, and only then
/// takes the name: a D-Bus activated chatd gets its first call as soon as
/// the name is taken.
async fn serve(core: &Arc<Core>, stop: &CancellationToken) -> Result<Service, StartError> {
    let conn = zbus::connection::Builder::session()
        .build()
        .await
        .map_err(StartError::Connect)?;
    let callers = Arc::new(Callers::new(&conn).await?);
    conn.object_server()
        .at(PATH, Chatd1::new(core.clone(), callers.clone()))
        .await?;
    let iface = conn.object_server().interface::<_, Chatd1>(PATH).await?;
    // Subscribed before the name is taken, so no event after it is missed.
    // Every kind: a D-Bus client ignores signals it does not know.
    let every = SubscribeParams {
        events: Some(chatd_api::EventKind::ALL.to_vec()),
        since: None,
    };
    let (_, events) = crate::core::api::subscribe(core, every)
        .await
        .map_err(|e| zbus::Error::Failure(format!("cannot read the event log: {e}")))?;
    let departures = callers.bus().receive_name_owner_changed().await?;
    let emitter = SignalEmitter::new(&conn, PATH)?.into_owned();
    let tasks = vec![
        tokio::spawn(events::broadcast(events, emitter, stop.clone())),
        tokio::spawn(events::properties(core.clone(), iface, stop.clone())),
        tokio::spawn(callers::departures(
            core.clone(),
            callers,
            departures,
            stop.clone(),
        )),
        tokio::spawn(bus_lost(conn.clone(), stop.clone())),
    ];
    let service = Service {
        conn,
        stop: stop.clone(),
        tasks,
    };
    // Not replacing another owner, nor letting one replace us: a second
    // chatd for this user must not steal the frontends of the first.
    match service
        .conn
        .request_name_with_flags(NAME, RequestNameFlags::DO_NOT_QUEUE)
        .await
    {
        Ok(_) => Ok(service),
        Err(zbus::Error::NameTaken) => {
            service.stop().await;
            Err(StartError::NameTaken)
        }
        Err(e) => {
            service.stop().await;
            Err(e.into())
        }
    }
}

/// Says once if the bus goes away while chatd runs on.
async fn bus_lost(conn: Connection, stop: CancellationToken) {
    tokio::select! {
        () = stop.cancelled() => {}
        () = conn.closed() => tracing::warn!(
            "lost the session bus; {NAME} is gone, the local socket still serves"
        ),
    }
}

impl Service {
    /// Releases the name, stops the tasks and closes the connection.
    pub async fn stop(self) {
        let _ = self.conn.release_name(NAME).await;
        self.stop.cancel();
        for t in self.tasks {
            let _ = t.await;
        }
        let _ = self.conn.close().await;
    }
}
