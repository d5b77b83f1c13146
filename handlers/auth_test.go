package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/password"
)

func TestSetupFlow(t *testing.T) {
	app := newApp(t)
	c := app.client()

	// Before any user exists, every page leads to the setup form.
	for _, p := range []string{"/", "/mail", "/login", "/settings", "/admin/users", "/mail/1"} {
		wantRedirect(t, c.get(p), "/setup")
	}
	r := c.get("/setup")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	one(t, doc, "setup-form")
	none(t, doc, "nav")

	one(t, doc, "field-code")

	// Without the set-up code from the log, nothing is created, whatever
	// else the form says.
	for _, code := range []string{"", "WRONG-CODE0-00000", testSetupCode + "X"} {
		r = c.post("/setup", url.Values{"code": {code}, "name": {"mallory"}, "password": {"correct horse"}, "confirm": {"correct horse"}})
		wantStatus(t, r, http.StatusForbidden)
		one(t, r.doc(t), "error-code")
	}
	if n, _ := app.db.CountUsers(context.Background()); n != 0 {
		t.Fatalf("%d users after set-up attempts without the code", n)
	}

	// Validation: the two passwords must match and be long enough. The
	// code is typed as people do: lower case, without the hyphens.
	code := strings.ToLower(strings.ReplaceAll(testSetupCode, "-", ""))
	r = c.post("/setup", url.Values{"code": {code}, "name": {"ana"}, "password": {"correct horse"}, "confirm": {"correct h0rse"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc = r.doc(t)
	one(t, doc, "error-confirm")
	if v, _, _ := inputValue(doc, "name"); v != "ana" {
		t.Errorf("name field = %q, want the input kept", v)
	}
	r = c.post("/setup", url.Values{"code": {code}, "name": {""}, "password": {"short"}, "confirm": {"short"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-name")
	one(t, r.doc(t), "error-password")

	r = c.post("/setup", url.Values{"code": {code}, "name": {"ana"}, "password": {"correct horse"}, "confirm": {"correct horse"}})
	wantRedirect(t, r, "/mail")
	r = c.get("/mail")
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "nav-admin")
	u, err := app.db.UserByName(context.Background(), "ana")
	if err != nil || !u.IsAdmin() {
		t.Fatalf("first user %+v, %v: want an administrator", u, err)
	}

	// Afterwards the setup form is gone, for everyone.
	other := app.client()
	wantRedirect(t, other.get("/setup"), "/login")
	wantRedirect(t, other.post("/setup", url.Values{"code": {testSetupCode}, "name": {"mallory"}, "password": {"correct horse"}, "confirm": {"correct horse"}}), "/login")
	if app.handler.setupCode.Matches(testSetupCode) {
		t.Error("the set-up code still matches once the administrator exists")
	}
	wantRedirect(t, c.get("/setup"), "/login")
	if n, _ := app.db.CountUsers(context.Background()); n != 1 {
		t.Fatalf("%d users after a second setup, want 1", n)
	}
	wantStatus(t, other.get("/login"), http.StatusOK)
}

func TestSetupRefusedWhenUsersExistAtStart(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleAdmin)
	c := app.client()
	wantRedirect(t, c.get("/setup"), "/login")
	wantRedirect(t, c.post("/setup", url.Values{"code": {testSetupCode}, "name": {"eve"}, "password": {"correct horse"}, "confirm": {"correct horse"}}), "/login")
	if _, err := app.db.UserByName(context.Background(), "eve"); err != db.ErrNotFound {
		t.Fatalf("eve: %v, want not found", err)
	}
}

func TestLogin(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)

	c := app.client()
	wantRedirect(t, c.get("/mail"), "/login?next=%2Fmail")
	r := c.get("/login")
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "login-form")

	for _, tc := range []struct{ name, pw string }{
		{"ana", "wrong horse"},
		{"nobody", "correct horse"},
		{"", ""},
	} {
		r := c.post("/login", url.Values{"name": {tc.name}, "password": {tc.pw}})
		wantStatus(t, r, http.StatusUnauthorized)
		doc := r.doc(t)
		one(t, doc, "form-error")
		if v, _, hasValue := inputValue(doc, "password"); v != "" || hasValue {
			t.Errorf("password field has a value %q", v)
		}
		if len(c.cookies) != 0 {
			t.Fatalf("failed sign-in set cookies: %v", c.cookies)
		}
	}
	wantRedirect(t, c.get("/mail"), "/login?next=%2Fmail")

	// Names are matched without regard to case; "next" is followed when local.
	r = c.post("/login", url.Values{"name": {"  ANA "}, "password": {"correct horse"}, "next": {"/settings?x=1"}})
	wantRedirect(t, r, "/settings?x=1")
	wantStatus(t, c.get("/settings"), http.StatusOK)
	wantRedirect(t, c.get("/login"), "/mail")

	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		c := app.client()
		r := c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}, "next": {next}})
		wantRedirect(t, r, "/mail")
	}
}

