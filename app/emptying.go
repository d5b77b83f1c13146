package app

import (
	"context"
	"time"

	"github.com/apartado/apartado/i18n"
)

// Trash and Junk empty themselves: a message that has been in either for
// longer than its user's setting (days; 0 keeps everything) is deleted
// for good by EmptyExpired, which the server runs every hour. It deletes
// the way "Delete forever" does (db.DeleteMessages), so an account that
// deletes on the server what is deleted here does so at its next sync.

// The setting's default and range.
const (
	DefaultEmptyAfterDays = 30
	MaxEmptyAfterDays     = 3650
	// FieldEmptyAfterDays is the setting's field in the preferences.
	FieldEmptyAfterDays = "empty_after_days"
	// emptyBatch bounds the messages deleted in one transaction.
	emptyBatch = 500
)

// EmptyAfterDays returns the user's setting.
func (s *Messages) EmptyAfterDays(ctx context.Context, userID int64) (int, error) {
	return s.db.EmptyAfterDays(ctx, userID)
}

// SetEmptyAfterDays changes the user's setting, which must be between 0
// and MaxEmptyAfterDays.
func (s *Messages) SetEmptyAfterDays(ctx context.Context, userID int64, days int) error {
	if days < 0 || days > MaxEmptyAfterDays {
		var ps problems
		ps.add(FieldEmptyAfterDays, i18n.Key("Enter a number of days from 0 (never) to %d."), MaxEmptyAfterDays)
		return ps.err()
	}
	return s.db.SetEmptyAfterDays(ctx, userID, days)
}

// EmptyExpired deletes for good, for every user, the messages that have
// been in the Trash or Junk longer than the user's setting at time now, a
// bounded batch per transaction, and returns how many it deleted.
func (s *Messages) EmptyExpired(ctx context.Context, now time.Time) (int64, error) {
	users, err := s.db.UsersEmptying(ctx)
	if err != nil {
		return 0, err
	}
	var deleted int64
	for _, u := range users {
		before := now.AddDate(0, 0, -u.Days)
		for {
			ids, err := s.db.ExpiredMessages(ctx, u.UserID, before, emptyBatch)
			if err != nil {
				return deleted, err
			}
			if len(ids) == 0 {
				break
			}
			n, err := s.db.DeleteMessages(ctx, u.UserID, ids)
			deleted += n
			if err != nil {
				return deleted, err
			}
			if len(ids) < emptyBatch || n == 0 {
				break
			}
		}
	}
	return deleted, nil
}
