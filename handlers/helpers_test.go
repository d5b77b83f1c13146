package handlers

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/password"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/message"
	"github.com/apartado/apartado/poller"
)

// fastParams keep argon2id cheap in tests.
var fastParams = password.Params{Memory: 64, Time: 1, Threads: 1}

type fakeWaker struct {
	n        atomic.Int32
	mu       sync.Mutex
	progress map[int64]poller.Progress
}

func (w *fakeWaker) Wake() { w.n.Add(1) }

// Progress reports the progress set with setProgress.
func (w *fakeWaker) Progress(id int64) (poller.Progress, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	p, ok := w.progress[id]
	return p, ok
}

func (w *fakeWaker) setProgress(id int64, p *poller.Progress) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.progress == nil {
		w.progress = map[int64]poller.Progress{}
	}
	if p == nil {
		delete(w.progress, id)
		return
	}
	w.progress[id] = *p
}

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testSetupCode is the first-run code the test handlers are given.
const testSetupCode = "TESTS-SETUP-CODE7"

// testApp is the real handler over a real SQLite file.
type testApp struct {
	t     *testing.T
	db    *db.DB
	key   *secret.Key
	waker *fakeWaker
	clock *clock
	h     http.Handler
	// handler is the Handler behind h, for replacing a dependency.
	handler *Handler
	// path is the database's file, for a test that opens it beside db.
	path string
}

func newApp(t *testing.T, edit ...func(*Config)) *testApp {
	t.Helper()
	path := filepath.Join(t.TempDir(), "apartado.db")
	d, err := db.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	})
	key, err := secret.Generate()
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 3, 14, 10, 0, 0, 0, time.UTC)}
	d.Now = clk.Now
	app := &testApp{t: t, db: d, key: key, waker: &fakeWaker{}, clock: clk, path: path}
	cfg := Config{
		DB: d, Key: key, Poller: app.waker, Now: clk.Now, PasswordParams: fastParams,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		// No test leaves loopback: names resolve through testDNS, and
		// autodiscovery neither queries DNS nor fetches nor probes.
		Resolver:        testDNS{},
		DiscoverOptions: offlineDiscovery(),
		TestTimeout:     5 * time.Second,
		SetupCode:       testSetupCode,
	}
	for _, e := range edit {
		e(&cfg)
	}
	h, err := newHandler(cfg)
	if err != nil {
		t.Fatal(err)
	}
	app.handler, app.h = h, h.routes()
	return app
}

// addUser creates a user directly in the database.
func (a *testApp) addUser(name, pw string, role db.Role) db.User {
	a.t.Helper()
	hash, err := password.Hash(pw, fastParams)
	if err != nil {
		a.t.Fatal(err)
	}
	u, err := a.db.CreateUser(context.Background(), name, hash, role)
	if err != nil {
		a.t.Fatal(err)
	}
	return u
}

// addAccount creates a POP3 account for a user.
func (a *testApp) addAccount(userID int64, name string) db.Account {
	a.t.Helper()
	sealed, err := a.key.Seal([]byte("pop-password"), apppkg.PasswordContext(userID))
	if err != nil {
		a.t.Fatal(err)
	}
	acc, err := a.db.CreateAccount(context.Background(), userID, db.AccountSettings{
		Name: name, Email: strings.ToLower(name) + "@example.com", Host: "pop.example.com", Port: 995,
		Security: "tls", Username: strings.ToLower(name), PasswordSealed: sealed,
		PollInterval: 10 * time.Minute, Enabled: true, DeleteWhenDeleted: db.DeleteNever,
	})
	if err != nil {
		a.t.Fatal(err)
	}
	return acc
}

// addMessage stores a raw message in an account, summarized as the poller does.
func (a *testApp) addMessage(acc db.Account, raw string, sortAt time.Time) int64 {
	a.t.Helper()
	b := []byte(strings.ReplaceAll(raw, "\n", "\r\n"))
	return a.addRaw(acc, b, sortAt)
}

