package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// SyncRecord is one sync in an account's history.
type SyncRecord struct {
	Started     time.Time
	Duration    time.Duration
	New         int
	Bytes       int64
	Deleted     int
	ServerCount *int64 // nil when the sync failed
	ErrKind     string // "" on success
	ErrStep     string
	ErrText     string
	Notes       []string
}

// SyncHistory returns the last syncs of the user's account id, newest
// first, at most limit.
func (d *DB) SyncHistory(ctx context.Context, userID, id int64, limit int) ([]SyncRecord, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT h.started_at, h.duration_ms, h.new_messages, h.new_bytes, h.deleted,
		h.server_count, h.error_kind, h.error_step, h.error_text, h.notes
		FROM sync_history h JOIN accounts a ON a.id = h.account_id
		WHERE h.account_id = ? AND a.user_id = ? ORDER BY h.started_at DESC, h.id DESC LIMIT ?`, id, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("sync history: %w", err)
	}
	defer rows.Close()
	var out []SyncRecord
	for rows.Next() {
		var r SyncRecord
		var started, ms int64
		var count sql.NullInt64
		var notes string
		if err := rows.Scan(&started, &ms, &r.New, &r.Bytes, &r.Deleted, &count, &r.ErrKind, &r.ErrStep, &r.ErrText, &notes); err != nil {
			return nil, fmt.Errorf("sync history: %w", err)
		}
		r.Started, r.Duration = time.Unix(started, 0), time.Duration(ms)*time.Millisecond
		if count.Valid {
			r.ServerCount = &count.Int64
		}
		if notes != "" {
			r.Notes = strings.Split(notes, "\n")
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sync history: %w", err)
	}
	return out, nil
}

// MarkListed records that a successful session at time at listed the
// server rows keys of account id (and no others): ServerState.Listed and
// the counts of RetentionCounts are then about those rows.
func (d *DB) MarkListed(ctx context.Context, accountID int64, keys []string, at time.Time) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("mark listed: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, `UPDATE server_messages SET listed_at = ? WHERE account_id = ? AND uidl = ?`)
	if err != nil {
		return fmt.Errorf("mark listed: %w", err)
	}
	defer stmt.Close()
	for _, k := range keys {
		if _, err := stmt.ExecContext(ctx, at.Unix(), accountID, k); err != nil {
			return fmt.Errorf("mark listed: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET listed_at = ? WHERE id = ?`, at.Unix(), accountID); err != nil {
		return fmt.Errorf("mark listed: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("mark listed: %w", err)
	}
	return nil
}

// RetentionCounts says what the account's retention choices will do with
// the messages its last successful sync saw on the server and has stored
// here.
type RetentionCounts struct {
	Listed  int64 // on the server at the last sync and stored here (or deleted here)
	DueNow  int64 // to be deleted on the server at the next sync
	Later   int64 // to be deleted later ("delete after N days")
	FirstAt time.Time
	// Kept counts messages never deleted on the server because their
	// transfer did not match the size the server announced.
	Kept int64
}

// RetentionCounts counts, for account a (as read for its user), the
// messages its last listing showed that its choices delete now or later,
// by the rule the poller deletes by (AccountSettings.ShouldDelete).
func (d *DB) RetentionCounts(ctx context.Context, a Account) (RetentionCounts, error) {
	var c RetentionCounts
	now := d.Now()
	err := d.eachServerState(ctx, a.ID, func(st ServerState) {
		if !st.Listed {
			return
		}
		c.Listed++
		switch {
		case !st.SizeOK:
			c.Kept++
		case a.ShouldDelete(st, now):
			c.DueNow++
		case a.DeleteAfterDays > 0:
			c.Later++
			if at := st.FirstSeen.AddDate(0, 0, a.DeleteAfterDays); c.FirstAt.IsZero() || at.Before(c.FirstAt) {
				c.FirstAt = at
			}
		}
	})
	if err != nil {
		return RetentionCounts{}, fmt.Errorf("retention counts: %w", err)
	}
	return c, nil
}
