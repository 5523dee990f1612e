-- Each sender may hold only a share of a recipient's mailbox; counting one
-- sender's stored messages for one recipient is an index-only scan with this.
CREATE INDEX messages_recipient_sender ON messages(recipient_id, sender, expires_at);
