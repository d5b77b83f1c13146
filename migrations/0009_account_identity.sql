-- An account is an identity, its incoming server and (later) its outgoing
-- server. The identity is who mail sent from the account is from: the
-- address is the account's email, display_name the name shown with it
-- ('' for the address alone) and signature the text added below a new
-- message ('' for none). They are columns of the account, one identity
-- per account; the outgoing server will be nullable smtp_* columns beside
-- them, NULL while the account only receives.
ALTER TABLE accounts ADD COLUMN display_name TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN signature TEXT NOT NULL DEFAULT '';
