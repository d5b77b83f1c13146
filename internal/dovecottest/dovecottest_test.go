package dovecottest_test

import (
	"bufio"
	"bytes"
	"crypto/md5"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/dovecottest"
)

// client is a bare-bones POP3 client: just enough to prove the harness.
type client struct {
	t        testing.TB
	conn     net.Conn
	r        *bufio.Reader
	greeting string
}

func newClient(t testing.TB, conn net.Conn) *client {
	t.Helper()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	t.Cleanup(func() { conn.Close() })
	c.greeting = c.line()
	if !strings.HasPrefix(c.greeting, "+OK") {
		t.Fatalf("greeting: %q", c.greeting)
	}
	return c
}

func dialPlain(t testing.TB, addr string) *client {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, conn)
}

func dialTLS(t testing.TB, srv *dovecottest.Server) *client {
	t.Helper()
	conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", srv.TLSAddr,
		&tls.Config{RootCAs: srv.RootCAs(), ServerName: "localhost"})
	if err != nil {
		t.Fatal(err)
	}
	return newClient(t, conn)
}

func (c *client) line() string {
	c.t.Helper()
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("reading a response: %v (got %q)", err, l)
	}
	return strings.TrimSuffix(l, "\r\n")
}

// cmd sends a command and returns the first response line.
func (c *client) cmd(format string, args ...any) string {
	c.t.Helper()
	if _, err := fmt.Fprintf(c.conn, format+"\r\n", args...); err != nil {
		c.t.Fatal(err)
	}
	return c.line()
}

// ok sends a command and fails unless the answer is +OK.
func (c *client) ok(format string, args ...any) string {
	c.t.Helper()
	l := c.cmd(format, args...)
	if !strings.HasPrefix(l, "+OK") {
		c.t.Fatalf("%s: got %q, want +OK", fmt.Sprintf(format, args...), l)
	}
	return l
}

// multi reads a multi-line response body up to the terminating ".", and
// returns it as sent on the wire (still dot-stuffed) and un-stuffed.
func (c *client) multi() (wire, body []byte) {
	c.t.Helper()
	for {
		l, err := c.r.ReadBytes('\n')
		if err != nil {
			c.t.Fatalf("reading a multi-line response: %v", err)
		}
		if string(l) == ".\r\n" {
			return wire, body
		}
		wire = append(wire, l...)
		if l[0] == '.' {
			l = l[1:]
		}
		body = append(body, l...)
	}
}

func (c *client) login(user, pass string) {
	c.t.Helper()
	c.ok("USER %s", user)
	c.ok("PASS %s", pass)
}

func (c *client) quit() {
	c.t.Helper()
	c.ok("QUIT")
}

// stat returns STAT's message count and size.
func (c *client) stat() (n, size int) {
	c.t.Helper()
	l := c.ok("STAT")
	if _, err := fmt.Sscanf(l, "+OK %d %d", &n, &size); err != nil {
		c.t.Fatalf("STAT: %q: %v", l, err)
	}
	return n, size
}

// retr returns message n un-stuffed.
func (c *client) retr(n int) []byte {
	c.t.Helper()
	c.ok("RETR %d", n)
	_, body := c.multi()
	return body
}

