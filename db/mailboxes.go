package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// MailboxRole names a system mailbox; a mailbox a user made has none ("").
type MailboxRole string

const (
	MailboxInbox   MailboxRole = "inbox"
	MailboxSent    MailboxRole = "sent"
	MailboxDrafts  MailboxRole = "drafts"
	MailboxArchive MailboxRole = "archive"
	MailboxJunk    MailboxRole = "junk"
	MailboxTrash   MailboxRole = "trash"
)

// SystemMailboxes are the roles every user has a mailbox for, in the order
// lists show them, with the names they are stored under (pages show the
// role's translated name instead).
var SystemMailboxes = []struct {
	Role MailboxRole
	Name string
}{
	{MailboxInbox, "Inbox"},
	{MailboxDrafts, "Drafts"},
	{MailboxSent, "Sent"},
	{MailboxArchive, "Archive"},
	{MailboxJunk, "Junk"},
	{MailboxTrash, "Trash"},
}

// Mailbox is one of a user's mailboxes with its counts, which triggers
// keep equal to its messages (migrations/0008_mailboxes.sql).
type Mailbox struct {
	ID       int64
	UserID   int64
	Role     MailboxRole // "" for one the user made
	Name     string
	ParentID int64 // 0 at the top level
	Total    int64
	Unread   int64 // without FlagSeen
}

// Errors of the mailbox methods, beside ErrNotFound and ErrConflict.
var (
	ErrMailboxNotEmpty = errors.New("the mailbox holds messages or mailboxes")
	ErrMailboxNesting  = errors.New("mailboxes nest one level only")
	ErrSystemMailbox   = errors.New("a system mailbox cannot be changed")
)

const mailboxColumns = `b.id, b.user_id, coalesce(b.role, ''), b.name, coalesce(b.parent_id, 0), b.total, b.unread`

func scanMailbox(row interface{ Scan(...any) error }) (Mailbox, error) {
	var b Mailbox
	err := row.Scan(&b.ID, &b.UserID, &b.Role, &b.Name, &b.ParentID, &b.Total, &b.Unread)
	if errors.Is(err, sql.ErrNoRows) {
		return Mailbox{}, ErrNotFound
	}
	return b, err
}

