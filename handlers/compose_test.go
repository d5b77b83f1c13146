package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-message/mail"
	"golang.org/x/net/html"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
)

// withOutgoing gives an account an outgoing server of its provider.
func (a *testApp) withOutgoing(acc db.Account) db.Account {
	a.t.Helper()
	s := acc.AccountSettings
	s.PasswordSealed = nil
	s.Outgoing = db.Outgoing{Host: "smtp.example.com", Port: 465, Security: "tls", Auth: db.OutgoingAuthPassword, SamePassword: true}
	if err := a.db.UpdateAccount(context.Background(), acc.UserID, acc.ID, s); err != nil {
		a.t.Fatal(err)
	}
	out, err := a.db.Account(context.Background(), acc.UserID, acc.ID)
	if err != nil {
		a.t.Fatal(err)
	}
	return out
}

// postMultipart posts a composer form with files (name → content).
func (c *client) postMultipart(path string, fields url.Values, files map[string]string) *response {
	c.app.t.Helper()
	return c.postFiles(path, fields, "attachments", files)
}

// postFiles posts a multipart form with files (name → content) in its
// field fileField.
func (c *client) postFiles(path string, fields url.Values, fileField string, files map[string]string) *response {
	c.app.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				c.app.t.Fatal(err)
			}
		}
	}
	for name, content := range files {
		fw, err := mw.CreateFormFile(fileField, name)
		if err != nil {
			c.app.t.Fatal(err)
		}
		if _, err := fw.Write([]byte(content)); err != nil {
			c.app.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.app.t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodPost, "http://apartado.test"+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", "http://apartado.test")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// onlyOutbox is the user's one outbox message and its bytes.
func onlyOutbox(t *testing.T, app *testApp, userID int64) (db.OutboxMessage, []byte) {
	t.Helper()
	list, err := app.db.OutboxList(context.Background(), userID, time.Time{})
	if err != nil || len(list) != 1 {
		t.Fatalf("outbox: %d messages, %v", len(list), err)
	}
	raw, err := app.db.OutboxRaw(context.Background(), userID, list[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	return list[0], raw
}

func TestComposeAndUndo(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.addAccount(u.ID, "Home")

	// Without an outgoing server the composer says where to add one.
	r := c.get("/compose")
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "no-outgoing")

	acc = app.withOutgoing(acc)
	r = c.get("/compose")
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "compose-form")

	// A bad address is refused on its field; the attachment is kept with
	// the draft the form now is, listed with a box to remove it.
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@"}, "subject": {"Lunch"}, "text": {"At one?"}}
	r = c.postMultipart("/compose", form, map[string]string{"menu.txt": "soup"})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc := r.doc(t)
	one(t, doc, "error-to")
	none(t, doc, "lost-attachments")
	if v, _, _ := inputValue(doc, "to"); v != "bea@" {
		t.Errorf("To shown again as %q", v)
	}
	if name := text(one(t, doc, "attached-name")); name != "menu.txt" {
		t.Errorf("the kept file is %q", name)
	}
	draft := attr(one(t, doc, "field-draft"), "value")
	remove := attr(one(t, doc, "attached-remove"), "value")
	if draft == "0" || !strings.HasPrefix(remove, removeFilePrefix) {
		t.Fatalf("draft %q, remove %q", draft, remove)
	}

	// Sent from there with menu.txt removed and another file added: only
	// that one goes, and the draft is gone.
	form.Set("to", "Bea <bea@example.org>")
	form.Set("bcc", "secret@example.org")
	form.Set("draft", draft)
	form.Set("remove", remove)
	r = c.postMultipart("/compose", form, map[string]string{"menú.txt": "soup and bread"})
	wantRedirect(t, r, "/outbox?done="+doneQueued)
	m, raw := onlyOutbox(t, app, u.ID)
	if m.State != db.OutboxQueued || m.AccountID != acc.ID || strings.Join(m.Rcpts, ",") != "bea@example.org,secret@example.org" {
		t.Errorf("queued %+v", m)
	}
	if bytes.Contains(raw, []byte("secret@example.org")) {
		t.Error("the Bcc address is in the message's bytes")
	}
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := mr.Header.Subject(); s != "Lunch" {
		t.Errorf("subject %q", s)
	}
	if from, _ := mr.Header.AddressList("From"); len(from) != 1 || from[0].Address != "home@example.com" {
		t.Errorf("from %v", from)
	}
	var names []string
	for {
		p, err := mr.NextPart()
		if err != nil {
			break
		}
		if h, ok := p.Header.(*mail.AttachmentHeader); ok {
			name, _ := h.Filename()
			names = append(names, name)
		}
	}
	if strings.Join(names, ",") != "menú.txt" {
		t.Errorf("attachments %q", names)
	}
	if list, _ := app.db.Drafts(context.Background(), u.ID); len(list) != 0 {
		t.Errorf("drafts left after sending: %+v", list)
	}
	form.Del("draft")
	form.Del("remove")

	// The outbox shows it, with Undo while it has not left.
	r = c.get("/outbox?done=" + doneQueued)
	doc = r.doc(t)
	one(t, doc, "notice")
	one(t, doc, "outbox-undo")
	r = c.post("/outbox/"+strconv.FormatInt(m.ID, 10)+"/undo", nil)
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if v, _, _ := inputValue(doc, "to"); v != "Bea <bea@example.org>" {
		t.Errorf("the composer reopened with To %q", v)
	}
	none(t, doc, "lost-attachments")
	if name := text(one(t, doc, "attached-name")); name != "menú.txt" {
		t.Errorf("the file taken back is %q", name)
	}
	if attr(one(t, doc, "field-draft"), "value") == "0" {
		t.Error("the message taken back is not a draft")
	}
	if m, _ := app.db.OutboxMessage(context.Background(), u.ID, m.ID); m.State != db.OutboxCancelled {
		t.Errorf("state after undo %s", m.State)
	}
	// Too late once a sender has taken it.
	r = c.postMultipart("/compose", form, nil)
	wantRedirect(t, r, "/outbox?done="+doneQueued)
	list, _ := app.db.OutboxList(context.Background(), u.ID, time.Time{})
	app.clock.Advance(time.Minute)
	if _, ok, err := app.db.ClaimOutbox(context.Background(), list[0].ID, "test", app.clock.Now(), app.clock.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	wantRedirect(t, c.post("/outbox/"+strconv.FormatInt(list[0].ID, 10)+"/undo", nil), "/outbox?done="+doneTooLate)

	// Another user cannot see or take back ana's messages.
	app.addUser("bob", "battery staple", db.RoleMember)
	bob := app.login("bob", "battery staple")
	wantStatus(t, bob.post("/outbox/"+strconv.FormatInt(list[0].ID, 10)+"/undo", nil), http.StatusNotFound)
	if strings.Contains(bob.get("/outbox").body, "Lunch") {
		t.Error("bob's outbox shows ana's message")
	}
}

func TestReplyAndForward(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	orig := app.addMessage(acc, "From: Bea <bea@example.org>\nTo: home@example.com, carl@example.org\nSubject: Lunch\n"+
		"Message-ID: <lunch@example.org>\nDate: Mon, 07 Dec 2026 10:00:00 +0000\n\nAt one?\n", time.Now())

	one(t, c.get(msgPath(orig, "")).doc(t), "reply")
	doc := c.get(msgPath(orig, "/reply-all")).doc(t)
	if v, _, _ := inputValue(doc, "to"); v != "Bea <bea@example.org>" {
		t.Errorf("reply all: To %q", v)
	}
	if v, _, _ := inputValue(doc, "cc"); v != "carl@example.org" {
		t.Errorf("reply all: Cc %q", v)
	}
	if v, _, _ := inputValue(doc, "subject"); v != "Re: Lunch" {
		t.Errorf("subject %q", v)
	}
	fields := url.Values{}
	walk(doc, func(n *html.Node) {
		if n.Data == "input" && attr(n, "type") == "hidden" {
			fields.Set(attr(n, "name"), attr(n, "value"))
		}
	})
	fields.Set("account", strconv.FormatInt(acc.ID, 10))
	fields.Set("to", "Bea <bea@example.org>")
	fields.Set("subject", "Re: Lunch")
	fields.Set("text", "Yes.")
	wantRedirect(t, c.postMultipart("/compose", fields, nil), "/outbox?done="+doneQueued)
	m, raw := onlyOutbox(t, app, u.ID)
	if !bytes.Contains(raw, []byte("In-Reply-To: <lunch@example.org>")) || !bytes.Contains(raw, []byte("References: <lunch@example.org>")) {
		t.Errorf("threading headers missing:\n%s", raw)
	}
	if m.FlagMessageID == nil || *m.FlagMessageID != orig || m.FlagBits != db.FlagAnswered {
		t.Errorf("the original is not to be flagged answered: %+v", m)
	}
	// Taken back, the reply is still a reply: the same threading fields.
	doc = c.post("/outbox/"+strconv.FormatInt(m.ID, 10)+"/undo", nil).doc(t)
	kept := url.Values{}
	walk(doc, func(n *html.Node) {
		if n.Data == "input" && attr(n, "type") == "hidden" {
			kept.Set(attr(n, "name"), attr(n, "value"))
		}
	})
	for _, name := range []string{"original", "kind", "in_reply_to", "references"} {
		if kept.Get(name) != fields.Get(name) {
			t.Errorf("after undo, %s is %q, want %q", name, kept.Get(name), fields.Get(name))
		}
	}

	// A forward as attachment attaches the original as it was received;
	// a forward of a message without files attaches nothing.
	doc = c.get(msgPath(orig, "/forward-attached")).doc(t)
	if name := text(one(t, doc, "attached-name")); name != "Lunch.eml" {
		t.Errorf("forwarded as %q", name)
	}
	if v, _, _ := inputValue(doc, "subject"); v != "Fwd: Lunch" {
		t.Errorf("forward subject %q", v)
	}
	doc = c.get(msgPath(orig, "/forward")).doc(t)
	none(t, doc, "attached-files")
	if v := rawText(one(t, doc, "field-text")); !strings.Contains(v, "At one?") {
		t.Errorf("the forward does not quote the original: %q", v)
	}
}

// TestIdentityInComposer: the account form's name and signature are what
// the composer starts with and what the message is from.
func TestIdentityInComposer(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	if err := app.db.SetIdentity(context.Background(), u.ID, acc.ID, "Ana María", "Ana\nCalle Mayor 1"); err != nil {
		t.Fatal(err)
	}
	if body := c.get("/compose").body; !strings.Contains(body, "\n-- \nAna\nCalle Mayor 1</textarea>") {
		t.Errorf("the composer does not start with the signature:\n%s", body)
	}
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Hola"}, "text": {"Hi.\n\n-- \nAna"}}
	wantRedirect(t, c.postMultipart("/compose", form, nil), "/outbox?done="+doneQueued)
	_, raw := onlyOutbox(t, app, u.ID)
	mr, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if from, _ := mr.Header.AddressList("From"); len(from) != 1 || from[0].Name != "Ana María" {
		t.Errorf("from %v", from)
	}
	// The form shows and keeps them.
	doc := c.get("/settings/accounts/" + strconv.FormatInt(acc.ID, 10)).doc(t)
	if v, _, _ := inputValue(doc, "display_name"); v != "Ana María" {
		t.Errorf("display name field %q", v)
	}
}

func TestDraftsSaveAndSend(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Plans"}, "text": {"Half written"}}

	// The page's autosave: JSON with the id, the files' names kept.
	r := c.postMultipart("/compose/draft", form, map[string]string{"map.png": ""})
	wantStatus(t, r, http.StatusOK)
	var got struct{ ID int64 }
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || got.ID == 0 {
		t.Fatalf("autosave answered %q", r.body)
	}
	form.Set("draft", strconv.FormatInt(got.ID, 10))
	form.Set("text", "Half written, and more")
	if r := c.postMultipart("/compose/draft", form, map[string]string{"map.png": ""}); r.StatusCode != http.StatusOK || !strings.Contains(r.body, strconv.FormatInt(got.ID, 10)) {
		t.Fatalf("saving again: %d %s", r.StatusCode, r.body)
	}
	// Without JavaScript, the button.
	noJS := url.Values{"account": form["account"], "to": {"carl@example.org"}, "subject": {"Other"}, "text": {"x"}, "action": {"draft"}}
	wantRedirect(t, c.postMultipart("/compose", noJS, nil), "/drafts?done="+doneDraftSaved)

	doc := c.get("/drafts").doc(t)
	if n := len(byTestID(doc, "draft-row")); n != 2 {
		t.Fatalf("%d drafts listed, want 2", n)
	}
	r = c.get("/compose?draft=" + strconv.FormatInt(got.ID, 10))
	doc = r.doc(t)
	if v, _, _ := inputValue(doc, "draft"); v != strconv.FormatInt(got.ID, 10) {
		t.Errorf("the reopened composer's draft field %q", v)
	}
	if !strings.Contains(r.body, "Half written, and more</textarea>") || !strings.Contains(text(one(t, doc, "lost-attachments")), "map.png") {
		t.Errorf("the draft did not reopen as saved:\n%s", r.body)
	}
	// Another user can neither open nor overwrite it.
	app.addUser("bob", "battery staple", db.RoleMember)
	bob := app.login("bob", "battery staple")
	wantStatus(t, bob.get("/compose?draft="+strconv.FormatInt(got.ID, 10)), http.StatusNotFound)
	wantStatus(t, bob.postMultipart("/compose/draft", form, nil), http.StatusNotFound)

	// Sending it deletes the draft.
	wantRedirect(t, c.postMultipart("/compose", form, nil), "/outbox?done="+doneQueued)
	if n := len(byTestID(c.get("/drafts").doc(t), "draft-row")); n != 1 {
		t.Errorf("%d drafts after sending one of two", n)
	}
}

func TestSuggestAddressesJSON(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	app.addMessage(acc, "From: \"Ruiz, Bea\" <bea@example.org>\nSubject: Hi\n\nHello\n", time.Now())
	r := c.get("/compose/addresses?q=be")
	wantStatus(t, r, http.StatusOK)
	var got []struct{ Label string }
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || len(got) != 1 || got[0].Label != `"Ruiz, Bea" <bea@example.org>` {
		t.Fatalf("suggestions %q (%v)", r.body, err)
	}
	// What is proposed reads back as the same one address.
	list, err := compose.ParseList(got[0].Label)
	if err != nil || len(list) != 1 || list[0].Addr != "bea@example.org" || list[0].Name != "Ruiz, Bea" {
		t.Errorf("the proposal parses as %v, %v", list, err)
	}
	if r := c.get("/compose/addresses?q=zz"); strings.TrimSpace(r.body) != "[]" {
		t.Errorf("no match: %q", r.body)
	}
}

func TestContactsPage(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	app.addMessage(acc, "From: Promo <promo@example.org>\nSubject: Deals\n\nBuy\n", time.Now())

	doc := c.get("/contacts").doc(t)
	if n := len(byTestID(doc, "contact-row")); n != 1 {
		t.Fatalf("%d contacts from mail, want 1", n)
	}
	wantRedirect(t, c.post("/contacts", url.Values{"name": {"Bea"}, "addr": {"bea@example.org"}}), "/contacts?done="+doneContactSaved)
	wantRedirect(t, c.post("/contacts/hide", url.Values{"addr": {"promo@example.org"}}), "/contacts?done="+doneContactHidden)
	doc = c.get("/contacts").doc(t)
	rows := byTestID(doc, "contact-row")
	if len(rows) != 1 || attr(rows[0], "data-saved") != "true" {
		t.Fatalf("contacts after editing: %d rows", len(rows))
	}
	if r := c.get("/compose/addresses?q=pro"); strings.TrimSpace(r.body) != "[]" {
		t.Errorf("a hidden address is proposed: %s", r.body)
	}
	r := c.post("/contacts", url.Values{"name": {"X"}, "addr": {"not an address"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-contact_addr")
}

// TestComposerUploadTexts: the composer carries, in the reader's language,
// the texts the page script shows while files go up, its placeholders for
// the two sizes intact; the box stays hidden for a page without script.
func TestComposerUploadTexts(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	app.withOutgoing(app.addAccount(u.ID, "Home"))
	for _, tc := range []struct {
		lang                       string
		uploading, waiting, failed string
		lostStartsWith             string
	}{
		{"en", "Uploading %[1]s of %[2]s…", "Uploaded. Waiting for the server…",
			"The connection was lost during the upload. Nothing was sent: check the connection and try again.",
			"The connection was lost after the upload"},
		{"es", "Subiendo %[1]s de %[2]s…", "Subido. Esperando al servidor…",
			"Se perdió la conexión durante la subida. No se ha enviado nada: comprueba la conexión y vuelve a intentarlo.",
			"Se perdió la conexión después de la subida"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			c := app.login("ana", "correct horse")
			c.header.Set("Accept-Language", tc.lang)
			r := c.get("/compose")
			wantStatus(t, r, http.StatusOK)
			form := one(t, r.doc(t), "compose-form")
			box := one(t, form, "upload-progress")
			if !hasAttr(box, "hidden") || !hasAttr(box, "data-upload-progress") {
				t.Error("the upload box is not hidden, or not marked for the page script")
			}
			for name, want := range map[string]string{"data-uploading-text": tc.uploading, "data-waiting-text": tc.waiting, "data-failed-text": tc.failed} {
				if got := attr(box, name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
			if got := attr(box, "data-lost-text"); !strings.HasPrefix(got, tc.lostStartsWith) {
				t.Errorf("data-lost-text = %q", got)
			}
			bar := one(t, box, "upload-progress-bar")
			label := one(t, box, "upload-progress-text")
			if bar.Data != "progress" || attr(label, "id") == "" || attr(bar, "aria-labelledby") != attr(label, "id") {
				t.Errorf("the bar <%s aria-labelledby=%q> is not labelled by its text (id %q)", bar.Data, attr(bar, "aria-labelledby"), attr(label, "id"))
			}
			if attr(label, "aria-live") != "polite" {
				t.Error("the progress text is not announced")
			}
		})
	}
}

// The composer states the From account's own limit (its outgoing server's
// SIZE, as last seen), each account's on its option, and refuses a
// message over it on the attachments field, in the reader's language,
// without queueing it.
func TestComposerSizeLimit(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	small := app.withOutgoing(app.addAccount(u.ID, "Small"))
	roomy := app.withOutgoing(app.addAccount(u.ID, "Roomy"))
	if err := app.db.RecordSMTPOffers(context.Background(), small.ID, small.Outgoing, db.SMTPOffers{MaxSize: 1_000_000}, time.Now()); err != nil {
		t.Fatal(err)
	}
	doc := c.get("/compose?account=" + strconv.FormatInt(small.ID, 10)).doc(t)
	if hint := text(one(t, doc, "attachments-limit")); hint != "Up to 750 KB in all." {
		t.Errorf("hint %q", hint)
	}
	hints := map[string]string{}
	walk(one(t, doc, "field-account"), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "option" {
			hints[attr(n, "value")] = attr(n, "data-attachments-hint")
		}
	})
	if hints[strconv.FormatInt(small.ID, 10)] != "Up to 750\u00a0KB in all." || hints[strconv.FormatInt(roomy.ID, 10)] != "Up to 28\u00a0MB in all." {
		t.Errorf("options' hints %q", hints)
	}

	form := url.Values{"account": {strconv.FormatInt(small.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Photos"}}
	photo := strings.Repeat("\xff\xd8 photo bytes ", 60_000) // 840 kB, 1.1 MB once in base64
	for lang, want := range map[string]string{"en": "accepts at most 1.0 MB", "es": "acepta como mucho 1,0 MB"} {
		c.header.Set("Accept-Language", lang)
		r := c.postMultipart("/compose", form, map[string]string{"photo.jpg": photo})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		msg := text(one(t, r.doc(t), "error-attachments"))
		if !strings.Contains(msg, want) || !strings.Contains(msg, "smtp.example.com") {
			t.Errorf("%s: %q", lang, msg)
		}
	}
	if list, _ := app.db.OutboxList(context.Background(), u.ID, time.Time{}); len(list) != 0 {
		t.Fatalf("queued %d messages over the limit", len(list))
	}
	// The other account's server gave no limit: the same message goes.
	form.Set("account", strconv.FormatInt(roomy.ID, 10))
	wantRedirect(t, c.postMultipart("/compose", form, map[string]string{"photo.jpg": photo}), "/outbox?done="+doneQueued)
}

// Attachments beyond what a request may carry are refused, and the
// message is not queued without them.
func TestComposerUploadBound(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Video"}}
	r := c.postMultipart("/compose", form, map[string]string{"a.txt": "small", "video.mp4": strings.Repeat("v", apppkg.DefaultMaxSendSize+1)})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-attachments")
	if list, _ := app.db.OutboxList(context.Background(), u.ID, time.Time{}); len(list) != 0 {
		t.Fatalf("queued without the attachment that was too large: %+v", list)
	}
}

// The outbox says, for the outbox's own failures too, what happened and
// what to do, in the reader's language.
func TestOutboxExplainsFailures(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	ctx := context.Background()
	fail := func(subject, kind string) {
		t.Helper()
		form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {subject}}
		wantRedirect(t, c.postMultipart("/compose", form, nil), "/outbox?done="+doneQueued)
		app.clock.Advance(time.Minute)
		list, _ := app.db.OutboxList(ctx, u.ID, time.Time{})
		id := list[0].ID
		if _, ok, err := app.db.ClaimOutbox(ctx, id, "test", app.clock.Now(), app.clock.Now().Add(time.Minute)); !ok || err != nil {
			t.Fatalf("claim: %v %v", ok, err)
		}
		if err := app.db.StopOutbox(ctx, id, "test", db.OutboxFailed, db.OutboxError{Kind: kind}); err != nil {
			t.Fatal(err)
		}
	}
	fail("Lost server", "no-outgoing-server")
	fail("Broken key", "internal")
	for lang, want := range map[string][]string{
		"en": {"This account has no outgoing server any more", "Add one in Settings", "Apartado could not send this message", "kept in the outbox"},
		"es": {"Esta cuenta ya no tiene servidor de salida", "Añade uno en Ajustes", "Apartado no pudo enviar este mensaje", "se conserva en la bandeja de salida"},
	} {
		c.header.Set("Accept-Language", lang)
		doc := c.get("/outbox").doc(t)
		var got string
		for _, row := range byTestID(doc, "outbox-row") {
			got += text(row) + "\n"
		}
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: the outbox lacks %q:\n%s", lang, w, got)
			}
		}
	}
}
