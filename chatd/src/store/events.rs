//! The durable event log behind `subscribe` with `since` (PROTOCOL.md §3):
//! a frontend that was detached or crashed asks for everything after the
//! last seq it saw. Seqs are consecutive from 1 and never reused, even
//! after pruning or a restart.

use chatd_api::{Event, EventBody};
use rusqlite::{OptionalExtension, params};

use super::records::{api_u64, decode, encode, sql_u64};
use super::{StoreError, Tx};

/// Pruning keeps at least this many of the newest events...
pub const EVENTS_KEEP_COUNT: u64 = 10_000;
/// ...and every event younger than this (7 days, in ms).
pub const EVENTS_KEEP_MS: i64 = 7 * 24 * 60 * 60 * 1_000;

impl Tx<'_> {
    /// Appends an event that happened at `ts` (Unix ms); returns it with
    /// its seq, one more than the previous (1 for the first ever).
    pub fn append_event(&self, body: &EventBody, ts: i64) -> Result<Event, StoreError> {
        self.exec(
            "INSERT INTO events (ts, body) VALUES (?1, ?2)",
            params![ts, encode(body)?.as_str()],
        )?;
        Ok(Event {
            seq: api_u64(self.tx.last_insert_rowid()),
            body: body.clone(),
        })
    }

    /// At most `limit` stored events with a seq greater than `since`, in
    /// ascending order.
    pub fn events_since(&self, since: u64, limit: u32) -> Result<Vec<Event>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached("SELECT seq, body FROM events WHERE seq > ?1 ORDER BY seq LIMIT ?2")?;
        let rows = stmt
            .query_map(params![sql_u64(since), limit], |row| {
                Ok((row.get::<_, i64>(0)?, row.get::<_, String>(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        rows.into_iter()
            .map(|(seq, body)| {
                Ok(Event {
                    seq: api_u64(seq),
                    body: decode(&body)?,
                })
            })
            .collect()
    }

    /// The seq of the latest event ever appended (pruned or not); 0 when
    /// there has been none.
    pub fn latest_event_seq(&self) -> Result<u64, StoreError> {
        // AUTOINCREMENT keeps the largest seq ever used in sqlite_sequence.
        let seq: Option<i64> = self
            .tx
            .prepare_cached("SELECT seq FROM sqlite_sequence WHERE name = 'events'")?
            .query_row([], |row| row.get(0))
            .optional()?;
        Ok(seq.map_or(0, api_u64))
    }

    /// Deletes the events that are both older than [`EVENTS_KEEP_MS`]
    /// before `now_ms` and outside the newest [`EVENTS_KEEP_COUNT`].
    /// Returns how many were deleted.
    pub fn prune_events(&self, now_ms: i64) -> Result<u64, StoreError> {
        let deletable_to =
            sql_u64(self.latest_event_seq()?).saturating_sub(sql_u64(EVENTS_KEEP_COUNT));
        let deleted = self.exec(
            "DELETE FROM events WHERE seq <= ?1 AND ts < ?2",
            params![deletable_to, now_ms.saturating_sub(EVENTS_KEEP_MS)],
        )?;
        Ok(u64::try_from(deleted).unwrap_or(u64::MAX))
    }
}