// createSystemMailboxes gives a new user one mailbox of each role, in the
// transaction that creates the user.
func createSystemMailboxes(ctx context.Context, tx *sql.Tx, userID int64, now int64) error {
	for _, s := range SystemMailboxes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO mailboxes (user_id, role, name, created_at) VALUES (?, ?, ?, ?)`,
			userID, s.Role, s.Name, now); err != nil {
			return fmt.Errorf("mailbox %s: %w", s.Role, err)
		}
	}
	return nil
}

// Mailboxes lists a user's mailboxes: the system ones in SystemMailboxes'
// order, then the user's own by name, each followed by those inside it.
func (d *DB) Mailboxes(ctx context.Context, userID int64) ([]Mailbox, error) {
	order := make([]string, len(SystemMailboxes))
	for i, s := range SystemMailboxes {
		order[i] = fmt.Sprintf("WHEN '%s' THEN %d", s.Role, i)
	}
	rows, err := d.query(ctx, `SELECT `+mailboxColumns+` FROM mailboxes b LEFT JOIN mailboxes p ON p.id = b.parent_id
		WHERE b.user_id = ?
		ORDER BY CASE coalesce(p.role, b.role) `+strings.Join(order, " ")+` ELSE 99 END,
			coalesce(p.name, b.name), coalesce(p.id, b.id), b.parent_id IS NOT NULL, b.name`, userID)
	if err != nil {
		return nil, fmt.Errorf("mailboxes: %w", err)
	}
	defer rows.Close()
	var out []Mailbox
	for rows.Next() {
		b, err := scanMailbox(rows)
		if err != nil {
			return nil, fmt.Errorf("mailboxes: %w", err)
		}
		out = append(out, b)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("mailboxes: %w", err)
	}
	return out, nil
}

// Mailbox returns one of a user's mailboxes by id, or ErrNotFound.
func (d *DB) Mailbox(ctx context.Context, userID, id int64) (Mailbox, error) {
	b, err := scanMailbox(d.queryRow(ctx, `SELECT `+mailboxColumns+` FROM mailboxes b WHERE b.id = ? AND b.user_id = ?`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("mailbox %d: %w", id, err)
	}
	return b, err
}

// MailboxByRole returns a user's system mailbox of a role, or ErrNotFound.
func (d *DB) MailboxByRole(ctx context.Context, userID int64, role MailboxRole) (Mailbox, error) {
	b, err := scanMailbox(d.queryRow(ctx, `SELECT `+mailboxColumns+` FROM mailboxes b WHERE b.user_id = ? AND b.role = ?`, userID, role))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("mailbox %s: %w", role, err)
	}
	return b, err
}

// CreateMailbox adds a mailbox of the user's own, at the top level
// (parentID 0) or inside the top-level mailbox parentID. ErrConflict when
// a sibling has the same name in any case, ErrNotFound when the parent is
// not the user's, ErrMailboxNesting when it is not at the top level. The
// name's rules (length, characters) are the caller's; it must not be
// blank.
func (d *DB) CreateMailbox(ctx context.Context, userID int64, name string, parentID int64) (Mailbox, error) {
	if strings.TrimSpace(name) == "" {
		return Mailbox{}, errors.New("create mailbox: no name")
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return Mailbox{}, fmt.Errorf("create mailbox: %w", err)
	}
	defer tx.Rollback()
	var parent any
	if parentID != 0 {
		var grand sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT parent_id FROM mailboxes WHERE id = ? AND user_id = ?`, parentID, userID).Scan(&grand)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			return Mailbox{}, ErrNotFound
		case err != nil:
			return Mailbox{}, fmt.Errorf("create mailbox: %w", err)
		case grand.Valid:
			return Mailbox{}, ErrMailboxNesting
		}
		parent = parentID
	}
	b, err := scanMailbox(tx.QueryRowContext(ctx, `INSERT INTO mailboxes (user_id, name, parent_id, created_at) VALUES (?, ?, ?, ?)
		RETURNING `+strings.ReplaceAll(mailboxColumns, "b.", ""), userID, name, parent, d.now()))
	if isUniqueViolation(err) {
		return Mailbox{}, ErrConflict
	}
	if err != nil {
		return Mailbox{}, fmt.Errorf("create mailbox: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Mailbox{}, fmt.Errorf("create mailbox: %w", err)
	}
	return b, nil
}

