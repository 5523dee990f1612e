//! Connecting to PostgreSQL: a pool of connections shared by every call,
//! so that concurrent senders each get a connection and commit in parallel
//! (PostgreSQL groups their WAL flushes itself), and turning driver errors
//! into [`StoreError`]s that say what to check.

use std::time::Duration;

use deadpool_postgres::{Pool, PoolError, Runtime};
use tokio_postgres::error::SqlState;

use super::PgTarget;
use crate::store::StoreError;

/// Opens a pool on `target`. Connections are made lazily; the caller
/// checks the server is reachable by running the migrations.
pub(super) fn open(
    target: &PgTarget,
    max_connections: usize,
    connect_timeout: Duration,
) -> Result<Pool, StoreError> {
    Pool::builder(target.manager("chat-server"))
        .max_size(max_connections.max(1))
        .runtime(Runtime::Tokio1)
        .wait_timeout(Some(connect_timeout))
        .create_timeout(Some(connect_timeout))
        .build()
        .map_err(|e| StoreError::Db(format!("PostgreSQL pool: {e}")))
}

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        if let Some(db) = e.as_db_error() {
            return StoreError::Db(format!(
                "PostgreSQL: {} ({})",
                db.message(),
                db.code().code()
            ));
        }
        if e.is_closed() {
            return StoreError::Db(
                "the connection to PostgreSQL closed; check that the server is up".to_owned(),
            );
        }
        let mut text = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            text.push_str(": ");
            text.push_str(&s.to_string());
            source = s.source();
        }
        if text.contains("TLS handshake") {
            text.push_str(
                "; check that --store-ca holds the CA that signed PostgreSQL's certificate \
                 and that the URL's host is a name the certificate carries",
            );
        }
        StoreError::Db(format!("PostgreSQL: {text}"))
    }
}

impl From<PoolError> for StoreError {
    fn from(e: PoolError) -> Self {
        match e {
            PoolError::Closed => StoreError::Unavailable,
            PoolError::Backend(e) => e.into(),
            PoolError::Timeout(_) => StoreError::Db(
                "no PostgreSQL connection within the timeout; check that the server is up \
                 and accepts this many connections"
                    .to_owned(),
            ),
            other => StoreError::Db(format!("PostgreSQL pool: {other}")),
        }
    }
}

/// Whether `e` is the constraint violation `state` (unique, foreign key).
pub(super) fn is(e: &tokio_postgres::Error, state: &SqlState) -> bool {
    e.code() == Some(state)
}

/// Maps a foreign-key failure to [`StoreError::NoSuchUser`]: every foreign
/// key of the schema points at `users`.
pub(super) fn fk_means_no_user(e: tokio_postgres::Error) -> StoreError {
    if is(&e, &SqlState::FOREIGN_KEY_VIOLATION) {
        StoreError::NoSuchUser
    } else {
        e.into()
    }
}

/// `n` as a PostgreSQL BIGINT.
pub(super) fn big(n: u64, what: &str) -> Result<i64, StoreError> {
    i64::try_from(n).map_err(|_| StoreError::Db(format!("{what} out of range")))
}

/// A BIGINT that must not be negative.
pub(super) fn unsigned(n: i64, what: &str) -> Result<u64, StoreError> {
    u64::try_from(n).map_err(|_| StoreError::Db(format!("{what} out of range")))
}
