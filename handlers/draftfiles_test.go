package handlers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
)

// attachedNames are the names of the files the composer lists, in order.
func attachedNames(doc *html.Node) string {
	var out []string
	for _, n := range byTestID(doc, "attached-name") {
		out = append(out, text(n))
	}
	return strings.Join(out, ",")
}

// sortedNames are those names sorted (postMultipart sends files in no
// particular order).
func sortedNames(doc *html.Node) string {
	names := strings.Split(attachedNames(doc), ",")
	slices.Sort(names)
	return strings.Join(names, ",")
}

// removeValue is the value of the Remove box of the listed file name.
func removeValue(t *testing.T, doc *html.Node, name string) string {
	t.Helper()
	for _, li := range byTestID(doc, "attached-file") {
		if text(one(t, li, "attached-name")) == name {
			return attr(one(t, li, "attached-remove"), "value")
		}
	}
	t.Fatalf("%q is not listed", name)
	return ""
}

// hiddenFields are the composer's hidden fields, with every value.
func hiddenFields(doc *html.Node) url.Values {
	out := url.Values{}
	walk(doc, func(n *html.Node) {
		if n.Data == "input" && attr(n, "type") == "hidden" {
			out.Add(attr(n, "name"), attr(n, "value"))
		}
	})
	return out
}

