package handlers

// Where the connections a user asks for may go (dialguard.go), what of a
// server's words reaches the page, and where a stored or sealed password
// may be sent (formtoken.go).

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/netguard"
	"github.com/apartado/apartado/internal/testnet"
)

// recorder is a loopback listener that greets with greeting, answers like
// a POP3 server without capabilities and an empty mailbox, and keeps every
// line it is sent.
type recorder struct {
	port     string
	accepted atomic.Int32
	mu       sync.Mutex
	lines    []string
}

func startRecorder(t *testing.T, greeting string) *recorder {
	t.Helper()
	rec := &recorder{}
	rec.port = testnet.Port(testnet.Serve(t, func(c net.Conn) {
		rec.accepted.Add(1)
		_ = c.SetDeadline(time.Now().Add(20 * time.Second))
		if _, err := c.Write([]byte(greeting + "\r\n")); err != nil {
			return
		}
		br := bufio.NewReader(c)
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\r\n")
			rec.mu.Lock()
			rec.lines = append(rec.lines, line)
			rec.mu.Unlock()
			reply := "+OK"
			switch strings.ToUpper(strings.SplitN(line, " ", 2)[0]) {
			case "CAPA":
				reply = "-ERR no capabilities"
			case "STAT":
				reply = "+OK 0 0"
			}
			if _, err := c.Write([]byte(reply + "\r\n")); err != nil {
				return
			}
		}
	}))
	return rec
}

func (rec *recorder) received() string {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return strings.Join(rec.lines, "\n")
}

// A member's connection test to this computer is refused with its own
// diagnosis, and no connection reaches the listener, whether the address
// is typed or a name resolves to it; with private servers allowed too. An
// administrator's test connects.
func TestMemberMayNotConnectToLoopback(t *testing.T) {
	for _, private := range []bool{false, true} {
		t.Run("private servers allowed "+strconv.FormatBool(private), func(t *testing.T) {
			app := newApp(t, func(cfg *Config) { cfg.MemberPrivateServers = private })
			ana := app.addUser("ana", "correct horse", db.RoleMember)
			app.addUser("root", "correct horse", db.RoleAdmin)
			rec := startRecorder(t, "+OK ready")
			member := app.login("ana", "correct horse")
			for _, host := range []string{"127.0.0.1", "pop.example.test", "::1", "::ffff:127.0.0.1"} {
				form := testForm("host", host, "port", rec.port, "security", "none")
				doc := inBothLanguages(t, member, "/settings/accounts/test", form)
				if s := diagnosisTitle(t, doc); s != "Apartado may not connect to this server for you" {
					t.Errorf("%s: diagnosis %q", host, s)
				}
				if href := attr(one(t, doc, "diagnosis-help"), "href"); href != "/help#error-address-not-allowed" {
					t.Errorf("%s: help link %q", host, href)
				}
				if s := text(one(t, doc, "diagnosis-explanation")); !strings.Contains(s, "administrator") {
					t.Errorf("%s: explanation %q", host, s)
				}
				// Saving tests first: refused the same way, and not saved.
				r := member.post("/settings/accounts/new", form)
				wantStatus(t, r, http.StatusUnprocessableEntity)
				if s := diagnosisTitle(t, r.doc(t)); s != "Apartado may not connect to this server for you" {
					t.Errorf("%s: save: diagnosis %q", host, s)
				}
			}
			if n := rec.accepted.Load(); n != 0 {
				t.Fatalf("a member's tests reached the loopback listener %d times; it received %q", n, rec.received())
			}

			// An administrator testing the member's account for them is held
			// to the member's policy: the poller will be.
			admin := app.login("root", "correct horse")
			doc := admin.post(memberAccountsPath(ana.ID)+"/test", testForm("host", "127.0.0.1", "port", rec.port, "security", "none")).doc(t)
			if s := diagnosisTitle(t, doc); s != "Apartado may not connect to this server for you" {
				t.Errorf("administrator's test for a member: diagnosis %q", s)
			}
			if n := rec.accepted.Load(); n != 0 {
				t.Fatalf("a test for a member reached the loopback listener %d times", n)
			}
			r := admin.post("/settings/accounts/test", testForm("host", "127.0.0.1", "port", rec.port, "security", "none"))
			wantStatus(t, r, http.StatusOK)
			if got := steps(t, r.doc(t)); !strings.HasPrefix(got, "resolve✓ connect✓ greeting✓") {
				t.Errorf("administrator's test: steps %q", got)
			}
			if rec.accepted.Load() == 0 {
				t.Error("the administrator's test did not connect")
			}
		})
	}
}

