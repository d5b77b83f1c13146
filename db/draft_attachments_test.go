package db

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
	"time"
)

// countingReader records the largest read asked of it.
type countingReader struct {
	r       io.Reader
	maxRead int
}

func (c *countingReader) Read(p []byte) (int, error) {
	if len(p) > c.maxRead {
		c.maxRead = len(p)
	}
	return c.r.Read(p)
}

// A draft's files: added in bounded chunks and read back equal, listed,
// bounded, removed, scoped by user, deleted with the draft or once the
// message is queued.
func TestDraftAttachments(t *testing.T) {
	d := openTest(t)
	now := time.Unix(1_800_000_000, 0)
	d.Now = func() time.Time { return now }
	u, _ := d.CreateUser(ctx, "ana", "h", RoleMember)
	other, _ := d.CreateUser(ctx, "bea", "h", RoleMember)
	a := newAccount(t, d, u.ID, "ana")
	draft, err := d.SaveDraft(ctx, u.ID, DraftSave{AccountID: a.ID, Subject: "Photos", Fields: "{}"})
	if err != nil {
		t.Fatal(err)
	}
	lim := AttachmentLimits{MaxTotal: 8 << 20, MaxFiles: 3}

	big := make([]byte, 5<<20+123)
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := range big {
		big[i] = byte(rnd.Uint32())
	}
	src := &countingReader{r: bytes.NewReader(big)}
	att, err := d.AddDraftAttachment(ctx, u.ID, draft, "big.bin", "application/octet-stream", src, lim)
	if err != nil {
		t.Fatal(err)
	}
	if att.Size != int64(len(big)) || src.maxRead > AttachmentChunk {
		t.Fatalf("stored %d octets reading up to %d at once", att.Size, src.maxRead)
	}
	var chunks, largest int
	if err := d.sql.QueryRowContext(ctx, `SELECT count(*), max(length(data)) FROM draft_attachment_chunks WHERE attachment_id = ?`,
		att.ID).Scan(&chunks, &largest); err != nil {
		t.Fatal(err)
	}
	if want := (len(big) + AttachmentChunk - 1) / AttachmentChunk; chunks != want || largest > AttachmentChunk {
		t.Fatalf("%d chunks of at most %d octets, want %d of at most %d", chunks, largest, want, AttachmentChunk)
	}
	rc, err := d.OpenDraftAttachment(ctx, u.ID, att.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	for {
		buf := make([]byte, 1<<20)
		n, err := rc.Read(buf)
		if n > AttachmentChunk {
			t.Fatalf("one read returned %d octets, more than a chunk", n)
		}
		got.Write(buf[:n])
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got.Bytes(), big) {
		t.Fatal("the file read back differs")
	}
	if _, err := d.OpenDraftAttachment(ctx, other.ID, att.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bea opened ana's file: %v", err)
	}
	if _, err := d.AddDraftAttachment(ctx, other.ID, draft, "x", "", bytes.NewReader(nil), lim); !errors.Is(err, ErrNotFound) {
		t.Fatalf("bea added to ana's draft: %v", err)
	}

	// Past the total: nothing of the file is kept.
	if _, err := d.AddDraftAttachment(ctx, u.ID, draft, "more.bin", "", bytes.NewReader(big), lim); !errors.Is(err, ErrAttachmentsTooLarge) {
		t.Fatalf("past the total: %v", err)
	}
	small, err := d.AddDraftAttachment(ctx, u.ID, draft, "a.txt", "text/plain", bytes.NewReader([]byte("hello")), lim)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := d.AddDraftAttachment(ctx, u.ID, draft, "empty.txt", "text/plain", bytes.NewReader(nil), lim)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.AddDraftAttachment(ctx, u.ID, draft, "b.txt", "", bytes.NewReader([]byte("x")), lim); !errors.Is(err, ErrTooManyAttachments) {
		t.Fatalf("past the number of files: %v", err)
	}
	list, err := d.DraftAttachments(ctx, u.ID, draft)
	if err != nil || len(list) != 3 || list[0].Name != "big.bin" || list[1].Name != "a.txt" || list[1].Size != 5 || list[2].Size != 0 {
		t.Fatalf("listed %+v, %v", list, err)
	}
	if l, _ := d.DraftAttachments(ctx, other.ID, draft); len(l) != 0 {
		t.Fatalf("bea lists ana's files: %+v", l)
	}
	rc, _ = d.OpenDraftAttachment(ctx, u.ID, empty.ID)
	if b, err := io.ReadAll(rc); err != nil || len(b) != 0 {
		t.Fatalf("the empty file: %q %v", b, err)
	}

	// Bea cannot remove ana's files; ana can.
	if err := d.RemoveDraftAttachments(ctx, other.ID, draft, []int64{small.ID}); err != nil {
		t.Fatal(err)
	}
	if err := d.RemoveDraftAttachments(ctx, u.ID, draft, []int64{att.ID, 9999}); err != nil {
		t.Fatal(err)
	}
	if l, _ := d.DraftAttachments(ctx, u.ID, draft); len(l) != 2 || l[0].ID != small.ID {
		t.Fatalf("after removing: %+v", l)
	}
	if n := count(t, d, `SELECT count(*) FROM draft_attachment_chunks WHERE attachment_id = ?`, att.ID); n != 0 {
		t.Fatalf("%d chunks left of a removed file", n)
	}

	// Deleting the draft deletes its files and their chunks.
	if err := d.DeleteDraft(ctx, u.ID, draft); err != nil {
		t.Fatal(err)
	}
	if n := count(t, d, `SELECT count(*) FROM draft_attachments`); n != 0 {
		t.Fatalf("%d files left of a deleted draft", n)
	}
	if n := count(t, d, `SELECT count(*) FROM draft_attachment_chunks`); n != 0 {
		t.Fatalf("%d chunks left of a deleted draft", n)
	}

	// Queued from a draft: the draft and its files go in the same step.
	draft, _ = d.SaveDraft(ctx, u.ID, DraftSave{AccountID: a.ID, Subject: "Sent", Fields: "{}"})
	if _, err := d.AddDraftAttachment(ctx, u.ID, draft, "a.txt", "text/plain", bytes.NewReader([]byte("hello")), lim); err != nil {
		t.Fatal(err)
	}
	if _, err := d.QueueOutbox(ctx, NewOutbox{UserID: u.ID, AccountID: a.ID, Raw: []byte("Subject: x\r\n\r\nx\r\n"),
		From: "ana@example.org", Rcpts: []string{"b@example.org"}, NotBefore: now, DraftID: draft}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Draft(ctx, u.ID, draft); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the queued draft: %v", err)
	}
	if n := count(t, d, `SELECT count(*) FROM draft_attachment_chunks`); n != 0 {
		t.Fatalf("%d chunks left of a queued draft", n)
	}
}

func count(t *testing.T, d *DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := d.sql.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
