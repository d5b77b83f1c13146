package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"

	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
)

func TestDraftSetHTML(t *testing.T) {
	var d Draft
	d.Text = "kept"
	d.SetHTML("")
	if d.HTML != "" || d.Text != "kept" {
		t.Errorf("empty HTML changed the draft: %+v", d.Draft)
	}
	d.SetHTML(`<p onclick="x()">Hi <b>Bob</b><script>alert(1)</script></p><ul><li>one</li></ul>`)
	if strings.Contains(d.HTML, "onclick") || strings.Contains(d.HTML, "script") || !strings.Contains(d.HTML, "<b>Bob</b>") {
		t.Errorf("HTML %q", d.HTML)
	}
	if d.Text != "Hi Bob\n\n- one" {
		t.Errorf("text %q", d.Text)
	}
	d.SetHTML("<p><br></p><script>alert(1)</script>")
	if d.HTML != "" || d.Text != "" {
		t.Errorf("HTML that shows nothing: %+v", d.Draft)
	}
}

// The formatted text survives sending, undoing and saving as a draft, and
// what is kept is sanitized, with its text.
func TestHTMLThroughOutboxAndDrafts(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	key, _ := secret.Generate()
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	d.Now = func() time.Time { return now }
	ana, _ := d.CreateUser(ctx, "ana", "h", db.RoleMember)
	in := goodAccount()
	in.Outgoing = OutgoingInput{Host: "smtp.example.net", Security: "tls"}
	acc, err := NewAccounts(d, key).Create(ctx, ana.ID, in)
	if err != nil {
		t.Fatal(err)
	}
	o := NewOutbox(d)
	o.Now = d.Now
	var dr Draft
	dr.To = []compose.Address{{Addr: "bob@example.org"}}
	dr.Subject = "Formatted"
	dr.HTML = `<p>Hi <strong>Bob</strong><img src="https://tracker.example/p.gif"></p><ol><li>first</li></ol>`
	m, err := o.Send(ctx, ana.ID, acc.ID, dr)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := d.OutboxRaw(ctx, ana.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var plain, html string
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	err = e.Walk(func(_ []int, p *gomessage.Entity, err error) error {
		if err != nil {
			return err
		}
		if p.MultipartReader() != nil {
			return nil
		}
		var b bytes.Buffer
		mt, _, _ := p.Header.ContentType()
		if _, err := b.ReadFrom(p.Body); err != nil {
			return err
		}
		switch mt {
		case "text/plain":
			plain = b.String()
		case "text/html":
			html = b.String()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "<strong>Bob</strong>") || !strings.Contains(html, "<ol><li>first</li>") || strings.Contains(html, "tracker") {
		t.Errorf("HTML part:\n%s", html)
	}
	if !strings.Contains(plain, "Hi Bob") || !strings.Contains(plain, "1. first") {
		t.Errorf("text part:\n%s", plain)
	}

	u, err := o.Undo(ctx, ana.ID, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if u.HTML != "<p>Hi <strong>Bob</strong></p>\n<ol><li>first</li>\n</ol>\n" || u.Text != "Hi Bob\n\n1. first" {
		t.Errorf("undone HTML %q, text %q", u.HTML, u.Text)
	}

	drafts := NewDrafts(d)
	id, err := drafts.Save(ctx, ana.ID, 0, acc.ID, DraftInput{Draft: u.Draft})
	if err != nil {
		t.Fatal(err)
	}
	back, err := drafts.Open(ctx, ana.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if back.HTML != u.HTML || back.Text != u.Text {
		t.Errorf("reopened draft HTML %q, text %q", back.HTML, back.Text)
	}
	// A draft saved with hostile HTML keeps it sanitized.
	dr.HTML = `<p>x</p><form action="https://evil.example/"><input name="pw"></form><a href="javascript:alert(1)">y</a>`
	if id, err = drafts.Save(ctx, ana.ID, id, acc.ID, DraftInput{Draft: dr}); err != nil {
		t.Fatal(err)
	}
	if back, _ = drafts.Open(ctx, ana.ID, id); strings.Contains(back.HTML, "form") || strings.Contains(back.HTML, "javascript") || back.Text != "x\n\ny" {
		t.Errorf("kept HTML %q, text %q", back.HTML, back.Text)
	}
}
