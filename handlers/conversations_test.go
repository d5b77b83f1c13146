package handlers

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

// conversationFixture is Ana's inbox with a conversation of three
// (the parent stored after a reply, as POP3 may hand them out), her own
// reply in Sent, a message alone, and Ana's preference as asked.
type conversationFixture struct {
	*mailFixture
	root, reply, second, alone, sent int64
}

func threadMail(id, refs, from, subject, body string) string {
	h := "Message-ID: <" + id + ">\nFrom: " + from + "\nTo: ana@example.com\nSubject: " + subject + "\n"
	if refs != "" {
		h += "In-Reply-To: <" + refs + ">\nReferences: <" + refs + ">\n"
	}
	return h + "Content-Type: text/plain; charset=utf-8\n\n" + body + "\n"
}

func newConversationFixture(t *testing.T, on bool) *conversationFixture {
	t.Helper()
	f := &conversationFixture{mailFixture: newMailFixture(t)}
	a := f.app
	now := a.clock.Now()
	f.reply = a.addMessage(f.anaAcc, threadMail("reply@x", "root@x", "Luis Gil <luis@example.net>", "Re: El tejado", "Mañana subo."), now.Add(-50*time.Minute))
	f.root = a.addMessage(f.anaAcc, threadMail("root@x", "", "Bea Ruiz <bea@example.net>", "El tejado", "Hay goteras."), now.Add(-55*time.Minute))
	f.second = a.addMessage(f.anaAcc, threadMail("second@x", "reply@x", "Bea Ruiz <bea@example.net>", "Re: El tejado", "Gracias, Luis."), now.Add(-10*time.Minute))
	f.alone = a.addMessage(f.anaAcc, threadMail("alone@x", "", "Eva <eva@example.net>", "Otra cosa", "Nada."), now.Add(-30*time.Minute))
	sent, err := a.db.StoreInMailbox(context.Background(), db.NewMessage{AccountID: f.anaAcc.ID, UserID: f.ana.ID,
		Raw: []byte("Message-ID: <mine@x>\r\nFrom: ana@example.com\r\nSubject: Re: El tejado\r\n\r\nYo también.\r\n"), SHA256: []byte{9},
		ReceivedAt: now.Add(-5 * time.Minute), SortAt: now.Add(-5 * time.Minute), FromAddr: "ana@example.com",
		Subject: "Re: El tejado", MessageID: "mine@x", References: []string{"second@x"}}, db.MailboxSent, db.FlagSeen)
	if err != nil {
		t.Fatal(err)
	}
	f.sent = sent
	if err := a.db.SetSeen(context.Background(), f.ana.ID, []int64{f.root}, true); err != nil {
		t.Fatal(err)
	}
	if on {
		wantRedirect(t, f.anaC.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {""},
			"conversations": {"off", "on"}}), "/settings?done="+donePrefsSaved)
	}
	return f
}

func rowIDs(t *testing.T, r *response) []string {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	var out []string
	for _, row := range byTestID(r.doc(t), "message-row") {
		out = append(out, attr(row, "data-message-id"))
	}
	return out
}

func ids(ns ...int64) []string {
	var out []string
	for _, n := range ns {
		out = append(out, strconv.FormatInt(n, 10))
	}
	return out
}

func TestConversationsPreference(t *testing.T) {
	f := newConversationFixture(t, false)
	c := f.anaC
	// Off by default: a row per message, and a message opens alone.
	box := one(t, c.get("/settings").doc(t), "field-conversations")
	if hasAttr(box, "checked") {
		t.Error("conversations are on by default")
	}
	if got := rowIDs(t, c.get("/mail")); len(got) != 6 {
		t.Errorf("%d rows with conversations off, want one per message", len(got))
	}
	doc := c.get(msgPath(f.second, "")).doc(t)
	one(t, doc, "message")
	none(t, doc, "thread")
	// Turned on, ticked, and in Spanish.
	wantRedirect(t, c.post("/settings/preferences", url.Values{"locale": {"es"}, "timezone": {""}, "conversations": {"off", "on"}}),
		"/settings?done="+donePrefsSaved)
	box = one(t, c.get("/settings").doc(t), "field-conversations")
	if !hasAttr(box, "checked") || text(box.Parent) != "Agrupar los mensajes en conversaciones" {
		t.Errorf("the setting after turning it on: checked %v, label %q", hasAttr(box, "checked"), text(box.Parent))
	}
	if got := rowIDs(t, c.get("/mail")); len(got) != 4 {
		t.Errorf("%d rows with conversations on, want 4", len(got))
	}
	// A form without the field keeps it; "off" turns it off; anything else is refused.
	wantRedirect(t, c.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {""}}), "/settings?done="+donePrefsSaved)
	if u, _ := f.app.db.UserByID(t.Context(), f.ana.ID); !u.Conversations {
		t.Fatal("a form without the field turned conversations off")
	}
	wantStatus(t, c.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {""}, "conversations": {"yes"}}), http.StatusBadRequest)
	wantRedirect(t, c.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {""}, "conversations": {"off"}}),
		"/settings?done="+donePrefsSaved)
	if got := rowIDs(t, c.get("/mail")); len(got) != 6 {
		t.Errorf("%d rows after turning conversations off", len(got))
	}
}

