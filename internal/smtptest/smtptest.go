// Package smtptest runs a private, real Postfix for tests: submission with
// STARTTLS (587-style) and with implicit TLS (465-style) on random loopback
// ports, SASL AUTH against a private Dovecot's passwd-file (Dovecot's auth
// socket), and local delivery into that Dovecot's Maildirs, so that a test
// can send a message and read it back over POP3.
//
// Start generates main.cf and master.cf in a fresh temporary directory,
// with its own queue and data directories and log file, every service
// unchrooted, DNS off and every domain but the test's bounced by the error
// transport (nothing can leave the machine), and runs Postfix's master in
// the foreground ("master -c DIR -d") in a process group of its own. It
// never reads or changes /etc/postfix or the system's instance. Close stops
// the group and removes the directory.
//
// Postfix's master must run as root (CI does), with Debian's postfix
// package installed (which creates the postfix user and the postdrop
// group). Without it Start fails the test with the apt-get line, or skips
// it when APARTADO_SKIP_SMTP=1.
//
// Mail for USER@example.test goes to the Dovecot user USER's Maildir; any
// other address at example.test is refused at RCPT ("550 5.1.1 … User
// unknown"), an address elsewhere is refused to unauthenticated clients
// ("554 5.7.1 Relay access denied"), and an authenticated user may only
// send as USER@example.test ("553 5.7.1 … not owned by user").
package smtptest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/testcert"
)

// SkipEnv, set to 1, makes Start skip a test when Postfix is not installed.
const SkipEnv = "APARTADO_SKIP_SMTP"

// Domain is the mail domain the server delivers for.
const Domain = "example.test"

// MessageSizeLimit is Postfix's message_size_limit, which it advertises as
// SIZE; it also advertises SMTPUTF8 (smtputf8_enable = yes).
const MessageSizeLimit = 10240000

// MasterPath is where Debian's postfix package puts the master daemon.
const MasterPath = "/usr/lib/postfix/sbin/master"

const installHint = "apt-get install -y postfix"

// Server is a running private Postfix with its Dovecot.
type Server struct {
	// SubmissionAddr is plain SMTP that requires STARTTLS before AUTH
	// and mail (587-style); SubmissionsAddr is implicit TLS (465-style).
	SubmissionAddr, SubmissionsAddr string
	// Cert is the self-signed certificate both listeners present (names
	// localhost and 127.0.0.1).
	Cert *testcert.Cert
	// Dovecot holds the users (Dovecot's passwd-file) and their Maildirs.
	Dovecot *dovecottest.Server
	// Dir holds the configuration, the queue and the log.
	Dir string
	// StartTime is how long Postfix took to answer on both listeners.
	StartTime time.Duration

	cmd  *exec.Cmd
	done chan struct{}
}

// Address is user's mail address.
func Address(user string) string { return user + "@" + Domain }

// RootCAs trusts the server's certificate.
func (s *Server) RootCAs() *x509.CertPool { return s.Cert.Pool() }

// Start starts Postfix and a Dovecot for users (nil: dovecottest's
// default, alice / secret), and stops both when the test ends.
func Start(t testing.TB, users map[string]string) *Server {
	t.Helper()
	return StartOAuth(t, users, nil)
}

// StartOAuth is Start with a Dovecot that also accepts OAuth 2.0 access
// tokens (SASL OAUTHBEARER and XOAUTH2) checked at a provider's
// introspection endpoint (see dovecottest.OAuth2): Postfix offers what
// Dovecot's auth service offers. nil is Start.
func StartOAuth(t testing.TB, users map[string]string, oauth2 *dovecottest.OAuth2) *Server {
	t.Helper()
	if _, err := os.Stat(MasterPath); err != nil {
		if os.Getenv(SkipEnv) == "1" {
			t.Skipf("smtptest: Postfix not installed (skipping because %s=1)", SkipEnv)
		}
		t.Fatalf("smtptest: %s not found: these tests need a real Postfix; install it with `%s` (Debian/Ubuntu), or set %s=1 to skip them", MasterPath, installHint, SkipEnv)
	}
	if os.Geteuid() != 0 {
		t.Fatalf("smtptest: Postfix's master must run as root (CI does); set %s=1 to skip these tests", SkipEnv)
	}
	dir, err := os.MkdirTemp("", "apartado-postfix-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "dovecot-auth")
	dc := dovecottest.Start(t, dovecottest.Options{Users: users, OAuth2: oauth2,
		ExtraConfig: fmt.Sprintf("service auth {\n  unix_listener %s {\n    mode = 0666\n  }\n}\n", sock)})
	s := &Server{Dovecot: dc, Dir: dir, done: make(chan struct{})}
	s.Cert = testcert.New(t, testcert.Spec{CommonName: "localhost", DNSNames: []string{"localhost"},
		IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, IsCA: true}, nil)
	t.Cleanup(func() {
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "postfix.log"))
			t.Logf("smtptest: Postfix's log:\n%s", tail(string(log), 40))
		}
		s.stop()
		_ = os.RemoveAll(dir)
	})
	begin := time.Now()
	if err := s.start(sock); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "postfix.log"))
		t.Fatalf("smtptest: %v\n--- Postfix's log ---\n%s", err, tail(string(log), 40))
	}
	s.StartTime = time.Since(begin)
	return s
}

