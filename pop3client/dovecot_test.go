package pop3client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/corpus"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
	"github.com/apartado/apartado/pop3client"
)

// These tests run against a real Dovecot on loopback, started by the suite.

func caCert(t testing.TB, srv *dovecottest.Server) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(srv.CertPEM)
	if block == nil {
		t.Fatal("no PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return cert
}

func opts(t testing.TB, srv *dovecottest.Server, sec pop3client.Security) *pop3client.Options {
	return &pop3client.Options{Security: sec, ExtraRootCAs: []*x509.Certificate{caCert(t, srv)}, Timeout: 20 * time.Second}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	t.Cleanup(cancel)
	return c
}

func dial(t testing.TB, addr string, o *pop3client.Options) *pop3client.Client {
	t.Helper()
	c, err := pop3client.Dial(ctx(t), addr, o)
	if err != nil {
		t.Fatalf("Dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func login(t testing.TB, addr string, o *pop3client.Options, user, pass string) *pop3client.Client {
	t.Helper()
	c := dial(t, addr, o)
	if err := c.Login(ctx(t), user, pass); err != nil {
		t.Fatalf("Login: %v", err)
	}
	return c
}

// corpusMessages reads real-world messages from the repository's corpus, with
// line ends made CRLF (Dovecot would convert bare LFs on the wire anyway).
func corpusMessages(t testing.TB, max int) [][]byte {
	t.Helper()
	dir := corpus.Dir(t)
	var out [][]byte
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || len(out) >= max {
			return err
		}
		if ext := filepath.Ext(path); ext != ".eml" && ext != ".txt" && ext != ".msg" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		if len(b) == 0 || !bytes.HasSuffix(b, []byte("\r\n")) {
			b = append(b, '\r', '\n')
		}
		out = append(out, b)
		return nil
	})
	if err != nil {
		t.Fatalf("reading the corpus: %v", err)
	}
	if len(out) < 50 {
		t.Fatalf("only %d corpus messages found", len(out))
	}
	return out
}

func TestDovecotSecurityModes(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	msgs := [][]byte{[]byte("Subject: one\r\n\r\n.starts with a dot\r\n..two dots\r\n"), []byte("Subject: two\r\n\r\nbody\r\n")}
	if err := srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		addr string
		sec  pop3client.Security
		tls  bool
	}{
		{"implicit TLS", srv.TLSAddr, pop3client.SecurityTLS, true},
		{"STARTTLS", srv.PlainAddr, pop3client.SecuritySTARTTLS, true},
		{"plain", srv.PlainAddr, pop3client.SecurityNone, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := login(t, tc.addr, opts(t, srv, tc.sec), "alice", "secret")
			if st, ok := c.TLSConnectionState(); ok != tc.tls || (ok && st.Version < 0x0303) {
				t.Fatalf("TLS %v (version %x), want %v", ok, st.Version, tc.tls)
			}
			caps := c.Capabilities()
			for _, want := range []string{"UIDL", "TOP", "PIPELINING", "RESP-CODES"} {
				if !caps.Has(want) {
					t.Errorf("Dovecot capabilities lack %s: %v", want, caps)
				}
			}
			n, size, err := c.Stat(ctx(t))
			if err != nil || n != 2 || size != int64(len(msgs[0])+len(msgs[1])) {
				t.Fatalf("Stat = %d %d %v", n, size, err)
			}
			var got []byte
			if err := c.Retr(ctx(t), 1, func(r io.Reader) (err error) { got, err = io.ReadAll(r); return }); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, msgs[0]) {
				t.Fatalf("RETR 1 = %q, want %q", got, msgs[0])
			}
			var top []byte
			if err := c.Top(ctx(t), 2, 0, func(r io.Reader) (err error) { top, err = io.ReadAll(r); return }); err != nil || string(top) != "Subject: two\r\n\r\n" {
				t.Fatalf("TOP = %q %v", top, err)
			}
			if err := c.Quit(ctx(t)); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestDovecotFailures(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{LockSession: true})
	if _, err := srv.AddMessage("alice", []byte("Subject: x\r\n\r\ny\r\n")); err != nil {
		t.Fatal(err)
	}
	expect := func(t *testing.T, err error, k pop3client.Kind, s pop3client.Step) *pop3client.Error {
		t.Helper()
		var e *pop3client.Error
		if !errors.As(err, &e) || e.Kind != k || e.Step != s {
			t.Fatalf("want %s at %s, got %v", k, s, err)
		}
		return e
	}
	t.Run("wrong password", func(t *testing.T) {
		c := dial(t, srv.TLSAddr, opts(t, srv, pop3client.SecurityTLS))
		e := expect(t, c.Login(ctx(t), "alice", "wrong"), pop3client.KindAuthFailed, pop3client.StepAuth)
		if e.Code != "AUTH" || e.ServerText == "" {
			t.Errorf("want Dovecot's [AUTH] code and text, got %+v", e)
		}
	})
	t.Run("mailbox in use", func(t *testing.T) {
		first := login(t, srv.TLSAddr, opts(t, srv, pop3client.SecurityTLS), "alice", "secret")
		c := dial(t, srv.TLSAddr, opts(t, srv, pop3client.SecurityTLS))
		e := expect(t, c.Login(ctx(t), "alice", "secret"), pop3client.KindInUse, pop3client.StepAuth)
		if e.Code != "IN-USE" {
			t.Errorf("code %q", e.Code)
		}
		if !pop3client.Temporary(e) {
			t.Error("in use should be temporary")
		}
		if err := first.Quit(ctx(t)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unknown authority, then pinned", func(t *testing.T) {
		_, err := pop3client.Dial(ctx(t), srv.TLSAddr, &pop3client.Options{Timeout: 10 * time.Second})
		e := expect(t, err, pop3client.KindUnknownAuthority, pop3client.StepTLS)
		sum := sha256.Sum256(caCert(t, srv).Raw)
		if e.Cert == nil || e.Cert.SHA256 != fmt.Sprintf("%x", sum) {
			t.Fatalf("certificate detail %+v", e.Cert)
		}
		c := dial(t, srv.TLSAddr, &pop3client.Options{TrustedFingerprints: []string{strings.ToUpper(e.Cert.SHA256)}})
		if err := c.Login(ctx(t), "alice", "secret"); err != nil {
			t.Fatal(err)
		}
		if err := c.Quit(ctx(t)); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("TLS on the plain port", func(t *testing.T) {
		_, err := pop3client.Dial(ctx(t), srv.PlainAddr, opts(t, srv, pop3client.SecurityTLS))
		expect(t, err, pop3client.KindTLSOnPlainPort, pop3client.StepTLS)
	})
	t.Run("plain on the TLS port", func(t *testing.T) {
		o := opts(t, srv, pop3client.SecuritySTARTTLS)
		o.Timeout = time.Second
		_, err := pop3client.Dial(ctx(t), srv.TLSAddr, o)
		expect(t, err, pop3client.KindPlainOnTLSPort, pop3client.StepGreeting)
	})
	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = pop3client.Dial(ctx(t), addr, opts(t, srv, pop3client.SecurityTLS))
		expect(t, err, pop3client.KindConnectionRefused, pop3client.StepConnect)
	})
}

func TestDovecotPlaintextDisallowed(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{DisablePlaintextAuth: true})
	c := dial(t, srv.PlainAddr, opts(t, srv, pop3client.SecurityNone))
	err := c.Login(ctx(t), "alice", "secret")
	if k := pop3client.KindOf(err); k != pop3client.KindEncryptionRequired {
		t.Fatalf("want %s, got %v", pop3client.KindEncryptionRequired, err)
	}
	// STARTTLS on the same port works.
	c = login(t, srv.PlainAddr, opts(t, srv, pop3client.SecuritySTARTTLS), "alice", "secret")
	if err := c.Quit(ctx(t)); err != nil {
		t.Fatal(err)
	}
}

// TestDovecotManyMessages downloads 1,200 messages (generated ones and the
// real-world corpus) pipelined and one at a time, compares each with its
// Maildir file byte for byte, then deletes some and checks the Maildir.
func TestDovecotManyMessages(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	box := mailgen.Mailbox{Seed: 42}
	var msgs [][]byte
	for _, m := range corpusMessages(t, 600) {
		msgs = append(msgs, m)
	}
	for i := len(msgs); i < 1200; i++ {
		msgs = append(msgs, box.Message(i))
	}
	if err := srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	files, err := srv.Messages("alice")
	if err != nil || len(files) != len(msgs) {
		t.Fatalf("Maildir has %d files (%v)", len(files), err)
	}
	ids := make([]int, len(msgs))
	for i := range ids {
		ids[i] = i + 1
	}
	for _, pipelining := range []bool{true, false} {
		o := opts(t, srv, pop3client.SecurityTLS)
		o.DisablePipelining = !pipelining
		c := login(t, srv.TLSAddr, o, "alice", "secret")
		list, err := c.List(ctx(t))
		if err != nil || len(list) != len(msgs) {
			t.Fatalf("LIST: %d entries, %v", len(list), err)
		}
		uids, err := c.Uidl(ctx(t))
		if err != nil || len(uids) != len(msgs) {
			t.Fatalf("UIDL: %d entries, %v", len(uids), err)
		}
		for i, u := range uids {
			if u.Duplicate || !strings.HasPrefix(strings.ToUpper(u.UID), fmt.Sprintf("%08X", i+1)) {
				t.Fatalf("UIDL %d = %+v", i+1, u)
			}
		}
		n := 0
		err = c.RetrMany(ctx(t), ids, func(id int, r io.Reader, err error) error {
			if err != nil {
				return err
			}
			got, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			if !bytes.Equal(got, files[id-1]) {
				return fmt.Errorf("message %d: %d bytes differ from the %d-byte file", id, len(got), len(files[id-1]))
			}
			if int64(len(got)) != list[id-1].Size {
				return fmt.Errorf("message %d: %d bytes, LIST said %d", id, len(got), list[id-1].Size)
			}
			n++
			return nil
		})
		if err != nil || n != len(msgs) {
			t.Fatalf("pipelining %v: RetrMany after %d: %v", pipelining, n, err)
		}
		if err := c.Quit(ctx(t)); err != nil {
			t.Fatal(err)
		}
	}

	// DELE without QUIT deletes nothing.
	c := login(t, srv.TLSAddr, opts(t, srv, pop3client.SecurityTLS), "alice", "secret")
	if refused, err := c.DeleMany(ctx(t), ids[:100]); err != nil || len(refused) != 0 {
		t.Fatalf("DeleMany: %v %v", refused, err)
	}
	c.Close()
	if left, _ := srv.Messages("alice"); len(left) != len(msgs) {
		t.Fatalf("closing without QUIT deleted %d messages", len(msgs)-len(left))
	}
	// DELE of every odd message, then QUIT: exactly the even ones remain.
	c = login(t, srv.TLSAddr, opts(t, srv, pop3client.SecurityTLS), "alice", "secret")
	var odd []int
	for _, id := range ids {
		if id%2 == 1 {
			odd = append(odd, id)
		}
	}
	if refused, err := c.DeleMany(ctx(t), odd); err != nil || len(refused) != 0 {
		t.Fatalf("DeleMany: %v %v", refused, err)
	}
	if err := c.Dele(ctx(t), 1); pop3client.KindOf(err) != pop3client.KindServerError {
		t.Fatalf("DELE of a deleted message: %v", err)
	}
	if err := c.Quit(ctx(t)); err != nil {
		t.Fatal(err)
	}
	left, err := srv.Messages("alice")
	if err != nil || len(left) != len(msgs)/2 {
		t.Fatalf("%d messages left, want %d (%v)", len(left), len(msgs)/2, err)
	}
	for i, m := range left {
		if !bytes.Equal(m, msgs[2*i+1]) {
			t.Fatalf("message left at %d is not message %d", i, 2*i+2)
		}
	}
}

// TestDovecotHugeMessage streams a 50 MB message and checks it by hash,
// without ever holding it in memory.
func TestDovecotHugeMessage(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	big := mailgen.Big(50 << 20)
	want := sha256.Sum256(big)
	if _, err := srv.AddMessage("alice", big); err != nil {
		t.Fatal(err)
	}
	size := int64(len(big))
	big = nil
	c := login(t, srv.TLSAddr, opts(t, srv, pop3client.SecurityTLS), "alice", "secret")
	h := sha256.New()
	var n int64
	err := c.Retr(ctx(t), 1, func(r io.Reader) (err error) { n, err = io.Copy(h, r); return })
	if err != nil || n != size || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("50 MB RETR: %d of %d bytes, %v, hash equal %v", n, size, err, bytes.Equal(h.Sum(nil), want[:]))
	}
	// With a smaller limit the transfer is aborted with its own error.
	o := opts(t, srv, pop3client.SecurityTLS)
	o.MaxMessageSize = 10 << 20
	c = login(t, srv.TLSAddr, o, "alice", "secret")
	err = c.Retr(ctx(t), 1, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err })
	if pop3client.KindOf(err) != pop3client.KindMessageTooLarge {
		t.Fatalf("want message-too-large, got %v", err)
	}
}

