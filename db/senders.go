package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
)

// TrustedSender is a From address whose remote content a user chose to
// load always.
type TrustedSender struct {
	Address   string // lower case
	CreatedAt time.Time
}

// ErrBadSender means an address cannot be a trusted sender: empty, without
// an @, with spaces or control characters, or longer than an address can be.
var ErrBadSender = errors.New("not a sender address")

// maxSenderLen is the longest address SMTP allows (RFC 5321 section 4.5.3.1:
// 64 octets of local part, @, 255 of domain).
const maxSenderLen = 320

// SenderKey returns the form an address is stored and looked up in: trimmed
// and lower-cased. Domains are case-insensitive and, in practice, so are
// local parts: no provider hands out Ann@ and ann@ to different people.
func SenderKey(addr string) (string, error) {
	a := strings.ToLower(strings.TrimSpace(addr))
	at := strings.LastIndexByte(a, '@')
	if at <= 0 || at == len(a)-1 || len(a) > maxSenderLen || strings.IndexFunc(a, func(c rune) bool {
		return unicode.IsSpace(c) || unicode.IsControl(c) || c == unicode.ReplacementChar
	}) >= 0 {
		return "", ErrBadSender
	}
	return a, nil
}

// TrustSender adds addr to the user's trusted senders; trusting a sender
// twice is not an error.
func (d *DB) TrustSender(ctx context.Context, userID int64, addr string) error {
	key, err := SenderKey(addr)
	if err != nil {
		return fmt.Errorf("trust sender: %w", err)
	}
	if _, err := d.sql.ExecContext(ctx, `INSERT INTO trusted_senders (user_id, address, created_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id, address) DO NOTHING`, userID, key, d.now()); err != nil {
		return fmt.Errorf("trust sender: %w", err)
	}
	return nil
}

// UntrustSender removes addr from the user's trusted senders. Removing a
// sender who is not there is not an error, so that a form sent twice does
// the same as once.
func (d *DB) UntrustSender(ctx context.Context, userID int64, addr string) error {
	key, err := SenderKey(addr)
	if err != nil {
		return fmt.Errorf("untrust sender: %w", err)
	}
	if _, err := d.sql.ExecContext(ctx, `DELETE FROM trusted_senders WHERE user_id = ? AND address = ?`, userID, key); err != nil {
		return fmt.Errorf("untrust sender: %w", err)
	}
	return nil
}

// SenderTrusted reports whether the user trusts addr. An address that
// cannot be a sender is trusted by nobody.
func (d *DB) SenderTrusted(ctx context.Context, userID int64, addr string) (bool, error) {
	key, err := SenderKey(addr)
	if err != nil {
		return false, nil
	}
	var n int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*) FROM trusted_senders WHERE user_id = ? AND address = ?`,
		userID, key).Scan(&n); err != nil {
		return false, fmt.Errorf("sender trusted: %w", err)
	}
	return n > 0, nil
}

// TrustedSenders lists the user's trusted senders by address.
func (d *DB) TrustedSenders(ctx context.Context, userID int64) ([]TrustedSender, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT address, created_at FROM trusted_senders WHERE user_id = ? ORDER BY address`, userID)
	if err != nil {
		return nil, fmt.Errorf("trusted senders: %w", err)
	}
	defer rows.Close()
	var out []TrustedSender
	for rows.Next() {
		var s TrustedSender
		var created int64
		if err := rows.Scan(&s.Address, &created); err != nil {
			return nil, fmt.Errorf("trusted senders: %w", err)
		}
		s.CreatedAt = time.Unix(created, 0)
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("trusted senders: %w", err)
	}
	return out, nil
}
