package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
)

// DraftAttachment is a file kept with a draft. Its bytes are stored in
// chunks of at most AttachmentChunk octets (migrations/0016), written and
// read one chunk at a time.
type DraftAttachment struct {
	ID, DraftID int64
	Name        string
	ContentType string
	Size        int64
}

// AttachmentChunk is the most octets one stored chunk of an attachment
// holds.
const AttachmentChunk = 256 << 10

// AttachmentLimits bound a draft's attachments: their total size in
// octets and their number.
type AttachmentLimits struct {
	MaxTotal int64
	MaxFiles int
}

// Errors of AddDraftAttachment: the draft's attachments would go past its
// limits. Nothing of the file is kept.
var (
	ErrAttachmentsTooLarge = errors.New("the draft's attachments would be too large")
	ErrTooManyAttachments  = errors.New("the draft has too many attachments")
)

// AddDraftAttachment keeps a file with one of the user's drafts: r is read
// and stored a chunk at a time, in one transaction, and the file is kept
// only if all of it was read within lim (ErrAttachmentsTooLarge,
// ErrTooManyAttachments otherwise; ErrNotFound for a draft that is not
// the user's).
func (d *DB) AddDraftAttachment(ctx context.Context, userID, draftID int64, name, contentType string, r io.Reader, lim AttachmentLimits) (DraftAttachment, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
	}
	defer tx.Rollback()
	var owner, files, total int64
	err = tx.QueryRowContext(ctx, `SELECT d.user_id, count(a.id), coalesce(sum(a.size), 0)
		FROM drafts d LEFT JOIN draft_attachments a ON a.draft_id = d.id
		WHERE d.id = ? GROUP BY d.id`, draftID).Scan(&owner, &files, &total)
	if errors.Is(err, sql.ErrNoRows) || err == nil && owner != userID {
		return DraftAttachment{}, ErrNotFound
	}
	if err != nil {
		return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
	}
	if files >= int64(lim.MaxFiles) {
		return DraftAttachment{}, ErrTooManyAttachments
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO draft_attachments (draft_id, name, content_type) VALUES (?, ?, ?)`,
		draftID, name, contentType)
	if err != nil {
		return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
	}
	a := DraftAttachment{DraftID: draftID, Name: name, ContentType: contentType}
	if a.ID, err = res.LastInsertId(); err != nil {
		return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
	}
	insert, err := tx.PrepareContext(ctx, `INSERT INTO draft_attachment_chunks (attachment_id, seq, data) VALUES (?, ?, ?)`)
	if err != nil {
		return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
	}
	defer insert.Close()
	buf := make([]byte, AttachmentChunk)
	for seq := 0; ; seq++ {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			a.Size += int64(n)
			if total+a.Size > lim.MaxTotal {
				return DraftAttachment{}, ErrAttachmentsTooLarge
			}
			if _, err := insert.ExecContext(ctx, a.ID, seq, buf[:n]); err != nil {
				return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
			}
		}
		if errors.Is(rerr, io.EOF) || errors.Is(rerr, io.ErrUnexpectedEOF) {
			break
		}
		if rerr != nil {
			return DraftAttachment{}, fmt.Errorf("add attachment: %w", rerr)
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE draft_attachments SET size = ? WHERE id = ?`, a.Size, a.ID); err != nil {
		return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE drafts SET updated_at = ? WHERE id = ?`, d.now(), draftID); err != nil {
		return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return DraftAttachment{}, fmt.Errorf("add attachment: %w", err)
	}
	return a, nil
}

// DraftAttachments lists the files kept with one of the user's drafts, in
// the order they were added.
func (d *DB) DraftAttachments(ctx context.Context, userID, draftID int64) ([]DraftAttachment, error) {
	rows, err := d.sql.QueryContext(ctx, `SELECT a.id, a.draft_id, a.name, a.content_type, a.size
		FROM draft_attachments a JOIN drafts d ON d.id = a.draft_id
		WHERE a.draft_id = ? AND d.user_id = ? ORDER BY a.id`, draftID, userID)
	if err != nil {
		return nil, fmt.Errorf("draft attachments: %w", err)
	}
	defer rows.Close()
	var out []DraftAttachment
	for rows.Next() {
		var a DraftAttachment
		if err := rows.Scan(&a.ID, &a.DraftID, &a.Name, &a.ContentType, &a.Size); err != nil {
			return nil, fmt.Errorf("draft attachments: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// RemoveDraftAttachments deletes files kept with one of the user's drafts;
// ids that are not among them are ignored.
func (d *DB) RemoveDraftAttachments(ctx context.Context, userID, draftID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("remove attachments: %w", err)
	}
	defer tx.Rollback()
	for _, id := range ids {
		if _, err := tx.ExecContext(ctx, `DELETE FROM draft_attachments WHERE id = ? AND draft_id =
			(SELECT id FROM drafts WHERE id = ? AND user_id = ?)`, id, draftID, userID); err != nil {
			return fmt.Errorf("remove attachments: %w", err)
		}
	}
	return tx.Commit()
}

// OpenDraftAttachment returns a reader of one of the user's draft's files
// (ErrNotFound for another's). It reads one chunk at a time, each with its
// own query: a file removed meanwhile ends in an error, never in a file cut
// short without one.
func (d *DB) OpenDraftAttachment(ctx context.Context, userID, id int64) (io.ReadCloser, error) {
	var size int64
	err := d.sql.QueryRowContext(ctx, `SELECT a.size FROM draft_attachments a JOIN drafts d ON d.id = a.draft_id
		WHERE a.id = ? AND d.user_id = ?`, id, userID).Scan(&size)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("open attachment %d: %w", id, err)
	}
	return &chunkReader{ctx: ctx, db: d.sql, id: id, left: size}, nil
}

// chunkReader reads an attachment's chunks in order.
type chunkReader struct {
	ctx  context.Context
	db   *sql.DB
	id   int64
	seq  int
	buf  []byte
	left int64 // octets not yet read from the database
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.buf) == 0 {
		if c.left == 0 {
			return 0, io.EOF
		}
		c.buf = c.buf[:0]
		err := c.db.QueryRowContext(c.ctx, `SELECT data FROM draft_attachment_chunks WHERE attachment_id = ? AND seq = ?`,
			c.id, c.seq).Scan(&c.buf)
		if errors.Is(err, sql.ErrNoRows) || err == nil && (len(c.buf) == 0 || int64(len(c.buf)) > c.left) {
			return 0, fmt.Errorf("attachment %d: chunk %d: %w", c.id, c.seq, io.ErrUnexpectedEOF)
		}
		if err != nil {
			return 0, fmt.Errorf("attachment %d: chunk %d: %w", c.id, c.seq, err)
		}
		c.seq++
		c.left -= int64(len(c.buf))
	}
	n := copy(p, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

func (c *chunkReader) Close() error { return nil }
