package db

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// MessageExport is a stored message as an export writes it. Its fields
// match export.Message, so one converts to the other.
type MessageExport struct {
	ID         int64
	ReceivedAt time.Time
	Seen       bool
	Subject    string
	Raw        []byte // exactly as the server sent it
}

// exportPageSize is how many messages' ids (and summaries) are read per
// query; a variable so that tests can cross page boundaries cheaply.
var exportPageSize = 500

// EachMessage calls fn with each of a user's messages, raw bytes included,
// in id order (the order they were stored): every account's when
// accountID is 0, else that account's only. Messages in the trash are left
// out: the user has thrown them away, and the export is "my mail".
//
// Only one raw message is in memory at a time, and no query stays open
// while fn runs (fn may be writing to a slow network client): ids are read
// a page at a time, then each raw message by itself. It is therefore not a
// snapshot: a message deleted or trashed meanwhile is skipped, and one
// stored meanwhile may or may not be included. It stops at, and returns,
// fn's first error.
func (d *DB) EachMessage(ctx context.Context, userID, accountID int64, fn func(MessageExport) error) error {
	var after int64
	for {
		page, err := d.exportPage(ctx, userID, accountID, after)
		if err != nil {
			return fmt.Errorf("export messages: %w", err)
		}
		for _, m := range page {
			after = m.ID
			var err error
			m.Raw, err = d.loadRaw(ctx, `SELECT m.id, r.raw, r.codec, m.size FROM message_raw r JOIN messages m ON m.id = r.message_id
				WHERE m.id = ? AND m.user_id = ? AND m.trashed_at IS NULL`, m.ID, userID)
			if errors.Is(err, ErrNotFound) {
				continue // deleted or trashed since the page was read
			}
			if err != nil {
				return fmt.Errorf("export message %d: %w", m.ID, err)
			}
			if err := fn(m); err != nil {
				return err
			}
		}
		if len(page) < exportPageSize {
			return nil
		}
	}
}

// exportPage reads the next page of a user's untrashed messages after id
// after, without their raw bytes.
func (d *DB) exportPage(ctx context.Context, userID, accountID, after int64) ([]MessageExport, error) {
	q := `SELECT id, received_at, flags & 1, subject FROM messages WHERE user_id = ? AND id > ? AND trashed_at IS NULL`
	args := []any{userID, after}
	if accountID != 0 {
		q += ` AND account_id = ?`
		args = append(args, accountID)
	}
	args = append(args, exportPageSize)
	rows, err := d.sql.QueryContext(ctx, q+` ORDER BY id LIMIT ?`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []MessageExport
	for rows.Next() {
		var m MessageExport
		var received int64
		if err := rows.Scan(&m.ID, &received, &m.Seen, &m.Subject); err != nil {
			return nil, err
		}
		m.ReceivedAt = time.Unix(received, 0)
		out = append(out, m)
	}
	return out, rows.Err()
}
