-- Presence across nodes (issue 15): which node holds which user's
-- sessions, and when each node last said it was alive. Written only by
-- nodes started with --bus; a single node never touches these tables.
-- Times are the database's clock, so nodes' clocks need not agree.

CREATE TABLE cluster_nodes (
    node_id   TEXT PRIMARY KEY,
    heartbeat TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- One row per logged-in connection; a reaped node's rows go with it.
CREATE TABLE cluster_sessions (
    node_id  TEXT   NOT NULL REFERENCES cluster_nodes (node_id) ON DELETE CASCADE,
    conn_id  BIGINT NOT NULL,
    username TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (node_id, conn_id)
);

CREATE INDEX cluster_sessions_username ON cluster_sessions (username);
