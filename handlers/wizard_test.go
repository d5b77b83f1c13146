package handlers

// Account set-up through the web interface, against real failures on
// loopback: closed ports, a silent listener, TLS listeners with certificates
// made here, and a real Dovecot.

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/internal/testcert"
	"github.com/apartado/apartado/internal/testnet"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/pop3client"
)

// ---- helpers ----

// testForm is the account form with the given fields changed.
func testForm(kv ...string) url.Values {
	f := url.Values{
		"name": {"Home"}, "email": {"ana@example.org"}, "host": {"127.0.0.1"}, "port": {"995"},
		"security": {"tls"}, "username": {"alice"}, "password": {"secret"}, "retention": {"keep"}, "interval": {"10"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			f.Del(kv[i])
		} else {
			f.Set(kv[i], kv[i+1])
		}
	}
	return f
}

// steps lists a page's test steps as "step✓" or "step✗".
func steps(t *testing.T, doc *html.Node) string {
	t.Helper()
	var out []string
	for _, li := range byTestID(doc, "test-step") {
		mark := text(one(t, li, "step-mark"))
		if (mark == "✓") != (attr(li, "data-ok") == "true") {
			t.Errorf("step %s: mark %q, data-ok %q", attr(li, "data-step"), mark, attr(li, "data-ok"))
		}
		out = append(out, attr(li, "data-step")+mark)
	}
	return strings.Join(out, " ")
}

// fixForm is a fix button's form: its action, label and fields.
type fixForm struct {
	action, label string
	fields        url.Values
}

func fixForms(t *testing.T, doc *html.Node) []fixForm {
	t.Helper()
	var out []fixForm
	for _, f := range byTestID(doc, "fix-form") {
		ff := fixForm{action: attr(f, "action"), label: text(one(t, f, "fix-button")), fields: url.Values{}}
		walk(f, func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "input" {
				ff.fields.Add(attr(n, "name"), attr(n, "value"))
			}
		})
		out = append(out, ff)
	}
	return out
}

// findFix returns the fix form that sets host, port and security.
func findFix(t *testing.T, doc *html.Node, host, port, security string) fixForm {
	t.Helper()
	forms := fixForms(t, doc)
	for _, f := range forms {
		if f.fields.Get("host") == host && f.fields.Get("port") == port && f.fields.Get("security") == security {
			return f
		}
	}
	var have []string
	for _, f := range forms {
		have = append(have, f.fields.Get("host")+":"+f.fields.Get("port")+"/"+f.fields.Get("security"))
	}
	t.Fatalf("no fix to %s:%s/%s; fixes: %v", host, port, security, have)
	return fixForm{}
}

// submit posts a fix form, as clicking its button does.
func (f fixForm) submit(c *client) *response {
	c.app.t.Helper()
	u, err := url.Parse(f.action)
	if err != nil {
		c.app.t.Fatal(err)
	}
	return c.post(u.Path, f.fields)
}

// diagnosisTitle is the diagnosis's title on a page.
func diagnosisTitle(t *testing.T, doc *html.Node) string {
	t.Helper()
	return text(one(t, one(t, doc, "diagnosis"), "diagnosis-title"))
}

// inBothLanguages posts form to path in English and in Spanish, and checks
// that the diagnosis is translated; it returns the English page.
func inBothLanguages(t *testing.T, c *client, path string, form url.Values) *html.Node {
	t.Helper()
	c.header.Set("Accept-Language", "en")
	r := c.post(path, form)
	wantStatus(t, r, http.StatusOK)
	en := r.doc(t)
	c.header.Set("Accept-Language", "es")
	es := c.post(path, form).doc(t)
	c.header.Del("Accept-Language")
	for _, id := range []string{"diagnosis-title", "diagnosis-explanation", "diagnosis-help"} {
		a, b := text(one(t, en, id)), text(one(t, es, id))
		if a == "" || a == b {
			t.Errorf("%s: English %q, Spanish %q", id, a, b)
		}
	}
	if steps(t, en) != steps(t, es) {
		t.Errorf("steps differ: %s / %s", steps(t, en), steps(t, es))
	}
	return en
}

// openToken checks that a form token carries the password.
func (a *testApp) openToken(t *testing.T, userID int64, token string) string {
	t.Helper()
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := a.key.Open(sealed, formTokenContext(userID))
	if err != nil || len(plain) < 8+sha256.Size {
		t.Fatalf("the token does not open: %v", err)
	}
	return string(plain[8+sha256.Size:])
}

func closedLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

// listen serves each connection with serve until the test ends, and
// returns the port.
func listen(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	return testnet.Port(testnet.Serve(t, serve))
}

// silent accepts and never says a word.
func silent(c net.Conn) { _, _ = io.Copy(io.Discard, c) }

// tlsGreeter completes a TLS handshake with cert and greets like POP3.
func tlsGreeter(cert tls.Certificate) func(net.Conn) {
	return func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		tc := tls.Server(c, &tls.Config{Certificates: []tls.Certificate{cert}})
		if tc.Handshake() != nil {
			return
		}
		_, _ = tc.Write([]byte("+OK ready\r\n"))
		_, _ = bufio.NewReader(tc).ReadString('\n')
	}
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func makeCert(t *testing.T, ca *testCA, name string, names []string, notBefore, notAfter time.Time, isCA bool) (tls.Certificate, *testCA) {
	t.Helper()
	var parent *testcert.Cert
	if ca != nil {
		parent = &testcert.Cert{X509: ca.cert, Key: ca.key}
	}
	c := testcert.New(t, testcert.Spec{CommonName: name, DNSNames: names, NotBefore: notBefore, NotAfter: notAfter, IsCA: isCA}, parent)
	return c.TLS, &testCA{cert: c.X509, key: c.Key}
}

func dovecotCA(t *testing.T, srv *dovecottest.Server) []*x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(srv.CertPEM)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return []*x509.Certificate{cert}
}

func splitPort(t *testing.T, addr string) string {
	t.Helper()
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return port
}

// ---- the wizard ----

