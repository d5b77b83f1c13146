package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Note is one remark of a sync (a message left on the server and why): an
// English message key, translated when shown, with its arguments. Notes
// recorded before keys existed are read back with only Text, the English
// sentence as it was stored.
type Note struct {
	Key  string    `json:"key"`
	Args []NoteArg `json:"args,omitempty"`
	Text string    `json:"-"`
}

// NoteArg is one argument of a note, formatted for the reader when shown:
// exactly one field is set.
type NoteArg struct {
	Text    string       `json:"text,omitempty"`    // shown as it is (a server's words)
	Bytes   *int64       `json:"bytes,omitempty"`   // a size
	Message *NoteMessage `json:"message,omitempty"` // a message, named for the reader
}

// NoteMessage names a message in a note by what stays true of it from one
// session to the next: its subject and date when it is stored, else its
// UIDL when that is its own, and its size.
type NoteMessage struct {
	Subject string `json:"subject,omitempty"`
	Date    int64  `json:"date,omitempty"` // Unix time; 0: unknown
	UIDL    string `json:"uidl,omitempty"`
	Size    int64  `json:"size"`
	// StoredID is the stored message, whose subject and date the poller
	// fills in before recording; not recorded itself.
	StoredID int64 `json:"-"`
}

// encodeNotes is the note_keys column's value for notes: "" for none.
func encodeNotes(notes []Note) (string, error) {
	if len(notes) == 0 {
		return "", nil
	}
	b, err := json.Marshal(notes)
	return string(b), err
}

// decodeNotes reads a history row's notes: note_keys when set, else the
// English lines of a row recorded before it existed.
func decodeNotes(keys, lines string) ([]Note, error) {
	if keys != "" {
		var out []Note
		if err := json.Unmarshal([]byte(keys), &out); err != nil {
			return nil, err
		}
		return out, nil
	}
	var out []Note
	if lines != "" {
		for _, l := range strings.Split(lines, "\n") {
			out = append(out, Note{Text: l})
		}
	}
	return out, nil
}

// insertHistory adds a sync to account id's history and keeps the last
// historyKept; serverCount is nil for a failed sync.
func insertHistory(ctx context.Context, tx *sql.Tx, id int64, r PollResult, serverCount *int64) error {
	keys, err := encodeNotes(r.Notes)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO sync_history (account_id, started_at, duration_ms, new_messages, new_bytes,
		deleted, server_count, error_kind, error_step, error_text, note_keys) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, r.Started.Unix(), r.Duration.Milliseconds(), r.New, r.Bytes, r.Deleted, serverCount,
		r.ErrKind, r.ErrStep, r.ErrText, keys); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `DELETE FROM sync_history WHERE account_id = ? AND id NOT IN
		(SELECT id FROM sync_history WHERE account_id = ? ORDER BY started_at DESC, id DESC LIMIT ?)`,
		id, id, historyKept)
	return err
}

// MessageLabel is what names a stored message in a note.
type MessageLabel struct {
	Subject string
	Date    time.Time // the sort date: its Date header, else when it arrived
}

// MessageLabels returns the subject and date of the stored messages ids of
// account accountID (those that still exist).
func (d *DB) MessageLabels(ctx context.Context, accountID int64, ids []int64) (map[int64]MessageLabel, error) {
	out := make(map[int64]MessageLabel, len(ids))
	for _, id := range ids {
		var l MessageLabel
		var at int64
		err := d.sql.QueryRowContext(ctx, `SELECT subject, sort_at FROM messages WHERE id = ? AND account_id = ?`,
			id, accountID).Scan(&l.Subject, &at)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("message labels: %w", err)
		}
		l.Date = time.Unix(at, 0)
		out[id] = l
	}
	return out, nil
}

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
	Notes       []Note
}

