package db

import (
	"context"
	"fmt"
	"strings"
)

// Contact is an address the user has received mail from or written to.
type Contact struct {
	Name, Addr string
}

// SuggestAddresses returns up to limit addresses starting with prefix (in
// the address or the name, without regard to case): the senders of the
// user's mail and the recipients of what the user sent, the most recent
// first, each address once.
func (d *DB) SuggestAddresses(ctx context.Context, userID int64, prefix string, limit int) ([]Contact, error) {
	like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(strings.ToLower(prefix)) + "%"
	rows, err := d.sql.QueryContext(ctx, `
		SELECT name, addr FROM (
			SELECT from_name AS name, from_addr AS addr, sort_at AS at FROM messages
			WHERE user_id = ? AND from_addr <> '' AND (lower(from_addr) LIKE ? ESCAPE '\' OR lower(from_name) LIKE ? ESCAPE '\')
			UNION ALL
			SELECT '' AS name, j.value AS addr, o.created_at AS at FROM outbox o, json_each(o.env_rcpts) j
			WHERE o.user_id = ? AND o.state = 'sent' AND lower(j.value) LIKE ? ESCAPE '\'
		)
		GROUP BY lower(addr) ORDER BY max(at) DESC LIMIT ?`,
		userID, like, like, userID, like, limit)
	if err != nil {
		return nil, fmt.Errorf("suggest addresses: %w", err)
	}
	defer rows.Close()
	var out []Contact
	for rows.Next() {
		var c Contact
		if err := rows.Scan(&c.Name, &c.Addr); err != nil {
			return nil, fmt.Errorf("suggest addresses: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