// The policy a request carries: none for an administrator; for a member
// the local network only with MemberPrivateServers, this computer never.
func TestDialPolicyPerUser(t *testing.T) {
	for _, private := range []bool{false, true} {
		app := newApp(t, func(cfg *Config) { cfg.MemberPrivateServers = private })
		app.addUser("ana", "correct horse", db.RoleMember)
		app.addUser("root", "correct horse", db.RoleAdmin)
		type seen struct {
			restricted bool
			policy     netguard.Policy
		}
		var got seen
		app.handler.testConn = func(ctx context.Context, _ diagnose.TestSettings, _ diagnose.TestOptions, _ func(diagnose.StepResult)) diagnose.Result {
			got.policy, got.restricted = netguard.PolicyFrom(ctx)
			return diagnose.Result{OK: true}
		}
		for _, tc := range []struct {
			user       string
			restricted bool
		}{{"ana", true}, {"root", false}} {
			got = seen{}
			r := app.login(tc.user, "correct horse").post("/settings/accounts/test", testForm())
			wantStatus(t, r, http.StatusOK)
			if got.restricted != tc.restricted {
				t.Fatalf("%s: restricted %t, want %t", tc.user, got.restricted, tc.restricted)
			}
			if !tc.restricted {
				continue
			}
			if got.policy.AllowPrivate != private {
				t.Errorf("%s: AllowPrivate %t with MemberPrivateServers %t", tc.user, got.policy.AllowPrivate, private)
			}
			for addr, allowed := range map[string]bool{"10.1.2.3": private, "192.168.0.10": private, "fd00::5": private,
				"127.0.0.1": false, "169.254.169.254": false, "::1": false, "93.184.216.34": true} {
				if err := got.policy.Check(netip.MustParseAddr(addr)); (err == nil) != allowed {
					t.Errorf("private %t: %s allowed %t, want %t", private, addr, err == nil, allowed)
				}
			}
		}
	}
}

// srvDNS is testDNS with SRV records for example.test: POP3 on port.
type srvDNS struct {
	testDNS
	port uint16
}

func (d srvDNS) LookupSRV(ctx context.Context, service, proto, name string) (string, []*net.SRV, error) {
	if service == "pop3" && strings.TrimSuffix(name, ".") == "example.test" {
		return "", []*net.SRV{{Target: "pop.example.test.", Port: d.port, Priority: 0, Weight: 1}}, nil
	}
	return d.testDNS.LookupSRV(ctx, service, proto, name)
}

// Autodiscovery probes the servers a domain's records name: for a member,
// never on this computer.
func TestMemberDiscoveryDoesNotProbeLoopback(t *testing.T) {
	rec := startRecorder(t, "+OK ready")
	port, _ := strconv.Atoi(rec.port)
	app := newApp(t, func(cfg *Config) {
		o := offlineDiscovery()
		o.Resolver = srvDNS{port: uint16(port)}
		o.NoProbe = false
		o.ProbeTimeout = 3 * time.Second
		cfg.DiscoverOptions = o
	})
	app.addUser("ana", "correct horse", db.RoleMember)
	app.addUser("root", "correct horse", db.RoleAdmin)
	form := url.Values{"email": {"ana@example.test"}, "password": {"secret"}}

	r := app.login("ana", "correct horse").post("/settings/accounts/new/discover", form)
	wantStatus(t, r, http.StatusOK)
	if n := rec.accepted.Load(); n != 0 {
		t.Fatalf("a member's discovery probed the loopback listener %d times", n)
	}
	r = app.login("root", "correct horse").post("/settings/accounts/new/discover", form)
	wantStatus(t, r, http.StatusOK)
	if rec.accepted.Load() == 0 {
		t.Fatal("the administrator's discovery did not probe: the test proves nothing")
	}
	if v, _, _ := inputValue(r.doc(t), "port"); v != rec.port {
		t.Errorf("discovered port %q, want %s", v, rec.port)
	}
}

