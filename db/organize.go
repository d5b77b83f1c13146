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

// MessageState is where a message is and how it is flagged: what an
// action on it may change, and what undoing the action puts back.
type MessageState struct {
	ID        int64  `json:"id"`
	MailboxID int64  `json:"mailbox"`
	Flags     Flag   `json:"flags"`
	TrashedAt *int64 `json:"trashed_at"` // Unix time; nil outside the trash
}

// MessageStates returns the states of those of ids that are the user's
// messages, in no particular order.
func (d *DB) MessageStates(ctx context.Context, userID int64, ids []int64) ([]MessageState, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT id, mailbox_id, flags, trashed_at FROM messages
		WHERE id IN (`+placeholders(len(ids))+`) AND user_id = ?`, append(int64Args(ids), userID)...)
	if err != nil {
		return nil, fmt.Errorf("message states: %w", err)
	}
	out, err := scanStates(rows)
	if err != nil {
		return nil, fmt.Errorf("message states: %w", err)
	}
	return out, nil
}

func scanStates(rows *sql.Rows) ([]MessageState, error) {
	defer rows.Close()
	var out []MessageState
	for rows.Next() {
		var s MessageState
		var trashed sql.NullInt64
		if err := rows.Scan(&s.ID, &s.MailboxID, &s.Flags, &trashed); err != nil {
			return nil, err
		}
		if trashed.Valid {
			t := trashed.Int64
			s.TrashedAt = &t
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// RestoreMessageStates puts the user's messages back as states describe
// them, in one transaction, and returns how many changed: their mailbox
// when mailbox is set, and the flags of mask (the others stay as they
// are now). A message deleted since is skipped; one whose mailbox was
// deleted since goes to the inbox. The trash's invariant holds: a message
// put back in the trash keeps its recorded time (or gets now's), one put
// elsewhere none.
func (d *DB) RestoreMessageStates(ctx context.Context, userID int64, states []MessageState, mailbox bool, mask Flag) (int64, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("restore messages: %w", err)
	}
	defer tx.Rollback()
	boxes := map[int64]MailboxRole{}
	var inbox int64
	rows, err := tx.QueryContext(ctx, `SELECT id, coalesce(role, '') FROM mailboxes WHERE user_id = ?`, userID)
	if err != nil {
		return 0, fmt.Errorf("restore messages: %w", err)
	}
	for rows.Next() {
		var id int64
		var role MailboxRole
		if err := rows.Scan(&id, &role); err != nil {
			rows.Close()
			return 0, fmt.Errorf("restore messages: %w", err)
		}
		boxes[id] = role
		if role == MailboxInbox {
			inbox = id
		}
	}
	if err := rows.Close(); err != nil {
		return 0, fmt.Errorf("restore messages: %w", err)
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("restore messages: %w", err)
	}
	mask &= AllFlags
	moveStmt, err := tx.PrepareContext(ctx, `UPDATE messages SET mailbox_id = ?, trashed_at = ?
		WHERE id = ? AND user_id = ? AND (mailbox_id <> ? OR trashed_at IS NOT ?)`)
	if err != nil {
		return 0, fmt.Errorf("restore messages: %w", err)
	}
	defer moveStmt.Close()
	flagStmt, err := tx.PrepareContext(ctx, `UPDATE messages SET flags = (flags & ~?) | ?
		WHERE id = ? AND user_id = ? AND flags <> ((flags & ~?) | ?)`)
	if err != nil {
		return 0, fmt.Errorf("restore messages: %w", err)
	}
	defer flagStmt.Close()
	var n int64
	for _, s := range states {
		box := s.MailboxID
		if _, ok := boxes[box]; !ok {
			box = inbox
		}
		var trashed any
		if boxes[box] == MailboxTrash {
			t := d.now()
			if s.TrashedAt != nil {
				t = *s.TrashedAt
			}
			trashed = t
		}
		var changed int64
		if mailbox {
			c, err := execCount(ctx, moveStmt, box, trashed, s.ID, userID, box, trashed)
			if err != nil {
				return 0, fmt.Errorf("restore messages: %w", err)
			}
			changed += c
		}
		if mask != 0 {
			m, f := int64(mask), int64(s.Flags&mask)
			c, err := execCount(ctx, flagStmt, m, f, s.ID, userID, m, f)
			if err != nil {
				return 0, fmt.Errorf("restore messages: %w", err)
			}
			changed += c
		}
		n += min(changed, 1)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("restore messages: %w", err)
	}
	return n, nil
}

func execCount(ctx context.Context, stmt *sql.Stmt, args ...any) (int64, error) {
	res, err := stmt.ExecContext(ctx, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// MarkMailboxRead marks every unread message of one of the user's
// mailboxes read (only one account's, when accountID is not 0), in one
// transaction, and returns the states they had. ErrNotFound when the
// mailbox is not the user's.
func (d *DB) MarkMailboxRead(ctx context.Context, userID, mailboxID, accountID int64) ([]MessageState, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("mark mailbox read: %w", err)
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, `SELECT 1 FROM mailboxes WHERE id = ? AND user_id = ?`, mailboxID, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("mark mailbox read: %w", err)
	}
	cond := `user_id = ? AND mailbox_id = ? AND flags & 1 = 0`
	args := []any{userID, mailboxID}
	if accountID != 0 {
		cond += ` AND account_id = ?`
		args = append(args, accountID)
	}
	rows, err := tx.QueryContext(ctx, `SELECT id, mailbox_id, flags, trashed_at FROM messages WHERE `+cond, args...)
	if err != nil {
		return nil, fmt.Errorf("mark mailbox read: %w", err)
	}
	states, err := scanStates(rows)
	if err != nil {
		return nil, fmt.Errorf("mark mailbox read: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE messages SET flags = flags | 1 WHERE `+cond, args...); err != nil {
		return nil, fmt.Errorf("mark mailbox read: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("mark mailbox read: %w", err)
	}
	return states, nil
}