func (a *testApp) addRaw(acc db.Account, b []byte, sortAt time.Time) int64 {
	a.t.Helper()
	s, st := message.Analyze(b)
	sum := sha256.Sum256(b)
	ids, err := a.db.StoreMessages(context.Background(), []db.NewMessage{{
		AccountID: acc.ID, UserID: acc.UserID, Raw: b, SHA256: sum[:], ReceivedAt: a.clock.Now(), SortAt: sortAt,
		FromName: s.FromName, FromAddr: s.FromAddr, To: s.To, Cc: s.Cc, Subject: s.Subject, MessageID: s.MessageID,
		Snippet: s.Snippet, HasAttachments: s.HasAttachments, ParseError: s.ParseError, ListID: message.ListID(b),
		SearchBody: st.Body, SearchAttachments: st.Attachments,
		References: s.References, ThreadSubject: message.ThreadSubject(s.Subject), SubjectAnswers: message.AnswersSubject(s.Subject),
	}})
	if err != nil {
		a.t.Fatal(err)
	}
	return ids[0]
}

// client is a browser: it keeps cookies and sends same-origin headers on
// POSTs unless told otherwise.
type client struct {
	app     *testApp
	cookies map[string]*http.Cookie
	header  http.Header // added to every request
	tls     bool
	remote  string
}

func (a *testApp) client() *client {
	return &client{app: a, cookies: map[string]*http.Cookie{}, header: http.Header{}}
}

// login signs a new client in as name.
func (a *testApp) login(name, pw string) *client {
	a.t.Helper()
	c := a.client()
	resp := c.post("/login", url.Values{"name": {name}, "password": {pw}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/mail" {
		a.t.Fatalf("login %s: status %d, location %q", name, resp.StatusCode, resp.Header.Get("Location"))
	}
	return c
}

type response struct {
	*http.Response
	body string
}

func (c *client) do(req *http.Request) *response {
	c.app.t.Helper()
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	for k, vs := range c.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.tls {
		req.TLS = &tls.ConnectionState{}
	}
	if c.remote != "" {
		req.RemoteAddr = c.remote
	}
	rec := httptest.NewRecorder()
	c.app.h.ServeHTTP(rec, req)
	resp := rec.Result()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.app.t.Fatal(err)
	}
	for _, ck := range resp.Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = &http.Cookie{Name: ck.Name, Value: ck.Value}
		}
	}
	r := &response{Response: resp, body: string(body)}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") && !strings.HasSuffix(req.URL.Path, "/body") {
		checkPage(c.app.t, req, r)
	}
	return r
}

// senderContent marks the elements whose text comes from the mail itself,
// which may contain anything.
var senderContent = map[string]bool{
	"raw-source": true, "message-body-text": true, "all-headers": true, "message-subject": true, "message-snippet": true,
	"message-from": true, "message-to": true, "message-cc": true, "message-reply-to": true, "attachments": true,
}

// checkPage checks what every app page must be: no formatting artifacts
// of the translation layer outside the mail's own text, and no inline
// script or style.
func checkPage(t *testing.T, req *http.Request, r *response) {
	t.Helper()
	var check func(n *html.Node, inMail bool)
	check = func(n *html.Node, inMail bool) {
		switch n.Type {
		case html.TextNode:
			if !inMail && (strings.Contains(n.Data, "%!") || strings.Contains(n.Data, "(MISSING)")) {
				t.Errorf("%s %s: formatting artifact in %q", req.Method, req.URL, n.Data)
			}
		case html.ElementNode:
			inMail = inMail || senderContent[attr(n, "data-testid")]
			if n.Data == "title" {
				inMail = true // the subject
			}
			if attr(n, "style") != "" || n.Data == "style" {
				t.Errorf("%s %s: inline style on <%s>", req.Method, req.URL, n.Data)
			}
			if n.Data == "script" && (attr(n, "src") == "" || n.FirstChild != nil) {
				t.Errorf("%s %s: inline script", req.Method, req.URL)
			}
			for _, a := range n.Attr {
				if strings.HasPrefix(a.Key, "on") {
					t.Errorf("%s %s: event handler attribute %s", req.Method, req.URL, a.Key)
				}
				if !inMail && strings.Contains(a.Val, "%!") {
					t.Errorf("%s %s: formatting artifact in %s=%q", req.Method, req.URL, a.Key, a.Val)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			check(c, inMail)
		}
	}
	check(parseHTML(t, r.body), false)
}

func (c *client) get(path string) *response {
	c.app.t.Helper()
	return c.do(httptest.NewRequest(http.MethodGet, "http://apartado.test"+path, nil))
}

func (c *client) post(path string, form url.Values) *response {
	c.app.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://apartado.test"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://apartado.test")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return c.do(req)
}

// postWith posts with extra headers replacing the same-origin ones.
func (c *client) postWith(path string, form url.Values, hdr map[string]string) *response {
	c.app.t.Helper()
	req := httptest.NewRequest(http.MethodPost, "http://apartado.test"+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

func (r *response) doc(t *testing.T) *html.Node {
	t.Helper()
	return parseHTML(t, r.body)
}

func wantStatus(t *testing.T, r *response, status int) {
	t.Helper()
	if r.StatusCode != status {
		body := r.body
		if len(body) > 2000 {
			body = body[:2000]
		}
		t.Fatalf("status %d, want %d; location %q\n%s", r.StatusCode, status, r.Header.Get("Location"), body)
	}
}

func wantRedirect(t *testing.T, r *response, to string) {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303 to %s", r.StatusCode, to)
	}
	if got := r.Header.Get("Location"); got != to {
		t.Fatalf("redirect to %q, want %q", got, to)
	}
}

// wantUndoable checks that r answers an action with a redirect to the
// page to (a local path, perhaps with a query) with the notice that can
// undo it, and returns the undo record's id.
func wantUndoable(t *testing.T, r *response, to string) string {
	t.Helper()
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("status %d, want 303 to %s", r.StatusCode, to)
	}
	got := r.Header.Get("Location")
	sep := "?"
	if strings.Contains(to, "?") {
		sep = "&"
	}
	id, ok := strings.CutPrefix(got, to+sep+"undo=")
	if !ok || id == "" || strings.ContainsAny(id, "&?") {
		t.Fatalf("redirect to %q, want %q with an undo", got, to)
	}
	return id
}

// ---- HTML helpers ----

func parseHTML(t *testing.T, s string) *html.Node {
	t.Helper()
	n, err := html.Parse(strings.NewReader(s))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

// byTestID returns the elements with data-testid id, in document order.
func byTestID(root *html.Node, id string) []*html.Node {
	var out []*html.Node
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, "data-testid") == id {
			out = append(out, n)
		}
	})
	return out
}