func TestAddAccountWizard(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")

	r := c.get("/settings/accounts/new")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	one(t, doc, "account-start-form")
	if href := attr(one(t, doc, "account-manual"), "href"); href != "/settings/accounts/new?manual=1" {
		t.Errorf("manual link %q", href)
	}
	one(t, c.get(attr(one(t, doc, "account-manual"), "href")).doc(t), "account-form")

	r = c.post("/settings/accounts/new/discover", url.Values{"email": {"not an address"}, "password": {""}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-email")
	one(t, r.doc(t), "error-password")

	// Gmail: the provider table proposes the settings and says what to do
	// there first.
	const pw = "abcd efgh ijkl mnop"
	r = c.post("/settings/accounts/new/discover", url.Values{"email": {"ana@gmail.com"}, "password": {pw}, "name": {"Gmail"}})
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	for field, want := range map[string]string{"host": "pop.gmail.com", "port": "995", "username": "ana@gmail.com", "email": "ana@gmail.com", "name": "Gmail"} {
		if v, _, _ := inputValue(doc, field); v != want {
			t.Errorf("%s = %q, want %q", field, v, want)
		}
	}
	if checkedRadio(doc, "security") != "tls" {
		t.Errorf("security %q", checkedRadio(doc, "security"))
	}
	if s := text(one(t, doc, "provider-name")); !strings.Contains(s, "Gmail") {
		t.Errorf("provider %q", s)
	}
	enSteps := text(one(t, doc, "provider-steps"))
	if !strings.Contains(enSteps, "POP") {
		t.Errorf("Gmail's steps: %q", enSteps)
	}
	if strings.Contains(r.body, pw) {
		t.Fatal("the password was written into the page")
	}
	token, _, _ := inputValue(doc, "token")
	if got := app.openToken(t, u.ID, token); got != pw {
		t.Errorf("the token carries %q", got)
	}
	one(t, doc, "account-test")
	c.header.Set("Accept-Language", "es")
	esDoc := c.post("/settings/accounts/new/discover", url.Values{"email": {"ana@gmail.com"}, "password": {pw}}).doc(t)
	c.header.Del("Accept-Language")
	if s := text(one(t, esDoc, "provider-name")); s != "Ajustes para Gmail" {
		t.Errorf("Spanish provider heading %q", s)
	}
	// The steps are discover's keys, translated in es_core.go.
	if esSteps := text(one(t, esDoc, "provider-steps")); esSteps == enSteps {
		t.Logf("Gmail's steps are not translated yet: %q", esSteps)
	}

	// iCloud offers no POP3: the notes say so.
	r = c.post("/settings/accounts/new/discover", url.Values{"email": {"ana@icloud.com"}, "password": {pw}})
	wantStatus(t, r, http.StatusOK)
	if s := text(one(t, r.doc(t), "discover-notes")); !strings.Contains(s, "does not offer POP3") {
		t.Errorf("iCloud notes %q", s)
	}

	// Saving from the proposed form tests first: pop.gmail.com does not
	// resolve here, so the save stops with the diagnosis and "save anyway".
	form := url.Values{"name": {"Gmail"}, "email": {"ana@gmail.com"}, "host": {"pop.gmail.com"}, "port": {"995"}, "security": {"tls"},
		"username": {"ana@gmail.com"}, "retention": {"keep"}, "interval": {"10"}, "token": {token}}
	r = c.post("/settings/accounts/new", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc = r.doc(t)
	one(t, doc, "save-failed")
	one(t, doc, "account-save-anyway")
	if got := steps(t, doc); got != "resolve✗" {
		t.Errorf("steps %q", got)
	}
	if s := diagnosisTitle(t, doc); s != "The server name does not exist" {
		t.Errorf("diagnosis %q", s)
	}
	if accs, _ := app.db.Accounts(context.Background(), u.ID); len(accs) != 0 {
		t.Fatal("saved although the test failed")
	}
	// "Save anyway" saves, with the password from the token.
	form.Set("force", "1")
	wantRedirect(t, c.post("/settings/accounts/new", form), "/settings?done="+doneAccountAdded)
	accs, _ := app.db.Accounts(context.Background(), u.ID)
	if len(accs) != 1 || accs[0].Host != "pop.gmail.com" {
		t.Fatalf("accounts %+v", accs)
	}
	if got, err := app.key.Open(accs[0].PasswordSealed, apppkg.PasswordContext(u.ID)); err != nil || string(got) != pw {
		t.Fatalf("saved password %q, %v", got, err)
	}

	// A token of another user, for another server or user name, or an
	// expired one, does not open.
	gmail := apppkg.Server{Host: "pop.gmail.com", Port: 995, Security: pop3client.SecurityTLS, Username: "ana@gmail.com"}
	other := app.addUser("bea", "correct horse", db.RoleMember)
	if _, st := app.handler.openPassword(other.ID, token, gmail); st != tokenUnusable {
		t.Error("another user's token opened")
	}
	for _, s := range []apppkg.Server{
		{Host: "pop.evil.test", Port: 995, Security: pop3client.SecurityTLS, Username: "ana@gmail.com"},
		{Host: "pop.gmail.com", Port: 110, Security: pop3client.SecurityTLS, Username: "ana@gmail.com"},
		{Host: "pop.gmail.com", Port: 995, Security: pop3client.SecurityNone, Username: "ana@gmail.com"},
		{Host: "pop.gmail.com", Port: 995, Security: pop3client.SecurityTLS, Username: "bea@gmail.com"},
	} {
		if _, st := app.handler.openPassword(u.ID, token, s); st != tokenOtherServer {
			t.Errorf("the token opened for %+v: %v", s, st)
		}
	}
	if pw, st := app.handler.openPassword(u.ID, token, gmail); st != tokenOpened || pw != "abcd efgh ijkl mnop" {
		t.Errorf("the token for its own server: %q, %v", pw, st)
	}
	app.clock.Advance(2 * formTokenTTL)
	if _, st := app.handler.openPassword(u.ID, token, gmail); st != tokenUnusable {
		t.Error("an expired token opened")
	}
	r = c.post("/settings/accounts/new", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-password")
}

// ---- the test page ----

// A closed port: the steps, the diagnosis in both languages, and fixes
// that carry the whole form with the other ports.
func TestConnectionTestClosedPort(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback (dialguard.go)
	c := app.login("ana", "correct horse")
	port := closedLoopbackPort(t)
	form := testForm("port", port, "retention", "delete", "interval", "30", "name", "Casa")
	doc := inBothLanguages(t, c, "/settings/accounts/test", form)
	if got := steps(t, doc); got != "resolve✓ connect✗" {
		t.Errorf("steps %q", got)
	}
	if s := diagnosisTitle(t, doc); s != "The server refuses connections on this port" {
		t.Errorf("diagnosis %q", s)
	}
	if href := attr(one(t, doc, "diagnosis-help"), "href"); href != "/help#error-connection-refused" {
		t.Errorf("help link %q", href)
	}
	// The form stays, filled in, with the password kept in the token.
	one(t, doc, "account-form")
	if v, _, _ := inputValue(doc, "port"); v != port {
		t.Errorf("port field %q", v)
	}
	one(t, doc, "field-token")
	fix := findFix(t, doc, "127.0.0.1", "110", "starttls")
	findFix(t, doc, "127.0.0.1", "995", "tls")
	if fix.action != "/settings/accounts/test#results" {
		t.Errorf("fix action %q", fix.action)
	}
	for field, want := range map[string]string{"name": "Casa", "email": "ana@example.org", "username": "alice", "retention": "delete", "interval": "30"} {
		if got := fix.fields.Get(field); got != want {
			t.Errorf("fix field %s = %q, want %q", field, got, want)
		}
	}
	if fix.fields.Has("password") {
		t.Error("a fix form carries the password")
	}
	if got := app.openToken(t, u.ID, fix.fields.Get("token")); got != "secret" {
		t.Errorf("fix token carries %q", got)
	}
	if strings.Contains(c.post("/settings/accounts/test", form).body, `value="secret"`) {
		t.Error("the password was written into the page")
	}
}

// The test page streams: the form and the first steps arrive while the
// server is still silent, and the page ends properly.
func TestConnectionTestStreams(t *testing.T) {
	app := newApp(t, func(cfg *Config) { cfg.TestTimeout = 2 * time.Second })
	app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback (dialguard.go)
	srv := httptest.NewServer(app.h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	post := func(path string, form url.Values) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "same-origin")
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := post("/login", url.Values{"name": {"ana"}, "password": {"correct horse"}})
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %d", resp.StatusCode)
	}

	port := listen(t, silent)
	start := time.Now()
	resp = post("/settings/accounts/test", testForm("port", port, "security", "starttls"))
	defer resp.Body.Close()
	if resp.Header.Get("Content-Security-Policy") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("security headers missing: %v", resp.Header)
	}
	br := bufio.NewReader(resp.Body)
	var page strings.Builder
	for !strings.Contains(page.String(), `data-step="connect"`) {
		line, err := br.ReadString('>')
		page.WriteString(line)
		if err != nil {
			t.Fatalf("the page ended before the connect step: %v\n%s", err, page.String())
		}
	}
	early := time.Since(start)
	if !strings.Contains(page.String(), `data-testid="account-form"`) {
		t.Error("the form did not come before the steps")
	}
	rest, err := io.ReadAll(br)
	if err != nil {
		t.Fatal(err)
	}
	page.Write(rest)
	total := time.Since(start)
	if early >= 2*time.Second || total < 2*time.Second {
		t.Errorf("connect step after %v, page after %v: not streamed", early, total)
	}
	doc := parseHTML(t, page.String())
	if got := steps(t, doc); got != "resolve✓ connect✓ greeting✗" {
		t.Errorf("steps %q", got)
	}
	if s := diagnosisTitle(t, doc); s != "The server does not greet" {
		t.Errorf("diagnosis %q", s)
	}
	findFix(t, doc, "127.0.0.1", "995", "tls")
	if !strings.HasSuffix(strings.TrimSpace(page.String()), "</html>") {
		t.Error("the page does not end properly")
	}
}

// A test that dies halfway still ends the page, with a diagnosis.
func TestConnectionTestPanicEndsPage(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	app.handler.testConn = func(ctx context.Context, s diagnose.TestSettings, o diagnose.TestOptions, report func(diagnose.StepResult)) diagnose.Result {
		report(diagnose.StepResult{Step: diagnose.StepResolve, OK: true})
		panic("boom")
	}
	c := app.login("ana", "correct horse")
	r := c.post("/settings/accounts/test", testForm())
	wantStatus(t, r, http.StatusOK)
	if !strings.HasSuffix(strings.TrimSpace(r.body), "</html>") {
		t.Fatal("the page does not end properly")
	}
	doc := r.doc(t)
	if got := steps(t, doc); got != "resolve✓" {
		t.Errorf("steps %q", got)
	}
	if s := diagnosisTitle(t, doc); s != "Apartado could not check this account" {
		t.Errorf("diagnosis %q", s)
	}
}

// SSL/TLS on Dovecot's plain port, and STARTTLS on its TLS port: each
// fixed with one click, after which the test passes and the account saves.
func TestConnectionTestTLSMismatch(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	app := newApp(t, func(cfg *Config) {
		cfg.ExtraRootCAs = dovecotCA(t, srv)
		cfg.TestTimeout = 2 * time.Second
	})
	u := app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback (dialguard.go)
	c := app.login("ana", "correct horse")
	plain, tlsPort := splitPort(t, srv.PlainAddr), splitPort(t, srv.TLSAddr)

	doc := inBothLanguages(t, c, "/settings/accounts/test", testForm("host", "localhost", "port", plain, "security", "tls"))
	if got := steps(t, doc); got != "resolve✓ connect✓ tls✗" {
		t.Errorf("steps %q", got)
	}
	if s := diagnosisTitle(t, doc); s != "This port does not use SSL/TLS from the start" {
		t.Errorf("diagnosis %q", s)
	}
	if s := text(one(t, doc, "diagnosis-detail")); !strings.Contains(s, "+OK") {
		t.Errorf("the server's words: %q", s)
	}
	r := findFix(t, doc, "localhost", plain, "starttls").submit(c)
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if got := steps(t, doc); got != "resolve✓ connect✓ greeting✓ capabilities✓ stls✓ tls✓ login✓ mailbox✓ quit✓" {
		t.Errorf("after the fix: steps %q", got)
	}
	one(t, doc, "test-ok")
	if v, _, _ := inputValue(doc, "port"); v != plain || checkedRadio(doc, "security") != "starttls" {
		t.Errorf("the form does not show the fixed settings: %s %s", v, checkedRadio(doc, "security"))
	}

	doc = inBothLanguages(t, c, "/settings/accounts/test", testForm("host", "localhost", "port", tlsPort, "security", "starttls"))
	if s := diagnosisTitle(t, doc); s != "This port expects SSL/TLS" {
		t.Errorf("diagnosis %q", s)
	}
	fix := findFix(t, doc, "localhost", tlsPort, "tls")
	doc = fix.submit(c).doc(t)
	one(t, doc, "test-ok")

	// Save: tested again, then stored.
	form := fix.fields
	wantRedirect(t, c.post("/settings/accounts/new", form), "/settings?done="+doneAccountAdded)
	accs, _ := app.db.Accounts(context.Background(), u.ID)
	if len(accs) != 1 || strconv.Itoa(accs[0].Port) != tlsPort || accs[0].Security != "tls" || accs[0].TrustedCert != "" {
		t.Fatalf("saved %+v", accs)
	}
}

// Dovecot's self-signed certificate: trusting exactly it lets the test
// pass; the account keeps it and the settings page says so.
func TestTrustSelfSignedCertificate(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback (dialguard.go)
	c := app.login("ana", "correct horse")
	port := splitPort(t, srv.TLSAddr)

	doc := inBothLanguages(t, c, "/settings/accounts/test", testForm("host", "localhost", "port", port))
	if s := diagnosisTitle(t, doc); s != "The server's certificate is self-signed" {
		t.Fatalf("diagnosis %q", s)
	}
	fix := findFix(t, doc, "localhost", port, "tls")
	fp := fix.fields.Get("trust")
	if len(fp) != 64 || fix.fields.Get("trusthost") != "localhost:"+port {
		t.Fatalf("trust fix %v", fix.fields)
	}
	if !strings.Contains(text(one(t, doc, "diagnosis-cert")), diagnose.FormatFingerprint(fp)) {
		t.Error("the fingerprint is not shown")
	}
	one(t, doc, "fix-warning")

	doc = fix.submit(c).doc(t)
	one(t, doc, "test-ok")
	if v, _, _ := inputValue(doc, "trust"); v != fp {
		t.Errorf("the form does not carry the trusted fingerprint: %q", v)
	}
	one(t, doc, "trust-warning")

	wantRedirect(t, c.post("/settings/accounts/new", fix.fields), "/settings?done="+doneAccountAdded)
	accs, _ := app.db.Accounts(context.Background(), u.ID)
	if len(accs) != 1 || accs[0].TrustedCert != fp {
		t.Fatalf("saved %+v", accs)
	}
	r := c.get("/settings")
	if s := text(one(t, r.doc(t), "account-trusted-cert")); !strings.Contains(s, diagnose.FormatFingerprint(fp)) {
		t.Errorf("settings page: %q", s)
	}
	// Editing keeps the trust until it is unticked.
	id := strconv.FormatInt(accs[0].ID, 10)
	doc = c.get("/settings/accounts/" + id).doc(t)
	if v, _, _ := inputValue(doc, "trust"); v != fp {
		t.Errorf("edit form trust %q", v)
	}
	edit := fix.fields
	edit.Del("token")
	edit.Del("trust")
	r = c.post("/settings/accounts/"+id, edit)
	wantStatus(t, r, http.StatusUnprocessableEntity) // tested without the trust: self-signed again
	if s := diagnosisTitle(t, r.doc(t)); s != "The server's certificate is self-signed" {
		t.Errorf("diagnosis %q", s)
	}
}

// Certificates made here: for another name, and expired.
func TestConnectionTestCertificates(t *testing.T) {
	_, ca := makeCert(t, nil, "Apartado Test CA", nil, time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour), true)
	app := newApp(t, func(cfg *Config) { cfg.ExtraRootCAs = []*x509.Certificate{ca.cert} })
	app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback (dialguard.go)
	c := app.login("ana", "correct horse")

	other, _ := makeCert(t, ca, "mail.hoster.test", []string{"mail.hoster.test"}, time.Now().Add(-time.Hour), time.Now().Add(time.Hour), false)
	port := listen(t, tlsGreeter(other))
	doc := inBothLanguages(t, c, "/settings/accounts/test", testForm("host", "pop.mydomain.test", "port", port))
	if s := diagnosisTitle(t, doc); s != "The certificate is for another name" {
		t.Errorf("diagnosis %q", s)
	}
	findFix(t, doc, "mail.hoster.test", port, "tls")

	expired, _ := makeCert(t, ca, "localhost", []string{"localhost"}, time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour), false)
	port = listen(t, tlsGreeter(expired))
	doc = inBothLanguages(t, c, "/settings/accounts/test", testForm("host", "localhost", "port", port))
	if s := diagnosisTitle(t, doc); !strings.HasPrefix(s, "The server's certificate expired on ") {
		t.Errorf("diagnosis %q", s)
	}
	fix := findFix(t, doc, "localhost", port, "tls")
	if fix.fields.Get("trust") == "" || !strings.Contains(fix.label, "expired") {
		t.Errorf("expired fix %q %v", fix.label, fix.fields)
	}
}

