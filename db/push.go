package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// PushKeys is the server's VAPID key pair (migrations/0030_push.sql).
type PushKeys struct {
	Public        []byte // the uncompressed P-256 point
	PrivateSealed []byte
}

// PushKeys returns the stored key pair, or ErrNotFound before the first.
func (d *DB) PushKeys(ctx context.Context) (PushKeys, error) {
	var k PushKeys
	err := d.queryRow(ctx, `SELECT public_key, private_sealed FROM push_keys WHERE id = 1`).
		Scan(&k.Public, &k.PrivateSealed)
	if errors.Is(err, sql.ErrNoRows) {
		return k, ErrNotFound
	}
	if err != nil {
		return k, fmt.Errorf("push keys: %w", err)
	}
	return k, nil
}

// AddPushKeys stores k unless a key pair exists already (another request
// made one first); either way it returns the stored pair.
func (d *DB) AddPushKeys(ctx context.Context, k PushKeys) (PushKeys, error) {
	if _, err := d.sql.ExecContext(ctx, `INSERT INTO push_keys (id, public_key, private_sealed, created_at)
		VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING`, k.Public, k.PrivateSealed, d.now()); err != nil {
		return PushKeys{}, fmt.Errorf("add push keys: %w", err)
	}
	return d.PushKeys(ctx)
}

// ReplacePushKeys puts k in place of the stored pair and deletes every
// subscription: browsers subscribed with the old public key, and a push
// signed with another key is refused.
func (d *DB) ReplacePushKeys(ctx context.Context, k PushKeys) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("replace push keys: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM push_subscriptions`); err != nil {
		return fmt.Errorf("replace push keys: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO push_keys (id, public_key, private_sealed, created_at)
		VALUES (1, ?, ?, ?)`, k.Public, k.PrivateSealed, d.now()); err != nil {
		return fmt.Errorf("replace push keys: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("replace push keys: %w", err)
	}
	return nil
}

// PushSubscription is one browser that shows a user's notifications.
type PushSubscription struct {
	ID       int64
	UserID   int64
	Endpoint string
	P256dh   string // base64url
	Auth     string // base64url
	Label    string
	Locale   string
	Created  time.Time
}

const pushSubscriptionColumns = `id, user_id, endpoint, p256dh, auth, label, locale, created_at`

func scanPushSubscription(row interface{ Scan(...any) error }) (PushSubscription, error) {
	var s PushSubscription
	var created int64
	err := row.Scan(&s.ID, &s.UserID, &s.Endpoint, &s.P256dh, &s.Auth, &s.Label, &s.Locale, &created)
	s.Created = time.Unix(created, 0)
	return s, err
}

// SavePushSubscription stores s for the user. An endpoint already stored
// (the same browser subscribing again, perhaps for another user signed in
// there now) is updated and becomes the user's.
func (d *DB) SavePushSubscription(ctx context.Context, userID int64, s PushSubscription) (PushSubscription, error) {
	row := d.sql.QueryRowContext(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, label, locale, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth,
			label = excluded.label, locale = excluded.locale, created_at = excluded.created_at
		RETURNING `+pushSubscriptionColumns, userID, s.Endpoint, s.P256dh, s.Auth, s.Label, s.Locale, d.now())
	out, err := scanPushSubscription(row)
	if err != nil {
		return PushSubscription{}, fmt.Errorf("save push subscription: %w", err)
	}
	return out, nil
}

// PushSubscriptions lists a user's devices, newest first.
func (d *DB) PushSubscriptions(ctx context.Context, userID int64) ([]PushSubscription, error) {
	return d.queryPushSubscriptions(ctx, `SELECT `+pushSubscriptionColumns+` FROM push_subscriptions
		WHERE user_id = ? ORDER BY created_at DESC, id DESC`, userID)
}

