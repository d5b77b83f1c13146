package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/db"
)

// TestOtherUsersIDs tries every mail and account URL, GET and POST, with
// another user's ids: each is refused with 404 and nothing changes.
func TestOtherUsersIDs(t *testing.T) {
	f := newMailFixture(t)
	ctx := context.Background()
	msg := strconv.FormatInt(f.anaHTML, 10)
	acc := strconv.FormatInt(f.anaAcc.ID, 10)
	bea := f.beaC

	before, err := f.app.db.Account(ctx, f.ana.ID, f.anaAcc.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The signed URL of one of bea's own parts, moved onto ana's message.
	beaHTML := f.app.addMessage(f.beaAcc, htmlMessage, f.app.clock.Now())
	beaBody := bea.get(msgPath(beaHTML, "/body"))
	wantStatus(t, beaBody, http.StatusOK)
	signed := partURLRe.FindString(beaBody.body)
	if signed == "" {
		t.Fatal("no signed part URL in bea's message")
	}
	moved := strings.Replace(signed, msgPath(beaHTML, ""), "/mail/"+msg, 1)

	for _, p := range []string{
		"/mail/" + msg,
		"/mail/" + msg + "?remote=1",
		"/mail/" + msg + "/body",
		"/mail/" + msg + "/body?remote=1",
		"/mail/" + msg + "/raw",
		"/mail/" + msg + "/raw?download=1",
		"/mail/" + msg + "/part/1.1",
		"/mail/" + msg + "/part/1.2",
		"/mail/" + msg + "/part/2",
		moved,
		"/mail?account=" + acc,
		"/mail/trash?account=" + acc,
		"/settings/accounts/" + acc,
	} {
		r := bea.get(p)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", p, r.StatusCode)
		}
		if strings.Contains(r.body, "Ofertas") || strings.Contains(r.body, "pop.example.com") {
			t.Errorf("GET %s: shows ana's data", p)
		}
	}
	// Without a session or signature, the part leads to the login page.
	anon := f.app.client()
	if r := anon.get("/mail/" + msg + "/part/1.2"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous part: status %d", r.StatusCode)
	}

	posts := []struct {
		path string
		form url.Values
	}{
		{"/mail/actions", url.Values{"action": {"trash"}, "ids": {msg}}},
		{"/mail/actions", url.Values{"action": {"read"}, "ids": {msg}}},
		{"/mail/actions", url.Values{"action": {"unread"}, "ids": {msg}}},
		{"/mail/actions", url.Values{"action": {"restore"}, "ids": {msg}}},
		{"/mail/actions", url.Values{"action": {"delete"}, "ids": {msg}}},
		// Mixed with one of bea's own: refused as a whole.
		{"/mail/actions", url.Values{"action": {"trash"}, "ids": {strconv.FormatInt(f.beaText, 10), msg}}},
		{"/settings/accounts/" + acc, url.Values{"name": {"Mine"}, "email": {"bea@example.com"}, "host": {"pop.evil.example"},
			"port": {"995"}, "security": {"tls"}, "username": {"bea"}, "password": {"x"}, "interval": {"10"}, "retention": {"delete"}}},
		{"/settings/accounts/" + acc + "/check", nil},
		{"/settings/accounts/" + acc + "/delete", url.Values{"confirm": {"yes"}}},
	}
	for _, p := range posts {
		r := bea.post(p.path, p.form)
		if r.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s %v: status %d, want 404", p.path, p.form, r.StatusCode)
		}
	}

	// Nothing changed: ana's message is unread and in the inbox, her
	// account as it was; bea's own message untouched too.
	m, err := f.app.db.Message(ctx, f.ana.ID, f.anaHTML)
	if err != nil || m.Flags.Has(db.FlagSeen) || m.TrashedAt != nil {
		t.Fatalf("ana's message changed: %+v %v", m, err)
	}
	after, err := f.app.db.Account(ctx, f.ana.ID, f.anaAcc.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Host != before.Host || after.Name != before.Name || after.DeleteAfterDownload || !after.NextPoll.Equal(before.NextPoll) {
		t.Fatalf("ana's account changed: %+v", after)
	}
	if string(after.PasswordSealed) != string(before.PasswordSealed) {
		t.Fatal("ana's account password changed")
	}
	if bm, err := f.app.db.Message(ctx, f.bea.ID, f.beaText); err != nil || bm.TrashedAt != nil {
		t.Fatalf("bea's own message changed: %+v %v", bm, err)
	}
	if f.app.waker.n.Load() != 0 {
		t.Fatal("the poller was woken")
	}
	// And the owner still reaches everything.
	wantStatus(t, f.anaC.get("/mail/"+msg), http.StatusOK)
	wantStatus(t, f.anaC.get("/settings/accounts/"+acc), http.StatusOK)
}

