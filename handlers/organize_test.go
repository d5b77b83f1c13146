package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/db"
)

// sidebarCounts returns the sidebar's unread counts by data-testid (and
// folder id), "" for a mailbox shown without one.
func sidebarCounts(t *testing.T, c *client, path string) map[string]string {
	t.Helper()
	r := c.get(path)
	wantStatus(t, r, http.StatusOK)
	out := map[string]string{}
	side := one(t, r.doc(t), "sidebar")
	for _, key := range []string{"inbox", "starred", "sent", "drafts", "archive", "junk", "trash", "folder"} {
		for _, a := range byTestID(side, "box-"+key) {
			k := key
			if id := attr(a, "data-mailbox-id"); key == "folder" {
				k += id
			}
			out[k] = ""
			if n := byTestID(a, "box-unread"); len(n) == 1 {
				out[k] = text(n[0])
			}
		}
	}
	return out
}

func TestSidebarCounts(t *testing.T) {
	f := newMailFixture(t)
	ctx := context.Background()
	c := f.anaC
	got := sidebarCounts(t, c, "/mail")
	want := map[string]string{"inbox": "2", "starred": "", "sent": "", "drafts": "", "archive": "", "junk": "", "trash": ""}
	if len(got) != len(want) {
		t.Fatalf("sidebar %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	// The inbox is marked as the page shown.
	if attr(one(t, c.get("/mail").doc(t), "box-inbox"), "aria-current") != "page" {
		t.Error("the inbox is not marked")
	}
	// A folder, nested, and a move into it: the counts follow.
	wantRedirect(t, c.post(foldersPath, url.Values{"name": {"Family"}}), foldersPath+"?done="+doneFolderCreated)
	boxes, _ := f.app.db.Mailboxes(ctx, f.ana.ID)
	fam := boxes[len(boxes)-1]
	wantRedirect(t, c.post(foldersPath, url.Values{"name": {"Trips"}, "parent": {strconv.FormatInt(fam.ID, 10)}}),
		foldersPath+"?done="+doneFolderCreated)
	wantUndoable(t, c.post("/mail/actions", url.Values{"action": {"move"}, "to": {strconv.FormatInt(fam.ID, 10)},
		"ids": {strconv.FormatInt(f.anaText, 10)}, "return": {"/mail"}}), "/mail")
	wantUndoable(t, c.post("/mail/actions", url.Values{"action": {"archive"},
		"ids": {strconv.FormatInt(f.anaHTML, 10)}, "return": {"/mail"}}), "/mail")
	famPath := foldersPath + "/" + strconv.FormatInt(fam.ID, 10)
	got = sidebarCounts(t, c, famPath)
	if got["inbox"] != "" || got["archive"] != "1" || got["folder"+strconv.FormatInt(fam.ID, 10)] != "1" {
		t.Errorf("after moving: %v", got)
	}
	doc := c.get(famPath).doc(t)
	side := one(t, doc, "sidebar")
	folders := byTestID(side, "box-folder")
	if len(folders) != 2 || attr(folders[0], "aria-current") != "page" || text(one(t, doc, "mailbox-heading")) != "Family" {
		t.Fatalf("folders in the sidebar: %d, heading %q", len(folders), text(one(t, doc, "mailbox-heading")))
	}
	if !strings.Contains(attr(folders[1].Parent, "class"), "nested") {
		t.Error("the nested folder is not shown nested")
	}
	// Reading it: the folder's count goes.
	wantStatus(t, c.get(msgPath(f.anaText, "?back="+url.QueryEscape(famPath))), http.StatusOK)
	if got := sidebarCounts(t, c, "/mail"); got["folder"+strconv.FormatInt(fam.ID, 10)] != "" {
		t.Errorf("after reading: %v", got)
	}
	// Bea sees none of it.
	if got := sidebarCounts(t, f.beaC, "/mail"); len(got) != 7 || got["inbox"] != "1" {
		t.Errorf("bea's sidebar %v", got)
	}
	wantStatus(t, f.beaC.get(famPath), http.StatusNotFound)
	// The drawer's button is there for narrow screens.
	one(t, doc, "drawer-button")
	one(t, doc, "drawer-toggle")
}

func TestActionsWithoutJavaScriptAndUndo(t *testing.T) {
	f := newMailFixture(t)
	ctx := context.Background()
	c := f.anaC
	get := func(id int64) db.MessageSummary {
		t.Helper()
		m, err := f.app.db.Message(ctx, f.ana.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	ids := func(ids ...int64) []string {
		var out []string
		for _, id := range ids {
			out = append(out, strconv.FormatInt(id, 10))
		}
		return out
	}
	// Archive both from the list: the notice names the count and the mailbox, and its Undo undoes it.
	undo := wantUndoable(t, c.post("/mail/actions", url.Values{"action": {"archive"}, "ids": ids(f.anaText, f.anaHTML),
		"return": {"/mail"}}), "/mail")
	doc := c.get("/mail?undo=" + undo).doc(t)
	if s := text(one(t, doc, "notice-text")); s != "Moved 2 messages to Archive" {
		t.Errorf("notice %q", s)
	}
	none(t, doc, "message-row")
	undoForm := one(t, doc, "undo").Parent
	if attr(undoForm, "action") != undoPath || attr(undoForm, "method") != "post" {
		t.Fatal("the Undo button is not a plain form")
	}
	// In Spanish.
	c.header.Set("Accept-Language", "es")
	if s := text(one(t, c.get("/mail?undo="+undo).doc(t), "notice-text")); s != "2 mensajes movidos a Archivo" {
		t.Errorf("notice in Spanish %q", s)
	}
	c.header.Set("Accept-Language", "en")
	// Bea cannot see or use ana's undo.
	none(t, f.beaC.get("/mail?undo="+undo).doc(t), "notice")
	wantRedirect(t, f.beaC.post(undoPath, url.Values{"undo": {undo}, "return": {"/mail"}}), "/mail?done="+doneUndoGone)
	wantRedirect(t, c.post(undoPath, url.Values{"undo": {undo}, "return": {"/mail?undo=" + undo}}), "/mail?done="+doneUndone)
	inbox, _ := f.app.db.MailboxByRole(ctx, f.ana.ID, db.MailboxInbox)
	if get(f.anaText).MailboxID != inbox.ID || get(f.anaHTML).MailboxID != inbox.ID {
		t.Fatal("undo did not bring them back")
	}
	wantRedirect(t, c.post(undoPath, url.Values{"undo": {undo}, "return": {"/mail"}}), "/mail?done="+doneUndoGone)

	// The star toggle of one row acts on that row only, whatever is selected.
	r := c.post("/mail/actions", url.Values{"one": {"star:" + strconv.FormatInt(f.anaHTML, 10)}, "ids": ids(f.anaText),
		"return": {"/mail"}})
	undo = wantUndoable(t, r, "/mail")
	if !get(f.anaHTML).Flags.Has(db.FlagFlagged) || get(f.anaText).Flags.Has(db.FlagFlagged) {
		t.Fatal("the star went to the wrong message")
	}
	doc = c.get("/mail?undo=" + undo).doc(t)
	if s := text(one(t, doc, "notice-text")); s != "Starred 1 message" {
		t.Errorf("notice %q", s)
	}
	stars := byTestID(doc, "star-toggle")
	if len(stars) != 2 || attr(stars[0], "data-starred") != "true" || attr(stars[0], "value") != "unstar:"+strconv.FormatInt(f.anaHTML, 10) {
		t.Errorf("star toggles %d, first %q", len(stars), attr(stars[0], "value"))
	}
	// The starred view lists it, across mailboxes.
	wantUndoable(t, c.post("/mail/actions", url.Values{"action": {"junk"}, "ids": ids(f.anaHTML), "return": {"/mail"}}), "/mail")
	doc = c.get(starredPath).doc(t)
	if rows := byTestID(doc, "message-row"); len(rows) != 1 || attr(rows[0], "data-message-id") != strconv.FormatInt(f.anaHTML, 10) {
		t.Fatalf("starred view: %d rows", len(rows))
	}
	if s := text(one(t, doc, "mailbox-total")); s != "1 message" {
		t.Errorf("starred total %q", s)
	}
	none(t, doc, "action-mark-all-read")
	// Junk offers "not junk".
	doc = c.get(junkPath).doc(t)
	one(t, doc, "action-not-junk")
	none(t, doc, "action-junk")
	// Mark all read of the inbox.
	doc = c.get("/mail").doc(t)
	one(t, doc, "action-mark-all-read")
	r = c.post("/mail/actions", url.Values{"action": {"mark-all-read"}, "mailbox": {strconv.FormatInt(inbox.ID, 10)}, "return": {"/mail"}})
	undo = wantUndoable(t, r, "/mail")
	if !get(f.anaText).Flags.Has(db.FlagSeen) || get(f.anaHTML).Flags.Has(db.FlagSeen) {
		t.Fatal("mark all read went beyond the inbox")
	}
	// Again: nothing to change, no undo.
	wantRedirect(t, c.post("/mail/actions", url.Values{"action": {"mark-all-read"}, "mailbox": {strconv.FormatInt(inbox.ID, 10)},
		"return": {"/mail"}}), "/mail?done="+doneNothingChanged)
	// Move to a mailbox that is not there.
	wantRedirect(t, c.post("/mail/actions", url.Values{"action": {"move"}, "to": {"999999"}, "ids": ids(f.anaText),
		"return": {"/mail"}}), "/mail?done="+doneBadTarget)
	// Another user's message: 404 and nothing changes.
	wantStatus(t, c.post("/mail/actions", url.Values{"action": {"archive"}, "ids": ids(f.beaText), "return": {"/mail"}}),
		http.StatusNotFound)
	wantStatus(t, c.post("/mail/actions", url.Values{"one": {"star"}, "return": {"/mail"}}), http.StatusBadRequest)
}

func TestMessagePageStepsAndNext(t *testing.T) {
	f := newMailFixture(t)
	ctx := context.Background()
	c := f.anaC
	third := f.app.addMessage(f.anaAcc, textMessage, f.app.clock.Now().Add(-30*time.Minute))
	// The inbox, newest first: third, anaHTML, anaText.
	doc := c.get(msgPath(f.anaHTML, "?back=%2Fmail")).doc(t)
	if got := attr(one(t, doc, "message-newer"), "href"); got != msgPath(third, "?back=%2Fmail") {
		t.Errorf("newer %q", got)
	}
	if got := attr(one(t, doc, "message-older"), "href"); got != msgPath(f.anaText, "?back=%2Fmail") {
		t.Errorf("older %q", got)
	}
	// At the ends.
	doc = c.get(msgPath(third, "?back=%2Fmail")).doc(t)
	none(t, doc, "message-newer")
	one(t, doc, "message-older")
	doc = c.get(msgPath(f.anaText, "?back=%2Fmail")).doc(t)
	one(t, doc, "message-newer")
	none(t, doc, "message-older")
	// Its actions: a plain form with archive, delete, junk, star, move.
	form := one(t, doc, "message-actions")
	if attr(form, "action") != "/mail/actions" || attr(form, "method") != "post" {
		t.Fatal("the message's actions are not a plain form")
	}
	for _, id := range []string{"action-archive", "action-trash", "action-junk", "action-star", "action-move"} {
		one(t, form, id)
	}

	// Archiving from a message opens the next (older) one of its list,
	// with the notice; at the end of the list, the newer one.
	act := func(id int64, action string) *response {
		return c.post("/mail/actions", url.Values{"action": {action}, "ids": {strconv.FormatInt(id, 10)}, "return": {"/mail"},
			"from": {"message"}})
	}
	wantUndoable(t, act(f.anaHTML, "archive"), msgPath(f.anaText, "?back=%2Fmail"))
	wantUndoable(t, act(f.anaText, "trash"), msgPath(third, "?back=%2Fmail"))
	// The last one: back to the list.
	undo := wantUndoable(t, act(third, "junk"), "/mail")
	// Starring stays on the message.
	wantUndoable(t, act(third, "star"), msgPath(third, "?back=%2Fmail"))
	doc = c.get(msgPath(third, "?back=%2Fmail&undo="+undo)).doc(t)
	if s := text(one(t, doc, "notice-text")); s != "Moved 1 message to Junk" {
		t.Errorf("notice %q", s)
	}
	one(t, doc, "action-not-junk")
	one(t, doc, "action-unstar")

	// The preference "back to the list".
	wantRedirect(t, c.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {""}, "after": {"list"}}),
		"/settings?done="+donePrefsSaved)
	if u, _ := f.app.db.UserByID(ctx, f.ana.ID); u.AfterAction != db.AfterList {
		t.Fatalf("after action %q", u.AfterAction)
	}
	wantUndoable(t, c.post("/mail/actions", url.Values{"action": {"archive"}, "ids": {strconv.FormatInt(third, 10)},
		"return": {"/mail/junk"}, "from": {"message"}}), "/mail/junk")
	wantStatus(t, c.post("/settings/preferences", url.Values{"locale": {""}, "after": {"elsewhere"}}), http.StatusBadRequest)
	// The settings page shows the choice.
	sel := one(t, c.get("/settings").doc(t), "field-after")
	for _, o := range byTag(sel, "option") {
		if (attr(o, "value") == "list") != hasAttr(o, "selected") {
			t.Errorf("option %q selected: %v", attr(o, "value"), hasAttr(o, "selected"))
		}
	}
}

func TestFoldersPageErrors(t *testing.T) {
	f := newMailFixture(t)
	c := f.anaC
	wantStatus(t, c.get(foldersPath), http.StatusOK)
	one(t, c.get(foldersPath).doc(t), "no-folders")
	wantRedirect(t, c.post(foldersPath, url.Values{"name": {"Bills"}}), foldersPath+"?done="+doneFolderCreated)
	boxes, _ := f.app.db.Mailboxes(context.Background(), f.ana.ID)
	bills := strconv.FormatInt(boxes[len(boxes)-1].ID, 10)
	wantRedirect(t, c.post(foldersPath, url.Values{"name": {"Gas"}, "parent": {bills}}), foldersPath+"?done="+doneFolderCreated)
	boxes, _ = f.app.db.Mailboxes(context.Background(), f.ana.ID)
	var gas string
	for _, b := range boxes {
		if b.Name == "Gas" {
			gas = strconv.FormatInt(b.ID, 10)
		}
	}
	cases := []struct {
		path   string
		form   url.Values
		field  string
		en, es string
	}{
		{foldersPath, url.Values{"name": {"  "}}, "error-new-name", "Give the folder a name.", "Ponle un nombre a la carpeta."},
		{foldersPath, url.Values{"name": {"bills"}}, "error-new-name", "There is already a folder with this name there.",
			"Ya hay una carpeta con este nombre ahí."},
		{foldersPath, url.Values{"name": {"Deep"}, "parent": {gas}}, "new-parent-error",
			"Folders nest one level only: choose a folder at the top level, not one inside another.",
			"Las carpetas solo se anidan un nivel: elige una carpeta del nivel superior, no una que esté dentro de otra."},
		{foldersPath + "/" + gas, url.Values{"name": {""}, "parent": {bills}}, "error-f" + gas + "-name",
			"Give the folder a name.", "Ponle un nombre a la carpeta."},
		{foldersPath + "/" + gas + "/delete", url.Values{"to": {"archive"}}, "form-error",
			"Choose where the folder's messages go: the inbox or the trash.",
			"Elige adónde van los mensajes de la carpeta: a la bandeja de entrada o a la papelera."},
	}
	for _, tc := range cases {
		for lang, want := range map[string]string{"en": tc.en, "es": tc.es} {
			c.header.Set("Accept-Language", lang)
			r := c.post(tc.path, tc.form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			doc := r.doc(t)
			if got := text(one(t, doc, tc.field)); got != want {
				t.Errorf("%s %v (%s): %q, want %q", tc.path, tc.form, lang, got, want)
			}
			// What was typed is kept.
			if tc.path == foldersPath {
				if got := attr(one(t, doc, "field-new-name"), "value"); got != tc.form.Get("name") {
					t.Errorf("typed name %q not kept: %q", tc.form.Get("name"), got)
				}
			}
		}
	}
	c.header.Set("Accept-Language", "en")
	// Rename, then delete into the trash.
	wantRedirect(t, c.post(foldersPath+"/"+gas, url.Values{"name": {"Electricity"}, "parent": {"0"}}), foldersPath+"?done="+doneFolderSaved)
	wantUndoable(t, c.post("/mail/actions", url.Values{"action": {"move"}, "to": {gas}, "ids": {strconv.FormatInt(f.anaText, 10)},
		"return": {"/mail"}}), "/mail")
	doc := c.get(foldersPath).doc(t)
	if n := len(byTestID(doc, "folder")); n != 2 {
		t.Fatalf("%d folders", n)
	}
	wantRedirect(t, c.post(foldersPath+"/"+gas+"/delete", url.Values{"to": {"trash"}}), foldersPath+"?done="+doneFolderDeleted)
	if m, _ := f.app.db.Message(context.Background(), f.ana.ID, f.anaText); m.TrashedAt == nil {
		t.Error("the deleted folder's message is not in the trash")
	}
	if n := len(byTestID(c.get(foldersPath).doc(t), "folder")); n != 1 {
		t.Errorf("%d folders after deleting one", n)
	}
	// Someone else's folder, or a system mailbox.
	wantStatus(t, f.beaC.post(foldersPath+"/"+bills+"/delete", url.Values{"to": {"trash"}}), http.StatusNotFound)
	inbox, _ := f.app.db.MailboxByRole(context.Background(), f.ana.ID, db.MailboxInbox)
	r := c.post(foldersPath+"/"+strconv.FormatInt(inbox.ID, 10), url.Values{"name": {"Mine"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := text(one(t, r.doc(t), "form-error")); got != "This mailbox is one of Apartado's own: it cannot be renamed or deleted." {
		t.Errorf("renaming the inbox: %q", got)
	}
}

func byTag(root *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}