func TestPlainSession(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{Users: map[string]string{
		"alice": "secret",
		"bob":   "hunter2 with spaces: and a colon",
	}})
	msgs := [][]byte{
		[]byte("From: a@example.org\r\nSubject: one\r\n\r\nfirst\r\n"),
		[]byte("From: b@example.org\r\nSubject: two\r\n\r\nline\r\n.dotted line\r\n.\r\n..\r\nend\r\n"),
		[]byte("From: c@example.org\r\nSubject: three\r\n\r\nthird\r\n"),
	}
	if err := srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddMessage("bob", []byte("Subject: bob's\r\n\r\nhi bob\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.AddMessage("carol", []byte("x\r\n")); err == nil {
		t.Error("AddMessage for an unknown user succeeded")
	}

	c := dialPlain(t, srv.PlainAddr)
	if !strings.Contains(c.greeting, "ready") {
		t.Errorf("greeting %q", c.greeting)
	}
	c.login("alice", "secret")
	total := 0
	for _, m := range msgs {
		total += len(m)
	}
	if n, size := c.stat(); n != 3 || size != total {
		t.Errorf("STAT = %d %d, want 3 %d", n, size, total)
	}
	c.ok("LIST")
	_, list := c.multi()
	wantList := fmt.Sprintf("1 %d\r\n2 %d\r\n3 %d\r\n", len(msgs[0]), len(msgs[1]), len(msgs[2]))
	if string(list) != wantList {
		t.Errorf("LIST = %q, want %q", list, wantList)
	}

	if l := c.ok("RETR 1"); l != fmt.Sprintf("+OK %d octets", len(msgs[0])) {
		t.Errorf("RETR 1: %q", l)
	}
	if wire, body := c.multi(); !bytes.Equal(wire, msgs[0]) || !bytes.Equal(body, msgs[0]) {
		t.Errorf("RETR 1 = %q, want %q", wire, msgs[0])
	}
	c.ok("RETR 2")
	wire, body := c.multi()
	wantWire := "From: b@example.org\r\nSubject: two\r\n\r\nline\r\n..dotted line\r\n..\r\n...\r\nend\r\n"
	if string(wire) != wantWire {
		t.Errorf("RETR 2 on the wire = %q, want %q", wire, wantWire)
	}
	if !bytes.Equal(body, msgs[1]) {
		t.Errorf("RETR 2 un-stuffed = %q, want %q", body, msgs[1])
	}
	c.ok("DELE 2")
	c.quit()

	left, err := srv.Messages("alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 2 || !bytes.Equal(left[0], msgs[0]) || !bytes.Equal(left[1], msgs[2]) {
		t.Errorf("after DELE 2, Messages = %q, want messages 1 and 3", left)
	}

	// The second user, with an awkward password, has a mailbox of their own.
	c = dialPlain(t, srv.PlainAddr)
	c.login("bob", "hunter2 with spaces: and a colon")
	if n, _ := c.stat(); n != 1 {
		t.Errorf("bob has %d messages, want 1", n)
	}
	if got := c.retr(1); string(got) != "Subject: bob's\r\n\r\nhi bob\r\n" {
		t.Errorf("bob's RETR 1 = %q", got)
	}
	c.quit()
	if m, err := srv.Messages("bob"); err != nil || len(m) != 1 {
		t.Errorf("Messages(bob) = %d messages, %v; want 1", len(m), err)
	}
}

func TestTLS(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{})
	srv.AddMessage(dovecottest.DefaultUser, []byte("Subject: tls\r\n\r\nover TLS\r\n"))

	c := dialTLS(t, srv)
	state := c.conn.(*tls.Conn).ConnectionState()
	if state.Version < tls.VersionTLS12 {
		t.Errorf("TLS version %x", state.Version)
	}
	c.login(dovecottest.DefaultUser, dovecottest.DefaultPassword)
	if got := c.retr(1); string(got) != "Subject: tls\r\n\r\nover TLS\r\n" {
		t.Errorf("RETR 1 over TLS = %q", got)
	}
	c.quit()

	// TLS 1.1 and older are refused.
	conn, err := tls.Dial("tcp", srv.TLSAddr, &tls.Config{RootCAs: srv.RootCAs(), ServerName: "localhost", MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Error("a TLS 1.1 handshake succeeded")
	}

	// STLS on the plain port.
	p := dialPlain(t, srv.PlainAddr)
	p.ok("CAPA")
	_, capa := p.multi()
	if !strings.Contains(string(capa), "STLS\r\n") {
		t.Errorf("CAPA lacks STLS: %q", capa)
	}
	p.ok("STLS")
	tc := tls.Client(p.conn, &tls.Config{RootCAs: srv.RootCAs(), ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatalf("STLS handshake: %v", err)
	}
	p.conn, p.r = tc, bufio.NewReader(tc)
	p.login(dovecottest.DefaultUser, dovecottest.DefaultPassword)
	p.quit()

	// The certificate is for the IP addresses too.
	conn, err = tls.Dial("tcp", srv.TLSAddr, &tls.Config{RootCAs: srv.RootCAs(), ServerName: "127.0.0.1"})
	if err != nil {
		t.Fatalf("TLS with ServerName 127.0.0.1: %v", err)
	}
	conn.Close()
}

func TestWrongPassword(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{})
	c := dialPlain(t, srv.PlainAddr)
	for i := 0; i < 3; i++ {
		start := time.Now()
		c.ok("USER alice")
		if l := c.cmd("PASS wrong"); !strings.HasPrefix(l, "-ERR") {
			t.Fatalf("PASS with a wrong password: %q", l)
		}
		if d := time.Since(start); d > 1500*time.Millisecond { // Dovecot's own penalty is 2 s; the bound leaves room for a loaded machine
			t.Errorf("a wrong password took %v to be refused", d)
		}
	}
	start := time.Now()
	c.ok("USER nobody-here")
	if l := c.cmd("PASS secret"); !strings.HasPrefix(l, "-ERR") {
		t.Fatalf("PASS for an unknown user: %q", l)
	}
	c.ok("USER alice")
	c.ok("PASS secret")
	if d := time.Since(start); d > 1500*time.Millisecond { // Dovecot's own penalty is 2 s; the bound leaves room for a loaded machine
		t.Errorf("logging in after failures took %v: an auth penalty is in force", d)
	}
	c.quit()
}

