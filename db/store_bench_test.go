package db

import (
	"crypto/sha256"
	"fmt"
	"testing"
	"time"
)

// BenchmarkStoreBatch measures what the poller's committer does for each
// batch of a first sync: StoreDownloaded of 64 new messages of about 8 KB
// of text, their raw bytes and search text prepared ahead as the poller
// prepares them (PackRaw, PrepareSearch), into a growing database. The
// figure is per batch.
func BenchmarkStoreBatch(b *testing.B) {
	d := openTest(b)
	u, err := d.CreateUser(ctx, "ana", "h", RoleMember)
	if err != nil {
		b.Fatal(err)
	}
	acc := newAccount(b, d, u.ID, "casa")
	text := benchText()
	const batchSize, shapes = 64, 256
	type shape struct {
		m      NewMessage
		packed *PackedRaw
		search *SearchText
	}
	pool := make([]shape, shapes)
	for i := range pool {
		body := text(1300)
		raw := []byte("From: Persona <p@example.net>\r\nSubject: " + text(6) + "\r\n\r\n" + body)
		pool[i] = shape{m: NewMessage{AccountID: acc.ID, UserID: u.ID, Raw: raw, ServerSize: int64(len(raw)),
			Subject: text(6), Snippet: text(30), FromName: "Persona", FromAddr: fmt.Sprintf("p%d@example.net", i%40),
			To: "ana@example.net", MessageID: fmt.Sprintf("m%d@example.net", i)},
			packed: d.PackRaw(raw), search: d.PrepareSearch(body, "")}
	}
	base := time.Unix(1_700_000_000, 0)
	k := 0
	for b.Loop() {
		batch := make([]Downloaded, batchSize)
		for j := range batch {
			s := pool[k%shapes]
			m := s.m
			sum := sha256.Sum256(fmt.Append(nil, k))
			m.SHA256, m.UIDL, m.Packed, m.Search = sum[:], fmt.Sprint("u", k), s.packed, s.search
			m.ReceivedAt, m.SortAt = base, base.Add(time.Duration(k)*time.Minute)
			batch[j] = Downloaded{NewMessage: m, SizeOK: true, DedupeByContent: true}
			k++
		}
		if _, _, err := d.StoreDownloaded(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}