func TestConversationRows(t *testing.T) {
	f := newConversationFixture(t, true)
	c := f.anaC
	r := c.get("/mail")
	// One row per conversation, as its newest message in the inbox: the
	// conversation of three, then the message alone, then the fixture's own two.
	got := rowIDs(t, r)
	if want := ids(f.second, f.alone, f.anaHTML, f.anaText); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("rows %v, want %v", got, want)
	}
	doc := r.doc(t)
	row := byTestID(doc, "message-row")[0]
	if s := text(one(t, row, "message-from")); !strings.Contains(s, "Bea Ruiz, Luis Gil") || text(one(t, row, "conversation-count")) != "(3)" {
		t.Errorf("the conversation's row names %q", s)
	}
	if attr(row, "data-unread") != "true" {
		t.Error("a conversation with unread messages is not unread")
	}
	none(t, byTestID(doc, "message-row")[1], "conversation-count")
	// The total still counts messages, and says so.
	if s := text(one(t, doc, "mailbox-total")); s != "6 messages" {
		t.Errorf("total %q", s)
	}
	if v, _, ok := inputValue(one(t, doc, "list-form"), "conversations"); !ok || v != "1" {
		t.Error("the list's form does not say its rows are conversations")
	}
	// No older mail waits to be grouped: no word of it.
	none(t, doc, "conversations-grouping")
	// While some does, the list says why some rows may stand alone.
	raw, err := sql.Open("sqlite", "file:"+f.app.path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO thread_backfill (id, next_id) VALUES (1, 2)`); err != nil {
		t.Fatal(err)
	}
	one(t, c.get("/mail").doc(t), "conversations-grouping")
	// In Sent, Ana's reply is its conversation's row there.
	if got := rowIDs(t, c.get(sentPath)); strings.Join(got, " ") != strings.Join(ids(f.sent), " ") {
		t.Errorf("sent rows %v", got)
	}
}

func TestConversationActions(t *testing.T) {
	f := newConversationFixture(t, true)
	c := f.anaC
	// Archiving the row archives the conversation's three messages in the
	// inbox, not Ana's reply in Sent; Undo puts all three back.
	undo := wantUndoable(t, c.post("/mail/actions", url.Values{"action": {"archive"}, "conversations": {"1"},
		"ids": {strconv.FormatInt(f.second, 10)}, "return": {"/mail"}}), "/mail")
	for _, id := range []int64{f.root, f.reply, f.second} {
		m, err := f.app.db.Message(t.Context(), f.ana.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if archive, _ := f.app.db.MailboxByRole(t.Context(), f.ana.ID, db.MailboxArchive); m.MailboxID != archive.ID {
			t.Errorf("message %d not archived", id)
		}
	}
	if m, _ := f.app.db.Message(t.Context(), f.ana.ID, f.sent); m.MailboxID == 0 {
		t.Fatal("no sent reply")
	} else if box, _ := f.app.db.MailboxByRole(t.Context(), f.ana.ID, db.MailboxSent); m.MailboxID != box.ID {
		t.Error("the reply in Sent was archived with the inbox's row")
	}
	r := c.get("/mail?undo=" + undo)
	if s := text(one(t, r.doc(t), "notice-text")); !strings.Contains(s, "3 messages") {
		t.Errorf("notice %q", s)
	}
	wantRedirect(t, c.post(undoPath, url.Values{"undo": {undo}, "return": {"/mail"}}), "/mail?done="+doneUndone)
	if got := rowIDs(t, c.get("/mail")); len(got) != 4 || got[0] != ids(f.second)[0] {
		t.Errorf("after undo: %v", got)
	}
	// The star of a row stars the conversation's messages in the list.
	wantUndoable(t, c.post("/mail/actions", url.Values{"one": {"star:" + strconv.FormatInt(f.second, 10)}, "conversations": {"1"},
		"return": {"/mail"}}), "/mail")
	for _, id := range []int64{f.root, f.reply, f.second} {
		if m, _ := f.app.db.Message(t.Context(), f.ana.ID, id); !m.Flags.Has(db.FlagFlagged) {
			t.Errorf("message %d not starred", id)
		}
	}
	// Another user's message in a conversation row: 404, and nothing changes.
	r = f.beaC.post("/mail/actions", url.Values{"action": {"trash"}, "conversations": {"1"},
		"ids": {strconv.FormatInt(f.second, 10)}, "return": {"/mail"}})
	wantStatus(t, r, http.StatusNotFound)
	if m, _ := f.app.db.Message(t.Context(), f.ana.ID, f.root); m.TrashedAt != nil {
		t.Error("another user's action trashed Ana's conversation")
	}
}

func TestThreadPage(t *testing.T) {
	f := newConversationFixture(t, true)
	c := f.anaC
	// Opened from the inbox: every message of the conversation, Ana's
	// reply in Sent included, oldest first; the newest and the unread
	// open, the read earlier one folded; each with its own actions.
	r := c.get(msgPath(f.second, "?back=/mail"))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	one(t, doc, "thread")
	msgs := byTestID(doc, "thread-message")
	var got []string
	open := map[string]bool{}
	for _, m := range msgs {
		id := attr(m, "data-message-id")
		got = append(got, id)
		open[id] = hasAttr(m, "open")
	}
	if want := ids(f.root, f.reply, f.second, f.sent); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("thread %v, want %v", got, want)
	}
	if open[ids(f.root)[0]] || !open[ids(f.reply)[0]] || !open[ids(f.second)[0]] || !open[ids(f.sent)[0]] {
		t.Errorf("open: %v (the read root folded, the rest open)", open)
	}
	if s := text(one(t, msgs[0], "thread-from")); s != "Bea Ruiz" {
		t.Errorf("sender %q", s)
	}
	if s := text(one(t, msgs[1], "thread-body-text")); !strings.Contains(s, "Mañana subo.") {
		t.Errorf("body %q", s)
	}
	if n := len(byTestID(doc, "thread-delete")); n != 4 {
		t.Errorf("%d delete buttons", n)
	}
	if s := text(one(t, doc, "thread-count")); s != "4 messages in this conversation" {
		t.Errorf("count %q", s)
	}
	// Shown, so read.
	if m, _ := f.app.db.Message(t.Context(), f.ana.ID, f.reply); !m.Flags.Has(db.FlagSeen) {
		t.Error("the unread reply shown on the page is still unread")
	}
	// Deleting one message from the page comes back to the conversation
	// without it, which still opens; the trash is not shown from the inbox.
	ret := msgPath(f.sent, "?back="+url.QueryEscape("/mail"))
	wantUndoable(t, c.post("/mail/actions", url.Values{"one": {"trash:" + strconv.FormatInt(f.reply, 10)},
		"return": {ret}}), ret)
	doc = c.get(msgPath(f.second, "?back=/mail")).doc(t)
	if n := len(byTestID(doc, "thread-message")); n != 3 {
		t.Errorf("%d messages shown after trashing one, want 3", n)
	}
	// From the trash, the trashed one is there with the rest.
	doc = c.get(msgPath(f.reply, "?back="+url.QueryEscape(trashPath))).doc(t)
	if n := len(byTestID(doc, "thread-message")); n != 4 {
		t.Errorf("%d messages from the trash, want 4", n)
	}
	one(t, doc, "thread-in-trash")
	// ?single=1 opens one message alone, with its own page.
	doc = c.get(msgPath(f.second, "?single=1&back=/mail")).doc(t)
	one(t, doc, "message")
	none(t, doc, "thread")
	// A message alone opens as a message.
	doc = c.get(msgPath(f.alone, "?back=/mail")).doc(t)
	none(t, doc, "thread")
	// Another user's message: 404, conversation or not.
	wantStatus(t, f.beaC.get(msgPath(f.second, "")), http.StatusNotFound)
	wantStatus(t, f.beaC.get(msgPath(f.second, "/body")), http.StatusNotFound)
}

// A conversation longer than a page shows its newest messages, and says so.
func TestThreadPageBounded(t *testing.T) {
	f := newConversationFixture(t, true)
	now := f.app.clock.Now()
	last := "second@x"
	var newest int64
	for i := range db.MaxThreadShown {
		id := fmt.Sprintf("long%d@x", i)
		newest = f.app.addMessage(f.anaAcc, threadMail(id, last, "Luis Gil <luis@example.net>", "Re: El tejado", "y más"),
			now.Add(time.Duration(i)*time.Second))
		last = id
	}
	doc := f.anaC.get(msgPath(newest, "?back=/mail")).doc(t)
	if n := len(byTestID(doc, "thread-message")); n != db.MaxThreadShown {
		t.Errorf("%d messages shown, want %d", n, db.MaxThreadShown)
	}
	one(t, doc, "thread-bounded")
	if s := text(one(t, doc, "thread-count")); s != fmt.Sprintf("%d messages in this conversation", db.MaxThreadShown+4) {
		t.Errorf("count %q", s)
	}
}