func (d *DB) queryPushSubscriptions(ctx context.Context, query string, args ...any) ([]PushSubscription, error) {
	rows, err := d.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("push subscriptions: %w", err)
	}
	defer rows.Close()
	var out []PushSubscription
	for rows.Next() {
		s, err := scanPushSubscription(rows)
		if err != nil {
			return nil, fmt.Errorf("push subscriptions: %w", err)
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// DeletePushSubscription removes one of the user's devices by its id, or
// returns ErrNotFound (also for another user's).
func (d *DB) DeletePushSubscription(ctx context.Context, userID, id int64) error {
	return d.deletePushSubscription(ctx, `DELETE FROM push_subscriptions WHERE id = ? AND user_id = ?`, id, userID)
}

// DeletePushEndpoint removes the user's subscription with endpoint (the
// browser turning its notifications off), or returns ErrNotFound.
func (d *DB) DeletePushEndpoint(ctx context.Context, userID int64, endpoint string) error {
	return d.deletePushSubscription(ctx, `DELETE FROM push_subscriptions WHERE endpoint = ? AND user_id = ?`, endpoint, userID)
}

// DropPushSubscription removes a subscription whoever owns it: only for
// the push sender, when the push service says it is gone.
func (d *DB) DropPushSubscription(ctx context.Context, id int64) error {
	err := d.deletePushSubscription(ctx, `DELETE FROM push_subscriptions WHERE id = ?`, id)
	if errors.Is(err, ErrNotFound) {
		return nil // removed meanwhile
	}
	return err
}

func (d *DB) deletePushSubscription(ctx context.Context, query string, args ...any) error {
	res, err := d.sql.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("delete push subscription: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// SetNotifyAccounts makes exactly the user's accounts in on notify of
// new mail, in one transaction; ids in on that are not the user's
// accounts are ignored (app.Notifications refuses them first).
func (d *DB) SetNotifyAccounts(ctx context.Context, userID int64, on []int64) error {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("account notifications: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM push_accounts WHERE account_id IN (SELECT id FROM accounts WHERE user_id = ?)`, userID); err != nil {
		return fmt.Errorf("account notifications: %w", err)
	}
	for _, id := range on {
		if _, err := tx.ExecContext(ctx, `INSERT INTO push_accounts (account_id) SELECT id FROM accounts WHERE id = ? AND user_id = ?`, id, userID); err != nil {
			return fmt.Errorf("account notifications: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("account notifications: %w", err)
	}
	return nil
}

// NotifyAccounts returns the ids of the user's accounts that notify.
func (d *DB) NotifyAccounts(ctx context.Context, userID int64) (map[int64]bool, error) {
	return d.idSet(ctx, "account notifications", `SELECT p.account_id FROM push_accounts p
		JOIN accounts a ON a.id = p.account_id WHERE a.user_id = ?`, userID)
}

// idSet runs a query of one id column and returns the ids as a set.
func (d *DB) idSet(ctx context.Context, what, query string, args ...any) (map[int64]bool, error) {
	rows, err := d.query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	out := map[int64]bool{}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out[id] = true
	}
	return out, rows.Err()
}

// PushTarget is what a push about new mail in one account needs.
type PushTarget struct {
	AccountID   int64
	AccountName string
	UserID      int64
	UserLocale  string
	Admin       bool
	// Devices are the owner's subscriptions; none when the owner did not
	// ask for this account's new mail, or is disabled.
	Devices []PushSubscription
	// Count is how many of the newest messages asked about are in a
	// mailbox worth telling about (not junk, not the trash, where rules
	// may have put them); From and Subject are the newest of those.
	Count       int
	FromName    string
	FromAddr    string
	Subject     string
	InboxUnread int64 // the owner's unread messages, for the app's badge
}

// PushTargetFor reads the PushTarget of the newest n messages stored from
// an account, whoever owns it: only for the push sender, which acts for
// the account's owner. ErrNotFound when the account is gone.
func (d *DB) PushTargetFor(ctx context.Context, accountID int64, n int) (PushTarget, error) {
	t := PushTarget{AccountID: accountID}
	var notify, disabled bool
	err := d.sql.QueryRowContext(ctx, `SELECT a.name, a.user_id, u.locale, u.role = 'admin', u.disabled,
			EXISTS (SELECT 1 FROM push_accounts p WHERE p.account_id = a.id)
		FROM accounts a JOIN users u ON u.id = a.user_id WHERE a.id = ?`, accountID).
		Scan(&t.AccountName, &t.UserID, &t.UserLocale, &t.Admin, &disabled, &notify)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("push target: %w", err)
	}
	if !notify || disabled {
		return t, nil
	}
	if t.Devices, err = d.queryPushSubscriptions(ctx, `SELECT `+pushSubscriptionColumns+` FROM push_subscriptions
		WHERE user_id = ? ORDER BY id`, t.UserID); err != nil || len(t.Devices) == 0 {
		return t, err
	}
	// The messages just stored have the highest ids: reading the table
	// backwards (the unary + keeps SQLite off the account's indexes, which
	// would sort all of the account's messages) stops after the first n.
	rows, err := d.sql.QueryContext(ctx, `SELECT m.from_name, m.from_addr, m.subject, coalesce(b.role, '')
		FROM messages m JOIN mailboxes b ON b.id = m.mailbox_id
		WHERE +m.account_id = ? ORDER BY m.id DESC LIMIT ?`, accountID, n)
	if err != nil {
		return t, fmt.Errorf("push target: newest messages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var name, addr, subject string
		var role MailboxRole
		if err := rows.Scan(&name, &addr, &subject, &role); err != nil {
			return t, fmt.Errorf("push target: newest messages: %w", err)
		}
		if role == MailboxJunk || role == MailboxTrash {
			continue
		}
		if t.Count == 0 {
			t.FromName, t.FromAddr, t.Subject = name, addr, subject
		}
		t.Count++
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("push target: newest messages: %w", err)
	}
	err = d.sql.QueryRowContext(ctx, `SELECT coalesce(sum(unread_count), 0) FROM accounts WHERE user_id = ?`, t.UserID).
		Scan(&t.InboxUnread)
	if err != nil {
		return t, fmt.Errorf("push target: unread: %w", err)
	}
	return t, nil
}

// PushContact is the VAPID contact when none is configured: the first
// administrator's first account's address ("" when there is none).
func (d *DB) PushContact(ctx context.Context) (string, error) {
	var email string
	err := d.sql.QueryRowContext(ctx, `SELECT a.email FROM accounts a JOIN users u ON u.id = a.user_id
		WHERE u.role = 'admin' AND a.email <> '' ORDER BY u.id, a.id LIMIT 1`).Scan(&email)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("push contact: %w", err)
	}
	return email, nil
}
