//! Full-text search of the local history. The person's query is free text,
//! never FTS5 syntax: it is turned into a query of quoted terms, so that no
//! input (quotes, `*`, `NEAR(`, `AND OR`, control characters) can reach the
//! FTS5 parser as syntax or fail as an SQL error.

use chatd_api::Message;
use rusqlite::params;

use super::history::MESSAGE_COLUMNS;
use super::{StoreError, Tx};

/// The most words one query may hold (a bound on the work one local
/// request can cause).
pub const MAX_QUERY_TERMS: usize = 32;

impl Tx<'_> {
    /// Messages whose text contains every word of `query` (each word also
    /// matches as a prefix: "meet" finds "meeting"), in `peer`'s
    /// conversation only when given; best match first (bm25), newer first
    /// among equals. A query with no letter or digit at all finds nothing;
    /// an empty one is [`StoreError::InvalidQuery`]. Without `peer`, every
    /// conversation is searched, groups included.
    pub fn search(
        &self,
        query: &str,
        peer: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        self.search_in(query, peer, None, limit)
    }

    fn search_in(
        &self,
        query: &str,
        peer: Option<&str>,
        group: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        let Some(fts) = fts_query(query)? else {
            return Ok(Vec::new());
        };
        let cols = MESSAGE_COLUMNS
            .split(", ")
            .map(|c| format!("m.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {cols} FROM messages_fts JOIN messages m ON m.n = messages_fts.rowid \
             WHERE messages_fts MATCH ?1 \
             AND (?2 IS NULL OR (m.peer = ?2 AND m.group_id IS NULL)) \
             AND (?4 IS NULL OR m.group_id = ?4) \
             ORDER BY bm25(messages_fts), m.ts DESC, m.id DESC LIMIT ?3"
        );
        self.messages(&sql, params![fts, peer, limit, group])
    }

    /// [`Tx::search`] inside one group's conversation (`group_id`).
    pub fn search_group(
        &self,
        query: &str,
        group_id: &str,
        limit: u32,
    ) -> Result<Vec<Message>, StoreError> {
        self.search_in(query, None, Some(group_id), limit)
    }
}

/// The FTS5 query for a person's free text: each whitespace-separated word
/// as a quoted string (inner quotes doubled) followed by `*` (a prefix
/// match), joined by spaces (all must match). Control characters are
/// dropped, and so are words without a letter or digit, which the
/// tokenizer would reduce to nothing. `Ok(None)` when no word is left;
/// [`StoreError::InvalidQuery`] for an empty query or too many words.
pub fn fts_query(query: &str) -> Result<Option<String>, StoreError> {
    let words: Vec<&str> = query.split_whitespace().collect();
    if words.is_empty() {
        return Err(StoreError::InvalidQuery(
            "the query is empty; type at least one word".into(),
        ));
    }
    if words.len() > MAX_QUERY_TERMS {
        return Err(StoreError::InvalidQuery(format!(
            "the query has {} words; use at most {MAX_QUERY_TERMS}",
            words.len()
        )));
    }
    let terms: Vec<String> = words
        .iter()
        .map(|w| w.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| format!("\"{}\"*", w.replace('"', "\"\"")))
        .collect();
    Ok((!terms.is_empty()).then(|| terms.join(" ")))
}
