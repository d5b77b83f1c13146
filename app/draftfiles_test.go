package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

// sendingSetup is a user with an account that can send, an outbox and
// drafts.
type sendingSetup struct {
	d       *db.DB
	user    db.User
	account db.Account
	outbox  *Outbox
	drafts  *Drafts
	now     time.Time
}

func newSendingSetup(t *testing.T) *sendingSetup {
	t.Helper()
	ctx := context.Background()
	s := &sendingSetup{d: openDB(t), now: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}
	s.d.Now = func() time.Time { return s.now }
	key, _ := secret.Generate()
	var err error
	if s.user, err = s.d.CreateUser(ctx, "ana", "h", db.RoleMember); err != nil {
		t.Fatal(err)
	}
	in := goodAccount()
	in.Outgoing = OutgoingInput{Host: "smtp.example.net", Security: "tls"}
	if s.account, err = NewAccounts(s.d, key).Create(ctx, s.user.ID, in); err != nil {
		t.Fatal(err)
	}
	s.outbox = NewOutbox(s.d)
	s.outbox.Now = s.d.Now
	s.drafts = NewDrafts(s.d)
	return s
}

func file(name, ct, content string) compose.Attachment {
	return compose.Attachment{Name: name, ContentType: ct, Open: func() (io.ReadCloser, error) {
		return io.NopCloser(strings.NewReader(content)), nil
	}}
}

// sentFile is a file read back from a queued message.
type sentFile struct{ name, ct, body string }

