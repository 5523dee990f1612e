//! Small named values the daemon keeps between runs (the account, its
//! resume token, the pinned server fingerprint, ...), as text.

use rusqlite::{OptionalExtension, params};

use super::{StoreError, Tx};

impl Tx<'_> {
    /// The value of setting `key`, if set.
    pub fn setting(&self, key: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }

    /// Sets `key` to `value`, or deletes it when `value` is `None`.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        match value {
            Some(value) => self.exec(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?,
            None => self.exec("DELETE FROM settings WHERE key = ?1", [key])?,
        };
        Ok(())
    }
}