// SyncHistory returns the last syncs of the user's account id, newest
// first, at most limit.
func (d *DB) SyncHistory(ctx context.Context, userID, id int64, limit int) ([]SyncRecord, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT h.started_at, h.duration_ms, h.new_messages, h.new_bytes, h.deleted,
		h.server_count, h.error_kind, h.error_step, h.error_text, h.notes, h.note_keys
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
		var notes, keys string
		if err := rows.Scan(&started, &ms, &r.New, &r.Bytes, &r.Deleted, &count, &r.ErrKind, &r.ErrStep, &r.ErrText, &notes, &keys); err != nil {
			return nil, fmt.Errorf("sync history: %w", err)
		}
		r.Started, r.Duration = time.Unix(started, 0), time.Duration(ms)*time.Millisecond
		if count.Valid {
			r.ServerCount = &count.Int64
		}
		if r.Notes, err = decodeNotes(keys, notes); err != nil {
			return nil, fmt.Errorf("sync history: notes: %w", err)
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
	if _, err := tx.ExecContext(ctx, `UPDATE accounts SET listed_at = ?1, listed_count = (SELECT count(*) FROM server_messages
		WHERE account_id = ?2 AND listed_at = ?1) WHERE id = ?2`, at.Unix(), accountID); err != nil {
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
//
// The settings page shows these for every account on every view, so the
// common cases read only the rows that count: an account that deletes
// nothing on the server reads its size mismatches alone, and one that
// deletes only what is deleted here reads those and its trash. The others
// (delete after download or after N days) go through every row, which
// their own rule keeps few.
func (d *DB) RetentionCounts(ctx context.Context, a Account) (RetentionCounts, error) {
	if !a.DeleteAfterDownload && a.DeleteAfterDays == 0 {
		c, err := d.retentionCountsIndexed(ctx, a)
		if err != nil {
			return RetentionCounts{}, fmt.Errorf("retention counts: %w", err)
		}
		return c, nil
	}
	return d.retentionCountsScan(ctx, a)
}

// listedSQL selects an account's server rows its last stamped listing
// showed (arguments: the account's id twice).
const listedSQL = `s.account_id = ? AND s.listed_at = (SELECT listed_at FROM accounts WHERE id = ?)`

// keptSQL counts the listed rows of an account whose transfer did not
// match (arguments: the account's id twice), from their partial index:
// SQLite would rather go through the primary key, every row of the
// account, which at 100,000 is what the settings page must not do.
const keptSQL = `SELECT count(*) FROM server_messages s INDEXED BY server_messages_size_mismatch WHERE ` + listedSQL + ` AND s.size_ok = 0`

// goneSQL counts the listed rows of an account whose message was deleted
// here for good, from their partial index (arguments as keptSQL's).
const goneSQL = `SELECT count(*) FROM server_messages s INDEXED BY server_messages_deleted_here WHERE ` + listedSQL + `
	AND s.size_ok = 1 AND s.message_id IS NULL`

// trashedSQL counts the listed rows of an account whose message is in the
// trash, going from the user's trash (arguments: the account's id twice,
// the user's id, the account's id).
const trashedSQL = `SELECT count(*) FROM messages m INDEXED BY messages_user_trash
	JOIN server_messages s ON s.message_id = m.id AND ` + listedSQL + ` AND s.size_ok = 1
	WHERE m.user_id = ? AND m.trashed_at IS NOT NULL AND m.account_id = ?`

// retentionCountsIndexed counts for an account that deletes on the server
// only what is deleted here (DeleteWhenDeleted), if anything: Kept from
// the partial index of size mismatches, DueNow from the rows whose
// message is gone and, for DeleteImmediately, those in the trash. Later
// is always 0 without DeleteAfterDays.
func (d *DB) retentionCountsIndexed(ctx context.Context, a Account) (RetentionCounts, error) {
	var c RetentionCounts
	if err := d.queryRow(ctx, `SELECT listed_count, (`+keptSQL+`) FROM accounts WHERE id = ?`,
		a.ID, a.ID, a.ID).Scan(&c.Listed, &c.Kept); err != nil {
		return c, err
	}
	if a.DeleteWhenDeleted != DeleteImmediately && a.DeleteWhenDeleted != DeleteTrashEmptied {
		return c, nil
	}
	var gone, trashed int64
	if err := d.queryRow(ctx, goneSQL, a.ID, a.ID).Scan(&gone); err != nil {
		return c, err
	}
	if a.DeleteWhenDeleted == DeleteImmediately {
		if err := d.queryRow(ctx, trashedSQL, a.ID, a.ID, a.UserID, a.ID).Scan(&trashed); err != nil {
			return c, err
		}
	}
	c.DueNow = gone + trashed
	return c, nil
}

// retentionCountsScan counts by going through every server row of the
// account with the poller's own rule.
func (d *DB) retentionCountsScan(ctx context.Context, a Account) (RetentionCounts, error) {
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
