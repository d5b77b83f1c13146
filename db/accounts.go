package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// DeleteWhenDeleted says when a message deleted here is deleted on the server.
type DeleteWhenDeleted string

const (
	DeleteNever        DeleteWhenDeleted = "never"
	DeleteTrashEmptied DeleteWhenDeleted = "trash_emptied"
	DeleteImmediately  DeleteWhenDeleted = "immediately"
)

// AccountSettings is what a user chooses for a POP3 account.
type AccountSettings struct {
	Name           string
	Email          string
	Host           string
	Port           int
	Security       string // "tls", "starttls" or "none"
	Username       string
	PasswordSealed []byte // encrypted with the secret key; nil on update keeps the stored one
	TrustedCert    string // SHA-256 of a certificate the user chose to trust, or ""
	// OAuthGrant is the sign-in (see Grant) the account uses instead of a
	// password, for its incoming server and, sending as the incoming user,
	// its outgoing one; 0: a password. PasswordSealed is then empty.
	OAuthGrant int64
	// What happens to mail on the server; all zero keeps a copy forever.
	DeleteAfterDownload bool
	DeleteAfterDays     int // 0: never
	DeleteWhenDeleted   DeleteWhenDeleted
	PollInterval        time.Duration
	Enabled             bool
	// Outgoing is the server mail from this account is sent through; its
	// Host is "" while the account only receives.
	Outgoing Outgoing
}

// Outgoing is an account's outgoing (SMTP submission) server.
type Outgoing struct {
	Host     string
	Port     int
	Security string // "tls" (port 465), "starttls" (587) or "none"
	Auth     string // "password" or "none"
	Username string // "" for the incoming user name
	// SamePassword sends the incoming password; otherwise PasswordSealed
	// is the outgoing server's own, and nil on update keeps the stored one.
	SamePassword   bool
	PasswordSealed []byte
	TrustedCert    string // SHA-256 of a certificate the user chose to trust, or ""
}

// The values of Outgoing.Auth.
const (
	OutgoingAuthPassword = "password"
	OutgoingAuthNone     = "none"
)

// Configured reports whether the account has an outgoing server.
func (o Outgoing) Configured() bool { return o.Host != "" }

// SMTPOffers is what an account's outgoing server advertised in its reply
// to EHLO the last time Apartado talked to it. The zero value is "not
// known yet".
type SMTPOffers struct {
	SeenAt   *time.Time // when it was seen; nil: never (or not since the server changed)
	MaxSize  int64      // RFC 1870 SIZE in octets; 0 when the server gave no limit
	SMTPUTF8 bool       // RFC 6531: addresses with UTF-8 user names may be sent
}

// Known reports whether the offers were seen.
func (o SMTPOffers) Known() bool { return o.SeenAt != nil }

// Account is a stored POP3 account with its poll status.
type Account struct {
	ID     int64
	UserID int64
	AccountSettings

	LastAttempt         *time.Time
	LastSuccess         *time.Time
	LastErrorKind       string
	LastErrorStep       string
	LastErrorText       string
	FailingSince        *time.Time
	ConsecutiveFailures int
	AuthFailures        int
	NextPoll            time.Time
	ServerCount         *int64
	ServerBytes         *int64
	ServerExpire        string // the server's EXPIRE capability at the last sync: "", "NEVER" or days
	MessageCount        int64  // stored here, not in the trash
	UnreadCount         int64

	// The identity's name and signature (see Identity); changed by
	// SetIdentity only, so that saving the server settings keeps them.
	DisplayName string
	Signature   string

	// OutgoingOffers is what the outgoing server advertised when last
	// seen; changed by RecordSMTPOffers, and forgotten when the outgoing
	// server's name, port or security changes.
	OutgoingOffers SMTPOffers
}

// Identity is who mail sent from an account is from. An account is an
// identity, its incoming server (AccountSettings) and, once Apartado sends
// mail, its outgoing server; all three live in the account's row, one
// identity per account.
type Identity struct {
	Name      string // shown with the address; "" for the address alone
	Address   string // the account's e-mail address
	Signature string // added below the text of a new message; "" for none
}

