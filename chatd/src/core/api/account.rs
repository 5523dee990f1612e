//! `status` and the account methods (`signup`, `login`, `logout`,
//! `change_password`): the calls that talk to the server's account
//! handling through the link, and the one-account-per-daemon rule.

use chat_e2e::PinState;
use chat_proto::ServerMessage;
use chat_proto::validate::validate_password;
use chatd_api::{
    ApiError, ChangePassword, ConnectionState, Credentials, Empty, ErrorCode, LoggedIn, Status,
};
use zeroize::Zeroizing;

use super::{check_user, invalid};
use crate::core::Core;
use crate::link::{AuthCmd, LinkError, keys};

pub(super) async fn status(core: &Core) -> Result<Status, ApiError> {
    let link = core.link().state();
    let now = chat_proto::now_ms();
    let (stored, resume, key_changes) = core
        .db()
        .call(move |tx| {
            let stored = tx.setting(keys::USERNAME)?;
            let live_until = tx
                .setting(keys::TOKEN_EXPIRES)?
                .and_then(|e| e.parse::<i64>().ok())
                .unwrap_or(0);
            let resume = tx.setting(keys::TOKEN)?.is_some() && live_until > now;
            let changed = tx
                .pins()?
                .into_iter()
                .filter(|p| p.state == PinState::Changed)
                .map(|p| p.user)
                .collect::<Vec<_>>();
            Ok((stored, resume, changed))
        })
        .await?;
    Ok(Status {
        state: link.conn,
        username: link.user.clone().or(stored),
        server: core.config().server.clone(),
        server_fingerprint: link.server_fingerprint,
        version: env!("CARGO_PKG_VERSION").to_string(),
        error: match link.conn {
            ConnectionState::Connected | ConnectionState::LoggedIn => None,
            _ => link.last_error,
        },
        key_changes,
        resume,
    })
}

pub(super) async fn signup(core: &Core, p: Credentials) -> Result<LoggedIn, ApiError> {
    check_user(&p.username)?;
    validate_password(&p.password, &p.username).map_err(|e| invalid(e.to_string()))?;
    refuse_other_account(core, &p.username)?;
    let password = Zeroizing::new(p.password.clone());
    let auth = AuthCmd::Signup {
        username: p.username.clone(),
        password: password.clone(),
    };
    core.link().auth(auth).await?;
    login(core, p).await
}

fn refuse_other_account(core: &Core, user: &str) -> Result<(), ApiError> {
    match core.account() {
        Some(a) if a != user => Err(invalid(format!(
            "this chatd holds the data of {a}; run another chatd with its own --data-dir for {user}"
        ))),
        _ => Ok(()),
    }
}

pub(super) async fn login(core: &Core, p: Credentials) -> Result<LoggedIn, ApiError> {
    check_user(&p.username)
        .map_err(|_| ApiError::new(ErrorCode::BadCredentials, "wrong username or password"))?;
    refuse_other_account(core, &p.username)?;
    let auth = AuthCmd::Login {
        username: p.username.clone(),
        password: Zeroizing::new(p.password.clone()),
    };
    match core.link().auth(auth).await? {
        ServerMessage::LoginOk { username, .. } => {
            core.bind_account(&username)?;
            Ok(LoggedIn { username })
        }
        other => Err(LinkError::Protocol(format!("login answered {other:?}")).into()),
    }
}

pub(super) async fn logout(core: &Core) -> Result<Empty, ApiError> {
    core.link().auth(AuthCmd::Logout).await?;
    Ok(Empty {})
}

pub(super) async fn change_password(core: &Core, p: ChangePassword) -> Result<Empty, ApiError> {
    let user = core
        .account()
        .ok_or_else(|| ApiError::new(ErrorCode::NotLoggedIn, "log in first"))?;
    validate_password(&p.new_password, &user).map_err(|e| invalid(e.to_string()))?;
    let auth = AuthCmd::ChangePassword {
        password: Zeroizing::new(p.password.clone()),
        new_password: Zeroizing::new(p.new_password.clone()),
    };
    core.link().auth(auth).await?;
    Ok(Empty {})
}
