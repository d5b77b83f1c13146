-- Compose keys: each message being written has a random key, given by the
-- server with the composer (128 bits, base64url), so that every save of
-- it, whatever the order they arrive in, finds the same draft: a draft is
-- found by (user_id, compose_key), or by id for drafts saved before keys
-- (compose_key NULL). Queueing the message records its key in the outbox,
-- in the transaction that deletes the draft; from then on a save under
-- that key is refused, so a late autosave never brings the draft back. A
-- message taken back from the outbox is written under a new key.
ALTER TABLE drafts ADD COLUMN compose_key TEXT;
CREATE UNIQUE INDEX drafts_compose_key ON drafts (user_id, compose_key) WHERE compose_key IS NOT NULL;
ALTER TABLE outbox ADD COLUMN compose_key TEXT;
CREATE UNIQUE INDEX outbox_compose_key ON outbox (user_id, compose_key) WHERE compose_key IS NOT NULL;
