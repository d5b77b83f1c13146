package handlers

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/apartado/apartado/db"
)

// TestHSTSOverHTTPS: Strict-Transport-Security goes with every response
// served over HTTPS (directly, or through a trusted proxy that says so),
// and never over plain HTTP.
func TestHSTSOverHTTPS(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.client()
	if got := c.get("/login").Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("plain HTTP: HSTS %q", got)
	}
	c.tls = true
	for _, p := range []string{"/login", "/healthz", "/no/such/page"} {
		if got := c.get(p).Header.Get("Strict-Transport-Security"); got != "max-age=31536000" {
			t.Errorf("HTTPS %s: HSTS %q", p, got)
		}
	}

	// X-Forwarded-Proto counts only from a trusted proxy.
	c = app.client()
	c.header.Set("X-Forwarded-Proto", "https")
	if got := c.get("/login").Header.Get("Strict-Transport-Security"); got != "" {
		t.Errorf("untrusted X-Forwarded-Proto: HSTS %q", got)
	}
	proxied := newApp(t, func(c *Config) { c.TrustProxy = true })
	pc := proxied.client()
	pc.header.Set("X-Forwarded-Proto", "https")
	if got := pc.get("/setup").Header.Get("Strict-Transport-Security"); got == "" {
		t.Error("trusted proxy over HTTPS: no HSTS")
	}
}

// TestPublicURLHostChecked: with a public URL configured, a request naming
// another host (as a page on a rebound DNS name sends) is refused with 421
// before it reaches any page, the first-run form included; the public
// name, IP literals and /healthz are served.
func TestPublicURLHostChecked(t *testing.T) {
	u, _ := url.Parse("https://Mail.Example.NET")
	app := newApp(t, func(c *Config) { c.PublicURL = u })
	get := func(host, path string, hdr map[string]string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, "http://x"+path, nil)
		req.Host = host
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		rec := httptest.NewRecorder()
		app.h.ServeHTTP(rec, req)
		return rec
	}
	for _, tc := range []struct {
		host, path string
		want       int
	}{
		{"mail.example.net", "/setup", http.StatusOK},
		{"MAIL.example.net.", "/setup", http.StatusOK},
		{"mail.example.net:8443", "/setup", http.StatusOK},
		{"192.168.1.20:8080", "/setup", http.StatusOK},
		{"[::1]:8080", "/setup", http.StatusOK},
		{"127.0.0.1", "/login", http.StatusSeeOther},
		{"rebind.attacker.example", "/setup", http.StatusMisdirectedRequest},
		{"rebind.attacker.example:8080", "/login", http.StatusMisdirectedRequest},
		{"mail.example.net.attacker.example", "/setup", http.StatusMisdirectedRequest},
		{"localhost:8080", "/setup", http.StatusMisdirectedRequest},
		{"rebind.attacker.example", "/healthz", http.StatusOK},
	} {
		rec := get(tc.host, tc.path, nil)
		if rec.Code != tc.want {
			t.Errorf("Host %q %s: status %d, want %d", tc.host, tc.path, rec.Code, tc.want)
		}
		if rec.Code == http.StatusMisdirectedRequest && strings.Contains(rec.Body.String(), "setup-form") {
			t.Errorf("Host %q: the refusal showed the form", tc.host)
		}
	}
	// Behind a trusted proxy the forwarded host is what counts.
	proxied := newApp(t, func(c *Config) { c.PublicURL = u; c.TrustProxy = true })
	for host, want := range map[string]int{"mail.example.net": http.StatusOK, "rebind.attacker.example": http.StatusMisdirectedRequest} {
		req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/setup", nil)
		req.Header.Set("X-Forwarded-Host", host)
		rec := httptest.NewRecorder()
		proxied.h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("X-Forwarded-Host %q: status %d, want %d", host, rec.Code, want)
		}
	}
	// Without a public URL, any host is served (the household's own set-up).
	if rec := httptest.NewRecorder(); true {
		plain := newApp(t)
		req := httptest.NewRequest(http.MethodGet, "http://anything.example/setup", nil)
		plain.h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			t.Errorf("no public URL: status %d", rec.Code)
		}
	}
}

