package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/poller"
)

func decodeLive(t *testing.T, r *response) liveJSON {
	t.Helper()
	wantStatus(t, r, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("content type %q", ct)
	}
	var out liveJSON
	if err := json.Unmarshal([]byte(r.body), &out); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	return out
}

// pageTitle is the text of the page's <title>.
func titleOf(t *testing.T, root *html.Node) string {
	t.Helper()
	var s string
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "title" {
			s = text(n)
		}
	})
	return s
}

func liveCount(t *testing.T, cs []liveCountJSON, id int64) liveCountJSON {
	t.Helper()
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	t.Fatalf("no count for %d in %+v", id, cs)
	return liveCountJSON{}
}

// A list page says where to ask what changed and since when; the answer
// is the signed-in user's alone, counts what was stored in the list since
// the page was drawn, and follows the unread counts.
func TestLiveEndpoint(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	ana := app.addUser("ana", "correct horse", db.RoleMember)
	bob := app.addUser("bob", "battery staple", db.RoleMember)
	home := app.addAccount(ana.ID, "Home")
	work := app.addAccount(ana.ID, "Work")
	bobs := app.addAccount(bob.ID, "Bobs")
	now := app.clock.Now()
	mail := func(subject string) string { return "From: x@example.org\nSubject: " + subject + "\n\nbody\n" }
	app.addMessage(home, mail("one"), now.Add(-time.Hour))
	app.addMessage(work, mail("two"), now.Add(-time.Hour))
	inbox, err := app.db.MailboxByRole(ctx, ana.ID, db.MailboxInbox)
	if err != nil {
		t.Fatal(err)
	}
	c := app.login("ana", "correct horse")

	page := c.get("/mail").doc(t)
	if got := titleOf(t, page); got != "(2) Inbox – Apartado" {
		t.Errorf("title %q", got)
	}
	bar := one(t, page, "live-bar")
	liveURL, since := attr(bar, "data-live-url"), attr(bar, "data-live-since")
	if liveURL != livePath+"?mailbox="+strconv.FormatInt(inbox.ID, 10) || since != "2" || !hasAttr(bar, "hidden") ||
		!hasAttr(bar, "data-live-first") || attr(bar, "data-live-title") != "Inbox – Apartado" {
		t.Fatalf("live bar: url %q since %q first %v title %q", liveURL, since, hasAttr(bar, "data-live-first"), attr(bar, "data-live-title"))
	}
	if href := attr(one(t, bar, "live-show"), "href"); href != "/mail" {
		t.Errorf("show links to %q", href)
	}

	s := decodeLive(t, c.get(liveURL+"&since="+since))
	if s.New != 0 || s.NewText != "" || s.Arrived != 2 || s.Unread != 2 || s.UnreadText != "2" {
		t.Errorf("nothing new: %+v", s)
	}
	if got := liveCount(t, s.Mailboxes, inbox.ID); got.N != 2 || got.Text != "2" || got.Label != "2 unread" {
		t.Errorf("inbox's sidebar count: %+v", got)
	}
	if s.Inbox.N != 2 || liveCount(t, s.Accounts, home.ID).N != 1 || len(s.Accounts) != 2 {
		t.Errorf("navigation counts: %+v %+v", s.Inbox, s.Accounts)
	}

	// Mail is stored for ana, and for bob: ana hears of hers only.
	app.addMessage(home, mail("three"), now.Add(-2*time.Hour))
	app.addMessage(bobs, mail("bob's"), now)
	s = decodeLive(t, c.get(liveURL+"&since="+since))
	if s.New != 1 || s.NewText != "1 new message" || s.Arrived != 3 || s.Unread != 3 || s.Inbox.N != 3 {
		t.Errorf("one new: %+v", s)
	}
	if got := liveCount(t, s.Accounts, home.ID); got.N != 2 {
		t.Errorf("Home's count: %+v", got)
	}
	app.addMessage(work, mail("four"), now)
	if s = decodeLive(t, c.get(liveURL+"&since="+since)); s.New != 2 || s.NewText != "2 new messages" {
		t.Errorf("two new: %+v", s)
	}
	// In Spanish.
	es := app.login("ana", "correct horse")
	es.header.Set("Accept-Language", "es")
	if s := decodeLive(t, es.get(liveURL+"&since="+since)); s.NewText != "2 mensajes nuevos" || liveCount(t, s.Mailboxes, inbox.ID).Label != "4 sin leer" {
		t.Errorf("Spanish: %+v", s)
	}

	// Reading lowers the counts; a page drawn now starts from there.
	if err := app.db.SetSeen(ctx, ana.ID, []int64{1}, true); err != nil {
		t.Fatal(err)
	}
	page = c.get("/mail").doc(t)
	if got := titleOf(t, page); got != "(3) Inbox – Apartado" {
		t.Errorf("title after reading one: %q", got)
	}
	since = attr(one(t, page, "live-bar"), "data-live-since")
	if s = decodeLive(t, c.get(liveURL+"&since="+since)); s.New != 0 || s.Unread != 3 || s.UnreadText != "3" {
		t.Errorf("after a reload: since %s, %+v", since, s)
	}

	// An account's view counts that account's share.
	page = c.get("/mail?account=" + strconv.FormatInt(work.ID, 10)).doc(t)
	bar = one(t, page, "live-bar")
	if got := titleOf(t, page); got != "(2) Work – Apartado" {
		t.Errorf("account view's title %q", got)
	}
	accURL := attr(bar, "data-live-url")
	if accURL != liveURL+"&account="+strconv.FormatInt(work.ID, 10) || attr(bar, "data-live-since") != "2" {
		t.Fatalf("account view: %q since %q", accURL, attr(bar, "data-live-since"))
	}
	app.addMessage(home, mail("five"), now)
	if s = decodeLive(t, c.get(accURL+"&since=2")); s.New != 0 || s.Unread != 2 {
		t.Errorf("Work's view after mail for Home: %+v", s)
	}
	app.addMessage(work, mail("six"), now)
	if s = decodeLive(t, c.get(accURL+"&since=2")); s.New != 1 || s.Unread != 3 {
		t.Errorf("Work's view after mail for Work: %+v", s)
	}

	// A later page shows no bar for new mail; counts still follow.
	for i := range pageSize {
		app.addMessage(home, mail(fmt.Sprint("old ", i)), now.Add(-time.Duration(100+i)*time.Hour))
	}
	older := attr(one(t, c.get("/mail").doc(t), "page-older"), "href")
	if bar := one(t, c.get(older).doc(t), "live-bar"); hasAttr(bar, "data-live-first") {
		t.Error("the second page offers new mail")
	}
	// The trash and the sent mail show no unread count in the title.
	if got := titleOf(t, c.get("/mail/trash").doc(t)); got != "Trash – Apartado" {
		t.Errorf("trash's title %q", got)
	}

	// Another user's mailbox or account, and nonsense, are refused.
	bobInbox, err := app.db.MailboxByRole(ctx, bob.ID, db.MailboxInbox)
	if err != nil {
		t.Fatal(err)
	}
	wantStatus(t, c.get(livePath+"?mailbox="+strconv.FormatInt(bobInbox.ID, 10)), http.StatusNotFound)
	wantStatus(t, c.get(liveURL+"&account="+strconv.FormatInt(bobs.ID, 10)), http.StatusNotFound)
	wantStatus(t, c.get(liveURL+"&since=-1"), http.StatusBadRequest)
	wantStatus(t, c.get(livePath+"?mailbox=x"), http.StatusBadRequest)
	// Without a session: to the sign-in page, not the counts.
	if r := app.client().get(liveURL); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("signed out: %d %q", r.StatusCode, r.Header.Get("Location"))
	}
}

