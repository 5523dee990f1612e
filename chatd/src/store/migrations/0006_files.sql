-- Schema version 6: files (docs/PROTOCOL.md §5, D18). Additive.

-- A file message's file, as JSON: what frontends see (name, size, mime,
-- thumbnail, the local copy's path) and what opens its blob (blob id, key,
-- nonce prefix, digest; for our own upload, filled in as it goes). The key
-- sits with the session keys, in this 0600 file. NULL for a text.
ALTER TABLE messages ADD COLUMN file TEXT;

-- Uploads and downloads. `spool` is chatd's own file for the transfer:
-- the copy being uploaded (never the sender's original, which may change)
-- or the ciphertext being downloaded; removed when the transfer ends.
-- `bytes` is the durable progress: the server's offset for an upload, the
-- length of the spool file for a download (both re-read on resume).
CREATE TABLE transfers (
    id         TEXT PRIMARY KEY NOT NULL,
    message_id TEXT NOT NULL,
    direction  TEXT NOT NULL CHECK (direction IN ('upload', 'download')),
    state      TEXT NOT NULL
               CHECK (state IN ('waiting', 'active', 'done', 'failed', 'cancelled')),
    bytes      INTEGER NOT NULL DEFAULT 0,
    total      INTEGER NOT NULL,
    error      TEXT,
    path       TEXT,
    spool      TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    updated_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX transfers_by_message ON transfers (message_id, created_ms);
CREATE INDEX transfers_open ON transfers (created_ms)
    WHERE state IN ('waiting', 'active');
