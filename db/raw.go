package db

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// rawPiece is the size of the pieces a large message is stored in (see
// migrations/0006_message_raw_parts.sql).
const rawPiece = 1 << 20

// The codecs of message_raw.codec (migrations/0021_scale.sql).
const (
	codecNone = 0 // the bytes as received
	codecZstd = 1 // each piece a zstd frame of its bytes
)

// codec compresses and decompresses stored mail, with zstd's "better"
// level: mail is mostly text, which any level shrinks to a third, and
// base64 attachments, whose random-looking letters only entropy coding
// shrinks (to three quarters), which the faster levels leave out (on
// mailgen's mailbox: 0.59 of the bytes against 0.76, at about 100 MB/s a
// core, on the committer's goroutine while the next batch downloads). One
// frame per piece keeps a large message out of memory twice, as pieces do
// (insertRaw). Both sides are safe for concurrent use.
type codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

func newCodec() (*codec, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBetterCompression), zstd.WithEncoderConcurrency(2),
		zstd.WithWindowSize(rawPiece), zstd.WithEncoderCRC(true))
	if err != nil {
		return nil, err
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(4), zstd.WithDecoderLowmem(true))
	if err != nil {
		return nil, err
	}
	return &codec{enc: enc, dec: dec}, nil
}

func (c *codec) close() { c.dec.Close() }

// worthIt says whether a compressed piece is enough smaller than the
// piece to be stored so: at least 1/16 less (mail that is already
// compressed, a JPEG or a zip sent as 8-bit, does not shrink).
func worthIt(compressed, piece int) bool { return compressed < piece-piece/16 }

// decode appends piece, stored with codec c, decompressed to dst.
func (c *codec) decode(dst, piece []byte, codec int) ([]byte, error) {
	switch codec {
	case codecNone:
		return append(dst, piece...), nil
	case codecZstd:
		return c.dec.DecodeAll(piece, dst)
	}
	return nil, fmt.Errorf("unknown codec %d", codec)
}

// PackedRaw is a message's raw bytes as they are stored: in pieces of at
// most rawPiece bytes, each a zstd frame when the first one shrinks
// (codecZstd), else as received.
type PackedRaw struct {
	pieces [][]byte
	codec  int
}

// PackAhead bounds the messages a caller packs ahead with PackRaw: a
// larger one is compressed piece by piece as it is stored, so that it is
// not held twice.
const PackAhead = 4 << 20

// PackRaw compresses raw as storing it would, so that a caller can do it
// on a goroutine of its own: the poller packs each message as it arrives
// while the batch before it is being stored, on the other core, instead
// of in the committer's transaction. The last piece always holds the last
// two bytes (MatchStored looks for a final CRLF there).
func (d *DB) PackRaw(raw []byte) *PackedRaw {
	p := &PackedRaw{}
	d.packRaw(raw, func(piece []byte, codec int) error {
		if codec == codecZstd && len(p.pieces) > 0 {
			piece = bytes.Clone(piece) // the later pieces share a buffer
		}
		p.pieces, p.codec = append(p.pieces, piece), codec
		return nil
	})
	return p
}

// packRaw cuts raw into its pieces, compressed as PackedRaw says, and
// gives each to store in turn; a compressed piece is only valid until
// store returns.
func (d *DB) packRaw(raw []byte, store func(piece []byte, codec int) error) error {
	cut := func(off int) int {
		end := min(len(raw), off+rawPiece)
		if left := len(raw) - end; left > 0 && left < 2 {
			end = len(raw) - 2
		}
		return end
	}
	end := cut(0)
	first, c := raw[:end], codecNone
	if z := d.codec.enc.EncodeAll(first, make([]byte, 0, len(first)/2)); worthIt(len(z), len(first)) {
		first, c = z, codecZstd
	}
	if err := store(first, c); err != nil {
		return err
	}
	var buf []byte
	for off := end; off < len(raw); off = end {
		end = cut(off)
		piece := raw[off:end]
		if c == codecZstd {
			buf = d.codec.enc.EncodeAll(piece, buf[:0])
			piece = buf
		}
		if err := store(piece, c); err != nil {
			return err
		}
	}
	return nil
}

