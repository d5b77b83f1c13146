package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Backfilled is a message a background job reads again (the indexing of
// search, the threading of conversations): its subject and its raw mail,
// nil when it was deleted meanwhile (which the job's store skips).
type Backfilled struct {
	ID      int64
	Subject string
	Raw     []byte
}

// backfillBatch returns the next messages a background job is to read,
// newest first, below the cursor kept in its table (search_backfill,
// thread_backfill: one row, next_id, gone once the job is done): at most
// limit, and no more than maxBytes of raw mail (always at least one). done
// is true when none is left; the job's row is then deleted.
func (d *DB) backfillBatch(ctx context.Context, table string, limit int, maxBytes int64) (batch []Backfilled, done bool, err error) {
	var next int64
	err = d.sql.QueryRowContext(ctx, `SELECT next_id FROM `+table+` WHERE id = 1`).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, true, nil
	}
	if err != nil {
		return nil, false, err
	}
	rows, err := d.sql.QueryContext(ctx, `SELECT id, size, subject FROM messages WHERE id < ? ORDER BY id DESC LIMIT ?`, next, limit)
	if err != nil {
		return nil, false, err
	}
	var total int64
	for rows.Next() {
		var b Backfilled
		var size int64
		if err := rows.Scan(&b.ID, &size, &b.Subject); err != nil {
			rows.Close()
			return nil, false, err
		}
		if len(batch) > 0 && total+size > maxBytes {
			break
		}
		total += size
		batch = append(batch, b)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, false, err
	}
	if len(batch) == 0 {
		if _, err := d.sql.ExecContext(ctx, `DELETE FROM `+table); err != nil {
			return nil, false, err
		}
		return nil, true, nil
	}
	for i := range batch {
		raw, err := d.loadRaw(ctx, `SELECT m.id, r.raw, r.codec, m.size FROM message_raw r JOIN messages m ON m.id = r.message_id
			WHERE m.id = ?`, batch[i].ID)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return nil, false, fmt.Errorf("message %d: %w", batch[i].ID, err)
		}
		batch[i].Raw = raw // nil when deleted meanwhile
	}
	return batch, false, nil
}