func readBack(t *testing.T, raw []byte) []sentFile {
	t.Helper()
	var out []sentFile
	if err := compose.ReadAttachments(bytes.NewReader(raw), func(p compose.ReadPart) error {
		b, err := io.ReadAll(p.Body)
		out = append(out, sentFile{p.Name, p.ContentType, string(b)})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func names(files []AttachedFile) string {
	var out []string
	for _, f := range files {
		out = append(out, f.Name)
	}
	return strings.Join(out, ",")
}

// A draft keeps its files: saved with it, listed, removed one by one, added
// to; the autosave (text only) leaves them; sending sends them and deletes
// the draft with them.
func TestDraftFilesSaveAndSend(t *testing.T) {
	ctx := context.Background()
	s := newSendingSetup(t)
	var dr Draft
	dr.To = []compose.Address{{Addr: "bea@example.org"}}
	dr.Subject, dr.Text = "Photos", "Here they are."
	dr.Attachments = []compose.Attachment{file("a.jpg", "image/jpeg", "JPEG-A"), file("b.pdf", "application/pdf", "PDF-B")}
	id, err := s.drafts.Save(ctx, s.user.ID, 0, s.account.ID, DraftInput{Draft: dr})
	if err != nil {
		t.Fatal(err)
	}
	files, err := s.drafts.Files(ctx, s.user.ID, id, Draft{})
	if err != nil || names(files) != "a.jpg,b.pdf" || files[0].Size != 6 {
		t.Fatalf("files %+v, %v", files, err)
	}
	// The autosave: text only, no files, nothing removed.
	dr.Attachments, dr.Text = nil, "Here they are, all three."
	if _, err := s.drafts.Save(ctx, s.user.ID, id, s.account.ID, DraftInput{Draft: dr, Lost: []string{"c.png"}}); err != nil {
		t.Fatal(err)
	}
	u, err := s.drafts.Open(ctx, s.user.ID, id)
	if err != nil || u.DraftID != id || strings.Join(u.AttachmentNames, ",") != "c.png" {
		t.Fatalf("opened %+v, %v", u, err)
	}
	if files, _ := s.drafts.Files(ctx, s.user.ID, id, u.Draft); names(files) != "a.jpg,b.pdf" {
		t.Fatalf("after the autosave: %s", names(files))
	}
	// Saved again with one file removed and one added.
	dr.Attachments = []compose.Attachment{file("c.png", "image/png", "PNG-C")}
	if _, err := s.drafts.Save(ctx, s.user.ID, id, s.account.ID, DraftInput{Draft: dr, Remove: []int64{files[0].ID}}); err != nil {
		t.Fatal(err)
	}
	if files, _ := s.drafts.Files(ctx, s.user.ID, id, Draft{}); names(files) != "b.pdf,c.png" {
		t.Fatalf("after removing and adding: %s", names(files))
	}
	if u, _ := s.drafts.Open(ctx, s.user.ID, id); len(u.AttachmentNames) != 0 {
		t.Fatalf("lost names after the files were uploaded: %q", u.AttachmentNames)
	}

	// Sent: the files go with it, the draft goes.
	u, _ = s.drafts.Open(ctx, s.user.ID, id)
	m, err := s.outbox.Send(ctx, s.user.ID, s.account.ID, u.Draft)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := s.d.OutboxRaw(ctx, s.user.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := readBack(t, raw)
	if len(got) != 2 || got[0] != (sentFile{"b.pdf", "application/pdf", "PDF-B"}) || got[1] != (sentFile{"c.png", "image/png", "PNG-C"}) {
		t.Fatalf("sent files %+v", got)
	}
	if _, err := s.drafts.Open(ctx, s.user.ID, id); err == nil {
		t.Fatal("the sent draft is still there")
	}
	// A draft that is gone cannot be sent again.
	if _, err := s.outbox.Send(ctx, s.user.ID, s.account.ID, u.Draft); err == nil {
		t.Fatal("a deleted draft was sent")
	} else if inv, ok := AsInvalid(err); !ok || len(inv.Problems) == 0 {
		t.Fatalf("a deleted draft: %v", err)
	}
}

// A file past the bounds is refused with a clear problem naming it; the
// draft's text and the files that fit are kept.
func TestDraftFilesBounds(t *testing.T) {
	ctx := context.Background()
	s := newSendingSetup(t)
	var dr Draft
	dr.Subject = "Many"
	for i := 0; i < MaxDraftFiles; i++ {
		dr.Attachments = append(dr.Attachments, file("f.txt", "text/plain", "x"))
	}
	dr.Attachments = append(dr.Attachments, file("one-too-many.txt", "text/plain", "x"))
	id, err := s.drafts.Save(ctx, s.user.ID, 0, 0, DraftInput{Draft: dr})
	inv, ok := AsInvalid(err)
	if !ok || id == 0 || len(inv.Problems) != 1 || inv.Problems[0].Field != compose.FieldAttachment ||
		!strings.Contains(inv.Problems[0].String(), "one-too-many.txt was not attached") {
		t.Fatalf("past the number of files: id %d, %v", id, err)
	}
	if files, _ := s.drafts.Files(ctx, s.user.ID, id, Draft{}); len(files) != MaxDraftFiles {
		t.Fatalf("%d files kept", len(files))
	}

	big := compose.Attachment{Name: "huge.bin", Open: func() (io.ReadCloser, error) {
		return io.NopCloser(io.LimitReader(zeros{}, MaxAttachmentsTotal+1)), nil
	}}
	dr.Attachments = []compose.Attachment{big}
	id, err = s.drafts.Save(ctx, s.user.ID, 0, 0, DraftInput{Draft: dr})
	if inv, ok := AsInvalid(err); !ok || id == 0 || !strings.Contains(inv.Problems[0].String(), "huge.bin was not attached: the files would be larger than") {
		t.Fatalf("past the total: id %d, %v", id, err)
	}
	if u, err := s.drafts.Open(ctx, s.user.ID, id); err != nil || u.Subject != "Many" {
		t.Fatalf("the draft's text was not kept: %+v %v", u, err)
	}
	if files, _ := s.drafts.Files(ctx, s.user.ID, id, Draft{}); len(files) != 0 {
		t.Fatalf("a file past the bound was kept: %+v", files)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// A message taken back from the outbox, in its undo window or after it
// failed for good, comes back as a draft with its files read back from
// its bytes: uploads, the original's files and the forwarded original.
func TestUndoKeepsFiles(t *testing.T) {
	ctx := context.Background()
	s := newSendingSetup(t)
	orig := storeOriginal(t, s)
	name := "Presupuesto año 2026 — versión final con anexos, revisada y aprobada.pdf"
	var dr Draft
	dr.To = []compose.Address{{Addr: "bea@example.org"}}
	dr.Subject, dr.Text = "Fwd: Budget", "See below."
	dr.Attachments = []compose.Attachment{file(name, "application/pdf", "%PDF-budget")}
	dr.Original, dr.OriginalFlag, dr.AttachOriginal = orig, db.FlagForwarded, true

	for _, failed := range []bool{false, true} {
		m, err := s.outbox.Send(ctx, s.user.ID, s.account.ID, dr)
		if err != nil {
			t.Fatal(err)
		}
		if failed {
			s.now = s.now.Add(time.Minute)
			if _, ok, err := s.d.ClaimOutbox(ctx, m.ID, "test", s.now, s.now.Add(time.Minute)); !ok || err != nil {
				t.Fatalf("claim: %v %v", ok, err)
			}
			if err := s.d.StopOutbox(ctx, m.ID, "test", db.OutboxFailed, db.OutboxError{Kind: "rejected"}); err != nil {
				t.Fatal(err)
			}
		}
		u, err := s.outbox.Undo(ctx, s.user.ID, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if u.DraftID == 0 || len(u.AttachmentNames) != 0 || u.AttachOriginal || u.Text != "See below." {
			t.Fatalf("failed %v: undone %+v", failed, u)
		}
		files, err := s.drafts.Files(ctx, s.user.ID, u.DraftID, u.Draft)
		if err != nil || names(files) != name+",Budget.eml" {
			t.Fatalf("failed %v: files %s, %v", failed, names(files), err)
		}
		// Sent again from the draft: the same files, once each.
		m2, err := s.outbox.Send(ctx, s.user.ID, s.account.ID, u.Draft)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := s.d.OutboxRaw(ctx, s.user.ID, m2.ID)
		got := readBack(t, raw)
		origRaw, _ := s.d.MessageRaw(ctx, s.user.ID, orig)
		if len(got) != 2 || got[0] != (sentFile{name, "application/pdf", "%PDF-budget"}) ||
			got[1] != (sentFile{"Budget.eml", "message/rfc822", string(origRaw)}) {
			t.Fatalf("failed %v: sent again %+v", failed, got)
		}
		if _, err := s.outbox.Undo(ctx, s.user.ID, m2.ID); err != nil {
			t.Fatal(err)
		}
	}
}

// storeOriginal stores a received message with two files: a PDF named in
// RFC 2231 continuations and a picture named in an encoded word.
func storeOriginal(t *testing.T, s *sendingSetup) int64 {
	t.Helper()
	raw := []byte("From: Bea <bea@example.org>\r\nTo: ana@example.net\r\nSubject: Budget\r\n" +
		"Date: Mon, 07 Dec 2026 09:00:00 +0000\r\nMessage-ID: <b1@example.org>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=\"xx\"\r\n\r\n" +
		"--xx\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe numbers.\r\n" +
		"--xx\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n" +
		"Content-Disposition: attachment;\r\n filename*0*=utf-8''Informe%20anual%20de%20la%20cooperativa%20%C2%ABSe;\r\n" +
		" filename*1*=%C3%B1ales%C2%BB%202026.pdf\r\n\r\nJVBERi0xLjcKAAEC/w==\r\n" +
		"--xx\r\nContent-Type: image/png; name=\"=?utf-8?q?caf=C3=A9.png?=\"\r\nContent-Disposition: attachment\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--xx--\r\n")
	sum := sha256.Sum256(raw)
	ids, err := s.d.StoreMessages(context.Background(), []db.NewMessage{{AccountID: s.account.ID, UserID: s.user.ID, UIDL: "b1",
		ServerSize: int64(len(raw)), Raw: raw, SHA256: sum[:], ReceivedAt: s.now, SortAt: s.now, Subject: "Budget"}})
	if err != nil {
		t.Fatal(err)
	}
	return ids[0]
}

// Forward keeps the original's files: the prefill lists them, the composer
// can drop one, and the message sent has the others with their names and
// bytes as they were; the original's text is not among them.
func TestForwardKeepsFiles(t *testing.T) {
	ctx := context.Background()
	s := newSendingSetup(t)
	orig := storeOriginal(t, s)
	p, err := NewMessages(s.d).Prefill(ctx, s.user.ID, orig, Forward, english)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.OriginalParts) != 2 || p.AttachOriginal {
		t.Fatalf("prefill %+v", p)
	}
	var dr Draft
	dr.To = []compose.Address{{Addr: "carl@example.org"}}
	dr.Subject, dr.Text = p.Subject, p.Text
	dr.Original, dr.OriginalFlag, dr.OriginalParts = orig, p.OriginalFlag, p.OriginalParts
	files, err := s.drafts.Files(ctx, s.user.ID, 0, dr)
	if err != nil || names(files) != "Informe anual de la cooperativa «Señales» 2026.pdf,café.png" || files[0].Part == "" {
		t.Fatalf("files %+v, %v", files, err)
	}
	m, err := s.outbox.Send(ctx, s.user.ID, s.account.ID, dr)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := s.d.OutboxRaw(ctx, s.user.ID, m.ID)
	if !bytes.Contains(raw, []byte("filename*0*=utf-8''Informe")) {
		t.Fatalf("the long name is not in RFC 2231 continuations:\n%s", raw)
	}
	got := readBack(t, raw)
	want := []sentFile{{"Informe anual de la cooperativa «Señales» 2026.pdf", "application/pdf", "%PDF-1.7\n\x00\x01\x02\xff"},
		{"café.png", "image/png", "\x89PNG\r\n\x1a\n"}}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("sent %+v, want %+v", got, want)
	}
	// One of them removed in the composer: only the other goes.
	dr.OriginalParts = p.OriginalParts[1:]
	m, err = s.outbox.Send(ctx, s.user.ID, s.account.ID, dr)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = s.d.OutboxRaw(ctx, s.user.ID, m.ID)
	if got := readBack(t, raw); len(got) != 1 || got[0] != want[1] {
		t.Fatalf("sent %+v", got)
	}
	// An original that is gone: a problem to show, not a message without its files.
	dr.Original = orig + 100
	if _, err := s.outbox.Send(ctx, s.user.ID, s.account.ID, dr); err == nil {
		t.Fatal("sent the files of a message that is not there")
	} else if _, ok := AsInvalid(err); !ok {
		t.Fatalf("a missing original: %v", err)
	}
}

// The files of a message fit in its size once written in base64, and the
// drafts' bound is that of the largest message.
func TestAttachmentsLimit(t *testing.T) {
	if got := AttachmentsLimit(4000); got != 3000 {
		t.Errorf("AttachmentsLimit(4000) = %d, want 3000", got)
	}
	if got := AttachmentsLimit(DefaultMaxSendSize); got != MaxAttachmentsTotal {
		t.Errorf("AttachmentsLimit(DefaultMaxSendSize) = %d, MaxAttachmentsTotal %d", got, MaxAttachmentsTotal)
	}
}
