package pop3client

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSessionCommands(t *testing.T) {
	c := loggedIn(t, plain(),
		"C: STAT",
		"S: +OK 2 320",
		"C: LIST",
		"S: +OK 2 messages",
		"S: 1 120",
		"S: 2  200",
		"S: .",
		"C: LIST 2",
		"S: +OK 2 200",
		"C: UIDL",
		"S: +OK",
		"S: 1 whqtswO00WBw418f9t5JxYwZ",
		"S: 2 QhdPYR:00WBw1Ph7x7",
		"S: .",
		"C: UIDL 1",
		"S: +OK 1 whqtswO00WBw418f9t5JxYwZ",
		"C: RETR 1",
		"S: +OK 120 octets",
		"S: Subject: hi",
		"S: ",
		"S: ..dot-stuffed",
		"S: .",
		"C: TOP 2 0",
		"S: +OK",
		"S: Subject: two",
		"S: ",
		"S: .",
		"C: DELE 1",
		"S: +OK message 1 deleted",
		"C: RETR 1",
		"S: -ERR message 1 already deleted",
		"C: NOOP",
		"S: +OK",
		"C: RSET",
		"S: +OK maildrop has 2 messages",
		"C: QUIT",
		"S: +OK bye",
	)
	ctx := ctxT(t)
	if !c.Authenticated() || c.Greeting() != "POP3 ready <1896.697170952@dbc.mtview.ca.us>" {
		t.Errorf("Authenticated %v, greeting %q", c.Authenticated(), c.Greeting())
	}
	n, size, err := c.Stat(ctx)
	if err != nil || n != 2 || size != 320 {
		t.Fatalf("Stat = %d %d %v", n, size, err)
	}
	list, err := c.List(ctx)
	if err != nil || len(list) != 2 || list[1] != (MessageInfo{ID: 2, Size: 200}) {
		t.Fatalf("List = %v %v", list, err)
	}
	if m, err := c.ListOne(ctx, 2); err != nil || m.Size != 200 {
		t.Fatalf("ListOne = %v %v", m, err)
	}
	uids, err := c.Uidl(ctx)
	if err != nil || len(uids) != 2 || uids[1].UID != "QhdPYR:00WBw1Ph7x7" || uids[0].Duplicate {
		t.Fatalf("Uidl = %v %v", uids, err)
	}
	if u, err := c.UidlOne(ctx, 1); err != nil || u.UID != "whqtswO00WBw418f9t5JxYwZ" {
		t.Fatalf("UidlOne = %v %v", u, err)
	}
	if got := readAll(t, c, 1); got != "Subject: hi\r\n\r\n.dot-stuffed\r\n" {
		t.Fatalf("RETR = %q", got)
	}
	var top []byte
	if err := c.Top(ctx, 2, 0, func(r io.Reader) (err error) { top, err = io.ReadAll(r); return }); err != nil || string(top) != "Subject: two\r\n\r\n" {
		t.Fatalf("TOP = %q %v", top, err)
	}
	if err := c.Dele(ctx, 1); err != nil {
		t.Fatal(err)
	}
	err = c.Retr(ctx, 1, func(io.Reader) error { t.Error("callback called after -ERR"); return nil })
	if e := wantKind(t, err, KindServerError, StepCommand); e.ServerText != "message 1 already deleted" || e.Command != "RETR" {
		t.Errorf("RETR -ERR: %+v", e)
	}
	if err := c.Noop(ctx); err != nil { // the session survives a -ERR
		t.Fatal(err)
	}
	if err := c.Rset(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(ctx); err != nil {
		t.Fatal(err)
	}
	wantKind(t, c.Noop(ctx), KindClosed, "")
}

func TestListingQuirks(t *testing.T) {
	long := strings.Repeat("L", 600)
	c := loggedIn(t, plain(),
		"C: UIDL",
		"S: +OK "+long, // a status line far over 512 octets
		"S: 1    multiple-spaces",
		"S: 2 uid with spaces",
		"S: 3 ñ-non-ascii-\xff",
		"S: 4 "+strings.Repeat("x", 120),
		"S: 5 ",
		"S: 6 dup",
		"S: 7 dup",
		"S: ..8 unstuffed?",
		"S: .",
		"WAIT",
	)
	uids, err := c.Uidl(ctxT(t))
	if err == nil {
		t.Fatalf("a listing line %q must be a protocol error, got %v", "..8", uids)
	}
	// Not a valid line: the session is now out of step and closed.
	wantKind(t, err, KindProtocol, StepCommand)
	wantKind(t, func() error { _, err := c.List(ctxT(t)); return err }(), KindClosed, "")

	c = loggedIn(t, plain(),
		"C: UIDL",
		"S: +OK",
		"S: 1    multiple-spaces",
		"S: 2 uid with spaces",
		"S: 3 ñ-non-ascii-\xff",
		"S: 4 "+strings.Repeat("x", 120),
		"S: 5 ",
		"S: 6 dup",
		"S: 7 dup",
		"S: .",
	)
	uids, err = c.Uidl(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []UID{{1, "multiple-spaces", false}, {2, "uid with spaces", false}, {3, "ñ-non-ascii-\xff", false},
		{4, strings.Repeat("x", 120), false}, {5, "", false}, {6, "dup", true}, {7, "dup", true}}
	if fmt.Sprint(uids) != fmt.Sprint(want) {
		t.Fatalf("got %v\nwant %v", uids, want)
	}
}

func TestBareStatusAndLongLineLimit(t *testing.T) {
	c := loggedIn(t, plain(),
		"C: NOOP",
		"S: +OK",
		"C: STAT",
		"S: +OK 0 0",
		"C: NOOP",
		"S: +OK "+strings.Repeat("z", maxLineLength+10),
	)
	if err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if n, s, err := c.Stat(ctxT(t)); err != nil || n != 0 || s != 0 {
		t.Fatalf("empty mailbox STAT: %d %d %v", n, s, err)
	}
	wantKind(t, c.Noop(ctxT(t)), KindProtocol, StepCommand)
}

func TestRetrEdgeCases(t *testing.T) {
	megaLine := strings.Repeat("m", 1<<20)
	tests := []struct {
		name string
		wire string // what the server sends after "+OK\r\n"
		want string
	}{
		{"1 MB line", megaLine + "\r\n.\r\n", megaLine + "\r\n"},
		{"NUL and 8-bit", "a\x00b\xff\r\n.\r\n", "a\x00b\xff\r\n"},
		{"bare LF", "a\nb\n.\r\n", "a\nb\n"},
		{"terminator after bare LF", "a\r\nlast\n.\r\n", "a\r\nlast\n"},
		{"last line without CRLF in the file", "Subject: x\r\n\r\nno newline at end\r\n.\r\n", "Subject: x\r\n\r\nno newline at end\r\n"},
		{"empty message", ".\r\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := loggedIn(t, plain(), "C: RETR 1", "S| "+strconv.Quote("+OK\r\n"+tc.wire), "C: NOOP", "S: +OK")
			if got := readAll(t, c, 1); got != tc.want {
				t.Fatalf("got %d bytes %q, want %d bytes", len(got), trunc(got), len(tc.want))
			}
			if err := c.Noop(ctxT(t)); err != nil {
				t.Fatalf("session unusable after RETR: %v", err)
			}
		})
	}
}

func trunc(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

func TestRetrTerminatorThenSilence(t *testing.T) {
	// ".\r" and then nothing: must time out, not hang and not return early.
	opts := plain()
	opts.Timeout = 300 * time.Millisecond
	c := loggedIn(t, opts, "C: RETR 1", "S| \"+OK\\r\\nbody\\r\\n.\\r\"", "WAIT")
	var got []byte
	start := time.Now()
	err := c.Retr(ctxT(t), 1, func(r io.Reader) (err error) { got, err = io.ReadAll(r); return })
	if e := wantKind(t, err, KindTimeout, StepTransfer); e.Command != "RETR" {
		t.Errorf("command %q", e.Command)
	}
	if string(got) != "body\r\n" {
		t.Errorf("got %q before the stall", got)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v: the idle timeout did not apply", d)
	}
}

func TestIdleTimeoutIsPerRead(t *testing.T) {
	// A slow but steady server: 8 chunks 100 ms apart, 250 ms idle timeout.
	// The whole transfer takes longer than the timeout and must succeed.
	opts := plain()
	opts.Timeout = 250 * time.Millisecond
	s := startFake(t, nil, func(fc *fakeConn) {
		script(join(greet, login)...)(&fakeConn{s: fc.s, conn: fc.conn, r: fc.r})
	})
	_ = s
	s2 := startFake(t, nil, func(fc *fakeConn) {
		for _, l := range greet {
			if strings.HasPrefix(l, "S: ") {
				fc.line(l[3:])
			} else if !fc.expect(l[3:]) {
				return
			}
		}
		if !fc.expect("RETR 1") {
			return
		}
		fc.line("+OK")
		for i := 0; i < 8; i++ {
			time.Sleep(100 * time.Millisecond)
			fc.line("chunk " + strconv.Itoa(i))
		}
		fc.line(".")
		fc.waitClose()
	})
	c, err := Dial(ctxT(t), s2.Addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := readAll(t, c, 1)
	if strings.Count(got, "chunk") != 8 {
		t.Fatalf("got %q", got)
	}
}

func TestMaxMessageSize(t *testing.T) {
	body := strings.Repeat("0123456789\r\n", 100) // 1200 octets
	for _, limit := range []int64{1200, 1199} {
		for _, useCopy := range []bool{false, true} {
			opts := plain()
			opts.MaxMessageSize = limit
			after := []string{"C: NOOP", "S: +OK"}
			if limit < 1200 {
				after = []string{"WAIT"}
			}
			c := loggedIn(t, opts, append([]string{"C: RETR 1", "S| " + strconv.Quote("+OK\r\n"+body+".\r\n")}, after...)...)
			var n int64
			err := c.Retr(ctxT(t), 1, func(r io.Reader) (err error) {
				if useCopy {
					n, err = io.Copy(io.Discard, r)
				} else {
					var b []byte
					b, err = io.ReadAll(struct{ io.Reader }{r})
					n = int64(len(b))
				}
				return err
			})
			if limit >= 1200 {
				if err != nil || n != 1200 {
					t.Fatalf("limit %d: %v, %d bytes", limit, err, n)
				}
				if err := c.Noop(ctxT(t)); err != nil {
					t.Fatal(err)
				}
				continue
			}
			wantKind(t, err, KindMessageTooLarge, StepTransfer)
			if n > limit {
				t.Errorf("delivered %d bytes over the %d limit", n, limit)
			}
			wantKind(t, c.Noop(ctxT(t)), KindClosed, "")
		}
	}
}

func TestCallbackStopsEarly(t *testing.T) {
	// fn reads nothing and fails: Retr returns fn's error, and the session
	// is still in step because the rest of the body was consumed.
	c := loggedIn(t, plain(), "C: RETR 1", "S: +OK", "S: line 1", "S: line 2", "S: .", "C: NOOP", "S: +OK")
	mine := errors.New("disk full")
	if err := c.Retr(ctxT(t), 1, func(io.Reader) error { return mine }); err != mine {
		t.Fatalf("got %v, want the callback's error", err)
	}
	if err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestTransferInterrupted(t *testing.T) {
	c := loggedIn(t, plain(), "C: RETR 1", "S: +OK", "S: partial line", "S| \"more\"", "CLOSE")
	err := c.Retr(ctxT(t), 1, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
	wantKind(t, err, KindTransferInterrupted, StepTransfer)
}

func TestContextCancel(t *testing.T) {
	c := loggedIn(t, plain(), "C: RETR 1", "S: +OK", "S: start", "WAIT")
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, cancel)
	start := time.Now()
	err := c.Retr(ctx, 1, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
	wantKind(t, err, KindCanceled, "")
	if time.Since(start) > 2*time.Second {
		t.Errorf("cancel took %v", time.Since(start))
	}
	wantKind(t, c.Noop(context.Background()), KindClosed, "")

	// An already-cancelled context fails before anything is sent.
	c = loggedIn(t, plain(), "WAIT")
	wantKind(t, c.Noop(ctx), KindCanceled, "")
}

func TestQuit(t *testing.T) {
	t.Run("confirmed", func(t *testing.T) {
		c := loggedIn(t, plain(), "C: DELE 1", "S: +OK", "C: QUIT", "S: +OK 1 message deleted")
		if err := c.Dele(ctxT(t), 1); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("update failed", func(t *testing.T) {
		c := loggedIn(t, plain(), "C: DELE 1", "S: +OK", "C: QUIT", "S: -ERR [SYS/TEMP] some deleted messages not removed")
		if err := c.Dele(ctxT(t), 1); err != nil {
			t.Fatal(err)
		}
		e := wantKind(t, c.Quit(ctxT(t)), KindUpdateFailed, StepCommand)
		if e.Code != "SYS/TEMP" {
			t.Errorf("code %q", e.Code)
		}
	})
	t.Run("connection lost during QUIT", func(t *testing.T) {
		c := loggedIn(t, plain(), "C: DELE 1", "S: +OK", "C: QUIT", "CLOSE")
		if err := c.Dele(ctxT(t), 1); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(ctxT(t)); err == nil {
			t.Fatal("Quit returned nil without the server's +OK")
		}
	})
	t.Run("before login", func(t *testing.T) {
		c := dialScript(t, plain(), join(greet, []string{"C: QUIT", "S: +OK"})...)
		if err := c.Quit(ctxT(t)); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAuthMechanisms(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	saslGreet := []string{
		"S: +OK ready",
		"C: CAPA",
		"S: +OK",
		"S: SASL PLAIN LOGIN XOAUTH2 OAUTHBEARER",
		"S: .",
	}
	after := []string{"C: CAPA", "S: +OK", "S: .", "WAIT"}
	longPass := strings.Repeat("p", 300)
	tests := []struct {
		name   string
		mech   Mechanism
		script []string
		kind   Kind
	}{
		{"PLAIN one line", PlainAuth("alice", "secret"), []string{"C: AUTH PLAIN " + b64("\x00alice\x00secret"), "S: +OK"}, ""},
		{"PLAIN too long for one line", PlainAuth("alice", longPass), []string{"C: AUTH PLAIN", "S: + ", "C: " + b64("\x00alice\x00"+longPass), "S: +OK"}, ""},
		{"PLAIN retried in two steps", PlainAuth("alice", "secret"), []string{
			"C: AUTH PLAIN " + b64("\x00alice\x00secret"), "S: -ERR Protocol error",
			"C: AUTH PLAIN", "S: + ", "C: " + b64("\x00alice\x00secret"), "S: +OK"}, ""},
		{"PLAIN rejected with a code is not retried", PlainAuth("alice", "bad"), []string{
			"C: AUTH PLAIN " + b64("\x00alice\x00bad"), "S: -ERR [AUTH] Authentication failed", "WAIT"}, KindAuthFailed},
		{"LOGIN", LoginAuth("alice", "secret"), []string{
			"C: AUTH LOGIN", "S: + " + b64("Username:"), "C: " + b64("alice"), "S: + " + b64("Password:"), "C: " + b64("secret"), "S: +OK"}, ""},
		{"XOAUTH2 error challenge", XOAuth2Auth("alice@example.com", "tok"), []string{
			"C: AUTH XOAUTH2 " + b64("user=alice@example.com\x01auth=Bearer tok\x01\x01"),
			"S: + " + b64(`{"status":"401"}`), "C: ", "S: -ERR [AUTH] Invalid token"}, KindAuthFailed},
		{"XOAUTH2 long token goes in two steps", XOAuth2Auth("alice@example.com", longPass), []string{
			"C: AUTH XOAUTH2", "S: + ", "C: " + b64("user=alice@example.com\x01auth=Bearer "+longPass+"\x01\x01"), "S: +OK"}, ""},
		{"OAUTHBEARER", OAuthBearerAuth("a,b=c", "tok", "pop.example.com", 995), []string{
			"C: AUTH OAUTHBEARER " + b64("n,a=a=2Cb=3Dc,\x01host=pop.example.com\x01port=995\x01auth=Bearer tok\x01\x01"), "S: +OK"}, ""},
		{"undecodable challenge cancels", LoginAuth("alice", "secret"), []string{
			"C: AUTH LOGIN", "S: + !!notbase64!!", "C: *", "S: -ERR [AUTH] cancelled"}, KindAuthFailed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lines := join(saslGreet, tc.script)
			if tc.kind == "" {
				lines = append(lines, after...)
			}
			c := dialScript(t, plain(), lines...)
			err := c.Auth(ctxT(t), tc.mech)
			if tc.kind == "" {
				if err != nil || !c.Authenticated() {
					t.Fatalf("Auth: %v", err)
				}
				return
			}
			wantKind(t, err, tc.kind, StepAuth)
		})
	}
}

func TestLoginChoosesMechanism(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	t.Run("SASL PLAIN when USER is not offered", func(t *testing.T) {
		c := dialScript(t, plain(), "S: +OK", "C: CAPA", "S: +OK", "S: SASL PLAIN", "S: .",
			"C: AUTH PLAIN "+b64("\x00alice\x00secret"), "S: +OK", "C: CAPA", "S: +OK", "S: .")
		if err := c.Login(ctxT(t), "alice", "secret"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("USER/PASS without CAPA", func(t *testing.T) {
		c := dialScript(t, plain(), "S: +OK", "C: CAPA", "S: -ERR unknown command",
			"C: USER alice", "S: +OK", "C: PASS secret", "S: +OK", "C: CAPA", "S: -ERR")
		if err := c.Login(ctxT(t), "alice", "secret"); err != nil {
			t.Fatal(err)
		}
		if c.CapaSupported() {
			t.Error("CapaSupported true after -ERR")
		}
	})
	t.Run("UTF8 when advertised", func(t *testing.T) {
		c := dialScript(t, plain(), "S: +OK", "C: CAPA", "S: +OK", "S: USER", "S: UTF8 USER", "S: .",
			"C: UTF8", "S: +OK UTF8 enabled", "C: USER josé", "S: +OK", "C: PASS contraseña", "S: +OK", "C: CAPA", "S: +OK", "S: .")
		if err := c.Login(ctxT(t), "josé", "contraseña"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a line break in the user name is refused before sending", func(t *testing.T) {
		c := dialScript(t, plain(), join(greet, []string{"WAIT"})...)
		wantKind(t, c.Login(ctxT(t), "alice\r\nDELE 1", "x"), KindInvalidInput, StepAuth)
	})
}

func TestAPOP(t *testing.T) {
	// RFC 1939 §7's example: secret "tanstaaf".
	c := dialScript(t, plain(), join(greet, []string{
		"C: APOP mrose c4c9334bac560ecc979e58001b3e22fb", "S: +OK maildrop has 1 message", "C: CAPA", "S: -ERR"})...)
	if err := c.APOP(ctxT(t), "mrose", "tanstaaf"); err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum([]byte("<1896.697170952@dbc.mtview.ca.us>tanstaaf"))
	if hex.EncodeToString(sum[:]) != "c4c9334bac560ecc979e58001b3e22fb" {
		t.Fatal("digest")
	}
	c = dialScript(t, plain(), "S: +OK no timestamp here", "C: CAPA", "S: -ERR", "WAIT")
	wantKind(t, c.APOP(ctxT(t), "mrose", "tanstaaf"), KindUnsupported, StepAuth)
}

func TestTraceRedactsSecrets(t *testing.T) {
	var trace bytes.Buffer
	opts := plain()
	opts.Trace = &trace
	c := loggedIn(t, opts, "C: RETR 1", "S: +OK", "S: Subject: private body text", "S: .", "C: QUIT", "S: +OK")
	readAll(t, c, 1)
	if err := c.Quit(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	out := trace.String()
	for _, secret := range []string{"secret", "private body text"} {
		if strings.Contains(out, secret) {
			t.Errorf("trace contains %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{"C: USER alice", "C: PASS <redacted>", "S: +OK logged in", "C: RETR 1", "octets of message data"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if got := redact("AUTH PLAIN AGFsaWNlAHNlY3JldA=="); got != "AUTH PLAIN <redacted>" {
		t.Errorf("redact AUTH = %q", got)
	}
	if got := redact("APOP mrose c4c9334bac560ecc979e58001b3e22fb"); got != "APOP mrose <redacted>" {
		t.Errorf("redact APOP = %q", got)
	}
}

// pipeServer serves n messages with PIPELINING, reading commands one by one
// as a real server does, with small socket buffers so that a client that
// wrote everything before reading would deadlock.
func pipeServer(t *testing.T, n int, body func(i int) string, refuse map[int]bool) *fakeServer {
	return startFake(t, nil, func(fc *fakeConn) {
		if tc, ok := fc.conn.(*net.TCPConn); ok {
			_ = tc.SetReadBuffer(4096)
			_ = tc.SetWriteBuffer(4096)
		}
		fc.line("+OK")
		for {
			l, ok := fc.readLine()
			if !ok {
				return
			}
			f := strings.Fields(l)
			switch {
			case l == "CAPA":
				fc.send("+OK\r\nUSER\r\nPIPELINING\r\n.\r\n")
			case f[0] == "USER" || f[0] == "PASS" || l == "NOOP":
				fc.line("+OK")
			case f[0] == "RETR" || f[0] == "DELE":
				i, _ := strconv.Atoi(f[1])
				switch {
				case refuse[i]:
					fc.line("-ERR no such message")
				case f[0] == "DELE":
					fc.line("+OK")
				default:
					fc.send("+OK\r\n" + body(i) + ".\r\n")
				}
			case l == "QUIT":
				fc.line("+OK")
				return
			default:
				fc.line("-ERR what?")
			}
		}
	})
}

func TestPipelinedRetrMany(t *testing.T) {
	const n = 5000
	body := func(i int) string {
		return fmt.Sprintf("Message-ID: <%d@x>\r\n\r\n%s\r\n", i, strings.Repeat("b", i%3000))
	}
	refuse := map[int]bool{17: true, 4999: true}
	s := pipeServer(t, n, body, refuse)
	opts := plain()
	opts.PipelineWindow = 100
	c, err := Dial(ctxT(t), s.Addr, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(ctxT(t), "alice", "secret"); err != nil {
		t.Fatal(err)
	}
	ids := make([]int, n)
	for i := range ids {
		ids[i] = i + 1
	}
	got, refused := 0, 0
	err = c.RetrMany(ctxT(t), ids, func(id int, r io.Reader, err error) error {
		if err != nil {
			if !refuse[id] {
				t.Errorf("message %d refused: %v", id, err)
			}
			refused++
			return nil
		}
		b, rerr := io.ReadAll(r)
		if string(b) != body(id) {
			t.Errorf("message %d: got %d bytes, want %d", id, len(b), len(body(id)))
		}
		got++
		return rerr
	})
	if err != nil {
		t.Fatal(err)
	}
	if got != n-2 || refused != 2 {
		t.Fatalf("got %d, refused %d", got, refused)
	}
	fails, err := c.DeleMany(ctxT(t), ids)
	if err != nil || len(fails) != 2 || fails[17] == nil {
		t.Fatalf("DeleMany: %v %v", fails, err)
	}
	if err := c.Quit(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestPipelinedStopDrains(t *testing.T) {
	body := func(i int) string { return fmt.Sprintf("msg %d\r\n", i) }
	s := pipeServer(t, 300, body, nil)
	c, err := Dial(ctxT(t), s.Addr, plain())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(ctxT(t), "alice", "secret"); err != nil {
		t.Fatal(err)
	}
	ids := make([]int, 300)
	for i := range ids {
		ids[i] = i + 1
	}
	stop := errors.New("storage failed")
	seen := 0
	err = c.RetrMany(ctxT(t), ids, func(id int, r io.Reader, err error) error {
		seen++
		if id == 10 {
			return stop
		}
		return nil
	})
	if err != stop || seen != 10 {
		t.Fatalf("RetrMany = %v after %d messages", err, seen)
	}
	// The replies in flight were drained: the next command gets its own reply.
	if err := c.Noop(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, c, 42); got != body(42) {
		t.Fatalf("after drain: %q", got)
	}
}

func TestSequentialWithoutPipelining(t *testing.T) {
	c := loggedIn(t, plain(),
		"C: RETR 1", "S: +OK", "S: one", "S: .",
		"C: RETR 2", "S: -ERR gone",
		"C: RETR 3", "S: +OK", "S: three", "S: .",
		"C: DELE 1", "S: +OK", "C: DELE 3", "S: -ERR no", "C: QUIT", "S: +OK")
	var got []string
	err := c.RetrMany(ctxT(t), []int{1, 2, 3}, func(id int, r io.Reader, err error) error {
		if err != nil {
			got = append(got, fmt.Sprintf("%d:%s", id, KindOf(err)))
			return nil
		}
		b, _ := io.ReadAll(r)
		got = append(got, fmt.Sprintf("%d:%q", id, b))
		return nil
	})
	if err != nil || strings.Join(got, " ") != `1:"one\r\n" 2:server-error 3:"three\r\n"` {
		t.Fatalf("%v %v", got, err)
	}
	fails, err := c.DeleMany(ctxT(t), []int{1, 3})
	if err != nil || len(fails) != 1 || fails[3] == nil {
		t.Fatalf("DeleMany %v %v", fails, err)
	}
	if err := c.Quit(ctxT(t)); err != nil {
		t.Fatal(err)
	}
}

func TestConcurrentUseRefused(t *testing.T) {
	c := loggedIn(t, plain(), "C: RETR 1", "S: +OK", "S: x", "S: .", "WAIT")
	err := c.Retr(ctxT(t), 1, func(io.Reader) error {
		return c.Noop(ctxT(t)) // called from inside a callback: the session is busy
	})
	wantKind(t, err, KindClosed, "")
}
