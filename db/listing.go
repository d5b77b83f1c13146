package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ListingDigest returns the digest of the account's last listing that
// left nothing to do (see SetListingDigest), or nil.
func (d *DB) ListingDigest(ctx context.Context, accountID int64) ([]byte, error) {
	var digest []byte
	err := d.sql.QueryRowContext(ctx, `SELECT listing_digest FROM accounts WHERE id = ?`, accountID).Scan(&digest)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("listing digest: %w", err)
	}
	return digest, nil
}

// SetListingDigest records the digest of a listing after which the
// account had nothing left to do, or forgets it (nil). The poller decides
// what goes into it and when it holds (migrations/0021_scale.sql).
func (d *DB) SetListingDigest(ctx context.Context, accountID int64, digest []byte) error {
	if _, err := d.sql.ExecContext(ctx, `UPDATE accounts SET listing_digest = ? WHERE id = ?`, digest, accountID); err != nil {
		return fmt.Errorf("set listing digest: %w", err)
	}
	return nil
}
