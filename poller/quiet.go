package poller

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strconv"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/pop3client"
)

// This file is the poll that finds nothing new, made to cost the database
// O(1) rather than O(mailbox): a server that keeps 100,000 messages lists
// them all at every poll, and comparing that listing with the stored
// server rows read every row, every ten minutes, for every account.
//
// A session that leaves nothing to do records a digest of its listing
// (and of what else the plan depended on); the next session whose listing
// has the same digest has nothing to do either, and quits without reading
// the rows. This holds only for an account that deletes nothing on the
// server: what it would delete depends on the clock and on this side's
// trash, which the listing does not show. Nothing else changes the rows
// of the listed messages between sessions: only sessions write them, and
// a session that ends otherwise (an error) changes rows only of messages
// that were not in the recorded listing (all of those were stored).

// keepsEverything says whether an account's choices never delete on the
// server (AccountSettings.ShouldDelete is false whatever the state).
func keepsEverything(s db.AccountSettings) bool {
	return !s.DeleteAfterDownload && s.DeleteAfterDays == 0 &&
		s.DeleteWhenDeleted != db.DeleteImmediately && s.DeleteWhenDeleted != db.DeleteTrashEmptied
}

// listingDigest is the SHA-256 of a listing, in order, with the server
// and size limit the plan saw it through; nil when a listed message has
// no UIDL of its own (a header key needs TOP: not a listing alone).
func listingDigest(acc db.Account, l listing, maxSize int64) []byte {
	if l.NoUIDL {
		return nil
	}
	h := sha256.New()
	buf := make([]byte, 0, 128)
	buf = append(buf, "apartado listing 1\x00"...)
	buf = append(buf, acc.Host...)
	buf = append(buf, 0)
	buf = strconv.AppendInt(buf, int64(acc.Port), 10)
	buf = append(buf, 0)
	buf = append(buf, acc.Security...)
	buf = append(buf, 0)
	buf = append(buf, acc.Username...)
	buf = append(buf, 0)
	buf = strconv.AppendInt(buf, maxSize, 10)
	buf = append(buf, '\n')
	h.Write(buf)
	for _, m := range l.Msgs {
		if !l.byUIDL(m) {
			return nil
		}
		buf = append(buf[:0], m.UIDL...)
		buf = append(buf, 0)
		buf = strconv.AppendInt(buf, m.Size, 10)
		buf = append(buf, '\n')
		h.Write(buf)
	}
	return h.Sum(nil)
}

// nothingLeft says whether a session's final plan left nothing to do:
// every listed message stored, nothing to delete, nothing to note.
func nothingLeft(pl syncPlan) bool {
	return len(pl.Fetch) == 0 && len(pl.Delete) == 0 && len(pl.Match) == 0 && len(pl.Notes) == 0
}

// quiet reports whether this session's listing is the recorded one of a
// session that left nothing to do, for an account that deletes nothing:
// then this session has nothing to do either.
func (p *Poller) quiet(ctx context.Context, acc db.Account, digest []byte) (bool, error) {
	if digest == nil || !keepsEverything(acc.AccountSettings) {
		return false, nil
	}
	stored, err := p.DB.ListingDigest(ctx, acc.ID)
	if err != nil {
		return false, err
	}
	return bytes.Equal(stored, digest), nil
}

// recordDigest records the session's listing digest when it left nothing
// to do, for an account that deletes nothing, and forgets the recorded
// one otherwise.
func (p *Poller) recordDigest(ctx context.Context, acc db.Account, in planInput, final syncPlan) error {
	var digest []byte
	if keepsEverything(acc.AccountSettings) && nothingLeft(final) {
		digest = listingDigest(acc, in.Listing, in.MaxSize)
	}
	stored, err := p.DB.ListingDigest(ctx, acc.ID)
	if err != nil {
		return err
	}
	if bytes.Equal(stored, digest) {
		return nil
	}
	return p.DB.SetListingDigest(ctx, acc.ID, digest)
}

// quietQuit ends a session that has nothing to do.
func (p *Poller) quietQuit(ctx context.Context, c *pop3client.Client, acc db.Account) error {
	if err := c.Quit(ctx); err != nil {
		p.Log.Debug("QUIT failed with nothing to do", "account", acc.ID, "err", err)
	}
	return nil
}
