package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Role is what a user may do.
type Role string

const (
	RoleAdmin  Role = "admin"
	RoleMember Role = "member"
)

// User is a person who signs in.
type User struct {
	ID           int64
	Name         string
	PasswordHash string
	Role         Role
	Disabled     bool
	Locale       string // "" follows the browser
	TimeZone     string // IANA name; "" uses the server's
	AfterAction  AfterAction
	Shortcuts    bool // the pages answer keyboard shortcuts
	// Conversations: the lists show one row per conversation, and a
	// message opens with its conversation (off by default: see
	// migrations/0026_conversations.sql).
	Conversations bool
	CreatedAt     time.Time
}

// IsAdmin reports whether the user may manage other users.
func (u User) IsAdmin() bool { return u.Role == RoleAdmin }

const userColumns = `id, name, password_hash, role, disabled, locale, time_zone, after_action, shortcuts, conversations, created_at`

func scanUser(row interface{ Scan(...any) error }) (User, error) {
	var u User
	var created int64
	err := row.Scan(&u.ID, &u.Name, &u.PasswordHash, &u.Role, &u.Disabled, &u.Locale, &u.TimeZone, &u.AfterAction, &u.Shortcuts, &u.Conversations, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	u.CreatedAt = time.Unix(created, 0)
	return u, err
}

// CountUsers returns how many users exist.
func (d *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// CreateUser adds a user with the system mailboxes (SystemMailboxes).
// ErrConflict if the name is taken (names are compared without regard to
// case).
func (d *DB) CreateUser(ctx context.Context, name, passwordHash string, role Role) (User, error) {
	return d.createUser(ctx, name, passwordHash, role, false)
}

// CreateFirstAdmin adds an administrator only if no user exists yet, in one
// transaction, so that two racing first-run forms cannot both succeed.
// ErrConflict once any user exists.
func (d *DB) CreateFirstAdmin(ctx context.Context, name, passwordHash string) (User, error) {
	return d.createUser(ctx, name, passwordHash, RoleAdmin, true)
}

func (d *DB) createUser(ctx context.Context, name, passwordHash string, role Role, onlyFirst bool) (User, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	defer tx.Rollback()
	if onlyFirst {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n); err != nil {
			return User{}, fmt.Errorf("create user: %w", err)
		}
		if n > 0 {
			return User{}, ErrConflict
		}
	}
	now := d.now()
	res, err := tx.ExecContext(ctx, `INSERT INTO users (name, password_hash, role, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		name, passwordHash, role, now, now)
	if isUniqueViolation(err) {
		return User{}, ErrConflict
	}
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if err := createSystemMailboxes(ctx, tx, id, now); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	u, err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// UserByID returns a user, or ErrNotFound.
func (d *DB) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(d.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = ?`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("user %d: %w", id, err)
	}
	return u, err
}

// UserByName returns a user by name (any case), or ErrNotFound.
func (d *DB) UserByName(ctx context.Context, name string) (User, error) {
	u, err := scanUser(d.sql.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE name = ?`, name))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("user %q: %w", name, err)
	}
	return u, err
}

// Users lists every user by name.
func (d *DB) Users(ctx context.Context) ([]User, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("list users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// SetPassword changes a user's password hash and ends all of the user's
// sessions, in one transaction.
func (d *DB) SetPassword(ctx context.Context, userID int64, passwordHash string) error {
	return d.updateUserEndingSessions(ctx, userID, nil, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
		passwordHash, d.now(), userID)
}

// SetDisabled disables or re-enables a user; disabling ends the user's
// sessions. Disabling the last enabled administrator fails with
// ErrLastAdmin, decided in the same transaction so that two administrators
// disabling each other at once cannot both succeed.
func (d *DB) SetDisabled(ctx context.Context, userID int64, disabled bool) error {
	var check func(*sql.Tx) error
	if disabled {
		check = func(tx *sql.Tx) error {
			var wasAdmin, admins int
			err := tx.QueryRowContext(ctx, `SELECT (SELECT role = 'admin' FROM users WHERE id = ?),
				(SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0)`, userID).Scan(&wasAdmin, &admins)
			if err != nil {
				return fmt.Errorf("disable user: %w", err)
			}
			if wasAdmin == 1 && admins == 0 {
				return ErrLastAdmin
			}
			return nil
		}
	}
	return d.updateUserEndingSessions(ctx, userID, check, `UPDATE users SET disabled = ?, updated_at = ? WHERE id = ?`,
		boolInt(disabled), d.now(), userID)
}

// SetRole changes a user's role. Making the last enabled administrator a
// member fails with ErrLastAdmin, decided in the same transaction.
func (d *DB) SetRole(ctx context.Context, userID int64, role Role) error {
	if role != RoleAdmin && role != RoleMember {
		return fmt.Errorf("set role: unknown role %q", role)
	}
	return d.changeKeepingAnAdmin(ctx, "set role", `UPDATE users SET role = ?, updated_at = ? WHERE id = ?`, role, d.now(), userID)
}

// DeleteUser deletes a user with everything that is theirs: accounts,
// mail, folders, drafts, rules, sessions (the foreign keys cascade).
// Deleting the last enabled administrator fails with ErrLastAdmin.
func (d *DB) DeleteUser(ctx context.Context, userID int64) error {
	return d.changeKeepingAnAdmin(ctx, "delete user", `DELETE FROM users WHERE id = ?`, userID)
}

// changeKeepingAnAdmin runs query on one user's row and commits unless no
// enabled administrator is left: ErrNotFound when it touched no row.
func (d *DB) changeKeepingAnAdmin(ctx context.Context, what, query string, args ...any) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	} else if n == 0 {
		return ErrNotFound
	}
	var admins int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0`).Scan(&admins); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if admins == 0 {
		return ErrLastAdmin
	}
	return tx.Commit()
}

// ErrLastAdmin means the change would leave no enabled administrator.
var ErrLastAdmin = errors.New("the last enabled administrator must stay")

// updateUserEndingSessions runs query, then check (if any) in the same
// transaction, then ends the user's sessions.
func (d *DB) updateUserEndingSessions(ctx context.Context, userID int64, check func(*sql.Tx) error, query string, args ...any) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update user: %w", err)
	} else if n == 0 {
		return ErrNotFound
	}
	if check != nil {
		if err := check(tx); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	return tx.Commit()
}

