-- Initial schema of the relay.
--
-- `users` is the seed's table, kept exactly as the seed declared it, so that
-- a database created by the seed is adopted as is (hence IF NOT EXISTS on
-- that table only). Times in every other table are Unix milliseconds (UTC).

CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY AUTOINCREMENT, username TEXT UNIQUE NOT NULL, password_hash TEXT NOT NULL, created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP);

-- Every identity key a user ever registered; the current one is the row with
-- replaced_at IS NULL. History is kept so that a key change can be audited.
CREATE TABLE identity_keys (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    public_key  TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    replaced_at INTEGER
);

-- At most one current key per user, enforced by the database itself.
CREATE UNIQUE INDEX identity_keys_current ON identity_keys(user_id) WHERE replaced_at IS NULL;
CREATE INDEX identity_keys_user ON identity_keys(user_id, created_at);

-- Session tokens, stored only as SHA-256 of the raw token.
CREATE TABLE tokens (
    token_hash   BLOB    PRIMARY KEY NOT NULL CHECK (length(token_hash) = 32),
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX tokens_user ON tokens(user_id);
CREATE INDEX tokens_expiry ON tokens(expires_at);

-- Envelopes waiting for their recipient's ack. AUTOINCREMENT so that a seq
-- is never reused, even after the newest messages were acked: clients resume
-- with "after seq", and a reused seq would hide a message from them.
CREATE TABLE messages (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    msg_id       TEXT    NOT NULL UNIQUE,
    sender       TEXT    NOT NULL,
    recipient_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    ts           INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    envelope     TEXT    NOT NULL
);

-- Delivery order per recipient; expires_at makes the mailbox count an
-- index-only scan.
CREATE INDEX messages_recipient_seq ON messages(recipient_id, seq, expires_at);
CREATE INDEX messages_expiry ON messages(expires_at);
