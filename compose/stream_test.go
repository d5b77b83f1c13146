package compose

import (
	"crypto/sha256"
	"io"
	"runtime"
	"testing"

	gomessage "github.com/emersion/go-message"
)

const bigSize = 20 << 20

// pattern is an endless, deterministic stream of bytes.
type pattern struct{ off int }

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = byte(p.off*7 + p.off>>9)
		p.off++
	}
	return len(b), nil
}

func bigDraft() Draft {
	d := baseDraft()
	d.Attachments = []Attachment{{Name: "big.bin", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.LimitReader(&pattern{}, bigSize)), nil
	}}}
	return d
}

// recorder counts what is written and the largest single write.
type recorder struct{ n, largest int }

func (r *recorder) Write(p []byte) (int, error) {
	r.n += len(p)
	r.largest = max(r.largest, len(p))
	return len(p), nil
}

// TestLargeAttachmentMemory writes a 20 MB attachment and checks that it
// went through in pieces: no write to the output larger than Write's 4 KB
// buffer (54 lines of base64), and less than 1 MB allocated in all.
func TestLargeAttachmentMemory(t *testing.T) {
	d := bigDraft()
	rec := &recorder{}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := Write(rec, d, Options{})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("20 MB attachment: %d bytes written, %d allocated, largest write %d", rec.n, alloc, rec.largest)
	if alloc > 1<<20 {
		t.Errorf("allocated %d bytes for a %d-byte attachment", alloc, bigSize)
	}
	if rec.largest > 4096 {
		t.Errorf("a write of %d bytes", rec.largest)
	}
	if int64(rec.n) != res.Size || res.Size < Base64Size(bigSize) {
		t.Errorf("Size %d, wrote %d, attachment alone %d", res.Size, rec.n, Base64Size(bigSize))
	}
}

// TestLargeAttachmentContent streams the same message into go-message and
// compares the decoded attachment with what was attached.
func TestLargeAttachmentContent(t *testing.T) {
	pr, pw := io.Pipe()
	go func() {
		_, err := Write(pw, bigDraft(), Options{})
		pw.CloseWithError(err)
	}()
	e, err := gomessage.Read(pr)
	if err != nil {
		t.Fatal(err)
	}
	var sum []byte
	n := 0
	err = e.Walk(func(path []int, ent *gomessage.Entity, err error) error {
		if err != nil || len(path) != 1 || path[0] != 1 {
			return err
		}
		h := sha256.New()
		c, err := io.Copy(h, ent.Body)
		sum, n = h.Sum(nil), int(c)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	io.Copy(want, io.LimitReader(&pattern{}, bigSize))
	if n != bigSize || string(sum) != string(want.Sum(nil)) {
		t.Errorf("decoded attachment: %d bytes, digest differs: %v", n, string(sum) != string(want.Sum(nil)))
	}
}

func BenchmarkWriteLargeAttachment(b *testing.B) {
	d := bigDraft()
	b.SetBytes(bigSize)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(io.Discard, d, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
