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
	AccountID  int64 // 0 when none was chosen
	Subject    string
	Fields     string // JSON, the application's
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// MaxDrafts bounds how many drafts one user keeps.
const MaxDrafts = 500

// ErrTooManyDrafts means the user has MaxDrafts drafts already.
var ErrTooManyDrafts = errors.New("too many drafts")

// SaveDraft stores a user's draft: a new one when id is 0 (its id is
// returned), else the user's draft id (ErrNotFound for another's). An
// accountID that is not the user's is stored as none.
func (d *DB) SaveDraft(ctx context.Context, userID, id, accountID int64, subject, fields string) (int64, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("save draft: %w", err)
	}
	defer tx.Rollback()
	var account any
	if accountID > 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM accounts WHERE id = ? AND user_id = ?`, accountID, userID).Scan(&n); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
		if n == 1 {
			account = accountID
		}
	}
	now := d.now()
	if id == 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM drafts WHERE user_id = ?`, userID).Scan(&n); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
		if n >= MaxDrafts {
			return 0, ErrTooManyDrafts
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO drafts (user_id, account_id, subject, fields, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, userID, account, subject, fields, now, now)
		if err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
	} else {
		res, err := tx.ExecContext(ctx, `UPDATE drafts SET account_id = ?, subject = ?, fields = ?, updated_at = ?
			WHERE id = ? AND user_id = ?`, account, subject, fields, now, id, userID)
		if err != nil {
			return 0, fmt.Errorf("save draft: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, ErrNotFound
		}
	}
	return id, tx.Commit()
}

const draftColumns = `id, user_id, coalesce(account_id, 0), subject, fields, created_at, updated_at`

func scanDraft(row interface{ Scan(...any) error }) (Draft, error) {
	var dr Draft
	var created, updated int64
	err := row.Scan(&dr.ID, &dr.UserID, &dr.AccountID, &dr.Subject, &dr.Fields, &created, &updated)
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
