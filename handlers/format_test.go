package handlers

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	gomessage "github.com/emersion/go-message"

	"github.com/apartado/apartado/db"
)

// messageParts is the decoded text/plain and text/html of a message.
func messageParts(t *testing.T, raw []byte) (plain, html string) {
	t.Helper()
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	err = e.Walk(func(_ []int, p *gomessage.Entity, err error) error {
		if err != nil || p.MultipartReader() != nil {
			return err
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			return err
		}
		switch mt, _, _ := p.Header.ContentType(); mt {
		case "text/plain":
			plain = string(b)
		case "text/html":
			html = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return plain, html
}

// The composer's formatted text ("html") goes out as the HTML part, with
// its text derived from it; it comes back sanitized through undo, a form
// shown again with its errors, and a draft; the editor is loaded on the
// composer only.
func TestComposeHTML(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))

	// The composer has the switch, the editor and a disabled html field;
	// only it loads editor.js.
	r := c.get("/compose")
	doc := r.doc(t)
	one(t, doc, "format-toggle")
	one(t, doc, "field-editor")
	html := one(t, doc, "field-html")
	if !hasAttr(html, "disabled") || attr(html, "name") != "html" {
		t.Errorf("the html field is not disabled until formatting is on")
	}
	if !strings.Contains(r.body, `/static/editor.js?v=`) || strings.Contains(c.get("/drafts").body, "editor.js") {
		t.Errorf("editor.js is not loaded on the composer alone")
	}
	for _, cmd := range []string{"bold", "italic", "bulleted", "numbered", "quote", "link", "clear"} {
		b := one(t, doc, "format-"+cmd)
		if attr(b, "aria-pressed") != "false" || attr(b, "type") != "button" || strings.TrimSpace(text(b)) == "" {
			t.Errorf("toolbar button %s: aria-pressed %q, type %q, name %q", cmd, attr(b, "aria-pressed"), attr(b, "type"), text(b))
		}
	}

	hostile := `<p>Hi <strong>Bea</strong><script>alert(1)</script><img src="https://tracker.example/p.gif" onerror="alert(2)"></p>` +
		`<ul><li>bread</li><li><a href="javascript:alert(3)">cheese</a></li></ul>`
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@"}, "subject": {"Shopping"}, "html": {hostile}}

	// A form shown again keeps the formatting, sanitized, and starts in it.
	r = c.postMultipart("/compose", form, nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc = r.doc(t)
	kept := attr(one(t, doc, "field-html"), "value")
	if !strings.Contains(kept, "<strong>Bea</strong>") || strings.Contains(kept, "script") || strings.Contains(kept, "tracker") || strings.Contains(kept, "javascript") {
		t.Errorf("the form came back with html %q", kept)
	}
	if !strings.Contains(r.body, `data-format="on"`) || !strings.Contains(r.body, "- bread\n- cheese</textarea>") {
		t.Errorf("the form did not come back in formatting mode with its text:\n%s", r.body)
	}

	form.Set("to", "bea@example.org")
	wantRedirect(t, c.postMultipart("/compose", form, nil), "/outbox?done="+doneQueued)
	m, raw := onlyOutbox(t, app, u.ID)
	plain, sent := messageParts(t, raw)
	if !strings.Contains(sent, "<strong>Bea</strong>") || !strings.Contains(sent, "<ul><li>bread</li>") ||
		strings.Contains(sent, "script") || strings.Contains(sent, "tracker") || strings.Contains(sent, "javascript") {
		t.Errorf("HTML part:\n%s", sent)
	}
	if !strings.Contains(plain, "Hi Bea") || !strings.Contains(plain, "- bread") || !strings.Contains(plain, "- cheese") {
		t.Errorf("text part:\n%s", plain)
	}

	// Undo: the composer opens again with the formatting.
	r = c.post("/outbox/"+strconv.FormatInt(m.ID, 10)+"/undo", nil)
	wantStatus(t, r, http.StatusOK)
	if v := attr(one(t, r.doc(t), "field-html"), "value"); v != kept {
		t.Errorf("undo gave back html %q, want %q", v, kept)
	}

	// A draft keeps it too.
	r = c.postMultipart("/compose/draft", form, nil)
	wantStatus(t, r, http.StatusOK)
	var saved struct{ ID int64 }
	if err := json.Unmarshal([]byte(r.body), &saved); err != nil {
		t.Fatal(err)
	}
	r = c.get("/compose?draft=" + strconv.FormatInt(saved.ID, 10))
	doc = r.doc(t)
	if v := attr(one(t, doc, "field-html"), "value"); v != kept || !strings.Contains(r.body, `data-format="on"`) {
		t.Errorf("the draft reopened with html %q", v)
	}
	one(t, doc, "field-text") // the text area stays, for the page without JavaScript
}

// A formatted text over the field's bound is refused with a clear error
// by the message, not a bad request, and the other fields come back; no
// draft is saved.
func TestComposeHTMLTooLong(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Long"},
		"html": {"<p>" + strings.Repeat("x", maxComposeField) + "</p>"}}
	r := c.postMultipart("/compose", form, nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc := r.doc(t)
	if got := text(one(t, doc, "error-text")); !strings.Contains(got, "too long") {
		t.Errorf("the message's error reads %q", got)
	}
	if v, _, _ := inputValue(doc, "subject"); v != "Long" {
		t.Errorf("the subject came back as %q", v)
	}
	if list, _ := app.db.OutboxList(t.Context(), u.ID, app.clock.Now().AddDate(-1, 0, 0)); len(list) != 0 {
		t.Errorf("%d messages queued", len(list))
	}
	// The autosave's request is bounded as a whole (maxFormBytes): refused.
	if r := c.postMultipart("/compose/draft", form, nil); r.StatusCode == http.StatusOK {
		t.Errorf("a draft over the bound was saved: %s", r.body)
	}
}
