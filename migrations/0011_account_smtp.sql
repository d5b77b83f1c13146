-- An account's outgoing server (SMTP submission, RFC 6409 / RFC 8314),
-- beside its incoming one: smtp_host '' while the account only receives.
-- smtp_security is 'tls' (implicit TLS, port 465), 'starttls' (587) or
-- 'none' (plain text, only when chosen). smtp_auth is 'password' (AUTH
-- PLAIN or LOGIN, whichever the server offers) or 'none' (a server that
-- relays for its own network without signing in); OAuth comes later.
-- smtp_username '' means the incoming user name; smtp_password_sealed NULL
-- means the incoming password, which is reused only for the same provider.
ALTER TABLE accounts ADD COLUMN smtp_host TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN smtp_port INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN smtp_security TEXT NOT NULL DEFAULT 'tls';
ALTER TABLE accounts ADD COLUMN smtp_auth TEXT NOT NULL DEFAULT 'password';
ALTER TABLE accounts ADD COLUMN smtp_username TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN smtp_password_sealed BLOB;
ALTER TABLE accounts ADD COLUMN smtp_trusted_cert TEXT NOT NULL DEFAULT '';
