-- What an account's outgoing server advertised in its reply to EHLO, the
-- last time Apartado talked to it (a connection test, a save of the
-- account form, a delivery): smtp_seen_at NULL while nothing is known (or
-- since the server was changed), smtp_size its RFC 1870 SIZE (0 when it
-- gave no limit), smtp_smtputf8 whether it offered SMTPUTF8 (RFC 6531).
-- The outbox refuses, before queueing, what that server would refuse.
ALTER TABLE accounts ADD COLUMN smtp_seen_at INTEGER;
ALTER TABLE accounts ADD COLUMN smtp_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN smtp_smtputf8 INTEGER NOT NULL DEFAULT 0;
