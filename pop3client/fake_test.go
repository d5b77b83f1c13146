package pop3client

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer is a scripted POP3 server on loopback for the misbehaviour a
// real server will not produce. Each accepted connection runs handler.
type fakeServer struct {
	t    testing.TB
	ln   net.Listener
	Addr string

	mu   sync.Mutex
	errs []string
	wg   sync.WaitGroup
}

// fakeConn is the server side of one connection.
type fakeConn struct {
	s    *fakeServer
	conn net.Conn
	r    *bufio.Reader
}

func startFake(t testing.TB, tlsConfig *tls.Config, handler func(fc *fakeConn)) *fakeServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	s := &fakeServer{t: t, ln: ln, Addr: ln.Addr().String()}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				fc := &fakeConn{s: s, conn: conn, r: bufio.NewReader(conn)}
				handler(fc)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, e := range s.errs {
			t.Errorf("fake server: %s", e)
		}
	})
	return s
}

func (fc *fakeConn) errorf(format string, args ...any) {
	fc.s.mu.Lock()
	defer fc.s.mu.Unlock()
	fc.s.errs = append(fc.s.errs, fmt.Sprintf(format, args...))
}

// send writes raw bytes.
func (fc *fakeConn) send(s string) {
	if _, err := io.WriteString(fc.conn, s); err != nil && !isClosedErr(err) {
		fc.errorf("write: %v", err)
	}
}

// line writes s and CRLF.
func (fc *fakeConn) line(s string) { fc.send(s + "\r\n") }

// readLine reads one command line without its CRLF; ok is false at EOF.
func (fc *fakeConn) readLine() (string, bool) {
	_ = fc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := fc.r.ReadString('\n')
	if err != nil {
		return "", false
	}
	return strings.TrimRight(l, "\r\n"), true
}

// expect reads a command and records an error unless it is want.
func (fc *fakeConn) expect(want string) bool {
	got, ok := fc.readLine()
	if !ok {
		fc.errorf("expected %q, got end of connection", want)
		return false
	}
	if got != want {
		fc.errorf("expected %q, got %q", want, got)
		return false
	}
	return true
}

// waitClose waits until the client closes the connection (bounded).
func (fc *fakeConn) waitClose() {
	_ = fc.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.Copy(io.Discard, fc.r)
}

func isClosedErr(err error) bool {
	return errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "broken pipe") ||
		strings.Contains(err.Error(), "connection reset")
}

// script runs a transcript. Each line starts with "S: " (sent with CRLF),
// "S| " (sent as a Go-quoted string's bytes, no CRLF added), "C: " (the
// client line expected), or is "CLOSE" (hang up) or "WAIT" (wait for the
// client to hang up).
func script(lines ...string) func(fc *fakeConn) {
	return func(fc *fakeConn) {
		for _, l := range lines {
			switch {
			case strings.HasPrefix(l, "S: "):
				fc.line(l[3:])
			case strings.HasPrefix(l, "S| "):
				s, err := strconv.Unquote(l[3:])
				if err != nil {
					fc.errorf("bad script line %q: %v", l, err)
					return
				}
				fc.send(s)
			case strings.HasPrefix(l, "C: "):
				if !fc.expect(l[3:]) {
					return
				}
			case l == "CLOSE":
				return
			case l == "WAIT":
				fc.waitClose()
				return
			default:
				fc.errorf("bad script line %q", l)
				return
			}
		}
		fc.waitClose()
	}
}

// greet is the usual opening of a plain session with USER/PASS login.
var greet = []string{
	"S: +OK POP3 ready <1896.697170952@dbc.mtview.ca.us>",
	"C: CAPA",
	"S: +OK Capability list follows",
	"S: USER",
	"S: UIDL",
	"S: TOP",
	"S: RESP-CODES",
	"S: .",
}

var login = []string{
	"C: USER alice",
	"S: +OK",
	"C: PASS secret",
	"S: +OK logged in",
	"C: CAPA",
	"S: +OK",
	"S: USER",
	"S: UIDL",
	"S: TOP",
	"S: .",
}

func join(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// plain is the Options for a fake plain-text server, with short timeouts.
func plain() *Options {
	return &Options{Security: SecurityNone, Timeout: 3 * time.Second, ConnectTimeout: 3 * time.Second}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// dialScript starts a fake server with the transcript and dials it.
func dialScript(t *testing.T, opts *Options, lines ...string) *Client {
	t.Helper()
	s := startFake(t, nil, script(lines...))
	c, err := Dial(ctxT(t), s.Addr, opts)
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// loggedIn dials a fake server and logs in; rest is the transcript after login.
func loggedIn(t *testing.T, opts *Options, rest ...string) *Client {
	t.Helper()
	c := dialScript(t, opts, join(greet, login, rest)...)
	if err := c.Login(ctxT(t), "alice", "secret"); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return c
}

// wantKind fails unless err is an *Error of kind k at step s ("" for any step).
func wantKind(t *testing.T, err error, k Kind, s Step) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("want *Error of kind %s, got %T %v", k, err, err)
	}
	if e.Kind != k || (s != "" && e.Step != s) {
		t.Fatalf("want kind %s at step %q, got kind %s at step %s: %v", k, s, e.Kind, e.Step, err)
	}
	return e
}

func readAll(t *testing.T, c *Client, id int) string {
	t.Helper()
	var got []byte
	err := c.Retr(ctxT(t), id, func(r io.Reader) error {
		var err error
		got, err = io.ReadAll(r)
		return err
	})
	if err != nil {
		t.Fatalf("Retr %d: %v", id, err)
	}
	return string(got)
}
