package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Alerts by mail to administrators about failing accounts
// (migrations/0031_failure_alerts.sql).

// AlertRecipient is an administrator who asked for alerts, and their own
// account they are sent from and to.
type AlertRecipient struct {
	UserID, AccountID int64
}

// SetAlertAccount sets the account (one of the user's own; 0: none) that
// alerts about failing accounts are sent from and to: ErrNotFound when
// the account is not the user's.
func (d *DB) SetAlertAccount(ctx context.Context, userID, accountID int64) error {
	var arg any
	if accountID != 0 {
		if _, err := d.Account(ctx, userID, accountID); err != nil {
			return err
		}
		arg = accountID
	}
	if _, err := d.sql.ExecContext(ctx, `UPDATE users SET alert_account_id = ?, updated_at = ? WHERE id = ?`, arg, d.now(), userID); err != nil {
		return fmt.Errorf("set alert account: %w", err)
	}
	return nil
}

// AlertAccount returns the user's alert account, 0 when none.
func (d *DB) AlertAccount(ctx context.Context, userID int64) (int64, error) {
	var id sql.NullInt64
	err := d.queryRow(ctx, `SELECT alert_account_id FROM users WHERE id = ?`, userID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("alert account: %w", err)
	}
	return id.Int64, nil
}

// AlertRecipients returns the enabled administrators who asked for alerts.
func (d *DB) AlertRecipients(ctx context.Context) ([]AlertRecipient, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT id, alert_account_id FROM users
		WHERE alert_account_id IS NOT NULL AND role = 'admin' AND disabled = 0 ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("alert recipients: %w", err)
	}
	defer rows.Close()
	var out []AlertRecipient
	for rows.Next() {
		var r AlertRecipient
		if err := rows.Scan(&r.UserID, &r.AccountID); err != nil {
			return nil, fmt.Errorf("alert recipients: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AlertedAccounts returns the accounts whose current failure was told.
func (d *DB) AlertedAccounts(ctx context.Context) (map[int64]bool, error) {
	return d.idSet(ctx, "alerted accounts", `SELECT id FROM accounts WHERE failure_alerted_at IS NOT NULL`)
}

// MarkAlerted records that the account's current failure was told.
func (d *DB) MarkAlerted(ctx context.Context, accountID int64) error {
	if _, err := d.sql.ExecContext(ctx, `UPDATE accounts SET failure_alerted_at = ? WHERE id = ?`, d.now(), accountID); err != nil {
		return fmt.Errorf("mark alerted: %w", err)
	}
	return nil
}

// ClearRecoveredAlerts forgets the alerts of accounts that work again, so
// that their next failure is told too.
func (d *DB) ClearRecoveredAlerts(ctx context.Context) error {
	if _, err := d.sql.ExecContext(ctx, `UPDATE accounts SET failure_alerted_at = NULL
		WHERE failure_alerted_at IS NOT NULL AND last_error_kind = ''`); err != nil {
		return fmt.Errorf("clear recovered alerts: %w", err)
	}
	return nil
}
