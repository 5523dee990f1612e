//! Opening: file modes, migrations, reopening, transactions.

use std::os::unix::fs::PermissionsExt;

use rusqlite::Connection;

use super::super::{Store, StoreError, migrate};
use super::{Fixture, incoming};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn creates_a_private_file_in_a_private_directory() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("a/b/chatd.db");
    let mut store = Store::open(&path).unwrap();
    store
        .transaction(|tx| tx.set_setting("username", Some("me")))
        .unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("a/b")), 0o700);
    assert_eq!(mode(&dir.path().join("a")), 0o700);
    let wal = dir.path().join("a/b/chatd.db-wal");
    assert!(wal.exists(), "WAL mode");
    assert_eq!(mode(&wal), 0o600);
}

#[test]
fn an_existing_readable_file_is_narrowed_to_0600() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("chatd.db");
    std::fs::write(&path, b"").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    Store::open(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
}

#[test]
fn pragmas_and_migrations_are_in_place() {
    let f = Fixture::new();
    let conn = &f.store.conn;
    let get = |p: &str| -> i64 {
        conn.query_row(&format!("PRAGMA {p}"), [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(get("synchronous"), 2, "FULL");
    assert_eq!(get("foreign_keys"), 1);
    let versions: Vec<i64> = conn
        .prepare("SELECT version FROM schema_migrations ORDER BY version")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(versions, (1..=migrate::latest()).collect::<Vec<_>>());
    // Reopening applies nothing twice.
    let f = f.reopen();
    let count: i64 = f
        .store
        .conn
        .query_row("SELECT count(*) FROM schema_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, migrate::latest());
}

#[test]
fn a_newer_schema_is_refused_with_advice() {
    let f = Fixture::new();
    let path = f.path();
    let Fixture { dir: _dir, store } = f;
    drop(store);
    Connection::open(&path)
        .unwrap()
        .execute(
            "INSERT INTO schema_migrations (version, applied_ms) VALUES (999, 0)",
            [],
        )
        .unwrap();
    let Err(StoreError::Db(msg)) = Store::open(&path) else {
        panic!("a newer schema must be refused");
    };
    assert!(msg.contains("newer chatd"), "{msg}");
}

#[test]
fn a_file_that_is_not_a_database_is_reported() {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("chatd.db");
    std::fs::write(&path, vec![0x42u8; 8192]).unwrap();
    let err = Store::open(&path).expect_err("not a database");
    assert!(err.to_string().contains("chatd.db"), "{err}");
}

#[test]
fn commit_on_ok_rollback_on_err() {
    let mut f = Fixture::new();
    let failed: Result<(), _> = f.store.transaction(|tx| {
        tx.set_setting("a", Some("1"))?;
        tx.insert_message(&incoming("m1", "bob", 1, "hi"))?;
        Err(StoreError::InvalidQuery("caller failed".into()))
    });
    assert!(matches!(failed, Err(StoreError::InvalidQuery(_))));
    f.tx(|tx| {
        assert_eq!(tx.setting("a")?, None);
        assert_eq!(tx.message("m1")?, None);
        tx.set_setting("a", Some("2"))
    });
    assert_eq!(f.tx(|tx| tx.setting("a")), Some("2".into()));
}

#[test]
fn reopening_keeps_everything() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        tx.set_setting("token", Some("t"))?;
        tx.insert_message(&incoming("m1", "bob", 1, "hello there"))?;
        tx.outbox_push(&super::super::OutboxItem {
            peer: "bob".into(),
            payload: "{}".into(),
            message_id: None,
            created_ms: 1,
            batch: None,
        })?;
        Ok(())
    });
    let mut f = f.reopen();
    f.tx(|tx| {
        assert_eq!(tx.setting("token")?.as_deref(), Some("t"));
        assert_eq!(tx.message("m1")?.unwrap().text, "hello there");
        assert_eq!(tx.outbox()?.len(), 1);
        assert_eq!(super::ids(&tx.search("hello", None, 10)?), ["m1"]);
        Ok(())
    });
}

#[test]
fn settings_set_replace_delete() {
    let mut f = Fixture::new();
    f.tx(|tx| {
        assert_eq!(tx.setting("username")?, None);
        tx.set_setting("username", Some("alice"))?;
        tx.set_setting("username", Some("bob"))?;
        assert_eq!(tx.setting("username")?.as_deref(), Some("bob"));
        tx.set_setting("username", None)?;
        assert_eq!(tx.setting("username")?, None);
        tx.set_setting("username", None)?; // deleting nothing is fine
        tx.set_setting("empty", Some(""))?;
        assert_eq!(tx.setting("empty")?.as_deref(), Some(""));
        Ok(())
    });
}
