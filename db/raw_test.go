package db

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/corpus"
	"github.com/apartado/apartado/internal/mailgen"
)

// storeRaw stores raw as a message of account a and returns its id.
func storeRaw(t *testing.T, d *DB, u User, a Account, raw []byte, uidl string) int64 {
	t.Helper()
	sum := sha256.Sum256(raw)
	ids, err := d.StoreMessages(ctx, []NewMessage{{AccountID: a.ID, UserID: u.ID, UIDL: uidl, ServerSize: int64(len(raw)),
		Raw: raw, SHA256: sum[:], ReceivedAt: time.Now(), SortAt: time.Now()}})
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

// storedBytes is what the database holds of the mail: the pieces as
// stored, and by codec the number of messages.
func storedBytes(t *testing.T, d *DB) (stored int64, byCodec map[int]int) {
	t.Helper()
	if err := d.sql.QueryRow(`SELECT coalesce(sum(length(raw)), 0) + (SELECT coalesce(sum(length(data)), 0) FROM message_raw_parts)
		FROM message_raw`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	byCodec = map[int]int{}
	rows, err := d.sql.Query(`SELECT codec, count(*) FROM message_raw GROUP BY codec`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var c, n int
		if err := rows.Scan(&c, &n); err != nil {
			t.Fatal(err)
		}
		byCodec[c] = n
	}
	return stored, byCodec
}

// Every message of the corpus comes back byte for byte, read and
// exported, though the database holds it compressed.
func TestCorpusStoredExactly(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "one")
	dir := corpus.Dir(t)
	f, err := os.Open(filepath.Join(dir, "MANIFEST.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[int64][]byte{}
	var total int64
	sc := bufio.NewScanner(f)
	sc.Scan() // the header
	for sc.Scan() {
		rel, _, _ := strings.Cut(sc.Text(), "\t")
		raw, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if len(raw) == 0 {
			continue
		}
		want[storeRaw(t, d, u, a, raw, rel)] = raw
		total += int64(len(raw))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(want) < 800 {
		t.Fatalf("only %d messages in the corpus", len(want))
	}
	for id, raw := range want {
		got, err := d.MessageRaw(ctx, u.ID, id)
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("message %d: %d bytes back (%v), stored %d", id, len(got), err, len(raw))
		}
	}
	exported := 0
	if err := d.EachMessage(ctx, u.ID, a.ID, func(m MessageExport) error {
		if !bytes.Equal(m.Raw, want[m.ID]) {
			return fmt.Errorf("message %d exported as %d bytes, stored %d", m.ID, len(m.Raw), len(want[m.ID]))
		}
		exported++
		return nil
	}); err != nil || exported != len(want) {
		t.Fatalf("exported %d of %d: %v", exported, len(want), err)
	}
	stored, byCodec := storedBytes(t, d)
	t.Logf("corpus: %d messages, %d bytes, stored in %d (%.2f×); by codec %v", len(want), total, stored, float64(stored)/float64(total), byCodec)
	if stored > total*6/10 || byCodec[codecZstd] == 0 {
		t.Errorf("the corpus's %d bytes are stored in %d (by codec %v): not compressed", total, stored, byCodec)
	}
}

// A large message is compressed piece by piece and comes back whole;
// mail that does not shrink is stored as it came; and a message stored
// before compression (codec 0) reads as ever.
func TestCompressedPieces(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "one")
	big := mailgen.Big(3*rawPiece + 777)
	noise := make([]byte, rawPiece+100)
	r := rand.New(rand.NewPCG(1, 1))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	copy(noise, "Subject: noise\r\n\r\n")
	copy(noise[len(noise)-2:], "\r\n")
	ids := map[string]int64{"big": storeRaw(t, d, u, a, big, "big"), "noise": storeRaw(t, d, u, a, noise, "noise")}
	for name, raw := range map[string][]byte{"big": big, "noise": noise} {
		got, err := d.MessageRaw(ctx, u.ID, ids[name])
		if err != nil || !bytes.Equal(got, raw) {
			t.Fatalf("%s: %d bytes back (%v), stored %d", name, len(got), err, len(raw))
		}
	}
	var bigCodec, noiseCodec, bigParts int
	if err := d.sql.QueryRow(`SELECT (SELECT codec FROM message_raw WHERE message_id = ?), (SELECT codec FROM message_raw WHERE message_id = ?),
		(SELECT count(*) FROM message_raw_parts WHERE message_id = ?)`, ids["big"], ids["noise"], ids["big"]).Scan(&bigCodec, &noiseCodec, &bigParts); err != nil {
		t.Fatal(err)
	}
	if bigCodec != codecZstd || noiseCodec != codecNone || bigParts != 3 {
		t.Errorf("big: codec %d in %d parts after the first; noise: codec %d", bigCodec, bigParts, noiseCodec)
	}
	// The server appended a CRLF: matched through the last piece, decompressed.
	if _, err := d.sql.Exec(`UPDATE messages SET message_id_hdr = 'big@example.net' WHERE id = ?`, ids["big"]); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := d.MatchStored(ctx, a.ID, "big@example.net", int64(len(big)-2)); err != nil || !ok || id != ids["big"] {
		t.Errorf("match: %d %v %v", id, ok, err)
	}
	// As stored before migration 0021.
	old := []byte("Subject: old\r\n\r\nstored as it came\r\n")
	id := storeRaw(t, d, u, a, []byte("Subject: placeholder\r\n\r\n"+strings.Repeat("x", len(old)-24)), "old")
	if _, err := d.sql.Exec(`UPDATE message_raw SET raw = ?, codec = 0 WHERE message_id = ?`, old, id); err != nil {
		t.Fatal(err)
	}
	if got, err := d.MessageRaw(ctx, u.ID, id); err != nil || !bytes.Equal(got, old) {
		t.Errorf("a message stored as it came: %q, %v", got, err)
	}
}

// Packed ahead (as the poller does, on its own goroutine) or as it is
// stored, a message is stored the same, piece for piece, and comes back
// whole.
func TestPackedAhead(t *testing.T) {
	d := openTest(t)
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	a := newAccount(t, d, u.ID, "one")
	noise := make([]byte, 2*rawPiece+1)
	r := rand.New(rand.NewPCG(2, 2))
	for i := range noise {
		noise[i] = byte(r.Uint32())
	}
	for name, raw := range map[string][]byte{"small": []byte("Subject: hi\r\n\r\nhello\r\n"), "big": mailgen.Big(2*rawPiece + 1),
		"noise": noise} {
		sum := sha256.Sum256(raw)
		var ids []int64
		for _, packed := range []*PackedRaw{nil, d.PackRaw(raw)} {
			got, err := d.StoreMessages(ctx, []NewMessage{{AccountID: a.ID, UserID: u.ID, ServerSize: int64(len(raw)),
				Raw: raw, SHA256: sum[:], ReceivedAt: time.Now(), SortAt: time.Now(), Packed: packed}})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, got[0])
		}
		var stored [2]string
		for i, id := range ids {
			if err := d.sql.QueryRow(`SELECT hex(raw) || ':' || codec || ':' || coalesce((SELECT group_concat(hex(data), ',')
				FROM (SELECT data FROM message_raw_parts WHERE message_id = ? ORDER BY seq)), '')
				FROM message_raw WHERE message_id = ?`, id, id).Scan(&stored[i]); err != nil {
				t.Fatal(err)
			}
			if back, err := d.MessageRaw(ctx, u.ID, id); err != nil || !bytes.Equal(back, raw) {
				t.Fatalf("%s: %d bytes back (%v), stored %d", name, len(back), err, len(raw))
			}
		}
		if stored[0] != stored[1] {
			t.Errorf("%s: stored differently when packed ahead", name)
		}
	}
}