func TestSASL(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{})
	c := dialPlain(t, srv.PlainAddr)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	if l := c.cmd("AUTH PLAIN %s", b64("\x00alice\x00wrong")); !strings.HasPrefix(l, "-ERR") {
		t.Errorf("AUTH PLAIN with a wrong password: %q", l)
	}
	c.ok("AUTH PLAIN %s", b64("\x00alice\x00secret"))
	c.quit()

	c = dialPlain(t, srv.PlainAddr)
	if l := c.cmd("AUTH LOGIN"); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("AUTH LOGIN: %q", l)
	}
	if l := c.cmd("%s", b64("alice")); !strings.HasPrefix(l, "+ ") {
		t.Fatalf("AUTH LOGIN user name: %q", l)
	}
	c.ok("%s", b64("secret"))
	c.quit()
}

func TestExtraConfig(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{ExtraConfig: "login_greeting = Apartado test server ready.\npop3_uidl_format = %f\n"})
	path, err := srv.AddMessage("alice", []byte("Subject: x\r\n\r\nx\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	c := dialPlain(t, srv.PlainAddr)
	if c.greeting != "+OK Apartado test server ready." {
		t.Errorf("greeting %q", c.greeting)
	}
	c.login("alice", "secret")
	// The generated pop3_uidl_format is overridden.
	if l, want := c.ok("UIDL 1"), "+OK 1 "+filepath.Base(path); l != want {
		t.Errorf("UIDL 1 = %q, want %q", l, want)
	}
	c.quit()
}

func TestLockSession(t *testing.T) {
	t.Parallel()
	for _, lock := range []bool{true, false} {
		t.Run(fmt.Sprintf("LockSession=%v", lock), func(t *testing.T) {
			t.Parallel()
			srv := dovecottest.Start(t, dovecottest.Options{LockSession: lock})
			srv.AddMessage("alice", []byte("Subject: x\r\n\r\nx\r\n"))
			first := dialPlain(t, srv.PlainAddr)
			first.login("alice", "secret")
			second := dialPlain(t, srv.PlainAddr)
			second.ok("USER alice")
			l := second.cmd("PASS secret")
			if lock && !strings.HasPrefix(l, "-ERR [IN-USE]") {
				t.Errorf("second concurrent session: PASS got %q, want -ERR [IN-USE]", l)
			}
			if !lock && !strings.HasPrefix(l, "+OK") {
				t.Errorf("second concurrent session without locking: PASS got %q, want +OK", l)
			}
			first.quit()
		})
	}
}

func TestDisablePlaintextAuth(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{DisablePlaintextAuth: true})
	c := dialPlain(t, srv.PlainAddr)
	c.ok("CAPA")
	_, capa := c.multi()
	if strings.Contains(string(capa), "PLAIN") {
		t.Errorf("CAPA offers PLAIN before STLS: %q", capa)
	}
	l := c.cmd("USER alice")
	if strings.HasPrefix(l, "+OK") {
		l = c.cmd("PASS secret")
	}
	if !strings.HasPrefix(l, "-ERR") {
		t.Errorf("plaintext login before STLS: got %q, want -ERR", l)
	}
	c.ok("STLS")
	tc := tls.Client(c.conn, &tls.Config{RootCAs: srv.RootCAs(), ServerName: "localhost"})
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	c.login("alice", "secret")
	c.quit()

	d := dialTLS(t, srv)
	d.login("alice", "secret")
	d.quit()
}

func TestAPOP(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{APOP: true})
	c := dialPlain(t, srv.PlainAddr)
	i, j := strings.IndexByte(c.greeting, '<'), strings.LastIndexByte(c.greeting, '>')
	if i < 0 || j < i {
		t.Fatalf("greeting without an APOP timestamp: %q", c.greeting)
	}
	ts := c.greeting[i : j+1]
	if l := c.cmd("APOP alice %x", md5.Sum([]byte(ts+"wrong"))); !strings.HasPrefix(l, "-ERR") {
		t.Errorf("APOP with a wrong digest: %q", l)
	}
	c.ok("APOP alice %x", md5.Sum([]byte(ts+"secret")))
	c.quit()

	// Without the option, no timestamp.
	plain := dovecottest.Start(t, dovecottest.Options{})
	if g := dialPlain(t, plain.PlainAddr).greeting; strings.Contains(g, "<") {
		t.Errorf("greeting without APOP: %q", g)
	}
}