// insertRaw stores a message's raw bytes, packed ahead (PackRaw) or now:
// whole in message_raw when they fit in one piece, else the first piece
// there and the rest in message_raw_parts.
func (d *DB) insertRaw(ctx context.Context, st *txStmts, id int64, raw []byte, packed *PackedRaw) error {
	seq := 0
	store := func(piece []byte, codec int) error {
		var err error
		if seq == 0 {
			_, err = st.exec(ctx, `INSERT INTO message_raw (message_id, raw, codec) VALUES (?, ?, ?)`, id, piece, codec)
		} else {
			_, err = st.exec(ctx, `INSERT INTO message_raw_parts (message_id, seq, data) VALUES (?, ?, ?)`, id, seq, piece)
		}
		seq++
		return err
	}
	if packed == nil {
		return d.packRaw(raw, store)
	}
	for _, piece := range packed.pieces {
		if err := store(piece, packed.codec); err != nil {
			return err
		}
	}
	return nil
}

// loadRaw returns the raw bytes of the message the query selects: it must
// select the message's id, its first piece (message_raw.raw), its codec
// (message_raw.codec) and its size (messages.size), or no row
// (ErrNotFound). The pieces are read in one read transaction, so a message
// deleted meanwhile is not half read.
func (d *DB) loadRaw(ctx context.Context, query string, args ...any) ([]byte, error) {
	tx, err := d.sql.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var id, size int64
	var c int
	var first sql.RawBytes
	st, err := d.txStmt(ctx, tx, query)
	if err != nil {
		return nil, err
	}
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, err
		}
		return nil, ErrNotFound
	}
	if err := rows.Scan(&id, &first, &c, &size); err != nil {
		return nil, err
	}
	whole := make([]byte, 0, size)
	if whole, err = d.codec.decode(whole, first, c); err != nil {
		return nil, fmt.Errorf("stored message %d: %w", id, err)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if int64(len(whole)) < size {
		parts, err := tx.QueryContext(ctx, `SELECT data FROM message_raw_parts WHERE message_id = ? ORDER BY seq`, id)
		if err != nil {
			return nil, err
		}
		defer parts.Close()
		for parts.Next() {
			var piece sql.RawBytes
			if err := parts.Scan(&piece); err != nil {
				return nil, err
			}
			if whole, err = d.codec.decode(whole, piece, c); err != nil {
				return nil, fmt.Errorf("stored message %d: %w", id, err)
			}
		}
		if err := parts.Err(); err != nil {
			return nil, err
		}
	}
	if int64(len(whole)) != size {
		return nil, fmt.Errorf("stored message %d has %d of its %d bytes", id, len(whole), size)
	}
	return whole, tx.Commit()
}

// rawTail returns the last bytes of a stored message: its last piece,
// decompressed.
func (d *DB) rawTail(ctx context.Context, id int64) ([]byte, error) {
	var piece []byte
	var c int
	err := d.sql.QueryRowContext(ctx, `SELECT coalesce((SELECT p.data FROM message_raw_parts p WHERE p.message_id = r.message_id
		ORDER BY p.seq DESC LIMIT 1), r.raw), r.codec FROM message_raw r WHERE r.message_id = ?`, id).Scan(&piece, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return d.codec.decode(nil, piece, c)
}

// endsInCRLF says whether a stored message's last bytes are CRLF.
func (d *DB) endsInCRLF(ctx context.Context, id int64) (bool, error) {
	tail, err := d.rawTail(ctx, id)
	if err != nil {
		return false, err
	}
	return bytes.HasSuffix(tail, []byte("\r\n")), nil
}

// headFrame returns the length of the first zstd frame of packed (RFC 8878
// §3.1.1: its header, then blocks, each with a 3-byte header giving its
// size and whether it is the last, then an optional 4-byte checksum), and
// false when packed does not begin with a whole one.
func headFrame(packed []byte) (int, bool) {
	var h zstd.Header
	if err := h.Decode(packed); err != nil || h.Skippable {
		return 0, false
	}
	n := h.HeaderSize
	for {
		if n+3 > len(packed) {
			return 0, false
		}
		bh := uint32(packed[n]) | uint32(packed[n+1])<<8 | uint32(packed[n+2])<<16
		last, kind, size := bh&1 == 1, (bh>>1)&3, int(bh>>3)
		n += 3
		switch kind {
		case 0, 2: // raw, compressed: size bytes follow
			n += size
		case 1: // RLE: one byte, repeated size times
			n++
		default: // reserved
			return 0, false
		}
		if last {
			break
		}
	}
	if h.HasCheckSum {
		n += 4
	}
	if n > len(packed) {
		return 0, false
	}
	return n, true
}
