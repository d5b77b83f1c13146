-- When each user last signed in, for the administrator's household page
-- (sessions end on signing out, so they cannot say it). NULL: never, or
-- before this migration.
ALTER TABLE users ADD COLUMN last_sign_in_at INTEGER;