func (s *Server) start(authSocket string) error {
	pf, err := user.Lookup("postfix")
	if err != nil {
		return fmt.Errorf("no postfix user (is Debian's postfix package installed? %s): %w", installHint, err)
	}
	if err := s.writeFiles(pf, authSocket); err != nil {
		return err
	}
	sub, err := freePort()
	if err != nil {
		return err
	}
	subs, err := freePort()
	if err != nil {
		return err
	}
	s.SubmissionAddr, s.SubmissionsAddr = net.JoinHostPort("127.0.0.1", sub), net.JoinHostPort("127.0.0.1", subs)
	if err := os.WriteFile(filepath.Join(s.Dir, "master.cf"), []byte(masterCf(s.SubmissionAddr, s.SubmissionsAddr)), 0o644); err != nil {
		return err
	}
	s.cmd = exec.Command(MasterPath, "-c", s.Dir, "-d")
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	s.cmd.Dir = s.Dir
	s.cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "MAIL_CONFIG=" + s.Dir}
	out, err := os.Create(filepath.Join(s.Dir, "master.out"))
	if err != nil {
		return err
	}
	defer out.Close()
	s.cmd.Stdout, s.cmd.Stderr = out, out
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", MasterPath, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	return s.waitReady(20 * time.Second)
}

// waitReady waits until both listeners greet, over TLS for the 465-style one.
func (s *Server) waitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for _, l := range []struct {
		addr string
		tls  bool
	}{{s.SubmissionAddr, false}, {s.SubmissionsAddr, true}} {
		for {
			err := greet(l.addr, l.tls, s.RootCAs())
			if err == nil {
				break
			}
			select {
			case <-s.done:
				out, _ := os.ReadFile(filepath.Join(s.Dir, "master.out"))
				return fmt.Errorf("postfix master exited: %s", out)
			default:
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("postfix did not greet on %s within %s: %w", l.addr, timeout, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

func greet(addr string, useTLS bool, roots *x509.CertPool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var conn net.Conn
	var err error
	if useTLS {
		d := tls.Dialer{Config: &tls.Config{RootCAs: roots, ServerName: "localhost"}}
		conn, err = d.DialContext(ctx, "tcp", addr)
	} else {
		var d net.Dialer
		conn, err = d.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4)
	if _, err := conn.Read(buf); err != nil {
		return err
	}
	if string(buf[:3]) != "220" {
		return fmt.Errorf("greeting %q", buf)
	}
	return nil
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port, nil
}

// stop sends SIGTERM to Postfix's process group, waits for the master and
// kills what is left.
func (s *Server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	pgid := s.cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-s.done
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeFiles writes main.cf, the certificate, the maps and the queue
// directories master expects (what "postfix check" would create).
func (s *Server) writeFiles(pf *user.User, authSocket string) error {
	uid, gid, err := owner(s.Dovecot.Maildir(firstUser(s.Dovecot.Users())))
	if err != nil {
		return err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Cert.X509.Raw})
	keyDER, err := x509.MarshalECPrivateKey(s.Cert.Key)
	if err != nil {
		return err
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	var vmail, senders strings.Builder
	for _, u := range sortedUsers(s.Dovecot.Users()) {
		fmt.Fprintf(&vmail, "%s %s/Maildir/\n", Address(u), u)
		fmt.Fprintf(&senders, "%s %s\n", Address(u), u)
	}
	files := map[string][]byte{
		"cert.pem": certPEM, "key.pem": keyPEM, "vmailbox": []byte(vmail.String()), "senders": []byte(senders.String()),
		"main.cf": []byte(mainCf(s.Dir, filepath.Join(s.Dovecot.Dir, "home"), authSocket, uid, gid)),
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, name), data, 0o644); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(s.Dir, "key.pem"), 0o600); err != nil {
		return err
	}
	return makeQueue(s.Dir, pf)
}

func makeQueue(dir string, pf *user.User) error {
	var pfUID, pfGID, dropGID int
	fmt.Sscan(pf.Uid, &pfUID)
	fmt.Sscan(pf.Gid, &pfGID)
	drop, err := user.LookupGroup("postdrop")
	if err != nil {
		return fmt.Errorf("no postdrop group (is Debian's postfix package installed?): %w", err)
	}
	fmt.Sscan(drop.Gid, &dropGID)
	mk := func(path string, mode os.FileMode, uid, gid int) error {
		if err := os.MkdirAll(path, 0o700); err != nil {
			return err
		}
		if err := os.Chown(path, uid, gid); err != nil {
			return err
		}
		return os.Chmod(path, mode)
	}
	q := filepath.Join(dir, "queue")
	if err := mk(q, 0o755, 0, 0); err != nil {
		return err
	}
	for _, d := range []string{"active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "private", "saved", "trace"} {
		if err := mk(filepath.Join(q, d), 0o700, pfUID, 0); err != nil {
			return err
		}
	}
	for _, d := range []struct {
		name string
		mode os.FileMode
	}{{"maildrop", 0o730}, {"public", 0o710}} {
		if err := mk(filepath.Join(q, d.name), d.mode, pfUID, dropGID); err != nil {
			return err
		}
	}
	if err := mk(filepath.Join(q, "pid"), 0o755, 0, 0); err != nil {
		return err
	}
	return mk(filepath.Join(dir, "data"), 0o700, pfUID, pfGID)
}

func owner(path string) (uid, gid int, err error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, errors.New("no owner for " + path)
	}
	return int(st.Uid), int(st.Gid), nil
}

func sortedUsers(m map[string]string) []string {
	var names []string
	for u := range m {
		names = append(names, u)
	}
	sort.Strings(names)
	return names
}

func firstUser(m map[string]string) string { return sortedUsers(m)[0] }
