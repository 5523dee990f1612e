//! SQLite implementation of the store (being written).
/// SQLite store (being written).
pub struct SqliteStore;