// The answer reads maintained counts only: with the messages table out of
// reach, it is the same.
func TestLiveReadsNoMessages(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	ana := app.addUser("ana", "correct horse", db.RoleMember)
	home := app.addAccount(ana.ID, "Home")
	for i := range 5 {
		app.addMessage(home, fmt.Sprintf("Subject: %d\n\nbody\n", i), app.clock.Now())
	}
	c := app.login("ana", "correct horse")
	bar := one(t, c.get("/mail?account="+strconv.FormatInt(home.ID, 10)).doc(t), "live-bar")
	u := attr(bar, "data-live-url") + "&since=3"
	before := decodeLive(t, c.get(u))
	if before.New != 2 || before.Unread != 5 {
		t.Fatalf("before: %+v", before)
	}
	if _, err := app.db.SQL().ExecContext(ctx, `ALTER TABLE messages RENAME TO messages_out_of_reach`); err != nil {
		t.Fatal(err)
	}
	after := decodeLive(t, c.get(u))
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("without the messages table: %+v, want %+v", after, before)
	}
	// The list itself does read them: the check above means something.
	if r := c.get("/mail"); r.StatusCode != http.StatusInternalServerError {
		t.Errorf("the inbox without its messages: status %d", r.StatusCode)
	}
}

// Check mail, without JavaScript: a form that asks for the user's accounts
// to be checked, wakes the poller, and comes back to the list with a
// notice; pressed again before 30 seconds, it asks for nothing and says
// why.
func TestCheckMail(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	ana := app.addUser("ana", "correct horse", db.RoleMember)
	bob := app.addUser("bob", "battery staple", db.RoleMember)
	home := app.addAccount(ana.ID, "Home")
	bobs := app.addAccount(bob.ID, "Bobs")
	now := app.clock.Now()
	// Both were checked a minute ago, and are next due in ten.
	for _, id := range []int64{home.ID, bobs.ID} {
		if err := app.db.SetNextPoll(ctx, id, now.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := app.db.RecordPoll(ctx, id, db.PollResult{Started: now.Add(-time.Minute), NextPoll: now.Add(10 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	nextPoll := func(userID, id int64) time.Time {
		t.Helper()
		a, err := app.db.Account(ctx, userID, id)
		if err != nil {
			t.Fatal(err)
		}
		return a.NextPoll
	}
	c := app.login("ana", "correct horse")
	list := "/mail?account=" + strconv.FormatInt(home.ID, 10)
	form := one(t, c.get(list).doc(t), "check-mail")
	for n := form.Parent; n != nil; n = n.Parent {
		if n.Data == "form" {
			if attr(n, "action") != checkPath || attr(n, "method") != "post" {
				t.Fatalf("Check mail's form: %s %s", attr(n, "method"), attr(n, "action"))
			}
			break
		}
	}
	press := func(c *client, want string) string {
		t.Helper()
		r := c.post(checkPath, url.Values{"return": {list}})
		wantRedirect(t, r, list+"&done="+want)
		return text(one(t, c.get(r.Header.Get("Location")).doc(t), "notice"))
	}

	woken := app.waker.n.Load()
	if got := press(c, doneCheckMail); got != "Checking your accounts for new mail now." {
		t.Errorf("notice %q", got)
	}
	if app.waker.n.Load() != woken+1 {
		t.Error("the poller was not woken")
	}
	if !nextPoll(ana.ID, home.ID).Before(now) || nextPoll(bob.ID, bobs.ID).Before(now.Add(time.Minute)) {
		t.Errorf("next polls: ana's %v, bob's %v", nextPoll(ana.ID, home.ID), nextPoll(bob.ID, bobs.ID))
	}
	// With a check asked for, the page asks what changed often for a while.
	if bar := one(t, c.get(list+"&done="+doneCheckMail).doc(t), "live-bar"); !hasAttr(bar, "data-live-soon") {
		t.Error("after Check mail, the page does not ask soon")
	}
	if bar := one(t, c.get(list).doc(t), "live-bar"); hasAttr(bar, "data-live-soon") {
		t.Error("without Check mail, the page asks soon")
	}

	// The poller starts the sync: pressing again asks for nothing.
	if err := app.db.SetNextPoll(ctx, home.ID, now.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	app.waker.setProgress(home.ID, &poller.Progress{AccountID: home.ID, Phase: poller.PhaseListing, Now: now})
	woken = app.waker.n.Load()
	got := press(c, doneCheckRecent)
	if !strings.Contains(got, "at most once every 30 seconds") {
		t.Errorf("notice while it runs: %q", got)
	}
	if app.waker.n.Load() != woken || nextPoll(ana.ID, home.ID).Before(now) {
		t.Error("pressed during a sync: the poller was asked again")
	}
	// It ends; 29 seconds after it started, still too soon; at 30, again.
	app.waker.setProgress(home.ID, nil)
	if err := app.db.RecordPoll(ctx, home.ID, db.PollResult{Started: now, NextPoll: now.Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	app.clock.Advance(29 * time.Second)
	press(c, doneCheckRecent)
	app.clock.Advance(time.Second)
	press(c, doneCheckMail)
	if apppkg.CheckMailInterval != 30*time.Second {
		t.Errorf("the notices say 30 seconds; the interval is %v", apppkg.CheckMailInterval)
	}

	// Asked for again before the poller got to it: it is woken, nothing more.
	woken = app.waker.n.Load()
	press(c, doneCheckMail)
	if app.waker.n.Load() != woken+1 {
		t.Error("the poller was not woken")
	}

	// In Spanish, while it runs.
	app.waker.setProgress(home.ID, &poller.Progress{AccountID: home.ID, Phase: poller.PhaseListing, Now: now})
	es := app.login("ana", "correct horse")
	es.header.Set("Accept-Language", "es")
	if got := press(es, doneCheckRecent); !strings.Contains(got, "como mucho una vez cada 30 segundos") {
		t.Errorf("Spanish notice %q", got)
	}

	// A user without accounts has no button, and pressing it anyway says so.
	app.addUser("cara", "correct horse", db.RoleMember)
	cc := app.login("cara", "correct horse")
	none(t, cc.get("/mail").doc(t), "check-mail")
	r := cc.post(checkPath, url.Values{"return": {"https://elsewhere.example/"}})
	wantRedirect(t, r, "/mail?done="+doneCheckNothing)
}