// TestManyMessagesOrder adds 1,200 messages as fast as it can and checks
// that POP3 numbers them in the order they were added.
func TestManyMessagesOrder(t *testing.T) {
	t.Parallel()
	const count = 1200
	srv := dovecottest.Start(t, dovecottest.Options{})
	raws := make([][]byte, count)
	for i := range raws {
		raws[i] = fmt.Appendf(nil, "Message-ID: <%d@dovecottest>\r\nSubject: number %d\r\n\r\nThis is message %d.\r\n", i+1, i+1, i+1)
	}
	start := time.Now()
	if err := srv.AddMessages("alice", raws); err != nil {
		t.Fatal(err)
	}
	t.Logf("added %d messages in %v", count, time.Since(start))

	c := dialPlain(t, srv.PlainAddr)
	c.login("alice", "secret")
	if n, _ := c.stat(); n != count {
		t.Fatalf("STAT: %d messages, want %d", n, count)
	}
	c.ok("UIDL")
	_, uidl := c.multi()
	lines := strings.Split(strings.TrimSuffix(string(uidl), "\r\n"), "\r\n")
	if len(lines) != count {
		t.Fatalf("UIDL listed %d messages, want %d", len(lines), count)
	}
	for i, l := range lines {
		num, id, ok := strings.Cut(l, " ")
		if !ok || num != strconv.Itoa(i+1) || len(id) != 16 {
			t.Fatalf("UIDL line %d: %q", i+1, l)
		}
		// %08Xu%08Xv: the first 8 hex digits are the UID, which Dovecot
		// assigned in the order it sorted the new files.
		uid, err := strconv.ParseUint(id[:8], 16, 32)
		if err != nil || uid != uint64(i+1) {
			t.Fatalf("message %d has UID %d (%q), want %d", i+1, uid, id, i+1)
		}
	}
	for _, n := range []int{1, 2, count / 2, count - 1, count} {
		if got := c.retr(n); !bytes.Equal(got, raws[n-1]) {
			t.Errorf("RETR %d = %q, want %q", n, got, raws[n-1])
		}
	}
	c.ok("DELE 1")
	c.ok("DELE %d", count)
	c.quit()

	left, err := srv.Messages("alice")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != count-2 {
		t.Fatalf("Messages: %d left, want %d", len(left), count-2)
	}
	for i, m := range left {
		if !bytes.Equal(m, raws[i+1]) {
			t.Fatalf("Messages()[%d] = %q, want %q", i, m, raws[i+1])
		}
	}

	// Messages added later come after those already numbered.
	late := []byte("Subject: late\r\n\r\nlate\r\n")
	srv.AddMessage("alice", late)
	c = dialPlain(t, srv.PlainAddr)
	c.login("alice", "secret")
	if got := c.retr(count - 1); !bytes.Equal(got, late) {
		t.Errorf("the message added last is not last: RETR %d = %q", count-1, got)
	}
	c.quit()
}

// TestBytesOnTheWire pins what the package documentation says Dovecot does
// to a message file on its way out.
func TestBytesOnTheWire(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{})
	cases := []struct {
		file, wire string // wire: un-stuffed RETR body
		list       int    // LIST size
	}{
		{"A: b\r\n\r\nCRLF\r\n", "A: b\r\n\r\nCRLF\r\n", 14},
		{"A: b\n\nLF\nonly\n", "A: b\r\n\r\nLF\r\nonly\r\n", 18},
		{"A: b\r\n\r\nno final break", "A: b\r\n\r\nno final break\r\n", 22},
		{"A: b\n\nno final LF", "A: b\r\n\r\nno final LF\r\n", 19},
		{"A: b\r\n\r\nbare\rCR\r\r\n", "A: b\r\n\r\nbare\rCR\r\r\n", 18},
		{"A: b\r\n\r\nNUL\x00 and 8-bit \xe9\xff\r\n", "A: b\r\n\r\nNUL\x00 and 8-bit \xe9\xff\r\n", 27},
		{"", "\r\n", 0},
	}
	for _, tc := range cases {
		if _, err := srv.AddMessage("alice", []byte(tc.file)); err != nil {
			t.Fatal(err)
		}
	}
	c := dialPlain(t, srv.PlainAddr)
	c.login("alice", "secret")
	for i, tc := range cases {
		n := i + 1
		if l := c.ok("LIST %d", n); l != fmt.Sprintf("+OK %d %d", n, tc.list) {
			t.Errorf("LIST %d for %q = %q, want size %d", n, tc.file, l, tc.list)
		}
		if got := c.retr(n); string(got) != tc.wire {
			t.Errorf("RETR %d of file %q = %q, want %q", n, tc.file, got, tc.wire)
		}
	}
	c.quit()
	// The files themselves are untouched.
	files, err := srv.Messages("alice")
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		if string(files[i]) != tc.file {
			t.Errorf("file %d = %q, want %q", i+1, files[i], tc.file)
		}
	}
}

