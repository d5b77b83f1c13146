package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
)

// composeKeyOf is the compose key of the composer page r shows.
func composeKeyOf(t *testing.T, r *response) string {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	key := attr(one(t, r.doc(t), "field-compose-key"), "value")
	if apppkg.ParseComposeKey(key) == "" {
		t.Fatalf("the composer's key %q is not a compose key", key)
	}
	return key
}

// autosave posts the composer's form as the page's autosave does, and
// returns the status and the draft's id when it was saved.
func autosave(t *testing.T, c *client, form url.Values) (int, int64) {
	t.Helper()
	r := c.postMultipart("/compose/draft", form, nil)
	if r.StatusCode != http.StatusOK {
		return r.StatusCode, 0
	}
	var got struct{ ID int64 }
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || got.ID == 0 {
		t.Fatalf("autosave answered %q", r.body)
	}
	return r.StatusCode, got.ID
}

// wantDraftsAndOutbox checks how many drafts and outbox messages the user
// has.
func wantDraftsAndOutbox(t *testing.T, app *testApp, userID int64, drafts, outbox int) {
	t.Helper()
	ds, err := app.db.Drafts(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := app.db.OutboxList(context.Background(), userID, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != drafts || len(ms) != outbox {
		t.Errorf("%d drafts and %d outbox messages, want %d and %d", len(ds), len(ms), drafts, outbox)
	}
}

// A new message's autosave (draft=0) and its Send race: whichever reaches
// the server first, once the message is queued there is no draft of it,
// and one message in the outbox. The autosave that comes after is
// refused with 409 Conflict, with the draft's id or without.
func TestComposeKeyRaces(t *testing.T) {
	for _, autosaveFirst := range []bool{true, false} {
		name := map[bool]string{true: "autosave then send", false: "send then autosave"}[autosaveFirst]
		t.Run(name, func(t *testing.T) {
			app := newApp(t)
			u := app.addUser("ana", "correct horse", db.RoleMember)
			c := app.login("ana", "correct horse")
			acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
			key := composeKeyOf(t, c.get("/compose"))
			// Both posted from the page before any answer: draft=0.
			form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Lunch"},
				"text": {"At one?"}, "compose_key": {key}, "draft": {"0"}}
			var saved int64
			if autosaveFirst {
				var status int
				if status, saved = autosave(t, c, form); status != http.StatusOK {
					t.Fatalf("autosave: %d", status)
				}
				wantDraftsAndOutbox(t, app, u.ID, 1, 0)
			}
			wantRedirect(t, c.postMultipart("/compose", form, nil), "/outbox?done="+doneQueued)
			wantDraftsAndOutbox(t, app, u.ID, 0, 1)
			if status, _ := autosave(t, c, form); status != http.StatusConflict {
				t.Errorf("an autosave after the send: %d, want 409", status)
			}
			if saved != 0 {
				form.Set("draft", strconv.FormatInt(saved, 10))
				if status, _ := autosave(t, c, form); status != http.StatusConflict {
					t.Errorf("an autosave with the draft's id after the send: %d, want 409", status)
				}
			}
			wantDraftsAndOutbox(t, app, u.ID, 0, 1)
		})
	}
}

// The composer's key: a new one for each composer, kept when the form is
// shown again with errors and when a draft is reopened; a bad key is as
// none (never an error); another user's key is not ana's.
func TestComposeKeyKept(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	key := composeKeyOf(t, c.get("/compose"))
	if other := composeKeyOf(t, c.get("/compose")); other == key {
		t.Fatal("two composers have the same key")
	}
	orig := app.addMessage(acc, "From: bea@example.org\r\nSubject: Hi\r\nMessage-ID: <1@example.org>\r\n\r\nHello\r\n", time.Now())
	if reply := composeKeyOf(t, c.get("/mail/"+strconv.FormatInt(orig, 10)+"/reply")); reply == key {
		t.Fatal("a reply has another composer's key")
	}

	// Shown again with an error: the same key, and the draft made.
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@"}, "subject": {"Lunch"}, "text": {"At one?"},
		"compose_key": {key}}
	r := c.postMultipart("/compose", form, nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc := r.doc(t)
	if got := attr(one(t, doc, "field-compose-key"), "value"); got != key {
		t.Errorf("shown again with key %q, want %q", got, key)
	}
	draft := attr(one(t, doc, "field-draft"), "value")
	// Reopened: the same key again.
	if got := composeKeyOf(t, c.get("/compose?draft="+draft)); got != key {
		t.Errorf("reopened with key %q, want %q", got, key)
	}
	// An autosave without the id finds that draft by the key.
	form.Set("to", "bea@example.org")
	if status, id := autosave(t, c, form); status != http.StatusOK || strconv.FormatInt(id, 10) != draft {
		t.Errorf("autosave under the key: %d, draft %d, want %s", status, id, draft)
	}
	wantDraftsAndOutbox(t, app, u.ID, 1, 0)

	// Bob's draft under ana's key is his own.
	app.addUser("bob", "battery staple", db.RoleMember)
	bob := app.login("bob", "battery staple")
	if status, id := autosave(t, bob, form); status != http.StatusOK || strconv.FormatInt(id, 10) == draft {
		t.Errorf("bob's autosave under ana's key: %d, draft %d", status, id)
	}
	wantDraftsAndOutbox(t, app, u.ID, 1, 0)

	// A bad key is ignored: saved as without one, and a form shown again
	// gets a new key.
	for _, bad := range []string{"x", strings.Repeat("A", 21) + "!", key + key, "<script>"} {
		form.Set("compose_key", bad)
		form.Del("draft")
		if status, _ := autosave(t, c, form); status != http.StatusOK {
			t.Errorf("autosave with key %q: %d", bad, status)
		}
		form.Set("to", "bea@")
		r := c.postMultipart("/compose", form, nil)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if got := attr(one(t, r.doc(t), "field-compose-key"), "value"); apppkg.ParseComposeKey(got) == "" || got == key {
			t.Errorf("shown again after key %q with key %q", bad, got)
		}
		form.Set("to", "bea@example.org")
	}
}

// After a message is sent, its composer's "Save draft" and Send do nothing
// twice: the page says the message is in the outbox, links to it, and
// comes back as a new message (a new key, no draft), which the user may
// then save or send on purpose. A message taken back is written under a
// new key, which saves; the old one stays refused.
func TestComposeKeyAfterSending(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	acc := app.withOutgoing(app.addAccount(u.ID, "Home"))
	key := composeKeyOf(t, c.get("/compose"))
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Lunch"},
		"text": {"At one?"}, "compose_key": {key}}
	wantRedirect(t, c.postMultipart("/compose", form, nil), "/outbox?done="+doneQueued)

	for _, action := range []string{"draft", ""} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		if action != "" {
			f.Set("action", action)
		}
		r := c.postMultipart("/compose", f, map[string]string{"menu.txt": "soup"})
		wantStatus(t, r, http.StatusUnprocessableEntity)
		doc := r.doc(t)
		msg := text(one(t, doc, "form-error"))
		want := map[string]string{"draft": "press Save draft again", "": "press Send again"}[action]
		if !strings.Contains(msg, "in the outbox already") || !strings.Contains(msg, want) {
			t.Errorf("%q: the form says %q", action, msg)
		}
		if href := attr(one(t, doc, "compose-in-outbox"), "href"); href != "/outbox" {
			t.Errorf("%q: the outbox link is %q", action, href)
		}
		if v, _, _ := inputValue(doc, "subject"); v != "Lunch" {
			t.Errorf("%q: the subject came back as %q", action, v)
		}
		if got := text(one(t, doc, "lost-attachments")); !strings.Contains(got, "menu.txt") {
			t.Errorf("%q: the file not kept is not named: %q", action, got)
		}
		newKey := attr(one(t, doc, "field-compose-key"), "value")
		if apppkg.ParseComposeKey(newKey) == "" || newKey == key || attr(one(t, doc, "field-draft"), "value") != "" {
			t.Errorf("%q: shown again with key %q and draft %q", action, newKey, attr(one(t, doc, "field-draft"), "value"))
		}
		wantDraftsAndOutbox(t, app, u.ID, 0, 1)
	}
	// In Spanish too.
	f := url.Values{"action": {"draft"}}
	for k, v := range form {
		f[k] = v
	}
	c.header.Set("Accept-Language", "es")
	r := c.postMultipart("/compose", f, nil)
	c.header.Del("Accept-Language")
	if msg := text(one(t, r.doc(t), "form-error")); !strings.Contains(msg, "ya está en la bandeja de salida") || !strings.Contains(msg, "Guardar borrador") {
		t.Errorf("in Spanish the form says %q", msg)
	}

	// Taken back: a new key, whose saves go to the draft it became.
	m, _ := onlyOutbox(t, app, u.ID)
	r = c.post("/outbox/"+strconv.FormatInt(m.ID, 10)+"/undo", nil)
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	undoneKey := attr(one(t, doc, "field-compose-key"), "value")
	draft := attr(one(t, doc, "field-draft"), "value")
	if apppkg.ParseComposeKey(undoneKey) == "" || undoneKey == key || draft == "" {
		t.Fatalf("taken back with key %q (was %q), draft %q", undoneKey, key, draft)
	}
	form.Set("compose_key", undoneKey)
	if status, id := autosave(t, c, form); status != http.StatusOK || strconv.FormatInt(id, 10) != draft {
		t.Errorf("autosave of the message taken back: %d, draft %d, want %s", status, id, draft)
	}
	form.Set("compose_key", key)
	if status, _ := autosave(t, c, form); status != http.StatusConflict {
		t.Errorf("autosave under the key of the message taken back: %d, want 409", status)
	}
	wantDraftsAndOutbox(t, app, u.ID, 1, 1)
}
