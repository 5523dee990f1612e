//! The server's schema migrations (numbered SQL files), applied by the
//! shared runner in `sqlite-support`.

use rusqlite::Connection;
use sqlite_support::Migration;

use crate::store::StoreError;

/// Every migration, in order. Append only: a shipped file never changes.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("../migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("../migrations/0002_sender_share.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("../migrations/0003_group_records.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("../migrations/0004_blobs.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("../migrations/0005_mailbox_counts.sql"),
    },
];

/// Applies every migration newer than the database.
pub(super) fn apply(conn: &mut Connection, now_ms: i64) -> Result<(), StoreError> {
    sqlite_support::migrate(conn, MIGRATIONS, "chat-server", now_ms)
        .map_err(|e| StoreError::Db(e.0))
}

/// The newest version this build knows.
pub(super) fn latest() -> i64 {
    sqlite_support::latest(MIGRATIONS)
}

#[cfg(test)]
mod tests {
    use super::MIGRATIONS;

    #[test]
    fn versions_are_numbered_from_one_without_gaps() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i64::try_from(i).unwrap() + 1);
        }
    }
}