func TestCrossSiteRequestsRefused(t *testing.T) {
	f := newMailFixture(t)
	ctx := context.Background()
	msg := strconv.FormatInt(f.anaText, 10)
	form := url.Values{"action": {"trash"}, "ids": {msg}}

	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site", "Origin": "https://other.apartado.test"},
		{"Origin": "https://evil.example"},
		{"Origin": "null"},
	} {
		r := f.anaC.postWith("/mail/actions", form, hdr)
		wantStatus(t, r, http.StatusForbidden)
		one(t, r.doc(t), "error")
		if r.Header.Get("Content-Security-Policy") != appCSP {
			t.Error("the refusal lacks the security headers")
		}
		if m, _ := f.app.db.Message(ctx, f.ana.ID, f.anaText); m.TrashedAt != nil {
			t.Fatalf("cross-site POST with %v trashed the message", hdr)
		}
	}
	// Signing in, out, and changing settings are protected alike.
	for _, p := range []string{"/login", "/logout", "/settings/password", "/settings/preferences", "/admin/users",
		"/settings/accounts/new", "/settings/accounts/" + strconv.FormatInt(f.anaAcc.ID, 10) + "/delete"} {
		r := f.anaC.postWith(p, url.Values{"confirm": {"yes"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
		if r.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %s: status %d", p, r.StatusCode)
		}
	}
	wantStatus(t, f.anaC.get("/mail"), http.StatusOK) // still signed in
	if _, err := f.app.db.Account(ctx, f.ana.ID, f.anaAcc.ID); err != nil {
		t.Fatal("the account was deleted cross-site")
	}

	// Same-origin requests work, by Sec-Fetch-Site, by Origin, or with
	// neither (not a browser).
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "same-origin"},
		{"Origin": "http://apartado.test"},
		{},
	} {
		r := f.anaC.postWith("/mail/actions", url.Values{"action": {"star"}, "ids": {msg}}, hdr)
		wantUndoable(t, r, "/mail")
		r = f.anaC.postWith("/mail/actions", url.Values{"action": {"unstar"}, "ids": {msg}}, hdr)
		wantUndoable(t, r, "/mail")
	}
	// A cross-site top-level GET is fine: it changes nothing.
	r := f.anaC.do(withHeader(f.anaC, "/mail", "Sec-Fetch-Site", "cross-site"))
	wantStatus(t, r, http.StatusOK)
}

func withHeader(c *client, path, k, v string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, "http://apartado.test"+path, nil)
	if err != nil {
		c.app.t.Fatal(err)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	req.Header.Set(k, v)
	return req
}