// UndoRecord is what one action changed, kept for a while to put it back.
type UndoRecord struct {
	ID      string
	UserID  int64
	Action  string // what was done, to word the notice
	Count   int64  // how many messages it changed
	Target  int64  // the mailbox they went to, for the notice (0 if none)
	Items   []MessageState
	Expires time.Time
}

// SaveUndo stores an undo record, and deletes the expired ones of every
// user (so that the table holds minutes of actions, not years).
func (d *DB) SaveUndo(ctx context.Context, u UndoRecord) error {
	items, err := json.Marshal(u.Items)
	if err != nil {
		return fmt.Errorf("save undo: %w", err)
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("save undo: %w", err)
	}
	defer tx.Rollback()
	now := d.now()
	if _, err := tx.ExecContext(ctx, `DELETE FROM undo_actions WHERE expires_at <= ?`, now); err != nil {
		return fmt.Errorf("save undo: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO undo_actions (id, user_id, action, count, target, items, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.ID, u.UserID, u.Action, u.Count, u.Target, string(items), now, u.Expires.Unix()); err != nil {
		return fmt.Errorf("save undo: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save undo: %w", err)
	}
	return nil
}

// Undo returns one of the user's unexpired undo records, without its
// items, or ErrNotFound.
func (d *DB) Undo(ctx context.Context, userID int64, id string) (UndoRecord, error) {
	u := UndoRecord{ID: id, UserID: userID}
	var expires int64
	err := d.sql.QueryRowContext(ctx, `SELECT action, count, target, expires_at FROM undo_actions
		WHERE id = ? AND user_id = ? AND expires_at > ?`, id, userID, d.now()).Scan(&u.Action, &u.Count, &u.Target, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return UndoRecord{}, ErrNotFound
	}
	if err != nil {
		return UndoRecord{}, fmt.Errorf("undo: %w", err)
	}
	u.Expires = time.Unix(expires, 0)
	return u, nil
}

// TakeUndo removes one of the user's unexpired undo records and returns
// it with its items, or ErrNotFound: a record is undone once.
func (d *DB) TakeUndo(ctx context.Context, userID int64, id string) (UndoRecord, error) {
	u := UndoRecord{ID: id, UserID: userID}
	var items string
	var expires int64
	err := d.sql.QueryRowContext(ctx, `DELETE FROM undo_actions WHERE id = ? AND user_id = ? AND expires_at > ?
		RETURNING action, count, target, items, expires_at`, id, userID, d.now()).Scan(&u.Action, &u.Count, &u.Target, &items, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return UndoRecord{}, ErrNotFound
	}
	if err != nil {
		return UndoRecord{}, fmt.Errorf("take undo: %w", err)
	}
	if err := json.Unmarshal([]byte(items), &u.Items); err != nil {
		return UndoRecord{}, fmt.Errorf("take undo: %w", err)
	}
	u.Expires = time.Unix(expires, 0)
	return u, nil
}

// UpdateMailbox renames one of the user's own mailboxes and sets its
// parent (0: the top level). ErrSystemMailbox for a system one,
// ErrConflict when a sibling has the name, ErrMailboxNesting when the
// parent is not at the top level, is the mailbox itself, or the mailbox
// holds others; ErrNotFound when either is not the user's.
func (d *DB) UpdateMailbox(ctx context.Context, userID, id int64, name string, parentID int64) (Mailbox, error) {
	if strings.TrimSpace(name) == "" {
		return Mailbox{}, errors.New("update mailbox: no name")
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return Mailbox{}, fmt.Errorf("update mailbox: %w", err)
	}
	defer tx.Rollback()
	var system, hasChildren bool
	err = tx.QueryRowContext(ctx, `SELECT role IS NOT NULL, EXISTS (SELECT 1 FROM mailboxes c WHERE c.parent_id = b.id)
		FROM mailboxes b WHERE id = ? AND user_id = ?`, id, userID).Scan(&system, &hasChildren)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Mailbox{}, ErrNotFound
	case err != nil:
		return Mailbox{}, fmt.Errorf("update mailbox: %w", err)
	case system:
		return Mailbox{}, ErrSystemMailbox
	}
	var parent any
	if parentID != 0 {
		if parentID == id || hasChildren {
			return Mailbox{}, ErrMailboxNesting
		}
		var grand sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT parent_id FROM mailboxes WHERE id = ? AND user_id = ?`, parentID, userID).Scan(&grand)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return Mailbox{}, ErrNotFound
		case err != nil:
			return Mailbox{}, fmt.Errorf("update mailbox: %w", err)
		case grand.Valid:
			return Mailbox{}, ErrMailboxNesting
		}
		parent = parentID
	}
	b, err := scanMailbox(tx.QueryRowContext(ctx, `UPDATE mailboxes SET name = ?, parent_id = ? WHERE id = ? AND user_id = ?
		RETURNING `+strings.ReplaceAll(mailboxColumns, "b.", ""), name, parent, id, userID))
	if isUniqueViolation(err) {
		return Mailbox{}, ErrConflict
	}
	if err != nil {
		return Mailbox{}, fmt.Errorf("update mailbox: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Mailbox{}, fmt.Errorf("update mailbox: %w", err)
	}
	return b, nil
}

// DeleteMailboxInto deletes one of the user's own mailboxes and those
// inside it, in one transaction, after moving all their messages into the
// user's system mailbox of role to (the inbox or the trash); it returns
// how many messages moved. ErrSystemMailbox for a system mailbox,
// ErrNotFound when it is not the user's.
func (d *DB) DeleteMailboxInto(ctx context.Context, userID, id int64, to MailboxRole) (int64, error) {
	if to != MailboxInbox && to != MailboxTrash {
		return 0, fmt.Errorf("delete mailbox: messages cannot go to %q", to)
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("delete mailbox: %w", err)
	}
	defer tx.Rollback()
	var system bool
	err = tx.QueryRowContext(ctx, `SELECT role IS NOT NULL FROM mailboxes WHERE id = ? AND user_id = ?`, id, userID).Scan(&system)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, ErrNotFound
	case err != nil:
		return 0, fmt.Errorf("delete mailbox: %w", err)
	case system:
		return 0, ErrSystemMailbox
	}
	var trashed any
	if to == MailboxTrash {
		trashed = d.now()
	}
	res, err := tx.ExecContext(ctx, `UPDATE messages SET mailbox_id = (SELECT id FROM mailboxes WHERE user_id = ? AND role = ?),
		trashed_at = ? WHERE user_id = ? AND mailbox_id IN (SELECT id FROM mailboxes WHERE user_id = ? AND (id = ? OR parent_id = ?))`,
		userID, to, trashed, userID, userID, id, id)
	if err != nil {
		return 0, fmt.Errorf("delete mailbox: %w", err)
	}
	moved, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete mailbox: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mailboxes WHERE user_id = ? AND parent_id = ?`, userID, id); err != nil {
		return 0, fmt.Errorf("delete mailbox: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mailboxes WHERE user_id = ? AND id = ?`, userID, id); err != nil {
		return 0, fmt.Errorf("delete mailbox: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("delete mailbox: %w", err)
	}
	return moved, nil
}
