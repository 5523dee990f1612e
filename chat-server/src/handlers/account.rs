//! Accounts: signup, login, resume, logout and password change. Passwords
//! are checked with bcrypt on the CPU pool; every failure counts toward the
//! throttle, and an unknown name costs the same bcrypt time as a known one.
//! A name is validated before it is logged or used as a throttle key: an
//! invalid one is a failure of the source alone.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chat_proto::crypto;
use chat_proto::sealed::Sealed;
use chat_proto::validate::{validate_password, validate_username};
use chat_proto::wire::{
    ChangePasswordCredentials, ErrorCode, PasswordCredentials, TokenCredentials,
};
use chat_proto::{ServerMessage, now_ms};
use zeroize::Zeroizing;

use super::{Refusal, Reply, authed, open_credentials, rate_limited, source};
use crate::auth::tokens;
use crate::config::ms;
use crate::connection::session::Session;
use crate::context::Shared;
use crate::logs::LogLimiter;
use crate::store::{KeyRecord, NewToken, Store, UserAuth};

fn refuse_if_logged_in(s: &Session) -> Result<(), Refusal> {
    match &s.auth {
        Some(a) => Err(Refusal::new(
            ErrorCode::AlreadyAuthenticated,
            format!(
                "this connection is already logged in as {}; log out first",
                a.username
            ),
        )),
        None => Ok(()),
    }
}

fn parse_key(pem: &str) -> Result<KeyRecord, Refusal> {
    let key = crypto::public_key_from_pem(pem)
        .map_err(|e| Refusal::new(ErrorCode::BadKey, e.to_string()))?;
    Ok(KeyRecord {
        public_key: crypto::public_key_to_pem(&key),
        fingerprint: crypto::fingerprint(&key),
    })
}

fn bad_credentials() -> Refusal {
    Refusal::new(ErrorCode::BadCredentials, "wrong username or password")
}

fn check_throttle<S: Store>(sh: &Shared<S>, s: &Session, account: &str) -> Result<(), Refusal> {
    sh.throttle
        .check(account, source(s), Instant::now())
        .map_err(|wait| rate_limited(wait, "too many failed attempts"))
}

/// Failed logins are logged at most once a second: a guesser can fail as
/// fast as the throttle lets it.
static FAILURE_LOG: LogLimiter = LogLimiter::new(Duration::from_secs(1));

/// Counts a failure against a validated `account` (and the source).
fn record_failure<S: Store>(sh: &Shared<S>, s: &Session, account: &str, what: &'static str) {
    if let Some(held_back) = FAILURE_LOG.allow(Instant::now()) {
        tracing::debug!(peer = %s.peer, user = %account, held_back, "{what} failed");
    }
    sh.throttle.failure(account, source(s), Instant::now());
}

/// A name that is not a valid username cannot be an account: it is a
/// failure of the source alone, never a throttle key or a log field.
fn require_valid_name<S: Store>(sh: &Shared<S>, s: &Session, name: &str) -> Result<(), Refusal> {
    validate_username(name).map_err(|_| {
        sh.throttle.source_failure(source(s), Instant::now());
        bad_credentials()
    })
}

/// bcrypt-verifies `password` against the account's hash, or against the
/// dummy hash when there is no account, so both take the same time.
async fn password_matches<S: Store>(
    sh: &Shared<S>,
    s: &Session,
    user: Option<&UserAuth>,
    password: &str,
) -> Result<bool, Refusal> {
    let hash = user.map_or_else(|| sh.dummy_hash.clone(), |u| u.password_hash.clone());
    let password = Zeroizing::new(password.to_string());
    let ok = sh
        .pool
        .run_for(source(s), move || {
            bcrypt::non_truncating_verify(password.as_bytes(), &hash)
        })
        .await?;
    Ok(user.is_some() && ok.unwrap_or(false))
}

async fn hash_password<S: Store>(
    sh: &Shared<S>,
    s: &Session,
    password: &str,
) -> Result<String, Refusal> {
    let password = Zeroizing::new(password.to_string());
    let cost = sh.config.bcrypt_cost;
    sh.pool
        .run_for(source(s), move || {
            bcrypt::non_truncating_hash(password.as_bytes(), cost)
        })
        .await?
        .map_err(|e| {
            tracing::error!(error = %e, "bcrypt hashing failed");
            Refusal::new(
                ErrorCode::Internal,
                "could not hash the password; try again",
            )
        })
}

pub(super) async fn signup<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    sealed: Sealed,
    public_key: String,
) -> Reply {
    refuse_if_logged_in(s)?;
    // Every signup that gets as far as RSA work counts for its source.
    sh.throttle
        .signup_attempt(source(s), Instant::now())
        .map_err(|wait| rate_limited(wait, "too many signups from your address"))?;
    let creds: PasswordCredentials = open_credentials(sh, s, sealed).await?;
    validate_username(&creds.username)
        .map_err(|e| Refusal::new(ErrorCode::InvalidUsername, e.to_string()))?;
    validate_password(&creds.password, &creds.username)
        .map_err(|e| Refusal::new(ErrorCode::InvalidPassword, e.to_string()))?;
    let key = parse_key(&public_key)?;
    if sh.store.user_exists(&creds.username).await? {
        return Err(Refusal::new(
            ErrorCode::UsernameTaken,
            "that username is taken; choose another",
        ));
    }
    let hash = hash_password(sh, s, &creds.password).await?;
    sh.store
        .create_user(&creds.username, &hash, &key, now_ms())
        .await?;
    tracing::info!(peer = %s.peer, user = %creds.username, "account created");
    Ok(Some(ServerMessage::SignupOk {
        username: creds.username.clone(),
    }))
}