// sentFiles reads the files of a queued message back.
func sentFiles(t *testing.T, raw []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	if err := compose.ReadAttachments(bytes.NewReader(raw), func(p compose.ReadPart) error {
		b, err := io.ReadAll(p.Body)
		out[p.Name] = string(b)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// "Save draft" keeps the files; the draft opened again lists them; the
// autosave (text only) leaves them; a Remove box takes one out; sending
// sends the rest.
func TestDraftFilesInComposer(t *testing.T) {
	a := newApp(t)
	u := a.addUser("ana", "correct horse", db.RoleMember)
	c := a.login("ana", "correct horse")
	acc := a.withOutgoing(a.addAccount(u.ID, "Home"))
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Plans"},
		"text": {"See the map."}, "action": {"draft"}}
	wantRedirect(t, c.postMultipart("/compose", form, map[string]string{"map.png": "PNG", "route.gpx": "GPX"}), "/drafts?done="+doneDraftSaved)
	list, err := a.db.Drafts(context.Background(), u.ID)
	if err != nil || len(list) != 1 {
		t.Fatalf("drafts %+v %v", list, err)
	}
	id := strconv.FormatInt(list[0].ID, 10)
	doc := c.get("/drafts").doc(t)
	one(t, doc, "draft-row")
	if attr(one(t, doc, "box-drafts"), "aria-current") != "page" {
		t.Error("the drafts list is not marked in the sidebar")
	}

	doc = c.get("/compose?draft=" + id).doc(t)
	if got := sortedNames(doc); got != "map.png,route.gpx" {
		t.Fatalf("the draft lists %q", got)
	}

	// The autosave: text fields only.
	auto := url.Values{"draft": {id}, "account": form["account"], "to": form["to"], "subject": {"Plans"}, "text": {"See the map, and the route."}}
	r := c.postMultipart("/compose/draft", auto, map[string]string{"later.pdf": ""})
	wantStatus(t, r, http.StatusOK)
	doc = c.get("/compose?draft=" + id).doc(t)
	if got := sortedNames(doc); got != "map.png,route.gpx" {
		t.Fatalf("after the autosave the draft lists %q", got)
	}
	if !strings.Contains(text(one(t, doc, "lost-attachments")), "later.pdf") {
		t.Error("a file chosen but not uploaded is not named")
	}
	if v := rawText(one(t, doc, "field-text")); v != "See the map, and the route." {
		t.Errorf("the autosaved text is %q", v)
	}

	// Saved with route.gpx marked Remove: it is gone.
	form.Set("draft", id)
	form.Set("remove", removeValue(t, doc, "route.gpx"))
	wantRedirect(t, c.postMultipart("/compose", form, nil), "/drafts?done="+doneDraftSaved)
	doc = c.get("/compose?draft=" + id).doc(t)
	if got := attachedNames(doc); got != "map.png" {
		t.Fatalf("after removing route.gpx the draft lists %q", got)
	}
	none(t, doc, "lost-attachments")

	// Another user neither sees nor removes them.
	a.addUser("bob", "battery staple", db.RoleMember)
	bob := a.login("bob", "battery staple")
	wantStatus(t, bob.get("/compose?draft="+id), http.StatusNotFound)

	// Sent: map.png goes, the draft and its files go.
	form.Del("action")
	form.Del("remove")
	wantRedirect(t, c.postMultipart("/compose", form, nil), "/outbox?done="+doneQueued)
	_, raw := onlyOutbox(t, a, u.ID)
	if files := sentFiles(t, raw); len(files) != 1 || files["map.png"] != "PNG" {
		t.Errorf("sent files %q", files)
	}
	if list, _ := a.db.Drafts(context.Background(), u.ID); len(list) != 0 {
		t.Errorf("drafts after sending: %+v", list)
	}
}

// Forward lists the original's files, each with a Remove box; the message
// sent has those not removed, their names and bytes as they were.
func TestForwardInlineFiles(t *testing.T) {
	a := newApp(t)
	u := a.addUser("ana", "correct horse", db.RoleMember)
	c := a.login("ana", "correct horse")
	acc := a.withOutgoing(a.addAccount(u.ID, "Home"))
	orig := a.addMessage(acc, "From: Bea <bea@example.org>\nTo: home@example.com\nSubject: Trip\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nPhotos attached.\n"+
		"--b\nContent-Type: image/jpeg\nContent-Disposition: attachment; filename*=utf-8''playa%20%C3%B1.jpg\n"+
		"Content-Transfer-Encoding: base64\n\n/9j/4AAQ\n"+
		"--b\nContent-Type: text/plain; name=list.txt\nContent-Disposition: attachment; filename=list.txt\n\nsun cream\n--b--\n", time.Now())
	one(t, c.get(msgPath(orig, "")).doc(t), "forward-attached")
	doc := c.get(msgPath(orig, "/forward")).doc(t)
	if got := attachedNames(doc); got != "playa ñ.jpg,list.txt" {
		t.Fatalf("the forward lists %q", got)
	}
	if v := rawText(one(t, doc, "field-text")); !strings.Contains(v, "Photos attached.") {
		t.Errorf("the forward does not quote the text: %q", v)
	}
	fields := hiddenFields(doc)
	if len(fields["original_part"]) != 2 || fields.Get("kind") != "forward" {
		t.Fatalf("hidden fields %v", fields)
	}
	fields.Set("account", strconv.FormatInt(acc.ID, 10))
	fields.Set("to", "carl@example.org")
	fields.Set("subject", "Fwd: Trip")
	fields.Set("text", "Look.")
	fields.Set("remove", removeValue(t, doc, "list.txt"))
	wantRedirect(t, c.postMultipart("/compose", fields, nil), "/outbox?done="+doneQueued)
	m, raw := onlyOutbox(t, a, u.ID)
	if files := sentFiles(t, raw); len(files) != 1 || files["playa ñ.jpg"] != "\xff\xd8\xff\xe0\x00\x10" {
		t.Errorf("sent files %q", files)
	}
	if m.FlagMessageID == nil || *m.FlagMessageID != orig || m.FlagBits != db.FlagForwarded {
		t.Errorf("the original is not to be flagged forwarded: %+v", m)
	}
}

// The Sent mailbox is listed like the inbox, its rows naming the
// recipients, and its messages open on the usual page; a message that
// failed for good can be edited again, with its files.
func TestSentMailboxAndFailedEdit(t *testing.T) {
	a := newApp(t)
	u := a.addUser("ana", "correct horse", db.RoleMember)
	c := a.login("ana", "correct horse")
	acc := a.withOutgoing(a.addAccount(u.ID, "Home"))
	ctx := context.Background()
	form := url.Values{"account": {strconv.FormatInt(acc.ID, 10)}, "to": {"bea@example.org"}, "subject": {"Invoice"}, "text": {"Attached."}}
	wantRedirect(t, c.postMultipart("/compose", form, map[string]string{"invoice.pdf": "PDF"}), "/outbox?done="+doneQueued)
	m, raw := onlyOutbox(t, a, u.ID)
	a.clock.Advance(time.Minute)
	if _, ok, err := a.db.ClaimOutbox(ctx, m.ID, "test", a.clock.Now(), a.clock.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if err := a.db.CompleteOutbox(ctx, m.ID, "test", app.SentCopy(m, raw, a.clock.Now()), "250 ok"); err != nil {
		t.Fatal(err)
	}

	doc := c.get("/mail").doc(t)
	none(t, doc, "message-row")
	if attr(one(t, doc, "box-inbox"), "aria-current") != "page" {
		t.Error("the inbox is not marked in the sidebar")
	}
	if attr(one(t, doc, "box-sent"), "href") != sentPath || attr(one(t, doc, "box-drafts"), "href") != draftsPath {
		t.Error("the sidebar does not lead to Sent and Drafts")
	}
	doc = c.get(sentPath).doc(t)
	if attr(one(t, doc, "box-sent"), "aria-current") != "page" {
		t.Error("Sent is not marked in the sidebar")
	}
	row := one(t, doc, "message-row")
	if from := text(one(t, row, "message-from")); !strings.Contains(from, "bea@example.org") {
		t.Errorf("the Sent row names %q", from)
	}
	one(t, row, "attachment-marker")
	r := c.get(attr(one(t, row, "message-link"), "href"))
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if text(one(t, doc, "message-subject")) != "Invoice" || attr(one(t, doc, "back"), "href") != sentPath {
		t.Errorf("the sent message's page: subject %q, back %q", text(one(t, doc, "message-subject")), attr(one(t, doc, "back"), "href"))
	}

	// A message refused for good: Edit and send again brings it back with its file.
	wantRedirect(t, c.postMultipart("/compose", form, map[string]string{"invoice2.pdf": "PDF2"}), "/outbox?done="+doneQueued)
	list, _ := a.db.OutboxList(ctx, u.ID, time.Time{})
	failed := list[0]
	a.clock.Advance(time.Minute)
	if _, ok, err := a.db.ClaimOutbox(ctx, failed.ID, "test", a.clock.Now(), a.clock.Now().Add(time.Minute)); !ok || err != nil {
		t.Fatalf("claim: %v %v", ok, err)
	}
	if err := a.db.StopOutbox(ctx, failed.ID, "test", db.OutboxFailed, db.OutboxError{Kind: "rejected", Code: 550}); err != nil {
		t.Fatal(err)
	}
	doc = c.get("/outbox").doc(t)
	edit := one(t, doc, "outbox-edit")
	form2 := edit.Parent
	r = c.post(attr(form2, "action"), nil)
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if got := attachedNames(doc); got != "invoice2.pdf" {
		t.Errorf("the failed message comes back with %q", got)
	}
	none(t, doc, "lost-attachments")
}
