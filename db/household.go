package db

import (
	"context"
	"fmt"
	"time"
)

// What the administrator's household page shows of everyone: accounts and
// how they fare, how much mail each holds, when each member last signed
// in. Never the mail itself.

// AllAccounts returns every user's accounts, by user, then name.
func (d *DB) AllAccounts(ctx context.Context) ([]Account, error) {
	return d.queryAccounts(ctx, `SELECT `+accountColumns+` FROM accounts a ORDER BY a.user_id, a.name, a.id`)
}

// StoredBytes returns, by account, the bytes of the mail stored (as
// received, whatever its compression here), the trash included. It reads
// every message's row: for the administrator's page, not for every page.
func (d *DB) StoredBytes(ctx context.Context) (map[int64]int64, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT account_id, sum(size) FROM messages GROUP BY account_id`)
	if err != nil {
		return nil, fmt.Errorf("stored bytes: %w", err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, fmt.Errorf("stored bytes: %w", err)
		}
		out[id] = n
	}
	return out, rows.Err()
}

// LastSignIns returns when each user last signed in (users who never did
// since migration 0028 are absent).
func (d *DB) LastSignIns(ctx context.Context) (map[int64]time.Time, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, last_sign_in_at FROM users WHERE last_sign_in_at IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("last sign-ins: %w", err)
	}
	defer rows.Close()
	out := map[int64]time.Time{}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, fmt.Errorf("last sign-ins: %w", err)
		}
		out[id] = time.Unix(at, 0)
	}
	return out, rows.Err()
}
