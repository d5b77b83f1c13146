package db

import (
	"context"
	"fmt"
	"strings"
)

// Contact is an address the user has received mail from, written to, or
// saved, with the name to show.
type Contact struct {
	Name, Addr string
	Saved      bool // the user's own entry, not only found in mail
}

// likePrefix is a LIKE pattern for what starts with prefix, its wildcards
// taken literally (with ESCAPE '\').
func likePrefix(prefix string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(prefix)) + "%"
}

// contactsQuery is every address of a user's contacts matching a pattern,
// with the time it was last seen: saved ones (first, whatever their age),
// then the senders of the user's mail and the recipients of what the user
// sent; less the addresses the user asked never to propose. Arguments:
// user, pattern, pattern, user, pattern, pattern, user, pattern, user.
const contactsQuery = `
	SELECT name, addr, max(at) AS at, max(saved) AS saved FROM (
		SELECT name, addr, 1e12 + updated_at AS at, 1 AS saved FROM contacts
		WHERE user_id = ? AND hidden = 0 AND (lower(addr) LIKE ? ESCAPE '\' OR lower(name) LIKE ? ESCAPE '\')
		UNION ALL
		SELECT from_name, from_addr, sort_at, 0 FROM messages
		WHERE user_id = ? AND from_addr <> '' AND (lower(from_addr) LIKE ? ESCAPE '\' OR lower(from_name) LIKE ? ESCAPE '\')
		UNION ALL
		SELECT '', j.value, o.created_at, 0 FROM outbox o, json_each(o.env_rcpts) j
		WHERE o.user_id = ? AND o.state = 'sent' AND lower(j.value) LIKE ? ESCAPE '\'
	)
	WHERE lower(addr) NOT IN (SELECT lower(addr) FROM contacts WHERE user_id = ? AND hidden = 1)
	GROUP BY lower(addr) ORDER BY at DESC LIMIT ?`

// Contacts returns up to limit of the user's contacts whose address or
// name starts with prefix ("" for all), the saved ones first, then the
// most recent, each address once.
func (d *DB) Contacts(ctx context.Context, userID int64, prefix string, limit int) ([]Contact, error) {
	like := likePrefix(prefix)
	rows, err := d.sql.QueryContext(ctx, contactsQuery, userID, like, like, userID, like, like, userID, like, userID, limit)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		var at float64
		if err := rows.Scan(&c.Name, &c.Addr, &at, &c.Saved); err != nil {
			return nil, fmt.Errorf("contacts: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// SaveContact records the name to show for one of the user's addresses
// (and proposes it again if it was hidden).
func (d *DB) SaveContact(ctx context.Context, userID int64, name, addr string) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO contacts (user_id, name, addr, hidden, updated_at) VALUES (?, ?, ?, 0, ?)
		ON CONFLICT (user_id, addr) DO UPDATE SET name = excluded.name, hidden = 0, updated_at = excluded.updated_at`,
		userID, name, addr, d.now())
	if err != nil {
		return fmt.Errorf("save contact: %w", err)
	}
	return nil
}

// HideContact stops proposing an address to the user, wherever it comes
// from.
func (d *DB) HideContact(ctx context.Context, userID int64, addr string) error {
	_, err := d.sql.ExecContext(ctx, `INSERT INTO contacts (user_id, name, addr, hidden, updated_at) VALUES (?, '', ?, 1, ?)
		ON CONFLICT (user_id, addr) DO UPDATE SET hidden = 1, updated_at = excluded.updated_at`, userID, addr, d.now())
	if err != nil {
		return fmt.Errorf("hide contact: %w", err)
	}
	return nil
}
