package db

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// What an administrator changed in a member's accounts, kept for the
// member to read (migrations/0029_account_changes.sql).

// The actions of an AccountChange.
const (
	ChangeAdded   = "added"
	ChangeChanged = "changed"
	ChangeDeleted = "deleted"
)

// AccountChange is one change an administrator made to a member's account.
type AccountChange struct {
	ID          int64
	UserID      int64 // the member whose account it is
	By          string
	AccountName string
	Action      string   // ChangeAdded, ChangeChanged or ChangeDeleted
	Fields      []string // what changed (ChangeChanged), as codes the pages translate
	At          time.Time
}

// RecordAccountChange keeps a change for its member to read.
func (d *DB) RecordAccountChange(ctx context.Context, c AccountChange) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO account_changes (user_id, by_name, account_name, action, fields, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, c.UserID, c.By, c.AccountName, c.Action, strings.Join(c.Fields, ","), d.now())
	if err != nil {
		return fmt.Errorf("record account change: %w", err)
	}
	return nil
}

// UnseenAccountChanges returns the changes the user has not dismissed,
// newest first, at most limit.
func (d *DB) UnseenAccountChanges(ctx context.Context, userID int64, limit int) ([]AccountChange, error) {
	rows, err := d.query(ctx, `SELECT id, user_id, by_name, account_name, action, fields, created_at
		FROM account_changes WHERE user_id = ? AND seen_at IS NULL ORDER BY id DESC LIMIT ?`, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("account changes: %w", err)
	}
	defer rows.Close()
	var out []AccountChange
	for rows.Next() {
		var c AccountChange
		var fields string
		var at int64
		if err := rows.Scan(&c.ID, &c.UserID, &c.By, &c.AccountName, &c.Action, &fields, &at); err != nil {
			return nil, fmt.Errorf("account changes: %w", err)
		}
		if fields != "" {
			c.Fields = strings.Split(fields, ",")
		}
		c.At = time.Unix(at, 0)
		out = append(out, c)
	}
	return out, rows.Err()
}

// DismissAccountChanges marks the user's changes up to id (all of them
// when id is 0) as read: ErrNotFound when none was unread.
func (d *DB) DismissAccountChanges(ctx context.Context, userID, upTo int64) error {
	q := `UPDATE account_changes SET seen_at = ? WHERE user_id = ? AND seen_at IS NULL`
	args := []any{d.now(), userID}
	if upTo > 0 {
		q += ` AND id <= ?`
		args = append(args, upTo)
	}
	res, err := d.sql.ExecContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("dismiss account changes: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