// TestDovecotTrace checks the trace of a real session holds no secret.
func TestDovecotTrace(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{Users: map[string]string{"bob": "hunter2-very-secret"}})
	if _, err := srv.AddMessage("bob", []byte("Subject: s\r\n\r\nconfidential body\r\n")); err != nil {
		t.Fatal(err)
	}
	var trace bytes.Buffer
	o := opts(t, srv, pop3client.SecuritySTARTTLS)
	o.Trace = &trace
	c := login(t, srv.PlainAddr, o, "bob", "hunter2-very-secret")
	if err := c.Retr(ctx(t), 1, func(r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }); err != nil {
		t.Fatal(err)
	}
	if err := c.Quit(ctx(t)); err != nil {
		t.Fatal(err)
	}
	out := trace.String()
	if strings.Contains(out, "hunter2") || strings.Contains(out, "confidential") {
		t.Fatalf("trace leaks a secret:\n%s", out)
	}
	if !strings.Contains(out, "C: STLS") || !strings.Contains(out, "C: PASS <redacted>") {
		t.Fatalf("trace lacks the expected commands:\n%s", out)
	}
}

// TestDovecotProgress checks the events a step-by-step connection test
// shows, in order, for a STARTTLS session to "localhost" (resolved from
// /etc/hosts, no DNS query leaves the machine).
func TestDovecotProgress(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	_, port, _ := net.SplitHostPort(srv.PlainAddr)
	var steps []string
	var evs []pop3client.Event
	o := opts(t, srv, pop3client.SecuritySTARTTLS)
	o.Progress = func(ev pop3client.Event) {
		steps = append(steps, string(ev.Step))
		evs = append(evs, ev)
	}
	c := login(t, net.JoinHostPort("localhost", port), o, "alice", "secret")
	if err := c.Quit(ctx(t)); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(steps, " "); got != "resolve connect greeting tls stls auth" {
		t.Fatalf("steps %q", got)
	}
	if len(evs[0].Addrs) == 0 || evs[1].RemoteAddr == "" || !strings.Contains(evs[2].Greeting, "ready") ||
		!evs[2].Caps.Has("STLS") || evs[3].TLS == nil || len(evs[3].TLS.PeerCertificates) == 0 ||
		!evs[4].Caps.Has("USER") || !evs[5].Caps.Has("UIDL") {
		t.Fatalf("events %+v", evs)
	}
}