// Discovery's HTTPS requests go through the same check.
func TestGuardedTransport(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	hc := &http.Client{Transport: GuardedTransport(&net.Dialer{})}
	req, _ := http.NewRequestWithContext(netguard.Restrict(context.Background(), netguard.Policy{AllowPrivate: true}), http.MethodGet, srv.URL, nil)
	if resp, err := hc.Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("a restricted request reached a loopback server")
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL, nil)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatalf("%d requests arrived, want 1", hits.Load())
	}
}

// A port that answers as something else than a mail server: the diagnosis
// says so, but none of its words reach the page.
func TestBannerNotShown(t *testing.T) {
	app := newApp(t)
	app.addUser("root", "correct horse", db.RoleAdmin) // members may not connect to loopback
	c := app.login("root", "correct horse")
	for _, greeting := range []string{"SSH-2.0-OpenSSH_9.2 secret-banner", "HTTP/1.1 400 secret-banner", "-ERR secret-banner", "secret-banner"} {
		rec := startRecorder(t, greeting)
		for _, lang := range []string{"en", "es"} {
			c.header.Set("Accept-Language", lang)
			r := c.post("/settings/accounts/test", testForm("port", rec.port, "security", "none"))
			wantStatus(t, r, http.StatusOK)
			one(t, r.doc(t), "diagnosis")
			if strings.Contains(r.body, "secret-banner") {
				t.Errorf("%q: the page shows the banner", greeting)
			}
		}
		c.header.Del("Accept-Language")
	}
	rec := startRecorder(t, "SSH-2.0-OpenSSH_9.2 secret-banner")
	doc := c.post("/settings/accounts/test", testForm("port", rec.port, "security", "none")).doc(t)
	if s := diagnosisTitle(t, doc); s != "This port is not for POP3" {
		t.Errorf("diagnosis %q", s)
	}
	none(t, doc, "diagnosis-detail")
}