// DeleteMailbox deletes one of the user's own mailboxes, which must be
// empty: ErrMailboxNotEmpty while it holds messages or other mailboxes
// (the caller moves them first), ErrSystemMailbox for a system one.
func (d *DB) DeleteMailbox(ctx context.Context, userID, id int64) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("delete mailbox: %w", err)
	}
	defer tx.Rollback()
	var system, used bool
	err = tx.QueryRowContext(ctx, `SELECT role IS NOT NULL, total > 0 OR EXISTS (SELECT 1 FROM mailboxes c WHERE c.parent_id = b.id)
		FROM mailboxes b WHERE id = ? AND user_id = ?`, id, userID).Scan(&system, &used)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return ErrNotFound
	case err != nil:
		return fmt.Errorf("delete mailbox: %w", err)
	case system:
		return ErrSystemMailbox
	case used:
		return ErrMailboxNotEmpty
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM mailboxes WHERE id = ? AND user_id = ?`, id, userID); err != nil {
		return fmt.Errorf("delete mailbox: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("delete mailbox: %w", err)
	}
	return nil
}

// MoveMessages moves a user's messages into the user's mailbox to, and
// returns how many moved (messages already there, or not the user's, do
// not count). A message moved into the trash records when (trashed_at);
// one moved out of it forgets it. ErrNotFound when to is not the user's.
func (d *DB) MoveMessages(ctx context.Context, userID int64, ids []int64, to int64) (int64, error) {
	if _, err := d.Mailbox(ctx, userID, to); err != nil {
		if errors.Is(err, ErrNotFound) {
			return 0, ErrNotFound
		}
		return 0, fmt.Errorf("move messages: %w", err)
	}
	n, err := d.moveMessages(ctx, userID, ids, `?`, "", to)
	if err != nil {
		return 0, fmt.Errorf("move messages: %w", err)
	}
	return n, nil
}

// moveMessages sets the mailbox of a user's messages to the one the SQL
// expression to selects (its arguments toArgs), keeping trashed_at in step,
// for those that also meet cond ("" for all).
func (d *DB) moveMessages(ctx context.Context, userID int64, ids []int64, to, cond string, toArgs ...any) (int64, error) {
	setArgs := append(append(append([]any{}, toArgs...), toArgs...), d.now())
	c := `mailbox_id <> ` + to
	if cond != "" {
		c = cond + " AND " + c
	}
	return d.updateMessages(ctx, userID, ids, moveSet(to), setArgs, c, toArgs...)
}

// moveSet sets a message's mailbox to the one the SQL expression to
// selects, and trashed_at in step: kept (or now, the argument after
// to's twice) in the trash, none elsewhere.
func moveSet(to string) string {
	return `mailbox_id = ` + to + `, trashed_at = CASE WHEN (SELECT role FROM mailboxes WHERE id = ` + to + `) IS 'trash'
		THEN coalesce(trashed_at, ?) ELSE NULL END`
}

// roleMailbox is the SQL expression for the id of the user's mailbox of a
// role, with its arguments.
func roleMailbox(userID int64, role MailboxRole) (string, []any) {
	return `(SELECT id FROM mailboxes WHERE user_id = ? AND role = ?)`, []any{userID, string(role)}
}

// Flag is a set of message flags: each constant is one bit, and a value
// may hold several (FlagSeen|FlagFlagged). It is stored as the bits of
// messages.flags. A bit set in one column, rather than a column per flag
// or a row per flag, keeps a list row one read, lets a partial index find
// unread messages (flags & 1 = 0), keeps the count triggers simple, and
// makes a new flag a new constant with no schema change. Values are
// stored, so the bits never change meaning.
type Flag uint32

const (
	FlagSeen      Flag = 1 << iota // read
	FlagFlagged                    // starred
	FlagAnswered                   // replied to
	FlagForwarded                  // forwarded
	FlagDraft                      // a draft, not yet sent

	// AllFlags holds every flag.
	AllFlags = FlagSeen | FlagFlagged | FlagAnswered | FlagForwarded | FlagDraft
)

// Has reports whether f holds every flag of g.
func (f Flag) Has(g Flag) bool { return f&g == g }

var flagNames = []string{"seen", "flagged", "answered", "forwarded", "draft"}

// String lists the flags by name, "seen|flagged", or "none".
func (f Flag) String() string {
	var names []string
	for i, name := range flagNames {
		if f&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	if rest := f &^ AllFlags; rest != 0 {
		names = append(names, fmt.Sprintf("%#x", uint32(rest)))
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, "|")
}

// SetFlags adds the flags add to a user's messages and removes the flags
// remove, and returns how many messages changed. A flag in both, or one
// that is not a Flag constant, is an error.
func (d *DB) SetFlags(ctx context.Context, userID int64, ids []int64, add, remove Flag) (int64, error) {
	if add&remove != 0 || (add|remove)&^AllFlags != 0 {
		return 0, fmt.Errorf("set flags: cannot add %v and remove %v", add, remove)
	}
	n, err := d.updateMessages(ctx, userID, ids, `flags = (flags | ?) & ~?`, []any{int64(add), int64(remove)},
		`flags <> ((flags | ?) & ~?)`, int64(add), int64(remove))
	if err != nil {
		return 0, fmt.Errorf("set flags: %w", err)
	}
	return n, nil
}
