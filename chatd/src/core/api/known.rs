//! Is a name someone? Every method that names a peer asks here first, so
//! that a typo is "no user named X" up front instead of an empty
//! conversation with nobody (docs/PROTOCOL.md D9). A name chatd already
//! knows (history, a pin or the outbox) passes without the network, so
//! known peers work offline as before; an unknown one is asked of the
//! server with `get_key`, which pins nothing.

use chat_proto::{ErrorCode as Wire, Request};
use chatd_api::{ApiError, ConnectionState, ErrorCode};

use crate::core::Core;
use crate::link::LinkError;

/// Whether a name not known locally may be queued for offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Offline {
    /// `send`: queue it, as v1 does; the outbox reports a typo later.
    Queue,
    /// Anything else: answer `offline`, since nothing can be checked.
    Refuse,
}

/// Ok when `user` is ourselves, known locally, or exists on the server.
pub(super) async fn check_peer(core: &Core, user: &str, offline: Offline) -> Result<(), ApiError> {
    if core.account().as_deref() == Some(user) {
        return Ok(());
    }
    let u = user.to_string();
    if core.db().call(move |tx| tx.knows_peer(&u)).await? {
        return Ok(());
    }
    if core.link().state().conn != ConnectionState::LoggedIn {
        return match offline {
            Offline::Queue => Ok(()),
            Offline::Refuse => Err(ApiError::new(
                ErrorCode::Offline,
                format!(
                    "chatd cannot check whether {user} exists until it is connected to the \
                     server; try again once `chat status` says logged in"
                ),
            )),
        };
    }
    let asked = core
        .link()
        .request(Request::GetKey {
            username: user.to_string(),
        })
        .await;
    match asked {
        Ok(_) => Ok(()),
        Err(LinkError::Server {
            code: Wire::NoSuchUser,
            ..
        }) => Err(no_such_user(user)),
        Err(e) => Err(e.into()),
    }
}

/// The answer for a name nobody has.
pub(super) fn no_such_user(user: &str) -> ApiError {
    ApiError::new(
        ErrorCode::NoSuchUser,
        format!("no user named {user}; `chat users` lists who is on the server"),
    )
}