func TestSecurityHeaders(t *testing.T) {
	f := newMailFixture(t)
	c := f.anaC
	partHTML := f.anaC.get(msgPath(f.anaHTML, ""))
	var pdfURL string
	for _, a := range byTestID(partHTML.doc(t), "attachment-link") {
		if strings.HasSuffix(text(a), ".pdf") {
			pdfURL = attr(a, "href")
		}
	}
	static := attr(findFirst(partHTML.doc(t), "link", "rel", "stylesheet"), "href")

	type check struct {
		path   string
		client *client
		status int
		csp    string // "" means the app's
		frame  string
	}
	anon := f.app.client()
	for _, tc := range []check{
		{"/mail", c, http.StatusOK, "", "DENY"},
		{"/login", anon, http.StatusOK, "", "DENY"},
		{"/mail", anon, http.StatusSeeOther, "", "DENY"},
		{"/no/such/page", c, http.StatusNotFound, "", "DENY"},
		{"/no/such/page", anon, http.StatusNotFound, "", "DENY"},
		{"/mail/999999", c, http.StatusNotFound, "", "DENY"},
		{"/admin/users", f.beaC, http.StatusForbidden, "", "DENY"},
		{static, anon, http.StatusOK, "", "DENY"},
		{"/static/missing.css", anon, http.StatusNotFound, "", "DENY"},
		{"/healthz", anon, http.StatusOK, "", "DENY"},
		{msgPath(f.anaHTML, "/body"), c, http.StatusOK, bodyCSP + bodyCSPTail, "SAMEORIGIN"},
		{msgPath(f.anaHTML, "/body?remote=1"), c, http.StatusOK, bodyCSP + bodyCSPRemote + bodyCSPTail, "SAMEORIGIN"},
		{pdfURL, c, http.StatusOK, partCSP, "DENY"},
		{msgPath(f.anaHTML, "/raw"), c, http.StatusOK, partCSP, "DENY"},
	} {
		r := tc.client.get(tc.path)
		if r.StatusCode != tc.status {
			t.Errorf("GET %s: status %d, want %d", tc.path, r.StatusCode, tc.status)
		}
		want := tc.csp
		if want == "" {
			want = appCSP
		}
		h := r.Header
		if got := h.Get("Content-Security-Policy"); got != want {
			t.Errorf("GET %s: CSP %q, want %q", tc.path, got, want)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" || h.Get("X-Frame-Options") != tc.frame {
			t.Errorf("GET %s: nosniff %q, referrer %q, frame %q", tc.path, h.Get("X-Content-Type-Options"), h.Get("Referrer-Policy"), h.Get("X-Frame-Options"))
		}
	}
	if !strings.Contains(appCSP, "frame-ancestors 'none'") || strings.Contains(appCSP, "unsafe-inline") {
		t.Fatalf("app CSP %q", appCSP)
	}
	// Pages are never cached; static files are, when versioned.
	if cc := c.get("/mail").Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page Cache-Control %q", cc)
	}
	r := anon.get(static)
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || r.Header.Get("Content-Type") != "text/css; charset=utf-8" {
		t.Errorf("static: Cache-Control %q, type %q", cc, r.Header.Get("Content-Type"))
	}
	if cc := anon.get("/static/app.css").Header.Get("Cache-Control"); strings.Contains(cc, "immutable") {
		t.Errorf("unversioned static Cache-Control %q", cc)
	}
	// A cross-site POST's refusal has them too.
	r = c.postWith("/logout", nil, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if r.Header.Get("Content-Security-Policy") != appCSP || r.Header.Get("X-Frame-Options") != "DENY" {
		t.Error("403 without security headers")
	}
}

func findFirst(root *html.Node, tag, key, val string) *html.Node {
	var found *html.Node
	walk(root, func(n *html.Node) {
		if found == nil && n.Type == html.ElementNode && n.Data == tag && attr(n, key) == val {
			found = n
		}
	})
	return found
}

func TestAdminOnlyForAdmins(t *testing.T) {
	f := newMailFixture(t)
	ctx := context.Background()
	// bea is a member.
	r := f.beaC.get("/admin/users")
	wantStatus(t, r, http.StatusForbidden)
	one(t, r.doc(t), "error")
	none(t, f.beaC.get("/mail").doc(t), "nav-admin")
	wantStatus(t, f.beaC.post("/admin/users", url.Values{"name": {"eve"}, "password": {"correct horse"}, "role": {"admin"}}), http.StatusForbidden)
	if _, err := f.app.db.UserByName(ctx, "eve"); err != db.ErrNotFound {
		t.Fatal("a member added a user")
	}
	anaID := strconv.FormatInt(f.ana.ID, 10)
	for _, p := range []string{"/disable", "/enable", "/reset-password"} {
		wantStatus(t, f.beaC.post("/admin/users/"+anaID+p, url.Values{"password": {"pwned pwned"}}), http.StatusForbidden)
	}
	if u, _ := f.app.db.UserByID(ctx, f.ana.ID); u.Disabled {
		t.Fatal("a member disabled an admin")
	}
	f.app.login("ana", "correct horse")
}