func TestLoginRateLimit(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	app.addUser("bea", "correct horse", db.RoleMember)
	c := app.client()
	for i := 0; i < loginMaxPerClientName; i++ {
		wantStatus(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"wrong " + strconv.Itoa(i)}}), http.StatusUnauthorized)
	}
	// Now even the right password is refused, for a while.
	r := c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}})
	wantStatus(t, r, http.StatusTooManyRequests)
	one(t, r.doc(t), "form-error")
	if ra, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || ra <= 0 || ra > int(loginWindow/time.Second) {
		t.Errorf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	if len(c.cookies) != 0 {
		t.Fatal("a rate-limited sign-in set a cookie")
	}
	// Another name from the same client still works…
	app.login("bea", "correct horse")
	// …and another client for the same name too.
	other := app.client()
	other.remote = "198.51.100.7:4000"
	wantRedirect(t, other.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), "/mail")

	// The per-client limit covers every name.
	c2 := app.client()
	c2.remote = "203.0.113.9:1000"
	for i := 0; i < loginMaxPerClient; i++ {
		wantStatus(t, c2.post("/login", url.Values{"name": {"user" + strconv.Itoa(i)}, "password": {"x"}}), http.StatusUnauthorized)
	}
	wantStatus(t, c2.post("/login", url.Values{"name": {"bea"}, "password": {"correct horse"}}), http.StatusTooManyRequests)

	// After the window, the first client may try again.
	app.clock.Advance(loginWindow + time.Second)
	wantRedirect(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), "/mail")
}

func TestLoginRateLimitBehindProxy(t *testing.T) {
	app := newApp(t, func(c *Config) { c.TrustProxy = true })
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.client()
	// The client claims an address; the proxy appends the real one.
	c.header.Set("X-Forwarded-For", "10.0.0.1, 192.0.2.55")
	for i := 0; i < loginMaxPerClientName; i++ {
		wantStatus(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"wrong"}}), http.StatusUnauthorized)
	}
	wantStatus(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), http.StatusTooManyRequests)
	// Changing the claimed part does not escape the limit.
	c.header.Set("X-Forwarded-For", "10.9.9.9, 192.0.2.55")
	wantStatus(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), http.StatusTooManyRequests)
	// Another real client is not limited.
	c.header.Set("X-Forwarded-For", "10.0.0.1, 192.0.2.56")
	wantRedirect(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), "/mail")

	// Without TrustProxy the header is ignored: all these come from one address.
	app2 := newApp(t)
	app2.addUser("ana", "correct horse", db.RoleMember)
	c = app2.client()
	for i := 0; i < loginMaxPerClientName; i++ {
		c.header.Set("X-Forwarded-For", "192.0.2."+strconv.Itoa(i))
		wantStatus(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"wrong"}}), http.StatusUnauthorized)
	}
	wantStatus(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), http.StatusTooManyRequests)
}

// TestSetupCodeAttemptsLimited: guesses at the set-up code are limited per
// client and from everywhere, and a limited client is refused even with
// the right code until the window ends.
func TestSetupCodeAttemptsLimited(t *testing.T) {
	app := newApp(t)
	c := app.client()
	form := func(code string) url.Values {
		return url.Values{"code": {code}, "name": {"ana"}, "password": {"correct horse"}, "confirm": {"correct horse"}}
	}
	for i := range setupMaxPerClient {
		wantStatus(t, c.post("/setup", form("GUESS-"+strconv.Itoa(i))), http.StatusForbidden)
	}
	r := c.post("/setup", form(testSetupCode))
	wantStatus(t, r, http.StatusTooManyRequests)
	one(t, r.doc(t), "form-error")
	// Many addresses share one limit too.
	for i := 0; i < setupMaxAll-setupMaxPerClient; i++ {
		o := app.client()
		o.remote = "198.51.100." + strconv.Itoa(i) + ":1000"
		wantStatus(t, o.post("/setup", form("GUESS")), http.StatusForbidden)
	}
	o := app.client()
	o.remote = "203.0.113.1:1000"
	wantStatus(t, o.post("/setup", form(testSetupCode)), http.StatusTooManyRequests)
	app.clock.Advance(loginWindow + time.Second)
	wantRedirect(t, c.post("/setup", form(testSetupCode)), "/mail")
}

