-- chatd's local store, schema version 1. Append-only: once shipped, this
-- file never changes; later changes go into 0002_*.sql and onwards.

-- Small key/value settings ("username", "token", "server_fingerprint", ...).
CREATE TABLE settings (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
) WITHOUT ROWID;

-- History. `n` is the arrival order (ties between equal timestamps) and the
-- full-text index's rowid; `id` is the payload uuid, unique, so a duplicate
-- delivery cannot add a second row. `peer` is derived, so it can never
-- disagree with the direction.
CREATE TABLE messages (
    n         INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    sender    TEXT NOT NULL,
    recipient TEXT NOT NULL,
    text      TEXT NOT NULL,
    ts        INTEGER NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    status    TEXT NOT NULL
              CHECK (status IN ('sending', 'sent', 'delivered', 'read', 'failed')),
    peer      TEXT NOT NULL
              GENERATED ALWAYS AS (CASE direction WHEN 'in' THEN sender ELSE recipient END) STORED
);
CREATE INDEX messages_by_peer ON messages (peer, ts, n);
CREATE INDEX messages_unread ON messages (peer, ts, n)
    WHERE direction = 'in' AND status <> 'read';

-- Full-text search over message text; an external-content index kept in
-- step with `messages` by the triggers below (text is never duplicated).
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    text,
    content = 'messages',
    content_rowid = 'n',
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, text) VALUES (new.n, new.text);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.n, old.text);
END;
CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.n, old.text);
    INSERT INTO messages_fts (rowid, text) VALUES (new.n, new.text);
END;

-- Payloads waiting to be encrypted and sent, in order. AUTOINCREMENT: an id
-- held by the daemon never comes to name another item.
CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    peer       TEXT NOT NULL,
    payload    TEXT NOT NULL,
    message_id TEXT,
    created_ms INTEGER NOT NULL
);

-- Inbound envelopes waiting for their session key (or for `trust`). One row
-- per server message: a redelivery updates the row instead of adding one.
CREATE TABLE pending (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    sender        TEXT NOT NULL,
    server_msg_id TEXT NOT NULL,
    envelope      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    key_id        TEXT,
    received_ms   INTEGER NOT NULL,
    UNIQUE (sender, server_msg_id)
);
CREATE INDEX pending_by_age ON pending (received_ms);

-- The durable event log of `subscribe`/`since`. AUTOINCREMENT makes `seq`
-- one more than the largest ever used, so pruning never lets one be reused.
CREATE TABLE events (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    ts   INTEGER NOT NULL,
    body TEXT NOT NULL
);

-- The end-to-end engine's records (chat-e2e's store traits), as JSON.
CREATE TABLE pins (
    user   TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE sending_keys (
    peer   TEXT PRIMARY KEY NOT NULL,
    record TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE receiving_keys (
    peer       TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    record     TEXT NOT NULL,
    PRIMARY KEY (peer, key_id)
) WITHOUT ROWID;
CREATE TABLE retired_keys (
    peer       TEXT NOT NULL,
    key_id     TEXT NOT NULL,
    retired_ms INTEGER NOT NULL,
    record     TEXT NOT NULL,
    PRIMARY KEY (peer, key_id)
) WITHOUT ROWID;
