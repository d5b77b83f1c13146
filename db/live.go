package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// LiveCount is one mailbox's (or one account's, or an account's share of
// a mailbox's) counts as a page that updates itself reads them.
type LiveCount struct {
	ID      int64
	Role    MailboxRole // a mailbox's; "" for the user's own, and for accounts
	Unread  int64
	Arrived int64 // messages ever stored into it (mailboxes and shares; 0 for accounts)
}

// LiveState is what changes on a user's mail pages while they are open:
// every mailbox's unread count and arrivals, every account's unread count
// outside the trash (the navigation's), and, when asked for, one account's
// share of one mailbox (an account's view of the inbox).
type LiveState struct {
	Mailboxes []LiveCount
	Accounts  []LiveCount
	Share     LiveCount // ID is the mailbox's; zero when no account was asked for
}

// The queries of Live, each over maintained counts only (migrations 0008,
// 0013, 0021 and 0025): their cost is the number of the user's mailboxes
// and accounts, never of messages. db's tests check their plans.
const (
	liveMailboxesSQL = `SELECT id, coalesce(role, ''), unread, arrived FROM mailboxes WHERE user_id = ? ORDER BY id`
	liveAccountsSQL  = `SELECT id, unread_count FROM accounts WHERE user_id = ? ORDER BY id`
	liveShareSQL     = `SELECT c.unread, c.arrived FROM account_mailbox_counts c
		JOIN accounts a ON a.id = c.account_id
		WHERE c.account_id = ? AND c.mailbox_id = ? AND a.user_id = ?`
)

// Live reads the user's LiveState in one read transaction, so the counts
// agree with each other. With accountID and mailboxID not 0, Share is that
// account's share of that mailbox (zero counts when it has none yet, or
// when the account is not the user's).
func (d *DB) Live(ctx context.Context, userID, accountID, mailboxID int64) (LiveState, error) {
	var st LiveState
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return st, fmt.Errorf("live state: %w", err)
	}
	defer tx.Rollback()
	read := func(query string, arrived bool) ([]LiveCount, error) {
		stmt, err := d.txStmt(ctx, tx, query)
		if err != nil {
			return nil, err
		}
		rows, err := stmt.QueryContext(ctx, userID)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []LiveCount
		for rows.Next() {
			var c LiveCount
			dest := []any{&c.ID, &c.Unread}
			if arrived {
				dest = []any{&c.ID, &c.Role, &c.Unread, &c.Arrived}
			}
			if err := rows.Scan(dest...); err != nil {
				return nil, err
			}
			out = append(out, c)
		}
		return out, rows.Err()
	}
	if st.Mailboxes, err = read(liveMailboxesSQL, true); err != nil {
		return st, fmt.Errorf("live state: mailboxes: %w", err)
	}
	if st.Accounts, err = read(liveAccountsSQL, false); err != nil {
		return st, fmt.Errorf("live state: accounts: %w", err)
	}
	if accountID != 0 && mailboxID != 0 {
		st.Share.ID = mailboxID
		stmt, err := d.txStmt(ctx, tx, liveShareSQL)
		if err == nil {
			err = stmt.QueryRowContext(ctx, accountID, mailboxID, userID).Scan(&st.Share.Unread, &st.Share.Arrived)
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return st, fmt.Errorf("live state: account share: %w", err)
		}
	}
	return st, nil
}