// syncBuffer is a log sink for tests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSignInLogHidesTypedName: a password typed into the name field never
// reaches the log, on a failed or a rate-limited sign-in; a real user's
// failures are logged by name, and the same unknown name always gets the
// same tag, so an admin can still count attempts.
func TestSignInLogHidesTypedName(t *testing.T) {
	var logs syncBuffer
	app := newApp(t, func(c *Config) { c.Log = slog.New(slog.NewTextHandler(&logs, nil)) })
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.client()
	const typed = "MyS3cretPassw0rd!"
	for range loginMaxPerClientName + 2 {
		c.post("/login", url.Values{"name": {typed}, "password": {"x"}})
	}
	c.post("/login", url.Values{"name": {"ana"}, "password": {"wrong"}})
	out := logs.String()
	if strings.Contains(strings.ToLower(out), strings.ToLower(typed)) {
		t.Fatalf("the typed name is in the log:\n%s", out)
	}
	tag := app.handler.nameTag(typed)
	if strings.Count(out, "name="+tag) < loginMaxPerClientName+2 || !strings.Contains(out, "sign-in rate limited") {
		t.Errorf("want every attempt logged with tag %s, and the limit:\n%s", tag, out)
	}
	if !strings.Contains(out, "user=ana") {
		t.Errorf("a real user's failure is not logged by name:\n%s", out)
	}
	if app.handler.nameTag("ANA") != app.handler.nameTag("ana") || app.handler.nameTag("ana") == app.handler.nameTag("bea") {
		t.Error("tags do not follow the name")
	}
}

// TestBackLinkBounded: the list's rows carry the way back to the list, and
// only the parameters that choose its page: a long or crafted query in the
// request is not copied into every row. A back= longer than any this app
// makes is ignored.
func TestBackLinkBounded(t *testing.T) {
	f := newMailFixture(t)
	junk := strings.Repeat("A", 4000)
	r := f.anaC.get("/mail?account=" + strconv.FormatInt(f.anaAcc.ID, 10) + "&junk=" + junk + "&done=x")
	wantStatus(t, r, http.StatusOK)
	rows := byTestID(r.doc(t), "message-row")
	if len(rows) == 0 {
		t.Fatal("no rows")
	}
	if strings.Count(r.body, junk) != 0 {
		t.Errorf("the request's junk parameter is copied into the page %d times", strings.Count(r.body, junk))
	}
	want := "?back=" + url.QueryEscape("/mail?account="+strconv.FormatInt(f.anaAcc.ID, 10))
	for _, row := range byTestID(r.doc(t), "message-link") {
		if href := attr(row, "href"); !strings.HasSuffix(href, want) {
			t.Errorf("row link %q, want it to end in %q", href, want)
		}
	}
	long := "/mail?before=" + strings.Repeat("1", maxLocalPath)
	r = f.anaC.get(msgPath(f.anaText, "?back="+url.QueryEscape(long)))
	if l := attr(one(t, r.doc(t), "back"), "href"); l != "/mail" {
		t.Errorf("back %q, want /mail for an over-long back=", l)
	}
}

// TestDoneNotices: every outcome a form redirects with has a sentence, and
// an unknown ?done= shows none.
func TestDoneNotices(t *testing.T) {
	for done, key := range notices {
		if done == "" || key == "" {
			t.Errorf("notice %q → %q", done, key)
		}
		r := httptest.NewRequest(http.MethodGet, "/settings?done="+done, nil)
		if doneNotice(r) != key {
			t.Errorf("%q: %q", done, doneNotice(r))
		}
	}
	if got := doneNotice(httptest.NewRequest(http.MethodGet, "/mail?done=%3Cscript%3E", nil)); got != "" {
		t.Errorf("unknown done: %q", got)
	}
}