// TestSetupCodeShape: codes are random, in the unambiguous alphabet, and a
// handler given no code matches none, not even an empty one.
func TestSetupCodeShape(t *testing.T) {
	a, b := NewSetupCode(), NewSetupCode()
	if a == b || len(a) != 17 || strings.Count(a, "-") != 2 {
		t.Fatalf("codes %q, %q", a, b)
	}
	for _, r := range strings.ReplaceAll(a, "-", "") {
		if !strings.ContainsRune(setupAlphabet, r) {
			t.Fatalf("%q has %q", a, r)
		}
	}
	shut := newSetupCodeState("")
	for _, typed := range []string{"", "-", " "} {
		if shut.Matches(typed) {
			t.Errorf("a handler without a code matched %q", typed)
		}
	}
}

// TestLoginParallelAttemptsCounted sends 100 wrong passwords for one name
// at once. Each attempt counts before its password is checked, so no more
// passwords are checked than the limit allows, and the rest are refused.
func TestLoginParallelAttemptsCounted(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	const n = 100
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := app.client()
			statuses <- c.post("/login", url.Values{"name": {"ana"}, "password": {"guess " + strconv.Itoa(i)}}).StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[http.StatusUnauthorized] > loginMaxPerClientName {
		t.Errorf("%d passwords were checked, want at most %d", count[http.StatusUnauthorized], loginMaxPerClientName)
	}
	if count[http.StatusUnauthorized]+count[http.StatusTooManyRequests]+count[http.StatusServiceUnavailable] != n {
		t.Errorf("statuses %v: want only 401, 429 and 503", count)
	}
	if count[http.StatusTooManyRequests] < n-loginMaxPerClientName-count[http.StatusServiceUnavailable] {
		t.Errorf("statuses %v", count)
	}
}

// TestLoginLimitPerNameAcrossAddresses: many addresses cannot share out the
// guessing of one user's password.
func TestLoginLimitPerNameAcrossAddresses(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	app.addUser("bea", "correct horse", db.RoleMember)
	for i := range loginMaxPerName {
		c := app.client()
		c.remote = "198.51.100." + strconv.Itoa(i) + ":1000"
		wantStatus(t, c.post("/login", url.Values{"name": {"ANA"}, "password": {"guess"}}), http.StatusUnauthorized)
	}
	c := app.client()
	c.remote = "203.0.113.200:1000"
	wantStatus(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), http.StatusTooManyRequests)
	// Another name from the same new address is not affected.
	wantRedirect(t, c.post("/login", url.Values{"name": {"bea"}, "password": {"correct horse"}}), "/mail")
	// A sign-in that succeeds takes its own attempt back.
	app.clock.Advance(loginWindow + time.Second)
	for range loginMaxPerName + 5 {
		app.login("bea", "correct horse")
	}
}