// Dovecot rejects the password: the provider-less hint, the server's words.
func TestConnectionTestWrongPassword(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	app := newApp(t, func(cfg *Config) { cfg.ExtraRootCAs = dovecotCA(t, srv) })
	app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback (dialguard.go)
	c := app.login("ana", "correct horse")
	doc := inBothLanguages(t, c, "/settings/accounts/test", testForm("host", "localhost", "port", splitPort(t, srv.TLSAddr), "password", "wrong"))
	if got := steps(t, doc); got != "resolve✓ connect✓ tls✓ greeting✓ capabilities✓ login✗" {
		t.Errorf("steps %q", got)
	}
	if s := diagnosisTitle(t, doc); s != "The server rejected the user name or password" {
		t.Errorf("diagnosis %q", s)
	}
	if s := text(one(t, doc, "diagnosis-detail")); !strings.Contains(s, "uthentication failed") {
		t.Errorf("server's words %q", s)
	}
	if href := attr(one(t, doc, "fix-link"), "href"); href != "#password" {
		t.Errorf("retype link %q", href)
	}
}

// An account's edit form tests with the stored password; a recorded
// failure on the settings page links to the form with the fix filled in.
func TestEditAccountTestAndFixLink(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	app := newApp(t, func(cfg *Config) { cfg.ExtraRootCAs = dovecotCA(t, srv) })
	u := app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback (dialguard.go)
	c := app.login("ana", "correct horse")
	tlsPort := splitPort(t, srv.TLSAddr)
	wantRedirect(t, c.post("/settings/accounts/new", testForm("host", "localhost", "port", tlsPort)), "/settings?done="+doneAccountAdded)
	accs, _ := app.db.Accounts(context.Background(), u.ID)
	a := accs[0]
	id := strconv.FormatInt(a.ID, 10)

	r := c.post("/settings/accounts/"+id+"/test", testForm("host", "localhost", "port", tlsPort, "password", ""))
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "test-ok")

	// On port 995, the poller recorded a refused connection.
	if err := app.db.UpdateAccount(context.Background(), u.ID, a.ID, db.AccountSettings{Name: a.Name, Email: a.Email, Host: "localhost",
		Port: 995, Security: "tls", Username: a.Username, PollInterval: a.PollInterval, Enabled: true, DeleteWhenDeleted: db.DeleteNever}); err != nil {
		t.Fatal(err)
	}
	now := app.clock.Now()
	if err := app.db.RecordPoll(context.Background(), a.ID, db.PollResult{Started: now, NextPoll: now.Add(time.Hour),
		ErrKind: string(pop3client.KindConnectionRefused), ErrStep: string(pop3client.StepConnect)}); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"en", "es"} {
		c.header.Set("Accept-Language", lang)
		doc := c.get("/settings").doc(t)
		title := text(one(t, doc, "diagnosis-title"))
		if (lang == "en") != (title == "The server refuses connections on this port") {
			t.Errorf("%s: diagnosis %q", lang, title)
		}
		one(t, doc, "diagnosis-since")
		href := attr(one(t, doc, "fix-link"), "href")
		if href != "/settings/accounts/"+id+"?port=110&security=starttls" {
			t.Fatalf("fix link %q", href)
		}
		doc = c.get(href).doc(t)
		one(t, doc, "notice")
		if v, _, _ := inputValue(doc, "port"); v != "110" || checkedRadio(doc, "security") != "starttls" {
			t.Errorf("the fix is not filled in: %s %s", v, checkedRadio(doc, "security"))
		}
	}
}

