package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Rule is one of a user's rules (migrations/0022_rules.sql): conditions
// that must all match, and what to do with a message that matches. What
// matching means is the application's (app.RuleSet); db stores rules and
// carries out what they decided.
type Rule struct {
	ID       int64
	UserID   int64
	Position int
	Name     string

	AccountID     int64  // 0: any account
	Sender        string // the sender's name or address contains it; "" for no condition
	Recipient     string // To or Cc contains it
	Subject       string
	ListID        string
	HasAttachment bool

	Move      bool
	MailboxID int64 // where Move moves to; 0 once that mailbox was deleted
	Star      bool
	MarkRead  bool
	Stop      bool // no later rule applies to a message this one matched
}

// MailboxGone reports whether the rule moves into a mailbox that was
// deleted since: it moves nothing until it is edited.
func (r Rule) MailboxGone() bool { return r.Move && r.MailboxID == 0 }

// ErrTooManyRules: CreateRule would give the user more rules than allowed.
var ErrTooManyRules = errors.New("too many rules")

const ruleColumns = `id, user_id, position, name, coalesce(account_id, 0), sender, recipient, subject, list_id,
	has_attachment, move, coalesce(mailbox_id, 0), star, mark_read, stop`

func scanRule(row interface{ Scan(...any) error }) (Rule, error) {
	var r Rule
	err := row.Scan(&r.ID, &r.UserID, &r.Position, &r.Name, &r.AccountID, &r.Sender, &r.Recipient, &r.Subject, &r.ListID,
		&r.HasAttachment, &r.Move, &r.MailboxID, &r.Star, &r.MarkRead, &r.Stop)
	if errors.Is(err, sql.ErrNoRows) {
		return Rule{}, ErrNotFound
	}
	return r, err
}

// Rules returns a user's rules in the order they apply.
func (d *DB) Rules(ctx context.Context, userID int64) ([]Rule, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+ruleColumns+` FROM rules WHERE user_id = ? ORDER BY position, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	defer rows.Close()
	var out []Rule
	for rows.Next() {
		r, err := scanRule(rows)
		if err != nil {
			return nil, fmt.Errorf("rules: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return out, nil
}

// Rule returns one of a user's rules, or ErrNotFound.
func (d *DB) Rule(ctx context.Context, userID, id int64) (Rule, error) {
	r, err := scanRule(d.sql.QueryRowContext(ctx, `SELECT `+ruleColumns+` FROM rules WHERE id = ? AND user_id = ?`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("rule %d: %w", id, err)
	}
	return r, err
}

// ruleRefs are the account and mailbox a rule names, as the SQL stores
// them: NULL for none. Each must be the rule's user's: the caller checks,
// and the statements only store ids that are (a stranger's id becomes
// NULL).
func ruleRefs(r Rule) (account, mailbox any) {
	if r.AccountID != 0 {
		account = r.AccountID
	}
	if r.Move && r.MailboxID != 0 {
		mailbox = r.MailboxID
	}
	return account, mailbox
}

// CreateRule adds a rule at the end of r.UserID's rules, unless the user
// has max rules already (ErrTooManyRules).
func (d *DB) CreateRule(ctx context.Context, r Rule, max int) (Rule, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return Rule{}, fmt.Errorf("create rule: %w", err)
	}
	defer tx.Rollback()
	var n, last int
	if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(max(position), 0) FROM rules WHERE user_id = ?`, r.UserID).Scan(&n, &last); err != nil {
		return Rule{}, fmt.Errorf("create rule: %w", err)
	}
	if n >= max {
		return Rule{}, ErrTooManyRules
	}
	account, mailbox := ruleRefs(r)
	out, err := scanRule(tx.QueryRowContext(ctx, `INSERT INTO rules (user_id, position, name, account_id, sender, recipient, subject,
		list_id, has_attachment, move, mailbox_id, star, mark_read, stop, created_at)
		VALUES (?, ?, ?, (SELECT id FROM accounts WHERE id = ? AND user_id = ?), ?, ?, ?, ?, ?, ?,
			(SELECT id FROM mailboxes WHERE id = ? AND user_id = ?), ?, ?, ?, ?)
		RETURNING `+ruleColumns,
		r.UserID, last+1, r.Name, account, r.UserID, r.Sender, r.Recipient, r.Subject, r.ListID, boolInt(r.HasAttachment),
		boolInt(r.Move), mailbox, r.UserID, boolInt(r.Star), boolInt(r.MarkRead), boolInt(r.Stop), d.now()))
	if err != nil {
		return Rule{}, fmt.Errorf("create rule: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return Rule{}, fmt.Errorf("create rule: %w", err)
	}
	return out, nil
}