// The stored password goes only to the server and user name it was saved
// for: another host, port, security or user name with the password field
// left empty is refused with a field error, and nothing is sent there. The
// same holds for a password sealed in the form's token.
func TestStoredPasswordStaysWithItsServer(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	app := newApp(t, func(cfg *Config) { cfg.ExtraRootCAs = dovecotCA(t, srv) })
	u := app.addUser("root", "correct horse", db.RoleAdmin) // members may not connect to loopback
	c := app.login("root", "correct horse")
	tlsPort := splitPort(t, srv.TLSAddr)
	plainPort := splitPort(t, srv.PlainAddr)
	stored := testForm("host", "localhost", "port", tlsPort)
	wantRedirect(t, c.post("/settings/accounts/new", stored), "/settings?done="+doneAccountAdded)
	accs, _ := app.db.Accounts(context.Background(), u.ID)
	a := accs[0]
	id := strconv.FormatInt(a.ID, 10)
	rec := startRecorder(t, "+OK ready")

	// Unchanged settings: the stored password is used.
	unchanged := testForm("host", "localhost", "port", tlsPort, "password", "", "name", "Renamed")
	r := c.post("/settings/accounts/"+id+"/test", unchanged)
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "test-ok")

	changes := map[string]url.Values{
		"host":            testForm("host", "127.0.0.1", "port", rec.port, "security", "none", "password", ""),
		"host, same port": testForm("host", "127.0.0.1", "port", tlsPort, "password", ""),
		"port":            testForm("host", "localhost", "port", rec.port, "security", "none", "password", ""),
		"security":        testForm("host", "localhost", "port", plainPort, "security", "starttls", "password", ""),
		"username":        testForm("host", "localhost", "port", tlsPort, "username", "bob", "password", ""),
	}
	for what, form := range changes {
		for _, path := range []string{"/settings/accounts/" + id + "/test", "/settings/accounts/" + id} {
			r := c.post(path, form)
			wantStatus(t, r, http.StatusUnprocessableEntity)
			if s := text(one(t, r.doc(t), "error-password")); s != "Enter the password again: the server or user name changed." {
				t.Errorf("%s, %s: password error %q", what, path, s)
			}
			none(t, r.doc(t), "field-token")
		}
	}
	c.header.Set("Accept-Language", "es")
	r = c.post("/settings/accounts/"+id+"/test", changes["host"])
	c.header.Del("Accept-Language")
	if s := text(one(t, r.doc(t), "error-password")); s == "" || strings.Contains(s, "server or user name") {
		t.Errorf("Spanish password error %q", s)
	}
	if b, _ := app.db.Account(context.Background(), u.ID, a.ID); b.Host != "localhost" || b.Port != a.Port || b.Username != a.Username {
		t.Fatalf("saved despite the error: %+v", b.AccountSettings)
	}

	// A password typed for the stored server rides in the token of the
	// test page; it opens for that server only.
	r = c.post("/settings/accounts/"+id+"/test", testForm("host", "localhost", "port", tlsPort))
	wantStatus(t, r, http.StatusOK)
	token, _, _ := inputValue(r.doc(t), "token")
	if token == "" {
		t.Fatal("no token on the test page")
	}
	for what, form := range changes {
		form.Set("token", token)
		r := c.post("/settings/accounts/"+id+"/test", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if s := text(one(t, r.doc(t), "error-password")); s != "Enter the password again: the server or user name changed." {
			t.Errorf("token, %s: password error %q", what, s)
		}
	}
	// The same for a new account's form.
	r = c.post("/settings/accounts/test", testForm("host", "localhost", "port", tlsPort))
	newToken, _, _ := inputValue(r.doc(t), "token")
	r = c.post("/settings/accounts/test", testForm("host", "127.0.0.1", "port", rec.port, "security", "none", "password", "", "token", newToken))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-password")

	if n := rec.accepted.Load(); n != 0 {
		t.Fatalf("the other server was connected to %d times; it received %q", n, rec.received())
	}

	// With the token the unchanged settings still work, and a password
	// typed again goes where it was typed for (so the recorder would have
	// seen one).
	unchanged.Set("token", token)
	r = c.post("/settings/accounts/"+id+"/test", unchanged)
	wantStatus(t, r, http.StatusOK)
	one(t, r.doc(t), "test-ok")
	r = c.post("/settings/accounts/"+id+"/test", testForm("host", "127.0.0.1", "port", rec.port, "security", "none", "password", "typed again"))
	wantStatus(t, r, http.StatusOK)
	if got := rec.received(); !strings.Contains(got, "typed again") || strings.Contains(got, dovecottest.DefaultPassword) {
		t.Errorf("the recorder received %q", got)
	}
	b, _ := app.db.Account(context.Background(), u.ID, a.ID)
	if pw, err := app.key.Open(b.PasswordSealed, apppkg.PasswordContext(u.ID)); err != nil || string(pw) != dovecottest.DefaultPassword {
		t.Errorf("stored password %q, %v", pw, err)
	}
}

// A fix link that changes the server says the password must be typed
// again; one that changes only the check interval does not.
func TestFixLinkAsksForThePassword(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	a := app.addAccount(u.ID, "Home")
	c := app.login("ana", "correct horse")
	id := strconv.FormatInt(a.ID, 10)
	doc := c.get("/settings/accounts/" + id + "?port=110&security=starttls").doc(t)
	if s := text(one(t, doc, "notice")); !strings.Contains(s, "Enter the password again") {
		t.Errorf("notice %q", s)
	}
	doc = c.get("/settings/accounts/" + id + "?interval=30").doc(t)
	if s := text(one(t, doc, "notice")); strings.Contains(s, "password") {
		t.Errorf("notice %q", s)
	}
}