func TestAdminUsers(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	root := app.addUser("root", "correct horse", db.RoleAdmin)
	admin := app.login("root", "correct horse")
	r := admin.get("/admin/users")
	wantStatus(t, r, http.StatusOK)
	if n := len(byTestID(r.doc(t), "user")); n != 1 {
		t.Fatalf("%d users listed", n)
	}

	// Add a member; the name is taken afterwards.
	wantRedirect(t, admin.post("/admin/users", url.Values{"name": {"ana"}, "password": {"first password"}, "role": {"member"}}), "/admin/users?done="+doneUserAdded)
	r = admin.post("/admin/users", url.Values{"name": {"ANA"}, "password": {"first password"}, "role": {"member"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-new-name")
	if v, _, _ := inputValue(r.doc(t), "name"); v != "ANA" {
		t.Errorf("the name was not kept: %q", v)
	}
	r = admin.post("/admin/users", url.Values{"name": {"bob"}, "password": {"short"}, "role": {"admin"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-new-password")
	if checkedRadio(r.doc(t), "role") != "admin" {
		t.Error("the role was not kept")
	}
	ana, err := app.db.UserByName(ctx, "ana")
	if err != nil || ana.IsAdmin() {
		t.Fatalf("ana: %+v %v", ana, err)
	}
	anaID := "/admin/users/" + strconv.FormatInt(ana.ID, 10)
	member := app.login("ana", "first password")

	// Disabling ends the member's session and bars signing in.
	wantRedirect(t, admin.post(anaID+"/disable", nil), "/admin/users?done="+doneUserDisabled)
	wantRedirect(t, member.get("/mail"), "/login?next=%2Fmail")
	wantStatus(t, app.client().post("/login", url.Values{"name": {"ana"}, "password": {"first password"}}), http.StatusForbidden)
	r = admin.get("/admin/users")
	for _, u := range byTestID(r.doc(t), "user") {
		if attr(u, "data-user-name") == "ana" {
			one(t, u, "user-disabled")
			one(t, u, "user-enable")
		}
	}
	wantRedirect(t, admin.post(anaID+"/enable", nil), "/admin/users?done="+doneUserEnabled)
	member = app.login("ana", "first password")

	// A new password set by the admin: the member is signed out.
	r = admin.post(anaID+"/reset-password", url.Values{"password": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-reset-"+strconv.FormatInt(ana.ID, 10))
	wantRedirect(t, admin.post(anaID+"/reset-password", url.Values{"password": {"second password"}}), "/admin/users?done="+donePasswordSet)
	wantRedirect(t, member.get("/mail"), "/login?next=%2Fmail")
	app.login("ana", "second password")

	// Administrators cannot disable themselves or reset their own password here.
	rootID := "/admin/users/" + strconv.FormatInt(root.ID, 10)
	r = admin.post(rootID+"/disable", nil)
	wantStatus(t, r, http.StatusConflict)
	one(t, r.doc(t), "form-error")
	wantStatus(t, admin.post(rootID+"/reset-password", url.Values{"password": {"another password"}}), http.StatusConflict)
	wantStatus(t, admin.get("/mail"), http.StatusOK)
	wantStatus(t, admin.post("/admin/users/99999/disable", nil), http.StatusNotFound)

	// A second admin may disable the first, but not the last one standing.
	wantRedirect(t, admin.post("/admin/users", url.Values{"name": {"deputy"}, "password": {"deputy password"}, "role": {"admin"}}), "/admin/users?done="+doneUserAdded)
	deputy := app.login("deputy", "deputy password")
	wantRedirect(t, deputy.post(rootID+"/disable", nil), "/admin/users?done="+doneUserDisabled)
	if root := mustUser(t, app, "root"); !root.Disabled {
		t.Fatal("the first admin was not disabled")
	}
	wantStatus(t, deputy.post("/admin/users/"+strconv.FormatInt(mustUser(t, app, "deputy").ID, 10)+"/disable", nil), http.StatusConflict)
}

func mustUser(t *testing.T, app *testApp, name string) db.User {
	t.Helper()
	u, err := app.db.UserByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
