package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Draft is a message being written, as saved.
type Draft struct {
	ID, UserID int64
	AccountID  int64  // 0 when none was chosen
	Key        string // the message's compose key; "" for a draft saved before keys
	Subject    string
	Fields     string // JSON, the application's
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// MaxDrafts bounds how many drafts one user keeps.
const MaxDrafts = 500

// ErrTooManyDrafts means the user has MaxDrafts drafts already.
var ErrTooManyDrafts = errors.New("too many drafts")

// ErrKeySpent means the message written under a compose key went to the
// outbox already: no draft is saved under that key again, and it is not
// queued twice.
var ErrKeySpent = errors.New("the message written under this key is in the outbox")

// DraftSave is a draft to store.
type DraftSave struct {
	ID        int64  // the user's draft to change; 0 for none known
	Key       string // the message's compose key; "" for none
	AccountID int64  // the account to send from; 0 for none chosen
	Subject   string
	Fields    string
}

// SaveDraft stores one of the user's drafts and returns its id. The draft
// changed is the user's draft s.ID if it exists, else the user's draft
// with s.Key, else a new one; but when s.ID names no draft of the user's
// and s.Key none either, ErrNotFound (it was sent or deleted meanwhile:
// a save does not bring it back). A draft saved before keys takes s.Key,
// unless another draft has it. A Key that went to the outbox with its
// message is ErrKeySpent, whatever the ID. An AccountID that is not the
// user's is stored as none.
func (d *DB) SaveDraft(ctx context.Context, userID int64, s DraftSave) (int64, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("save draft: %w", err)
	}
	defer tx.Rollback()
	if s.Key != "" {
		if spent, err := keySpent(ctx, tx, userID, s.Key); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		} else if spent {
			return 0, ErrKeySpent
		}
	}
	var account any
	if s.AccountID > 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE id = ? AND user_id = ?`, s.AccountID, userID).Scan(&n); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
		if n == 1 {
			account = s.AccountID
		}
	}
	id, err := findDraft(ctx, tx, userID, s.ID, s.Key)
	if err != nil {
		return 0, fmt.Errorf("save draft: %w", err)
	}
	now := d.now()
	switch {
	case id == 0 && s.ID != 0:
		return 0, ErrNotFound
	case id == 0:
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM drafts WHERE user_id = ?`, userID).Scan(&n); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
		if n >= MaxDrafts {
			return 0, ErrTooManyDrafts
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO drafts (user_id, account_id, compose_key, subject, fields, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, userID, account, nullString(s.Key), s.Subject, s.Fields, now, now)
		if err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
	default:
		// A draft without a key takes this one, unless another has it.
		if _, err := tx.ExecContext(ctx, `UPDATE drafts SET account_id = ?, subject = ?, fields = ?, updated_at = ?,
			compose_key = coalesce(compose_key, (SELECT ? WHERE NOT EXISTS (SELECT 1 FROM drafts WHERE user_id = ? AND compose_key = ?)))
			WHERE id = ? AND user_id = ?`, account, s.Subject, s.Fields, now, nullString(s.Key), userID, s.Key, id, userID); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
	}
	return id, tx.Commit()
}

// findDraft returns the id of the user's draft id, or else of the user's
// draft with key; 0 when there is neither.
func findDraft(ctx context.Context, tx *sql.Tx, userID, id int64, key string) (int64, error) {
	var found int64
	if id != 0 {
		err := tx.QueryRowContext(ctx, `SELECT id FROM drafts WHERE id = ? AND user_id = ?`, id, userID).Scan(&found)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return found, err
		}
	}
	if key == "" {
		return 0, nil
	}
	err := tx.QueryRowContext(ctx, `SELECT id FROM drafts WHERE user_id = ? AND compose_key = ?`, userID, key).Scan(&found)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return found, err
}

// keySpent reports whether the user's message written under key is in
// the outbox (in whatever state: a message taken back is written again
// under a new key).
func keySpent(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, userID int64, key string) (bool, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE user_id = ? AND compose_key = ?`, userID, key).Scan(&n)
	return n > 0, err
}

// KeySpent reports whether the user's message written under key went to
// the outbox.
func (d *DB) KeySpent(ctx context.Context, userID int64, key string) (bool, error) {
	if key == "" {
		return false, nil
	}
	spent, err := keySpent(ctx, d.sql, userID, key)
	if err != nil {
		return false, fmt.Errorf("compose key: %w", err)
	}
	return spent, nil
}

// KeyDraft gives one of the user's drafts key when it has none (it was
// saved before keys), and returns the draft's key.
func (d *DB) KeyDraft(ctx context.Context, userID, id int64, key string) (string, error) {
	var kept sql.NullString
	err := d.sql.QueryRowContext(ctx, `UPDATE drafts SET compose_key = coalesce(compose_key, ?) WHERE id = ? AND user_id = ?
		RETURNING compose_key`, nullString(key), id, userID).Scan(&kept)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("key draft %d: %w", id, err)
	}
	return kept.String, nil
}

const draftColumns = `id, user_id, coalesce(account_id, 0), coalesce(compose_key, ''), subject, fields, created_at, updated_at`

func scanDraft(row interface{ Scan(...any) error }) (Draft, error) {
	var dr Draft
	var created, updated int64
	err := row.Scan(&dr.ID, &dr.UserID, &dr.AccountID, &dr.Key, &dr.Subject, &dr.Fields, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Draft{}, ErrNotFound
	}
	dr.CreatedAt, dr.UpdatedAt = time.Unix(created, 0), time.Unix(updated, 0)
	return dr, err
}

// Draft returns one of the user's drafts.
func (d *DB) Draft(ctx context.Context, userID, id int64) (Draft, error) {
	dr, err := scanDraft(d.sql.QueryRowContext(ctx, `SELECT `+draftColumns+` FROM drafts WHERE id = ? AND user_id = ?`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("draft %d: %w", id, err)
	}
	return dr, err
}

// Drafts lists the user's drafts, the last changed first.
func (d *DB) Drafts(ctx context.Context, userID int64) ([]Draft, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+draftColumns+` FROM drafts WHERE user_id = ? ORDER BY updated_at DESC, id DESC`, userID)
	if err != nil {
		return nil, fmt.Errorf("drafts: %w", err)
	}
	defer rows.Close()
	var out []Draft
	for rows.Next() {
		dr, err := scanDraft(rows)
		if err != nil {
			return nil, fmt.Errorf("drafts: %w", err)
		}
		out = append(out, dr)
	}
	return out, rows.Err()
}

// DeleteDraft deletes one of the user's drafts.
func (d *DB) DeleteDraft(ctx context.Context, userID, id int64) error {
	res, err := d.sql.ExecContext(ctx, `DELETE FROM drafts WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("delete draft: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}
