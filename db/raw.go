package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// rawPiece is the size of the pieces a large message is stored in (see
// migrations/0006_message_raw_parts.sql).
const rawPiece = 1 << 20

// insertRaw stores a message's raw bytes: whole in message_raw when they
// fit in one piece, else in pieces of at most rawPiece bytes, the first in
// message_raw and the rest in message_raw_parts. The last piece always
// holds the last two bytes (MatchStored looks for a final CRLF there).
func insertRaw(ctx context.Context, tx *sql.Tx, id int64, raw []byte) error {
	cut := func(off int) int {
		end := min(len(raw), off+rawPiece)
		if left := len(raw) - end; left > 0 && left < 2 {
			end = len(raw) - 2
		}
		return end
	}
	end := cut(0)
	if _, err := tx.ExecContext(ctx, `INSERT INTO message_raw (message_id, raw) VALUES (?, ?)`, id, raw[:end]); err != nil {
		return err
	}
	if end == len(raw) {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO message_raw_parts (message_id, seq, data) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for seq, off := 1, end; off < len(raw); seq, off = seq+1, end {
		end = cut(off)
		if _, err := stmt.ExecContext(ctx, id, seq, raw[off:end]); err != nil {
			return err
		}
	}
	return stmt.Close()
}

// loadRaw returns the raw bytes of the message the query selects: it must
// select the message's id, its first piece (message_raw.raw) and its size
// (messages.size), or no row (ErrNotFound). The pieces are read in one
// read transaction, so a message deleted meanwhile is not half read.
func (d *DB) loadRaw(ctx context.Context, query string, args ...any) ([]byte, error) {
	tx, err := d.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var id, size int64
	var raw []byte
	err = tx.QueryRowContext(ctx, query, args...).Scan(&id, &raw, &size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) < size {
		whole := make([]byte, 0, size)
		whole = append(whole, raw...)
		rows, err := tx.QueryContext(ctx, `SELECT data FROM message_raw_parts WHERE message_id = ? ORDER BY seq`, id)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		for rows.Next() {
			var piece sql.RawBytes
			if err := rows.Scan(&piece); err != nil {
				return nil, err
			}
			whole = append(whole, piece...)
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		raw = whole
	}
	if int64(len(raw)) != size {
		return nil, fmt.Errorf("stored message %d has %d of its %d bytes", id, len(raw), size)
	}
	return raw, tx.Commit()
}
