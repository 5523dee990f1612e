-- Schema version 5: what chatd's group pipeline keeps (docs/PROTOCOL.md
-- D15). Additive: 1:1 rows keep every meaning they had.

-- A group message names its group; `recipient` is then the group id (so
-- an outgoing one's generated `peer` is the group id, an incoming one's
-- the sender): every 1:1 query adds `group_id IS NULL`.
ALTER TABLE messages ADD COLUMN group_id TEXT;
CREATE INDEX messages_by_group ON messages (group_id, ts, n) WHERE group_id IS NOT NULL;

-- Per-member receipts of our outgoing group messages: one row per
-- recipient (the members of the state it was sent under, without us);
-- the message's own status is the least advanced of them.
CREATE TABLE group_receipts (
    message_id TEXT NOT NULL,
    member     TEXT NOT NULL,
    status     TEXT NOT NULL
               CHECK (status IN ('sending', 'sent', 'delivered', 'read', 'failed')),
    PRIMARY KEY (message_id, member)
) WITHOUT ROWID;

-- Outbox rows of one fan-out (a group message or a group state to every
-- member) share a `batch`, and leave together in `send_multi` frames.
ALTER TABLE outbox ADD COLUMN batch TEXT;

-- A state we signed and are committing: written before `group_commit`
-- goes out, removed once it is held (or known to have lost), so a crash
-- after the server sequenced it cannot lose it.
CREATE TABLE group_commits (
    group_id   TEXT PRIMARY KEY,
    state      TEXT NOT NULL,
    created_ms INTEGER NOT NULL
) WITHOUT ROWID;

-- Group payloads that arrived before they could be applied: a state
-- after a version gap or signed by someone whose key is not pinned (or
-- whose pin is `changed`), a group_text for a version we do not hold yet.
-- Examined again whenever a state is accepted or a key arrives; dropped
-- after 7 days.
CREATE TABLE group_held (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id    TEXT NOT NULL,
    sender      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
CREATE INDEX group_held_by_group ON group_held (group_id, id);
