-- Server message ids already processed, so that an envelope the engine
-- reports as a duplicate can be told apart: the same server id again is
-- an honest redelivery (the ack was lost); a new server id carrying an
-- envelope already accepted is a replay.
CREATE TABLE seen_deliveries (
    msg_id  TEXT PRIMARY KEY NOT NULL,
    sender  TEXT NOT NULL,
    seen_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_deliveries_by_time ON seen_deliveries (seen_ms);
