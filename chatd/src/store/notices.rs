//! Key notices: what happened to a peer's key (changed, accepted,
//! verified), kept so that `history` can put it into the conversation's
//! timeline wherever and whenever the conversation is read again.

use chatd_api::{Notice, NoticeKind};
use rusqlite::params;

use super::records::named;
use super::{StoreError, Tx};

impl Tx<'_> {
    /// Records a notice.
    pub fn add_notice(&self, notice: &Notice) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO key_notices (user, ts, kind, fingerprint) VALUES (?1, ?2, ?3, ?4)",
            params![
                notice.user,
                notice.ts,
                kind_str(notice.kind),
                notice.fingerprint
            ],
        )?;
        Ok(())
    }

    /// The notices about `user` with `from <= ts < before` (either bound
    /// absent: unbounded), oldest first.
    pub fn notices(
        &self,
        user: &str,
        from: Option<i64>,
        before: Option<i64>,
    ) -> Result<Vec<Notice>, StoreError> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT ts, user, kind, fingerprint FROM key_notices \
             WHERE user = ?1 AND ts >= ?2 AND ts < ?3 ORDER BY ts, n",
        )?;
        let mut rows = stmt.query(params![
            user,
            from.unwrap_or(i64::MIN),
            before.unwrap_or(i64::MAX)
        ])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            out.push(Notice {
                ts: row.get(0)?,
                user: row.get(1)?,
                kind: named(row, 2, "notice kind", parse_kind)?,
                fingerprint: row.get(3)?,
            });
        }
        Ok(out)
    }
}

fn kind_str(k: NoticeKind) -> &'static str {
    match k {
        NoticeKind::KeyChanged => "key_changed",
        NoticeKind::KeyAccepted => "key_accepted",
        NoticeKind::Verified => "verified",
    }
}

fn parse_kind(s: &str) -> Option<NoticeKind> {
    match s {
        "key_changed" => Some(NoticeKind::KeyChanged),
        "key_accepted" => Some(NoticeKind::KeyAccepted),
        "verified" => Some(NoticeKind::Verified),
        _ => None,
    }
}