// UpdateRule replaces the conditions and actions of one of r.UserID's
// rules (r.ID), keeping its place; ErrNotFound when it is not theirs.
func (d *DB) UpdateRule(ctx context.Context, r Rule) error {
	account, mailbox := ruleRefs(r)
	res, err := d.sql.ExecContext(ctx, `UPDATE rules SET name = ?, account_id = (SELECT id FROM accounts WHERE id = ? AND user_id = ?),
		sender = ?, recipient = ?, subject = ?, list_id = ?, has_attachment = ?, move = ?,
		mailbox_id = (SELECT id FROM mailboxes WHERE id = ? AND user_id = ?), star = ?, mark_read = ?, stop = ?
		WHERE id = ? AND user_id = ?`,
		r.Name, account, r.UserID, r.Sender, r.Recipient, r.Subject, r.ListID, boolInt(r.HasAttachment), boolInt(r.Move),
		mailbox, r.UserID, boolInt(r.Star), boolInt(r.MarkRead), boolInt(r.Stop), r.ID, r.UserID)
	if err != nil {
		return fmt.Errorf("update rule: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update rule: %w", err)
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteRule deletes one of a user's rules; ErrNotFound when it is not theirs.
func (d *DB) DeleteRule(ctx context.Context, userID, id int64) error {
	res, err := d.sql.ExecContext(ctx, `DELETE FROM rules WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("delete rule: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("delete rule: %w", err)
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// MoveRule swaps one of a user's rules with the one before it (up) or
// after it; the first rule moved up, or the last down, stays.
// ErrNotFound when the rule is not theirs.
func (d *DB) MoveRule(ctx context.Context, userID, id int64, up bool) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("move rule: %w", err)
	}
	defer tx.Rollback()
	var pos int
	err = tx.QueryRowContext(ctx, `SELECT position FROM rules WHERE id = ? AND user_id = ?`, id, userID).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("move rule: %w", err)
	}
	q := `SELECT id, position FROM rules WHERE user_id = ? AND (position, id) > (?, ?) ORDER BY position, id LIMIT 1`
	if up {
		q = `SELECT id, position FROM rules WHERE user_id = ? AND (position, id) < (?, ?) ORDER BY position DESC, id DESC LIMIT 1`
	}
	var other int64
	var otherPos int
	err = tx.QueryRowContext(ctx, q, userID, pos, id).Scan(&other, &otherPos)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("move rule: %w", err)
	}
	if otherPos == pos {
		// Equal positions (never written by this file, but cheap to
		// mend): make them distinct first.
		if up {
			otherPos = pos - 1
		} else {
			otherPos = pos + 1
		}
	}
	for _, set := range [][2]int64{{id, int64(otherPos)}, {other, int64(pos)}} {
		if _, err := tx.ExecContext(ctx, `UPDATE rules SET position = ? WHERE id = ? AND user_id = ?`, set[1], set[0], userID); err != nil {
			return fmt.Errorf("move rule: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("move rule: %w", err)
	}
	return nil
}

// RuleCandidate is a stored message as the rules see it.
type RuleCandidate struct {
	ID             int64
	AccountID      int64
	FromName       string
	FromAddr       string
	To             string
	Cc             string
	Subject        string
	HasAttachments bool
	ListID         string
	ListIDKnown    bool // false: stored before List-Ids were (SetListIDs fills it in)
	Flags          Flag
}

// RuleCandidates returns up to limit of a user's messages in the mailbox
// of a role, by id, after the message afterID (0 for the first batch).
func (d *DB) RuleCandidates(ctx context.Context, userID int64, role MailboxRole, afterID int64, limit int) ([]RuleCandidate, error) {
	box, args := roleMailbox(userID, role)
	rows, err := d.sql.QueryContext(ctx, `SELECT id, account_id, from_name, from_addr, to_addrs, cc_addrs, subject, has_attachments,
		list_id, flags FROM messages WHERE mailbox_id = `+box+` AND id > ? ORDER BY id LIMIT ?`,
		append(args, afterID, limit)...)
	if err != nil {
		return nil, fmt.Errorf("rule candidates: %w", err)
	}
	defer rows.Close()
	var out []RuleCandidate
	for rows.Next() {
		var c RuleCandidate
		var list sql.NullString
		if err := rows.Scan(&c.ID, &c.AccountID, &c.FromName, &c.FromAddr, &c.To, &c.Cc, &c.Subject, &c.HasAttachments,
			&list, &c.Flags); err != nil {
			return nil, fmt.Errorf("rule candidates: %w", err)
		}
		c.ListID, c.ListIDKnown = list.String, list.Valid
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("rule candidates: %w", err)
	}
	return out, nil
}

// SetListIDs records the List-Id ("" for none) of a user's messages stored
// before List-Ids were, by message id.
func (d *DB) SetListIDs(ctx context.Context, userID int64, ids map[int64]string) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("set list ids: %w", err)
	}
	defer tx.Rollback()
	for id, list := range ids {
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET list_id = ? WHERE id = ? AND user_id = ?`, list, id, userID); err != nil {
			return fmt.Errorf("set list ids: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("set list ids: %w", err)
	}
	return nil
}

// Placement is what a user's rules decided for one stored message: the
// mailbox to move it into (0 to leave it) and the flags to add.
type Placement struct {
	ID        int64
	MailboxID int64
	Add       Flag
}

// PlaceMessages carries out placements on a user's messages that are still
// in the mailbox of the role from, in one transaction, and returns how
// many messages changed. A mailbox that is not the user's (deleted
// meanwhile) leaves the message where it is; flags are added still.
func (d *DB) PlaceMessages(ctx context.Context, userID int64, from MailboxRole, ps []Placement) (int64, error) {
	if len(ps) == 0 {
		return 0, nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("place messages: %w", err)
	}
	defer tx.Rollback()
	var fromID int64
	if err := tx.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE user_id = ? AND role = ?`, userID, from).Scan(&fromID); err != nil {
		return 0, fmt.Errorf("place messages: %w", err)
	}
	now := d.now()
	var changed int64
	for _, p := range ps {
		if p.Add&^AllFlags != 0 {
			return 0, fmt.Errorf("place messages: unknown flags %v", p.Add)
		}
		to := fromID
		if p.MailboxID != 0 {
			err := tx.QueryRowContext(ctx, `SELECT id FROM mailboxes WHERE id = ? AND user_id = ?`, p.MailboxID, userID).Scan(&to)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return 0, fmt.Errorf("place messages: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, `UPDATE messages SET mailbox_id = ?1, flags = flags | ?2,
			trashed_at = CASE WHEN (SELECT role FROM mailboxes WHERE id = ?1) IS 'trash' THEN coalesce(trashed_at, ?3) END,
			junked_at = CASE WHEN (SELECT role FROM mailboxes WHERE id = ?1) IS 'junk' THEN coalesce(junked_at, ?3) END
			WHERE id = ?4 AND user_id = ?5 AND mailbox_id = ?6 AND (mailbox_id <> ?1 OR flags <> flags | ?2)`,
			to, int64(p.Add), now, p.ID, userID, fromID)
		if err != nil {
			return 0, fmt.Errorf("place messages: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("place messages: %w", err)
		}
		changed += n
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("place messages: %w", err)
	}
	return changed, nil
}

// ---- Trash and Junk that empty themselves ----

// EmptyAfterDays returns after how many days in the Trash or Junk a
// user's messages are deleted for good (0: never).
func (d *DB) EmptyAfterDays(ctx context.Context, userID int64) (int, error) {
	var days int
	err := d.queryRow(ctx, `SELECT empty_after_days FROM users WHERE id = ?`, userID).Scan(&days)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("empty after days: %w", err)
	}
	return days, nil
}

// SetEmptyAfterDays stores EmptyAfterDays' setting; the caller checks its range.
func (d *DB) SetEmptyAfterDays(ctx context.Context, userID int64, days int) error {
	if _, err := d.sql.ExecContext(ctx, `UPDATE users SET empty_after_days = ?, updated_at = ? WHERE id = ?`, days, d.now(), userID); err != nil {
		return fmt.Errorf("set empty after days: %w", err)
	}
	return nil
}

// UserEmptying is a user whose Trash and Junk empty themselves.
type UserEmptying struct {
	UserID int64
	Days   int
}

// UsersEmptying lists the users whose Trash and Junk empty themselves
// (EmptyAfterDays above 0).
func (d *DB) UsersEmptying(ctx context.Context) ([]UserEmptying, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, empty_after_days FROM users WHERE empty_after_days > 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("users emptying: %w", err)
	}
	defer rows.Close()
	var out []UserEmptying
	for rows.Next() {
		var u UserEmptying
		if err := rows.Scan(&u.UserID, &u.Days); err != nil {
			return nil, fmt.Errorf("users emptying: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("users emptying: %w", err)
	}
	return out, nil
}

// ExpiredMessages returns up to limit of a user's messages that entered
// the Trash or Junk before the time before, oldest first.
func (d *DB) ExpiredMessages(ctx context.Context, userID int64, before time.Time, limit int) ([]int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id FROM (
			SELECT id, trashed_at AS since FROM messages WHERE user_id = ?1 AND trashed_at IS NOT NULL AND trashed_at < ?2
			UNION ALL
			SELECT id, junked_at FROM messages WHERE user_id = ?1 AND junked_at IS NOT NULL AND junked_at < ?2)
		ORDER BY since, id LIMIT ?3`, userID, before.Unix(), limit)
	if err != nil {
		return nil, fmt.Errorf("expired messages: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("expired messages: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("expired messages: %w", err)
	}
	return ids, nil
}

// placed is the mailbox a new message goes into.
type placed struct {
	id   int64
	role MailboxRole
}

// since is the value of the column that records when a message entered
// the mailbox of the role (trashed_at, junked_at): at, if the message goes
// into that mailbox, else NULL.
func (p placed) since(role MailboxRole, at time.Time) any {
	if p.role == role {
		return at.Unix()
	}
	return nil
}

// placements remembers, for one store transaction, the mailboxes found
// by user and chosen mailbox, so a batch looks each up once.
type placements map[[2]int64]placed

// mailbox finds the mailbox a rule chose for a new message of the user, or
// the inbox when it chose none or one that is not the user's (deleted
// since the rules were read).
func (c placements) mailbox(ctx context.Context, tx *sql.Tx, userID, mailboxID int64) (placed, error) {
	key := [2]int64{userID, mailboxID}
	if p, ok := c[key]; ok {
		return p, nil
	}
	var p placed
	err := tx.QueryRowContext(ctx, `SELECT id, coalesce(role, '') FROM mailboxes WHERE user_id = ?
		AND (id = ? OR role = 'inbox') ORDER BY role IS 'inbox' LIMIT 1`, userID, mailboxID).Scan(&p.id, &p.role)
	if err != nil {
		return placed{}, fmt.Errorf("place message: %w", err)
	}
	c[key] = p
	return p, nil
}