// Identity returns the account's identity.
func (a Account) Identity() Identity {
	return Identity{Name: a.DisplayName, Address: a.Email, Signature: a.Signature}
}

// SetIdentity changes the name and signature of a user's account; its
// address is the account's Email, changed with its other settings.
func (d *DB) SetIdentity(ctx context.Context, userID, id int64, name, signature string) error {
	res, err := d.sql.ExecContext(ctx, `UPDATE accounts SET display_name = ?, signature = ?, updated_at = ? WHERE id = ? AND user_id = ?`,
		name, signature, d.now(), id, userID)
	if err != nil {
		return fmt.Errorf("set identity: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

const accountColumns = `a.id, a.user_id, a.name, a.email, a.host, a.port, a.security, a.username, a.password_sealed,
	a.trusted_cert_sha256, a.delete_after_download, a.delete_after_days, a.delete_when_deleted, a.poll_interval_seconds,
	a.enabled, a.last_attempt_at, a.last_success_at, a.last_error_kind, a.last_error_step, a.last_error_text,
	a.failing_since, a.consecutive_failures, a.auth_failures, a.next_poll_at, a.server_count, a.server_bytes,
	a.server_expire, a.stored_count, a.unread_count,
	a.display_name, a.signature, a.smtp_host, a.smtp_port, a.smtp_security, a.smtp_auth, a.smtp_username,
	a.smtp_password_sealed, a.smtp_trusted_cert, a.smtp_seen_at, a.smtp_size, a.smtp_smtputf8, a.oauth_grant_id`

func scanAccount(row interface{ Scan(...any) error }) (Account, error) {
	var a Account
	var days, attempt, success, failing, serverCount, serverBytes, offersSeen, grant sql.NullInt64
	var interval, nextPoll int64
	err := row.Scan(&a.ID, &a.UserID, &a.Name, &a.Email, &a.Host, &a.Port, &a.Security, &a.Username, &a.PasswordSealed,
		&a.TrustedCert, &a.DeleteAfterDownload, &days, &a.DeleteWhenDeleted, &interval,
		&a.Enabled, &attempt, &success, &a.LastErrorKind, &a.LastErrorStep, &a.LastErrorText,
		&failing, &a.ConsecutiveFailures, &a.AuthFailures, &nextPoll, &serverCount, &serverBytes,
		&a.ServerExpire, &a.MessageCount, &a.UnreadCount, &a.DisplayName, &a.Signature, &a.Outgoing.Host, &a.Outgoing.Port,
		&a.Outgoing.Security, &a.Outgoing.Auth, &a.Outgoing.Username, &a.Outgoing.PasswordSealed, &a.Outgoing.TrustedCert,
		&offersSeen, &a.OutgoingOffers.MaxSize, &a.OutgoingOffers.SMTPUTF8, &grant)
	if errors.Is(err, sql.ErrNoRows) {
		return Account{}, ErrNotFound
	}
	if err != nil {
		return Account{}, err
	}
	a.Outgoing.SamePassword = a.Outgoing.PasswordSealed == nil
	a.DeleteAfterDays = int(days.Int64)
	a.OAuthGrant = grant.Int64
	a.PollInterval = time.Duration(interval) * time.Second
	a.LastAttempt, a.LastSuccess, a.FailingSince = unixPtr(attempt), unixPtr(success), unixPtr(failing)
	a.OutgoingOffers.SeenAt = unixPtr(offersSeen)
	a.NextPoll = time.Unix(nextPoll, 0)
	if serverCount.Valid {
		a.ServerCount = &serverCount.Int64
	}
	if serverBytes.Valid {
		a.ServerBytes = &serverBytes.Int64
	}
	return a, nil
}

func (s *AccountSettings) args() []any {
	var days any
	if s.DeleteAfterDays > 0 {
		days = s.DeleteAfterDays
	}
	when := s.DeleteWhenDeleted
	if when == "" {
		when = DeleteNever
	}
	interval := int64(s.PollInterval / time.Second)
	if interval < 60 {
		interval = 60
	}
	o := s.Outgoing.withDefaults()
	var grant any
	if s.OAuthGrant != 0 {
		grant = s.OAuthGrant
	}
	return []any{s.Name, s.Email, s.Host, s.Port, s.Security, s.Username, s.TrustedCert,
		boolInt(s.DeleteAfterDownload), days, string(when), interval, boolInt(s.Enabled),
		o.Host, o.Port, o.Security, o.Auth, o.Username, o.TrustedCert, grant}
}

// withDefaults is o as it is stored: SSL/TLS and a password when not said.
func (o Outgoing) withDefaults() Outgoing {
	if o.Security == "" {
		o.Security = "tls"
	}
	if o.Auth == "" {
		o.Auth = OutgoingAuthPassword
	}
	return o
}

// outgoingPassword is what smtp_password_sealed becomes: NULL for the
// incoming password, or the outgoing one (nil keeps the stored one, with
// the coalesce in UpdateAccount).
func (s *AccountSettings) outgoingPassword() (sealed any, same int) {
	if s.Outgoing.SamePassword || !s.Outgoing.Configured() {
		return nil, 1
	}
	if s.Outgoing.PasswordSealed == nil {
		return nil, 0
	}
	return s.Outgoing.PasswordSealed, 0
}

// CreateAccount adds an account for a user; it is polled at once.
func (d *DB) CreateAccount(ctx context.Context, userID int64, s AccountSettings) (Account, error) {
	if len(s.PasswordSealed) == 0 && s.OAuthGrant == 0 {
		return Account{}, errors.New("create account: no password")
	}
	if s.PasswordSealed == nil {
		s.PasswordSealed = []byte{}
	}
	now := d.now()
	if s.Outgoing.Configured() && !s.Outgoing.SamePassword && len(s.Outgoing.PasswordSealed) == 0 {
		return Account{}, errors.New("create account: no outgoing password")
	}
	args := append([]any{userID}, s.args()...)
	smtpPassword, _ := s.outgoingPassword()
	args = append(args, s.PasswordSealed, smtpPassword, now, now)
	res, err := d.sql.ExecContext(ctx, `INSERT INTO accounts (user_id, name, email, host, port, security, username,
		trusted_cert_sha256, delete_after_download, delete_after_days, delete_when_deleted, poll_interval_seconds, enabled,
		smtp_host, smtp_port, smtp_security, smtp_auth, smtp_username, smtp_trusted_cert, oauth_grant_id,
		password_sealed, smtp_password_sealed, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
	if err != nil {
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return Account{}, fmt.Errorf("create account: %w", err)
	}
	return d.Account(ctx, userID, id)
}

// UpdateAccount changes an account's settings. A nil PasswordSealed keeps
// the stored password, and so does a nil Outgoing.PasswordSealed without
// SamePassword for the outgoing one. Changing the settings clears a stop caused by
// rejected passwords and schedules a poll now; changing the outgoing
// server's name, port or security forgets what the old one offered.
func (d *DB) UpdateAccount(ctx context.Context, userID, id int64, s AccountSettings) error {
	args := s.args()
	smtpPassword, same := s.outgoingPassword()
	o := s.Outgoing.withDefaults()
	password := s.PasswordSealed
	if s.OAuthGrant != 0 {
		password = []byte{} // a sign-in replaces the password
	}
	args = append(args, password, same, smtpPassword, o.Host, o.Port, o.Security, d.now(), id, userID)
	// SQLite evaluates every expression of SET on the row as it was, so
	// the CASE compares the outgoing server before and after.
	res, err := d.sql.ExecContext(ctx, `UPDATE accounts SET name = ?, email = ?, host = ?, port = ?, security = ?, username = ?,
		trusted_cert_sha256 = ?, delete_after_download = ?, delete_after_days = ?, delete_when_deleted = ?,
		poll_interval_seconds = ?, enabled = ?,
		smtp_host = ?, smtp_port = ?, smtp_security = ?, smtp_auth = ?, smtp_username = ?, smtp_trusted_cert = ?,
		oauth_grant_id = ?,
		password_sealed = coalesce(?, password_sealed),
		smtp_password_sealed = CASE WHEN ? THEN NULL ELSE coalesce(?, smtp_password_sealed) END,
		smtp_seen_at = CASE WHEN smtp_host = ? AND smtp_port = ? AND smtp_security = ? THEN smtp_seen_at END,
		auth_failures = 0, next_poll_at = 0, updated_at = ?
		WHERE id = ? AND user_id = ?`, args...)
	if err != nil {
		return fmt.Errorf("update account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// RecordSMTPOffers keeps what account id's outgoing server advertised,
// seen at at, if server (its host, port and security) is still the
// account's outgoing server: what another server offered says nothing of
// this one, so an account whose server was changed meanwhile is left as it
// is.
func (d *DB) RecordSMTPOffers(ctx context.Context, id int64, server Outgoing, o SMTPOffers, at time.Time) error {
	_, err := d.sql.ExecContext(ctx, `UPDATE accounts SET smtp_seen_at = ?, smtp_size = ?, smtp_smtputf8 = ?
		WHERE id = ? AND smtp_host = ? AND smtp_port = ? AND smtp_security = ? AND smtp_host != ''`,
		at.Unix(), max(o.MaxSize, 0), boolInt(o.SMTPUTF8), id, server.Host, server.Port, server.Security)
	if err != nil {
		return fmt.Errorf("record smtp offers: %w", err)
	}
	return nil
}

// DeleteAccount removes an account and every message stored from it.
func (d *DB) DeleteAccount(ctx context.Context, userID, id int64) error {
	res, err := d.sql.ExecContext(ctx, `DELETE FROM accounts WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("delete account: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// Account returns one of a user's accounts, or ErrNotFound.
func (d *DB) Account(ctx context.Context, userID, id int64) (Account, error) {
	a, err := scanAccount(d.sql.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = ? AND a.user_id = ?`, id, userID))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("account %d: %w", id, err)
	}
	return a, err
}

// Accounts lists a user's accounts by name.
func (d *DB) Accounts(ctx context.Context, userID int64) ([]Account, error) {
	return d.queryAccounts(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.user_id = ? ORDER BY a.name, a.id`, userID)
}

func (d *DB) queryAccounts(ctx context.Context, query string, args ...any) ([]Account, error) {
	rows, err := d.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	defer rows.Close()
	var out []Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// AccountForPoller returns any account by id, whoever owns it. Only for the
// poller, which acts for the account's owner.
func (d *DB) AccountForPoller(ctx context.Context, id int64) (Account, error) {
	a, err := scanAccount(d.sql.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = ?`, id))
	if err != nil && !errors.Is(err, ErrNotFound) {
		err = fmt.Errorf("account %d: %w", id, err)
	}
	return a, err
}

// Due says whether the poller would pick the account up now: the rule
// DueAccounts applies in SQL (for an account whose user is enabled).
func (a Account) Due(now time.Time, maxAuthFailures int) bool {
	return a.Enabled && a.AuthFailures < maxAuthFailures && !a.NextPoll.After(now)
}

// DueAccounts returns the ids of enabled accounts of enabled users whose
// next poll is due at now, soonest first. Accounts stopped after repeated
// password rejections are not due.
func (d *DB) DueAccounts(ctx context.Context, now time.Time, maxAuthFailures int) ([]int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT a.id FROM accounts a JOIN users u ON u.id = a.user_id
		WHERE a.enabled = 1 AND u.disabled = 0 AND a.next_poll_at <= ? AND a.auth_failures < ?
		ORDER BY a.next_poll_at, a.id`, now.Unix(), maxAuthFailures)
	if err != nil {
		return nil, fmt.Errorf("due accounts: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("due accounts: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// AccountIDs returns the ids of all accounts, or of one user's (userID > 0).
func (d *DB) AccountIDs(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id FROM accounts WHERE ? = 0 OR user_id = ? ORDER BY id`, userID, userID)
	if err != nil {
		return nil, fmt.Errorf("account ids: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("account ids: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// PollNow asks for a user's account to be polled as soon as possible.
func (d *DB) PollNow(ctx context.Context, userID, id int64) error {
	res, err := d.sql.ExecContext(ctx, `UPDATE accounts SET next_poll_at = 0 WHERE id = ? AND user_id = ?`, id, userID)
	if err != nil {
		return fmt.Errorf("poll now: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// PollResult is the outcome of one sync, as the poller records it.
type PollResult struct {
	Started     time.Time
	NextPoll    time.Time
	ErrKind     string // "" on success
	ErrStep     string
	ErrText     string
	AuthFailure bool // the server rejected the password
	ServerCount *int64
	ServerBytes *int64
	// ServerExpire is the server's EXPIRE capability ("" when not
	// advertised, "NEVER" or a number of days); nil leaves it unchanged.
	ServerExpire *string

	// For the account's history.
	Duration time.Duration
	New      int
	Bytes    int64
	Deleted  int
	Notes    []Note // messages left on the server and why
}

// historyKept is how many syncs of an account its history keeps.
const historyKept = 50

// RecordPoll stores the outcome of a sync of account id and adds it to the
// account's history. A "check now" or an edit made during the sync
// (next_poll_at = 0) is kept, so it runs next.
func (d *DB) RecordPoll(ctx context.Context, id int64, r PollResult) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record poll: %w", err)
	}
	defer tx.Rollback()
	if r.ErrKind == "" {
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET last_attempt_at = ?, last_success_at = ?, last_error_kind = '',
			last_error_step = '', last_error_text = '', failing_since = NULL, consecutive_failures = 0, auth_failures = 0,
			next_poll_at = CASE WHEN next_poll_at = 0 THEN 0 ELSE ? END, server_count = coalesce(?, server_count),
			server_bytes = coalesce(?, server_bytes), server_expire = coalesce(?, server_expire)
			WHERE id = ?`, r.Started.Unix(), d.now(), r.NextPoll.Unix(), r.ServerCount, r.ServerBytes, r.ServerExpire, id)
	} else {
		_, err = tx.ExecContext(ctx, `UPDATE accounts SET last_attempt_at = ?, last_error_kind = ?, last_error_step = ?,
			last_error_text = ?, failing_since = coalesce(failing_since, ?), consecutive_failures = consecutive_failures + 1,
			auth_failures = CASE WHEN ? THEN auth_failures + 1 ELSE 0 END,
			next_poll_at = CASE WHEN next_poll_at = 0 THEN 0 ELSE ? END
			WHERE id = ?`, r.Started.Unix(), r.ErrKind, r.ErrStep, r.ErrText, r.Started.Unix(),
			boolInt(r.AuthFailure), r.NextPoll.Unix(), id)
	}
	if err != nil {
		return fmt.Errorf("record poll: %w", err)
	}
	var serverCount *int64
	if r.ErrKind == "" {
		serverCount = r.ServerCount
	}
	if err := insertHistory(ctx, tx, id, r, serverCount); err != nil {
		return fmt.Errorf("record poll: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record poll: %w", err)
	}
	return nil
}

// SetNextPoll schedules the next poll of an account (used when a sync
// starts, so that a crash does not make it due again at once).
func (d *DB) SetNextPoll(ctx context.Context, id int64, at time.Time) error {
	if _, err := d.sql.ExecContext(ctx, `UPDATE accounts SET next_poll_at = ? WHERE id = ?`, at.Unix(), id); err != nil {
		return fmt.Errorf("set next poll: %w", err)
	}
	return nil
}