// TestPasswordWorkBounded: with every place of the hashing gate taken, a
// sign-in, a set-up and a password change answer 503 with Retry-After and
// check nothing; the sign-in's attempt is not counted against the user.
func TestPasswordWorkBounded(t *testing.T) {
	app := newApp(t)
	// A gate of one place and no waiting room, held: every hash is turned
	// away at once.
	app.handler.useHashGate(password.NewGate(1, 0, 0))
	release, err := app.handler.users.Hashes().Hold(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := app.client()
	r := c.post("/setup", url.Values{"code": {testSetupCode}, "name": {"ana"}, "password": {"correct horse"}, "confirm": {"correct horse"}})
	wantStatus(t, r, http.StatusServiceUnavailable)
	if r.Header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	one(t, r.doc(t), "form-error")
	if n, _ := app.db.CountUsers(context.Background()); n != 0 {
		t.Fatalf("%d users", n)
	}

	app.addUser("ana", "correct horse", db.RoleAdmin)
	for range loginMaxPerClientName + 2 {
		r = c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}})
		wantStatus(t, r, http.StatusServiceUnavailable)
		if len(c.cookies) != 0 {
			t.Fatal("a sign-in that checked nothing set a cookie")
		}
	}
	release()
	// None of those counted: the right password signs in now.
	wantRedirect(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), "/mail")

	// Changing one's password needs the current one checked, and a new hash.
	release, err = app.handler.users.Hashes().Hold(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r = c.post("/settings/password", url.Values{"current": {"correct horse"}, "new": {"battery staple"}, "confirm": {"battery staple"}})
	wantStatus(t, r, http.StatusServiceUnavailable)
	release()
	if u, _ := app.db.UserByName(context.Background(), "ana"); func() bool { ok, _ := password.Verify(u.PasswordHash, "correct horse"); return !ok }() {
		t.Fatal("the password changed while the gate was full")
	}
}

func TestLoginDisabledUser(t *testing.T) {
	app := newApp(t)
	app.addUser("root", "correct horse", db.RoleAdmin)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	if err := app.db.SetDisabled(context.Background(), u.ID, true); err != nil {
		t.Fatal(err)
	}
	c := app.client()
	r := c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}})
	wantStatus(t, r, http.StatusForbidden)
	one(t, r.doc(t), "form-error")
	if len(c.cookies) != 0 {
		t.Fatal("a disabled user got a cookie")
	}
	// The wrong password gets the usual answer: disabled or not is not told.
	wantStatus(t, c.post("/login", url.Values{"name": {"ana"}, "password": {"wrong horse"}}), http.StatusUnauthorized)
}

func TestDummyHashIsVerifiable(t *testing.T) {
	for _, p := range []password.Params{password.Default, fastParams} {
		ok, err := password.Verify(dummyHash(p), "anything")
		if err != nil || ok {
			t.Fatalf("dummy hash for %+v: %v %v, want a well-formed non-match", p, ok, err)
		}
	}
}

func TestCookieFlags(t *testing.T) {
	tests := []struct {
		name       string
		secure     string
		trustProxy bool
		tls        bool
		proto      string
		want       bool
	}{
		{"never over http", CookieSecureNever, false, false, "", false},
		{"never over https", CookieSecureNever, false, true, "", false},
		{"always over http", CookieSecureAlways, false, false, "", true},
		{"auto over http", CookieSecureAuto, false, false, "", false},
		{"auto over tls", CookieSecureAuto, false, true, "", true},
		{"default is auto", "", false, true, "", true},
		{"auto behind a trusted proxy", CookieSecureAuto, true, false, "https", true},
		{"auto behind a trusted proxy over http", CookieSecureAuto, true, false, "http", false},
		{"auto ignores an untrusted proxy header", CookieSecureAuto, false, false, "https", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := newApp(t, func(c *Config) { c.CookieSecure, c.TrustProxy = tc.secure, tc.trustProxy })
			app.addUser("ana", "correct horse", db.RoleMember)
			c := app.client()
			c.tls = tc.tls
			if tc.proto != "" {
				c.header.Set("X-Forwarded-Proto", tc.proto)
			}
			r := c.post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}})
			wantRedirect(t, r, "/mail")
			cookies := r.Cookies()
			if len(cookies) != 1 {
				t.Fatalf("%d cookies, want 1", len(cookies))
			}
			ck := cookies[0]
			if ck.Name != "apartado_session" || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
				t.Errorf("cookie %+v: want apartado_session, HttpOnly, SameSite=Lax, Path=/", ck)
			}
			if ck.Secure != tc.want {
				t.Errorf("Secure = %v, want %v", ck.Secure, tc.want)
			}
			if ck.MaxAge != int(sessionTTL/time.Second) {
				t.Errorf("Max-Age %d, want 30 days", ck.MaxAge)
			}
			if !strings.Contains(r.Header.Get("Set-Cookie"), "SameSite=Lax") {
				t.Errorf("Set-Cookie %q lacks SameSite=Lax", r.Header.Get("Set-Cookie"))
			}
		})
	}
}

