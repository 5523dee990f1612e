//! The directory (list_users, get_key) and presence subscriptions (watch,
//! unwatch). Presence is answered from the router, names and keys from the
//! store.

use std::sync::Arc;

use chat_proto::ServerMessage;
use chat_proto::validate::validate_username;
use chat_proto::wire::{ErrorCode, UserPresence};

use super::{Refusal, Reply, authed};
use crate::connection::session::Session;
use crate::context::Shared;
use crate::store::Store;

/// Page size when the client names none.
const DEFAULT_LIMIT: u32 = 50;
/// Largest page (PROTOCOL.md §1.4).
const MAX_LIMIT: u32 = 500;

fn presence_of<S: Store>(sh: &Shared<S>, names: Vec<String>) -> Vec<UserPresence> {
    names
        .into_iter()
        .map(|username| UserPresence {
            online: sh.router.is_online(&username),
            username,
        })
        .collect()
}

pub(super) async fn list_users<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    prefix: String,
    limit: Option<u32>,
    online_only: bool,
    after: Option<String>,
) -> Reply {
    authed(s)?;
    let limit = limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    let mut names = if online_only {
        sh.router
            .online_users(&prefix, after.as_deref(), limit as usize + 1)
    } else {
        sh.store
            .list_users(&prefix, after.as_deref(), limit + 1)
            .await?
    };
    let more = names.len() > limit as usize;
    names.truncate(limit as usize);
    Ok(Some(ServerMessage::Users {
        users: presence_of(sh, names),
        more,
    }))
}

pub(super) async fn get_key<S: Store>(sh: &Arc<Shared<S>>, s: &Session, username: String) -> Reply {
    authed(s)?;
    let no_such = || Refusal::new(ErrorCode::NoSuchUser, format!("no user named {username:?}"));
    if validate_username(&username).is_err() {
        return Err(no_such());
    }
    let key = sh.store.current_key(&username).await?.ok_or_else(no_such)?;
    Ok(Some(ServerMessage::Key {
        username: username.clone(),
        public_key: key.public_key,
        fingerprint: key.fingerprint,
    }))
}

pub(super) async fn watch<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &Session,
    mut users: Vec<String>,
) -> Reply {
    authed(s)?;
    users.sort();
    users.dedup();
    if users.len() > sh.config.max_watch {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            format!(
                "a connection may watch at most {} users",
                sh.config.max_watch
            ),
        ));
    }
    // All or nothing: a typo should not leave half a watch list behind.
    for name in &users {
        if validate_username(name).is_err() || !sh.store.user_exists(name).await? {
            return Err(Refusal::new(
                ErrorCode::NoSuchUser,
                format!("no user named {name:?}; nothing was watched"),
            ));
        }
    }
    // The cap is on the watch set, not on one request: repeated requests
    // must not grow it past the cap either.
    if !sh.router.watch(&s.handle, &users, sh.config.max_watch) {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            format!(
                "a connection may watch at most {} users; unwatch some first",
                sh.config.max_watch
            ),
        ));
    }
    Ok(Some(ServerMessage::WatchOk {
        users: presence_of(sh, users),
    }))
}

pub(super) fn unwatch<S: Store>(sh: &Arc<Shared<S>>, s: &Session, users: Vec<String>) -> Reply {
    authed(s)?;
    sh.router.unwatch(s.handle.id, &users);
    Ok(Some(ServerMessage::UnwatchOk { users }))
}