func TestConcurrentSessions(t *testing.T) {
	t.Parallel()
	srv := dovecottest.Start(t, dovecottest.Options{})
	for i := 0; i < 5; i++ {
		srv.AddMessage("alice", fmt.Appendf(nil, "Subject: %d\r\n\r\n%d\r\n", i, i))
	}
	// Dovecot allows 10 sessions per user and IP by default.
	const sessions = 8
	errs := make(chan error, sessions)
	for i := 0; i < sessions; i++ {
		go func() { errs <- statSession(srv.PlainAddr, "alice", "secret", "+OK 5 ") }()
	}
	for i := 0; i < sessions; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// statSession logs in, checks STAT's answer starts with want and quits,
// without t.Fatal so that it can run on any goroutine.
func statSession(addr, user, pass, want string) error {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	for _, step := range []struct{ cmd, want string }{
		{"", "+OK"}, {"USER " + user, "+OK"}, {"PASS " + pass, "+OK"}, {"STAT", want}, {"QUIT", "+OK"},
	} {
		if step.cmd != "" {
			fmt.Fprintf(conn, "%s\r\n", step.cmd)
		}
		l, err := r.ReadString('\n')
		if err != nil {
			return fmt.Errorf("%q: %v", step.cmd, err)
		}
		if !strings.HasPrefix(l, step.want) {
			return fmt.Errorf("%q: got %q, want %q", step.cmd, l, step.want)
		}
	}
	return nil
}

func TestNewErrors(t *testing.T) {
	t.Parallel()
	for _, users := range []map[string]string{
		{},
		{"../etc": "x"},
		{"a b": "x"},
		{"alice": ""},
		{"alice": "two\nlines"},
	} {
		if srv, err := dovecottest.New(dovecottest.Options{Users: users}); err == nil {
			srv.Close()
			t.Errorf("New with users %q succeeded", users)
		}
	}
}

// TestOAuth2 checks the oauth2 passdb against a stand-in introspection
// endpoint: Dovecot must POST the token with the URL's credentials as
// Basic authentication, and accept only an active answer that names the
// logging-in user. internal/oauthtest runs it against a real provider.
func TestOAuth2(t *testing.T) {
	t.Parallel()
	intro := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, secret, ok := r.BasicAuth()
		if r.Method != http.MethodPost || !ok || id != "dovecot" || secret != "pw" {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.PostFormValue("token") {
		case "good":
			fmt.Fprint(w, `{"active": true, "username": "alice"}`)
		case "other":
			fmt.Fprint(w, `{"active": true, "username": "bob"}`)
		case "inactive":
			fmt.Fprint(w, `{"active": false, "username": "alice"}`)
		default:
			fmt.Fprint(w, `{"active": false}`)
		}
	}))
	t.Cleanup(intro.Close)
	u, _ := url.Parse(intro.URL + "/introspect")
	u.User = url.UserPassword("dovecot", "pw")
	srv := dovecottest.Start(t, dovecottest.Options{OAuth2: &dovecottest.OAuth2{IntrospectionURL: u.String()}})

	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	xoauth2 := func(user, token string) string { return b64("user=" + user + "\x01auth=Bearer " + token + "\x01\x01") }
	c := dialTLS(t, srv)
	for _, token := range []string{"other", "inactive", "unknown"} {
		if l := c.cmd("AUTH XOAUTH2 %s", xoauth2("alice", token)); !strings.HasPrefix(l, "+ ") {
			t.Fatalf("AUTH XOAUTH2 with token %q: %q, want the error challenge", token, l)
		}
		if l := c.cmd(""); !strings.HasPrefix(l, "-ERR") {
			t.Fatalf("AUTH XOAUTH2 with token %q: %q", token, l)
		}
	}
	c.ok("AUTH XOAUTH2 %s", xoauth2("alice", "good"))
	c.quit()

	c = dialTLS(t, srv)
	c.ok("AUTH OAUTHBEARER %s", b64("n,a=alice,\x01auth=Bearer good\x01\x01"))
	c.quit()
	c = dialTLS(t, srv) // passwords still work
	c.ok("AUTH PLAIN %s", b64("\x00alice\x00secret"))
	c.quit()
}
