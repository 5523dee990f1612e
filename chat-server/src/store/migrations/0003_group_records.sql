-- Membership commits (PROTOCOL.md §4.5): per group, the last committed
-- version, its state hash, members and admins, so that the server accepts
-- one commit per version and groups cannot fork. Names and signatures stay
-- end-to-end; the server never sees them. Lists are JSON arrays of
-- usernames in ascending byte order, exactly as committed.
CREATE TABLE group_records (
    group_id     TEXT    PRIMARY KEY NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    state_hash   TEXT    NOT NULL,
    members      TEXT    NOT NULL,
    admins       TEXT    NOT NULL,
    committed_by TEXT    NOT NULL,
    committed_at INTEGER NOT NULL
) WITHOUT ROWID;
