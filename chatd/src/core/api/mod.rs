//! The local-API methods of PROTOCOL.md §3, one [`Request`] in and one
//! [`Reply`] out. The socket and D-Bus layers both call [`handle`] (and
//! [`subscribe`] for the event stream, which belongs to a connection) and
//! hold no logic of their own; the exhaustive `match` in [`handle`] is the
//! one dispatch table. One file per method or small group, mirroring the
//! CLI's `frontends/cli/src/commands/`.

mod account;
mod conversations;
mod events;
mod files;
mod groups;
mod known;
mod messages;
mod settings;
mod trust;
mod typing;
mod users;

use std::sync::Arc;

use chat_proto::validate::validate_username;
use chatd_api::{ApiError, Chat, ErrorCode, Reply, Request};

use super::Core;

pub use events::{Subscription, link_changes, subscribe};
pub use messages::MAX_TEXT;
pub(in crate::core) use trust::trust_state as trust_state_of;

/// Which frontend connection calls: the socket's connection id, a D-Bus
/// caller's id, or [`NO_CALLER`]. Only `focus` uses it.
pub type Caller = u64;

/// The caller of a method that does not depend on who calls (socket ids
/// start at 1, D-Bus ids at 2^63).
pub const NO_CALLER: Caller = 0;

/// Runs one request. `subscribe` is refused here: its events belong to a
/// connection, which calls [`subscribe`] instead.
pub async fn handle(core: &Arc<Core>, caller: Caller, request: Request) -> Result<Reply, ApiError> {
    Ok(match request {
        Request::Status(_) => Reply::Status(account::status(core).await?),
        Request::Signup(p) => Reply::Signup(account::signup(core, p).await?),
        Request::Login(p) => Reply::Login(account::login(core, p).await?),
        Request::Logout(_) => Reply::Logout(account::logout(core).await?),
        Request::ChangePassword(p) => {
            Reply::ChangePassword(account::change_password(core, p).await?)
        }
        Request::Users(p) => Reply::Users(users::users(core, p).await?),
        Request::Send(p) => Reply::Send(messages::send(core, p).await?),
        Request::History(p) => Reply::History(messages::history(core, p).await?),
        Request::Message(p) => Reply::Message(messages::message(core, p).await?),
        Request::Search(p) => Reply::Search(messages::search(core, p).await?),
        Request::Conversations(_) => {
            Reply::Conversations(conversations::conversations(core).await?)
        }
        Request::MarkRead(p) => Reply::MarkRead(conversations::mark_read(core, p).await?),
        Request::Fingerprint(p) => Reply::Fingerprint(trust::fingerprint(core, p).await?),
        Request::Verify(p) => Reply::Verify(trust::verify(core, p).await?),
        Request::Trust(p) => Reply::Trust(trust::trust(core, p).await?),
        Request::Focus(p) => Reply::Focus(events::focus(core, caller, p).await?),
        Request::Settings(_) => Reply::Settings(settings::settings(core).await?),
        Request::SetSettings(p) => Reply::SetSettings(settings::set_settings(core, p).await?),
        Request::GroupCreate(p) => Reply::GroupCreate(groups::group_create(core, p).await?),
        Request::GroupAdd(p) => Reply::GroupAdd(groups::group_add(core, p).await?),
        Request::GroupRemove(p) => Reply::GroupRemove(groups::group_remove(core, p).await?),
        Request::GroupLeave(p) => Reply::GroupLeave(groups::group_leave(core, p).await?),
        Request::GroupAdmin(p) => Reply::GroupAdmin(groups::group_admin(core, p).await?),
        Request::Groups(_) => Reply::Groups(groups::groups(core).await?),
        Request::GroupInfo(p) => Reply::GroupInfo(groups::group_info(core, p).await?),
        Request::Typing(p) => Reply::Typing(typing::typing(core, p).await?),
        Request::SendFile(p) => Reply::SendFile(files::send_file(core, p).await?),
        Request::Download(p) => Reply::Download(files::download(core, p).await?),
        Request::Transfers(p) => Reply::Transfers(files::transfers(core, p).await?),
        Request::Transfer(p) => Reply::Transfer(files::transfer(core, p).await?),
        Request::CancelTransfer(p) => Reply::CancelTransfer(files::cancel_transfer(core, p).await?),
        Request::Subscribe(_) => {
            return Err(ApiError::new(
                ErrorCode::InvalidRequest,
                "subscribe needs a connection that stays open",
            ));
        }
    })
}

/// The conversation of a conversation-scoped call (`what` names its peer
/// param): exactly one of the two.
fn chat(peer: Option<&str>, group: Option<&str>, what: &str) -> Result<Chat, ApiError> {
    Chat::from_params(peer, group, what).map_err(|e| ApiError::new(ErrorCode::InvalidParams, e))
}

fn invalid(msg: impl Into<String>) -> ApiError {
    ApiError::new(ErrorCode::InvalidInput, msg)
}

fn check_user(user: &str) -> Result<(), ApiError> {
    validate_username(user).map_err(|e| invalid(format!("{user:?}: {e}")))
}