// ---- help ----

// GET /help has a section for every anchor a diagnosis can link to, in
// both languages, signed in or not.
func TestHelpPage(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	in := diagnose.Input{Host: "pop.example.org", Port: 995, Now: app.clock.Now()}
	wanted := map[string]bool{"pop3": true, "ports": true, "leave-copy": true, "security": true, "errors": true,
		"oauth": true, "oauth-microsoft": true, "oauth-google": true, "oauth-yahoo": true, "oauth-other": true, "oauth-no-public-url": true}
	for _, k := range diagnose.Kinds() {
		wanted[diagnose.ExplainRecorded(k, "", "", in).HelpAnchor] = true
	}
	wanted[diagnose.Explain(&pop3client.Error{Kind: pop3client.KindCertificateInvalid, Step: pop3client.StepTLS,
		Cert: &pop3client.CertInfo{NotBefore: app.clock.Now().Add(time.Hour), NotAfter: app.clock.Now().Add(2 * time.Hour)}}, in).HelpAnchor] = true
	headings := map[string]string{}
	for _, c := range []*client{app.client(), app.login("ana", "correct horse")} {
		for _, lang := range []string{"en", "es"} {
			c.header.Set("Accept-Language", lang)
			r := c.get("/help")
			wantStatus(t, r, http.StatusOK)
			doc := r.doc(t)
			ids := map[string]*html.Node{}
			walk(doc, func(n *html.Node) {
				if n.Type == html.ElementNode && attr(n, "id") != "" {
					ids[attr(n, "id")] = n
				}
			})
			for anchor := range wanted {
				n, ok := ids[anchor]
				if !ok {
					t.Errorf("%s: no section #%s", lang, anchor)
					continue
				}
				h := text(n)
				if prev, ok := headings[anchor]; ok && lang == "es" && prev == h {
					t.Errorf("section #%s is not translated", anchor)
				}
				if lang == "en" {
					headings[anchor] = h
				}
			}
			if htmlLang(doc) != lang {
				t.Errorf("lang %q", htmlLang(doc))
			}
			one(t, doc, "help-link")
		}
	}
}

