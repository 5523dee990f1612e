-- Schema version 4: groups (docs/PROTOCOL.md §4, D13).
-- `groups` has one row per group a state was accepted for: the state held
-- (the last accepted, kept after leaving or removal so that a replayed old
-- state cannot bring the group back, §4.4) and whether we are a member of
-- it. `group_members` lists the members of the state held, for lookups by
-- user. `group_states` keeps every accepted signed state by version, to
-- answer `group_state_request` (§4.1); `state` is its JSON (§4.2).
CREATE TABLE groups (
    group_id    TEXT PRIMARY KEY,
    version     INTEGER NOT NULL CHECK (version >= 1),
    state_hash  TEXT NOT NULL,
    name        TEXT NOT NULL,
    is_member   INTEGER NOT NULL CHECK (is_member IN (0, 1)),
    updated_ms  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE group_members (
    group_id  TEXT NOT NULL,
    user      TEXT NOT NULL,
    is_admin  INTEGER NOT NULL CHECK (is_admin IN (0, 1)),
    PRIMARY KEY (group_id, user)
) WITHOUT ROWID;
CREATE INDEX group_members_by_user ON group_members (user, group_id);

CREATE TABLE group_states (
    group_id     TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    state_hash   TEXT NOT NULL,
    state        TEXT NOT NULL,
    accepted_ms  INTEGER NOT NULL,
    PRIMARY KEY (group_id, version)
) WITHOUT ROWID;