// one returns the single element with data-testid id.
func one(t *testing.T, root *html.Node, id string) *html.Node {
	t.Helper()
	ns := byTestID(root, id)
	if len(ns) != 1 {
		t.Fatalf("%d elements with data-testid=%q, want 1", len(ns), id)
	}
	return ns[0]
}

func none(t *testing.T, root *html.Node, id string) {
	t.Helper()
	if ns := byTestID(root, id); len(ns) != 0 {
		t.Fatalf("%d elements with data-testid=%q, want none", len(ns), id)
	}
}

// text is an element's text content, spaces collapsed.
func text(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return strings.Join(strings.Fields(b.String()), " ")
}

// rawText is an element's text content exactly.
func rawText(n *html.Node) string {
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

func htmlLang(root *html.Node) string {
	var lang string
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "html" {
			lang = attr(n, "lang")
		}
	})
	return lang
}

// inputValue is the value of the form field named name, or false if there
// is no such field.
func inputValue(root *html.Node, name string) (string, bool, bool) {
	var val string
	var found, hasValue bool
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && (n.Data == "input" || n.Data == "select") && attr(n, "name") == name && !found {
			found = true
			val, hasValue = attr(n, "value"), hasAttr(n, "value")
		}
	})
	return val, found, hasValue
}

// checkedRadio is the value of the checked radio named name.
func checkedRadio(root *html.Node, name string) string {
	var val string
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "input" && attr(n, "name") == name && hasAttr(n, "checked") {
			val = attr(n, "value")
		}
	})
	return val
}

// selectedOption is the value of the selected option of the select named name.
func selectedOption(root *html.Node, name string) string {
	var val string
	walk(root, func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "select" && attr(n, "name") == name {
			walk(n, func(o *html.Node) {
				if o.Type == html.ElementNode && o.Data == "option" && hasAttr(o, "selected") {
					val = attr(o, "value")
				}
			})
		}
	})
	return val
}

// testDNS resolves names ending in ".test" (and "localhost") to 127.0.0.1
// and every other name to "no such host", like a real NXDOMAIN.
type testDNS struct{}

func (testDNS) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".test") {
		return []net.IPAddr{{IP: net.IPv4(127, 0, 0, 1)}}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

func (testDNS) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	return "", nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (testDNS) LookupMX(ctx context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

// offlineDiscovery is autodiscovery from the provider table only.
func offlineDiscovery() *discover.Options {
	return &discover.Options{
		Resolver: testDNS{},
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			return nil, errors.New("no network in tests")
		})},
		NoProbe: true,
		Timeout: 5 * time.Second,
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
