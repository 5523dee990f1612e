-- Schema version 3: key notices for the timeline (docs/PROTOCOL.md D9).
-- One row per change of a peer's key that a person should see in the
-- conversation: the server reported another key, a person accepted it, or
-- a person verified the fingerprint. `history` returns those inside the
-- window of its page.
CREATE TABLE key_notices (
    n           INTEGER PRIMARY KEY,
    user        TEXT NOT NULL,
    ts          INTEGER NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('key_changed', 'key_accepted', 'verified')),
    fingerprint TEXT NOT NULL
);
CREATE INDEX key_notices_by_user ON key_notices (user, ts, n);
