-- Cheaper messages (issue 14). Each stored message was written into and
-- deleted from five B-trees, and every send counted the recipient's
-- mailbox and the sender's share of it (up to 10,000 index entries).
--
-- Counts are kept instead, by triggers, so that they cannot drift from the
-- rows whichever statement inserts or deletes (send, ack, purge, a user's
-- cascade). They count stored rows, expired ones too until the purge;
-- `enqueue` recounts exactly (unexpired only) when a kept count reaches its
-- limit, so the limits mean what they meant. Rows at zero are removed by
-- the purge, not on every ack, so a live conversation does not insert and
-- delete a count row per message.
CREATE TABLE mailbox_sizes (
    recipient_id INTEGER PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    stored       INTEGER NOT NULL
);

CREATE TABLE sender_shares (
    recipient_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sender       TEXT    NOT NULL,
    stored       INTEGER NOT NULL,
    PRIMARY KEY (recipient_id, sender)
) WITHOUT ROWID;

INSERT INTO mailbox_sizes (recipient_id, stored)
    SELECT recipient_id, count(*) FROM messages GROUP BY recipient_id;
INSERT INTO sender_shares (recipient_id, sender, stored)
    SELECT recipient_id, sender, count(*) FROM messages GROUP BY recipient_id, sender;

CREATE TRIGGER messages_counted AFTER INSERT ON messages BEGIN
    INSERT INTO mailbox_sizes (recipient_id, stored) VALUES (NEW.recipient_id, 1)
        ON CONFLICT (recipient_id) DO UPDATE SET stored = stored + 1;
    INSERT INTO sender_shares (recipient_id, sender, stored)
        VALUES (NEW.recipient_id, NEW.sender, 1)
        ON CONFLICT (recipient_id, sender) DO UPDATE SET stored = stored + 1;
END;

CREATE TRIGGER messages_uncounted AFTER DELETE ON messages BEGIN
    UPDATE mailbox_sizes SET stored = stored - 1 WHERE recipient_id = OLD.recipient_id;
    UPDATE sender_shares SET stored = stored - 1
        WHERE recipient_id = OLD.recipient_id AND sender = OLD.sender;
END;

-- Only the exact recount at the limit used this index; it costs a random
-- B-tree insert and delete per message. The recount reads the recipient's
-- rows through messages_recipient_seq instead.
DROP INDEX messages_recipient_sender;
