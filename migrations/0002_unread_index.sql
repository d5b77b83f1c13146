-- Every signed-in page shows each account's unread count; keep it an index
-- lookup at 100,000 messages.
CREATE INDEX messages_account_unread ON messages(account_id) WHERE trashed_at IS NULL AND seen = 0;
