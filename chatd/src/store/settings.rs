//! Small named values the daemon keeps between runs (the account, its
//! resume token, the pinned server fingerprint, the person's settings
//! of the `settings` method, ...), as text.

use chatd_api::Settings;
use rusqlite::{OptionalExtension, params};

use super::{StoreError, Tx};

/// The settings key of [`Settings::read_receipts`] (`on` or `off`;
/// absent means on).
const READ_RECEIPTS: &str = "read_receipts";
const TYPING_INDICATORS: &str = "typing_indicators";

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

    /// The person's settings (defaults for those never set).
    pub fn settings(&self) -> Result<Settings, StoreError> {
        Ok(Settings {
            read_receipts: self.setting(READ_RECEIPTS)?.as_deref() != Some("off"),
            typing_indicators: self.setting(TYPING_INDICATORS)?.as_deref() != Some("off"),
        })
    }

    /// Stores the person's settings.
    pub fn put_settings(&self, s: &Settings) -> Result<(), StoreError> {
        let on_off = |on: bool| Some(if on { "on" } else { "off" });
        self.set_setting(READ_RECEIPTS, on_off(s.read_receipts))?;
        self.set_setting(TYPING_INDICATORS, on_off(s.typing_indicators))
    }
}