// SetUserPreferences stores a user's language and time zone ("" for automatic).
func (d *DB) SetUserPreferences(ctx context.Context, userID int64, locale, timeZone string) error {
	res, err := d.sql.ExecContext(ctx, `UPDATE users SET locale = ?, time_zone = ?, updated_at = ? WHERE id = ?`,
		locale, timeZone, d.now(), userID)
	if err != nil {
		return fmt.Errorf("set preferences: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AfterAction is where a message page leads after the message is
// archived, moved, junked or deleted from it.
type AfterAction string

const (
	AfterNext AfterAction = "next" // the next message of the list it was opened from
	AfterList AfterAction = "list" // the list itself
)

// SetAfterAction stores where a user's message page leads after an action.
func (d *DB) SetAfterAction(ctx context.Context, userID int64, a AfterAction) error {
	if a != AfterNext && a != AfterList {
		return fmt.Errorf("set after action: unknown %q", a)
	}
	res, err := d.sql.ExecContext(ctx, `UPDATE users SET after_action = ?, updated_at = ? WHERE id = ?`, a, d.now(), userID)
	if err != nil {
		return fmt.Errorf("set after action: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetShortcuts stores whether a user's pages answer keyboard shortcuts.
func (d *DB) SetShortcuts(ctx context.Context, userID int64, on bool) error {
	res, err := d.sql.ExecContext(ctx, `UPDATE users SET shortcuts = ?, updated_at = ? WHERE id = ?`, on, d.now(), userID)
	if err != nil {
		return fmt.Errorf("set shortcuts: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// ---- sessions ----

// CreateSession records a session token's hash for a user.
func (d *DB) CreateSession(ctx context.Context, userID int64, tokenHash []byte, ttl time.Duration) error {
	now := d.Now()
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, userID, now.Unix(), now.Unix(), now.Add(ttl).Unix()); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE users SET last_sign_in_at = ? WHERE id = ?`, now.Unix(), userID); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return tx.Commit()
}

// SessionUser returns the enabled user a live session belongs to, or
// ErrNotFound. It slides the session's expiry forward, at most once a
// minute so that reading pages does not write on every request.
func (d *DB) SessionUser(ctx context.Context, tokenHash []byte, ttl time.Duration) (User, error) {
	now := d.Now()
	var lastSeen int64
	row := d.queryRow(ctx, `SELECT s.last_seen_at, u.id, u.name, u.password_hash, u.role, u.disabled, u.locale, u.time_zone, u.after_action, u.shortcuts, u.conversations, u.created_at
		FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.token_hash = ? AND s.expires_at > ? AND u.disabled = 0`, tokenHash, now.Unix())
	var u User
	var created int64
	err := row.Scan(&lastSeen, &u.ID, &u.Name, &u.PasswordHash, &u.Role, &u.Disabled, &u.Locale, &u.TimeZone, &u.AfterAction, &u.Shortcuts, &u.Conversations, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("session: %w", err)
	}
	u.CreatedAt = time.Unix(created, 0)
	if now.Unix()-lastSeen >= 60 {
		if _, err := d.sql.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE token_hash = ?`,
			now.Unix(), now.Add(ttl).Unix(), tokenHash); err != nil {
			return User{}, fmt.Errorf("session: %w", err)
		}
	}
	return u, nil
}

// LiveSessions returns the token hashes of a user's unexpired sessions, or
// none when the user is disabled. Unlike SessionUser it only reads: it
// serves requests that show a session exists without being made in it
// (the signed URLs of a message's inline images).
func (d *DB) LiveSessions(ctx context.Context, userID int64) ([][]byte, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT s.token_hash FROM sessions s JOIN users u ON u.id = s.user_id
		WHERE s.user_id = ? AND s.expires_at > ? AND u.disabled = 0`, userID, d.now())
	if err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var h []byte
		if err := rows.Scan(&h); err != nil {
			return nil, fmt.Errorf("live sessions: %w", err)
		}
		out = append(out, h)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("live sessions: %w", err)
	}
	return out, nil
}

// DeleteSession ends one session.
func (d *DB) DeleteSession(ctx context.Context, tokenHash []byte) error {
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteExpiredSessions removes sessions past their expiry.
func (d *DB) DeleteExpiredSessions(ctx context.Context) error {
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at <= ?`, d.now()); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