func TestSessionStoredHashed(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	var n, size int
	if err := app.db.SQL().QueryRow(`SELECT count(*), max(length(token_hash)) FROM sessions`).Scan(&n, &size); err != nil {
		t.Fatal(err)
	}
	if n != 1 || size != 32 {
		t.Fatalf("%d sessions, hash of %d bytes; want 1 of 32", n, size)
	}
	// A tampered cookie is worthless.
	c.cookies["apartado_session"].Value = "x" + c.cookies["apartado_session"].Value[1:]
	wantRedirect(t, c.get("/mail"), "/login?next=%2Fmail")
}

func TestSessionSlides(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	// Visiting every 20 days keeps the session alive past 30 days.
	for i := 0; i < 3; i++ {
		app.clock.Advance(20 * 24 * time.Hour)
		r := c.get("/mail")
		wantStatus(t, r, http.StatusOK)
		if len(r.Cookies()) != 1 {
			t.Fatalf("visit %d: the cookie was not renewed", i)
		}
	}
	// 31 days away ends it.
	app.clock.Advance(31 * 24 * time.Hour)
	wantRedirect(t, c.get("/mail"), "/login?next=%2Fmail")
}

func TestLogoutEndsSession(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	old := *c.cookies["apartado_session"]
	wantStatus(t, c.get("/mail"), http.StatusOK)

	r := c.post("/logout", nil)
	wantRedirect(t, r, "/login?done=signed-out")
	if body := c.get("/login?done=signed-out").body; !strings.Contains(body, "You are signed out.") {
		t.Error("the sign-in page does not say that the user is signed out")
	}
	cleared := false
	for _, ck := range r.Cookies() {
		cleared = cleared || (ck.Name == "apartado_session" && ck.MaxAge < 0)
	}
	if !cleared {
		t.Error("logout did not clear the cookie")
	}
	var n int
	if err := app.db.SQL().QueryRow(`SELECT count(*) FROM sessions`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d sessions after logout (%v), want 0", n, err)
	}
	// The old cookie, replayed, no longer works.
	replay := app.client()
	replay.cookies["apartado_session"] = &old
	wantRedirect(t, replay.get("/mail"), "/login?next=%2Fmail")
	// Logging out is POST only.
	wantStatus(t, app.login("ana", "correct horse").get("/logout"), http.StatusMethodNotAllowed)
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	here := app.login("ana", "correct horse")
	phone := app.login("ana", "correct horse")

	form := func(cur, next, confirm string) url.Values {
		return url.Values{"current": {cur}, "new": {next}, "confirm": {confirm}}
	}
	r := here.post("/settings/password", form("wrong horse", "battery staple", "battery staple"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-current")
	r = here.post("/settings/password", form("correct horse", "short", "short"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-new")
	r = here.post("/settings/password", form("correct horse", "battery staple", "battery stapler"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-confirm")
	if strings.Contains(r.body, "battery staple") {
		t.Fatal("the password form echoed a password")
	}
	wantStatus(t, phone.get("/mail"), http.StatusOK)

	r = here.post("/settings/password", form("correct horse", "battery staple", "battery staple"))
	wantRedirect(t, r, "/settings?done="+donePasswordChanged)
	r = here.get("/settings?done=" + donePasswordChanged)
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "notice")
	wantRedirect(t, phone.get("/mail"), "/login?next=%2Fmail")

	wantStatus(t, app.client().post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}}), http.StatusUnauthorized)
	app.login("ana", "battery staple")
}

// TestSignInTakesBrowserZone: a user without a time zone gets the one the
// sign-in form sends from the browser; one they chose stays; a name the
// server does not know is ignored.
func TestSignInTakesBrowserZone(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	zone := func() string {
		got, err := app.db.UserByID(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.TimeZone
	}
	signIn := func(tz string) {
		t.Helper()
		r := app.client().post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}, "tz": {tz}})
		wantRedirect(t, r, "/mail")
	}
	signIn("Not/AZone")
	if z := zone(); z != "" {
		t.Errorf("an unknown zone was kept: %q", z)
	}
	signIn("America/Argentina/Buenos_Aires")
	if z := zone(); z != "America/Argentina/Buenos_Aires" {
		t.Errorf("time zone %q after signing in", z)
	}
	signIn("Europe/Madrid")
	if z := zone(); z != "America/Argentina/Buenos_Aires" {
		t.Errorf("the zone the user had was replaced by %q", z)
	}
}
