package app

import (
	"context"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/smtpclient"
)

// What an account's outgoing server offers (its SIZE and SMTPUTF8) is
// kept whenever Apartado talks to it: the connection test, the account
// form's test before saving, every delivery. The outbox checks a message
// against it before queueing it, so that what that server would refuse is
// refused at once, with the reason, rather than a minute later.

// OffersOf is what an outgoing server's reply to EHLO offered, as an
// account keeps it.
func OffersOf(c smtpclient.Capabilities) db.SMTPOffers {
	return db.SMTPOffers{MaxSize: c.MaxSize, SMTPUTF8: c.SMTPUTF8}
}

// RecordOffers keeps what the outgoing server server (the one tested or
// used) offered for the user's account id, at at, if it is still that
// account's outgoing server. An account that is not the user's is
// db.ErrNotFound.
func (s *Accounts) RecordOffers(ctx context.Context, userID, id int64, server db.Outgoing, c smtpclient.Capabilities, at time.Time) error {
	if _, err := s.db.Account(ctx, userID, id); err != nil {
		return err
	}
	return s.db.RecordSMTPOffers(ctx, id, server, OffersOf(c), at)
}
