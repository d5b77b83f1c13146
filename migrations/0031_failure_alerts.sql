-- Mail to an administrator when a household account stops receiving:
-- users.alert_account_id is the administrator's own account the alert is
-- sent from and to (NULL: no alerts); accounts.failure_alerted_at says
-- the account's current failure was told, so it is told once, and again
-- only after the account has worked in between.
ALTER TABLE users ADD COLUMN alert_account_id INTEGER REFERENCES accounts(id) ON DELETE SET NULL;
ALTER TABLE accounts ADD COLUMN failure_alerted_at INTEGER;
