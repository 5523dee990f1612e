-- The blob store's metadata (PROTOCOL.md §5.3): one row per blob, from
-- blob_create until it is deleted, discarded or swept after expiry. The
-- bytes live beside the database (blobs/<2 hex>/<id>); this row says whose
-- they are, how many of them are durable (`durable_offset`, advanced only
-- after the bytes were written and synced) and whether the upload is
-- finished. Quota is the sum of `size` over an owner's unexpired rows.
CREATE TABLE blobs (
    blob_id        TEXT    PRIMARY KEY NOT NULL,
    owner_id       INTEGER NOT NULL REFERENCES users (id),
    size           INTEGER NOT NULL CHECK (size >= 1),
    durable_offset INTEGER NOT NULL DEFAULT 0
                   CHECK (durable_offset >= 0 AND durable_offset <= size),
    digest         TEXT,
    state          TEXT    NOT NULL CHECK (state IN ('uploading', 'finished')),
    created_at     INTEGER NOT NULL,
    finished_at    INTEGER,
    expires_at     INTEGER NOT NULL,
    CHECK ((state = 'finished') = (digest IS NOT NULL AND finished_at IS NOT NULL))
) WITHOUT ROWID;

CREATE INDEX blobs_by_owner ON blobs (owner_id, state);
CREATE INDEX blobs_by_expiry ON blobs (expires_at);