// TestHelpPageOAuth: the help's section on signing in with a provider
// gives the redirect URI to register, made from the public URL; without a
// public URL it gives the URI's pattern and says the setting is needed; and
// it is in Spanish for a Spanish reader.
func TestHelpPageOAuth(t *testing.T) {
	byID := func(doc *html.Node, id string) *html.Node {
		t.Helper()
		var found *html.Node
		walk(doc, func(n *html.Node) {
			if found == nil && n.Type == html.ElementNode && attr(n, "id") == id {
				found = n
			}
		})
		if found == nil {
			t.Fatalf("no #%s", id)
		}
		return found
	}
	codes := func(n *html.Node) []string {
		var out []string
		walk(n, func(c *html.Node) {
			if c.Type == html.ElementNode && c.Data == "code" {
				out = append(out, text(c))
			}
		})
		return out
	}
	tocLinks := func(doc *html.Node) map[string]bool {
		out := map[string]bool{}
		walk(byID(doc, "toc-title").Parent, func(n *html.Node) {
			if n.Type == html.ElementNode && n.Data == "a" {
				out[attr(n, "href")] = true
			}
		})
		return out
	}
	sections := []string{"oauth-microsoft", "oauth-google", "oauth-yahoo", "oauth-other", "oauth-no-public-url"}

	u, _ := url.Parse("https://mail.example.net/")
	app := newApp(t, func(c *Config) { c.PublicURL = u })
	app.addUser("ana", "correct horse", db.RoleMember)
	r := app.client().do(httptest.NewRequest(http.MethodGet, "https://mail.example.net/help", nil))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	for _, id := range []string{"oauth-microsoft", "oauth-google"} {
		if !slices.Contains(codes(byID(doc, id)), "https://mail.example.net/oauth/callback") {
			t.Errorf("#%s does not give the redirect URI to copy: %q", id, codes(byID(doc, id)))
		}
	}
	if strings.Contains(text(doc), "your Apartado address") || len(byTestID(doc, "oauth-no-public-url-set")) != 0 {
		t.Error("with a public URL, the help still asks for one")
	}
	toc := tocLinks(doc)
	for _, id := range append([]string{"oauth"}, sections...) {
		byID(doc, id)
		if !toc["#"+id] {
			t.Errorf("the contents do not link to #%s", id)
		}
	}
	if h := text(byID(doc, "oauth-title")); h != "Signing in with Microsoft, Google, Yahoo or AOL (OAuth)" {
		t.Errorf("heading %q", h)
	}

	// Without a public URL: the pattern, and the setting that is missing.
	plain := newApp(t)
	plain.addUser("ana", "correct horse", db.RoleMember)
	c := plain.client()
	r = c.get("/help")
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	for _, id := range []string{"oauth-microsoft", "oauth-google"} {
		if !slices.Contains(codes(byID(doc, id)), "https://<your Apartado address>/oauth/callback") {
			t.Errorf("#%s does not give the redirect URI's pattern: %q", id, codes(byID(doc, id)))
		}
	}
	if got := text(one(t, doc, "oauth-no-public-url-set")); !strings.Contains(got, "APARTADO_PUBLIC_URL") {
		t.Errorf("the missing setting is not named: %q", got)
	}

	// In Spanish.
	c.header.Set("Accept-Language", "es")
	r = c.get("/help")
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if h := text(byID(doc, "oauth-title")); h != "Iniciar sesión con Microsoft, Google, Yahoo o AOL (OAuth)" {
		t.Errorf("Spanish heading %q", h)
	}
	if !slices.Contains(codes(byID(doc, "oauth-google")), "https://<tu dirección de Apartado>/oauth/callback") {
		t.Errorf("Spanish pattern: %q", codes(byID(doc, "oauth-google")))
	}
	if got := text(one(t, doc, "oauth-no-public-url-set")); !strings.Contains(got, "APARTADO_PUBLIC_URL") || !strings.Contains(got, "no está configurado") {
		t.Errorf("Spanish missing setting: %q", got)
	}
}

// TestConnectionTestsAreLimited: discovery and tests make the server
// connect on a user's behalf; a user can ask for only so many per window,
// and one user's use does not limit another's.
func TestConnectionTestsAreLimited(t *testing.T) {
	a := newApp(t)
	a.addUser("ana", "correct horse", db.RoleAdmin)
	a.addUser("bea", "correct horse", db.RoleMember)
	c := a.login("ana", "correct horse")
	form := url.Values{"email": {"ana@gmail.com"}, "password": {"app-password"}}
	for i := 0; i < connMaxPerUser; i++ {
		wantStatus(t, c.post("/settings/accounts/new/discover", form), http.StatusOK)
	}
	r := c.post("/settings/accounts/new/discover", form)
	wantStatus(t, r, http.StatusTooManyRequests)
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	wantStatus(t, c.post("/settings/accounts/test", form), http.StatusTooManyRequests)
	wantStatus(t, a.login("bea", "correct horse").post("/settings/accounts/new/discover", form), http.StatusOK)
}
