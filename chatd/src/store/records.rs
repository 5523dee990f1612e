//! Helpers shared by the store's modules: JSON records in text columns
//! (secrets wiped from the encoded text once used), and the integer
//! conversions between the API's unsigned counts and SQLite's i64.

use rusqlite::{Params, Row};
use serde::Serialize;
use serde::de::DeserializeOwned;
use zeroize::Zeroizing;

use super::{StoreError, Tx};

impl Tx<'_> {
    /// The one record the query selects (JSON in column 0), if any.
    pub(super) fn record<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: impl Params,
    ) -> Result<Option<T>, StoreError> {
        Ok(self.records(sql, params)?.into_iter().next())
    }

    /// Every record the query selects (JSON in column 0), in its order.
    pub(super) fn records<T: DeserializeOwned>(
        &self,
        sql: &str,
        params: impl Params,
    ) -> Result<Vec<T>, StoreError> {
        let mut stmt = self.tx.prepare_cached(sql)?;
        let texts = stmt
            .query_map(params, |row| row.get::<_, String>(0).map(Zeroizing::new))?
            .collect::<Result<Vec<_>, _>>()?;
        texts.iter().map(|text| decode(text)).collect()
    }

    /// Runs one statement that changes rows; returns how many.
    pub(super) fn exec(&self, sql: &str, params: impl Params) -> Result<usize, StoreError> {
        Ok(self.tx.prepare_cached(sql)?.execute(params)?)
    }
}

/// A record as JSON, in a buffer wiped on drop (records hold session keys).
pub(super) fn encode<T: Serialize>(record: &T) -> Result<Zeroizing<String>, StoreError> {
    serde_json::to_string(record)
        .map(Zeroizing::new)
        .map_err(|e| StoreError::Db(format!("cannot encode a record: {e}")))
}

/// Decodes a JSON record read from the database.
pub(super) fn decode<T: DeserializeOwned>(text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A column holding one of a closed set of names, decoded by `parse`.
pub(super) fn named<T>(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> Result<T, StoreError> {
    let text: String = row.get(idx)?;
    parse(&text).ok_or_else(|| StoreError::Corrupt(format!("unknown {what} `{text}`")))
}

/// A u64 from the API as a SQLite integer (saturating: SQLite has no
/// larger integers, and no stored value exceeds i64::MAX).
pub(super) fn sql_u64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// A count SQLite returned, as the API's unsigned type.
pub(super) fn api_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}
