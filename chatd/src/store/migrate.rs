//! chatd's schema migrations (numbered SQL files), applied by the shared
//! runner in `sqlite-support`.

use rusqlite::Connection;
use sqlite_support::Migration;

use super::StoreError;

/// Every migration, in order. Append only: a shipped file never changes.
pub(super) const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        sql: include_str!("migrations/0001_init.sql"),
    },
    Migration {
        version: 2,
        sql: include_str!("migrations/0002_seen_deliveries.sql"),
    },
    Migration {
        version: 3,
        sql: include_str!("migrations/0003_key_notices.sql"),
    },
    Migration {
        version: 4,
        sql: include_str!("migrations/0004_groups.sql"),
    },
    Migration {
        version: 5,
        sql: include_str!("migrations/0005_group_pipeline.sql"),
    },
    Migration {
        version: 6,
        sql: include_str!("migrations/0006_files.sql"),
    },
];

/// The newest schema version this build knows.
#[cfg(test)]
pub(super) fn latest() -> i64 {
    sqlite_support::latest(MIGRATIONS)
}

/// Applies every migration newer than the database.
pub(super) fn apply(conn: &mut Connection) -> Result<(), StoreError> {
    sqlite_support::migrate(conn, MIGRATIONS, "chatd", chat_proto::now_ms())
        .map_err(|e| StoreError::Db(e.0))
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
