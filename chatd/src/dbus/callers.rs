//! Who is calling. A D-Bus caller is known by its unique bus name, and the
//! bus layer does for it what the socket layer does per connection: refuse
//! a caller that runs as another user (the socket checks the peer's uid),
//! and give each caller its own frontend id for `focus`, cleared when the
//! caller leaves the bus (the socket clears it when the connection closes).

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use chatd_api::{FocusParams, call};
use tokio_util::sync::CancellationToken;
use zbus::Connection;
use zbus::export::futures_core::Stream;
use zbus::fdo::{DBusProxy, NameOwnerChangedStream};
use zbus::message::Header;
use zbus::names::{BusName, UniqueName};

use super::Error;
use super::convert::run;
use crate::core::Core;

/// Frontend ids of D-Bus callers: above the socket's, which count up from 1,
/// so the two never share a focus slot.
const FIRST_ID: u64 = 1 << 63;

/// The frontend id passed to `core::api::handle` for every method but
/// `focus`, the only one that uses it: nobody's (socket ids start at 1).
pub const NO_FRONTEND: u64 = crate::core::api::NO_CALLER;

/// The callers of the service.
pub struct Callers {
    bus: DBusProxy<'static>,
    own_uid: u32,
    focus_ids: Mutex<HashMap<String, u64>>,
    next_id: AtomicU64,
}

impl Callers {
    /// Learns our own uid from the bus (the one callers must share).
    pub async fn new(conn: &Connection) -> zbus::Result<Self> {
        let bus = DBusProxy::new(conn).await?;
        let me = conn
            .unique_name()
            .ok_or_else(|| zbus::Error::Failure("the bus gave chatd no unique name".into()))?;
        let own_uid = bus
            .get_connection_unix_user(BusName::Unique(me.inner().clone()))
            .await?;
        Ok(Self {
            bus,
            own_uid,
            focus_ids: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(FIRST_ID),
        })
    }

    /// The caller's unique name, once it is known to run as our user.
    pub async fn admit(&self, hdr: &Header<'_>) -> Result<String, Error> {
        let sender = hdr
            .sender()
            .ok_or_else(|| Error::AccessDenied("a call without a sender is refused".into()))?;
        let uid = self
            .bus
            .get_connection_unix_user(BusName::Unique(sender.clone()))
            .await
            .map_err(|e| Error::AccessDenied(format!("cannot tell which user {sender} is: {e}")))?;
        if uid != self.own_uid {
            return Err(Error::AccessDenied(format!(
                "chatd serves uid {} only; {sender} runs as uid {uid}",
                self.own_uid
            )));
        }
        Ok(sender.to_string())
    }

    /// The frontend id of `caller`, made on its first `Focus`.
    pub fn focus_id(&self, caller: &str) -> u64 {
        let mut ids = self
            .focus_ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *ids.entry(caller.to_string())
            .or_insert_with(|| self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Forgets a caller that left the bus; its frontend id, if it had one.
    pub fn forget(&self, caller: &str) -> Option<u64> {
        self.focus_ids
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(caller)
    }

    /// Whether `caller` is still on the bus (a caller such as `gdbus call`
    /// may leave before its call is done).
    pub async fn present(&self, caller: &str) -> bool {
        let Ok(name) = UniqueName::try_from(caller) else {
            return false;
        };
        self.bus
            .name_has_owner(BusName::Unique(name))
            .await
            .unwrap_or(false)
    }

    /// The bus proxy, for watching callers leave.
    pub fn bus(&self) -> &DBusProxy<'static> {
        &self.bus
    }
}

/// Clears the focus of callers that leave the bus.
pub async fn departures(
    core: Arc<Core>,
    callers: Arc<Callers>,
    mut changes: NameOwnerChangedStream,
    shutdown: CancellationToken,
) {
    loop {
        let change = tokio::select! {
            () = shutdown.cancelled() => return,
            c = next(&mut changes) => c,
        };
        let Some(change) = change else { return };
        let Ok(args) = change.args() else { continue };
        if args.new_owner().is_some() {
            continue;
        }
        if let Some(id) = callers.forget(args.name()) {
            let _ = run::<call::Focus>(&core, id, FocusParams::default()).await;
        }
    }
}

/// The next item of a stream (zbus streams are `futures_core` streams).
async fn next<S: Stream + Unpin>(stream: &mut S) -> Option<S::Item> {
    std::future::poll_fn(|cx| Pin::new(&mut *stream).poll_next(cx)).await
}