pub(super) async fn login<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    sealed: Sealed,
    public_key: String,
) -> Reply {
    refuse_if_logged_in(s)?;
    // The key is public and cheap to check: refuse a bad one before any
    // RSA work on the credentials.
    let key = parse_key(&public_key)?;
    let creds: PasswordCredentials = open_credentials(sh, s, sealed).await?;
    require_valid_name(sh, s, &creds.username)?;
    check_throttle(sh, s, &creds.username)?;
    let user = sh.store.user_auth(&creds.username).await?;
    if !password_matches(sh, s, user.as_ref(), &creds.password).await? {
        record_failure(sh, s, &creds.username, "login");
        return Err(bad_credentials());
    }
    let Some(user) = user else {
        return Err(bad_credentials());
    };
    sh.throttle.success(&user.username, source(s));
    let current = sh.store.current_key(&user.username).await?;
    if current.as_ref() != Some(&key) {
        sh.store.replace_key(user.id, &key, now_ms()).await?;
        if current.is_some() {
            tracing::info!(user = %user.username, "identity key replaced");
            sh.router.key_changed(&user.username, &key.fingerprint);
        }
    }
    issue_session(sh, s, user.id, user.username).await
}

/// Issues a token and logs the session in.
async fn issue_session<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    user_id: i64,
    username: String,
) -> Reply {
    let token = tokens::issue()
        .map_err(|_| Refusal::new(ErrorCode::Internal, "could not make a token; try again"))?;
    let now = now_ms();
    let expires = now.saturating_add(ms(sh.config.token_ttl));
    sh.store
        .insert_token(NewToken {
            user_id,
            token_hash: token.hash,
            created_at: now,
            expires_at: expires,
        })
        .await?;
    s.log_in(sh, user_id, username.clone(), token.hash, true);
    Ok(Some(ServerMessage::LoginOk {
        username,
        token: token.text.to_string(),
        token_expires: expires,
    }))
}

/// `deliver` false: a transfers-only session (PROTOCOL.md D16).
pub(super) async fn resume<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    sealed: Sealed,
    deliver: bool,
) -> Reply {
    refuse_if_logged_in(s)?;
    let creds: TokenCredentials = open_credentials(sh, s, sealed).await?;
    require_valid_name(sh, s, &creds.username)?;
    check_throttle(sh, s, &creds.username)?;
    let refused = || {
        Refusal::new(
            ErrorCode::BadCredentials,
            "the token is not valid (expired, revoked or unknown); log in with the password",
        )
    };
    let Some(hash) = tokens::hash_presented(&creds.token) else {
        record_failure(sh, s, &creds.username, "resume");
        return Err(refused());
    };
    let now = now_ms();
    let valid = sh
        .store
        .use_token(&creds.username, hash, now, ms(sh.config.token_idle))
        .await?;
    let Some((user_id, expires)) = valid else {
        record_failure(sh, s, &creds.username, "resume");
        return Err(refused());
    };
    sh.throttle.success(&creds.username, source(s));
    s.log_in(sh, user_id, creds.username.clone(), hash, deliver);
    Ok(Some(ServerMessage::LoginOk {
        username: creds.username.clone(),
        token: creds.token.clone(),
        token_expires: expires,
    }))
}

pub(super) async fn logout<S: Store>(sh: &Arc<Shared<S>>, s: &mut Session) -> Reply {
    let token = authed(s)?.token_hash;
    sh.store.revoke_token(token).await?;
    s.log_out(sh);
    Ok(Some(ServerMessage::LogoutOk {}))
}

pub(super) async fn change_password<S: Store>(
    sh: &Arc<Shared<S>>,
    s: &mut Session,
    sealed: Sealed,
) -> Reply {
    let (me, token) = {
        let a = authed(s)?;
        (a.username.clone(), a.token_hash)
    };
    let creds: ChangePasswordCredentials = open_credentials(sh, s, sealed).await?;
    if creds.username != me {
        return Err(Refusal::new(
            ErrorCode::BadCredentials,
            format!("this connection is logged in as {me}; give that username"),
        ));
    }
    check_throttle(sh, s, &me)?;
    let user = sh.store.user_auth(&me).await?;
    if !password_matches(sh, s, user.as_ref(), &creds.password).await? {
        record_failure(sh, s, &me, "change_password");
        return Err(Refusal::new(
            ErrorCode::BadCredentials,
            "the current password is wrong",
        ));
    }
    let Some(user) = user else {
        return Err(bad_credentials());
    };
    validate_password(&creds.new_password, &me)
        .map_err(|e| Refusal::new(ErrorCode::InvalidPassword, e.to_string()))?;
    let hash = hash_password(sh, s, &creds.new_password).await?;
    sh.store.set_password(user.id, &hash).await?;
    sh.store.revoke_tokens_except(user.id, Some(token)).await?;
    sh.router.end_sessions(
        &me,
        s.handle.id,
        "the account's password was changed; log in again",
    );
    tracing::info!(user = %me, "password changed; other sessions ended");
    Ok(Some(ServerMessage::PasswordChanged {}))
}
