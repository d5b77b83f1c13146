// Package popa3dtest runs a real popa3d POP3 server for tests: Debian's
// popa3d package, extracted with dpkg-deb rather than installed (it
// conflicts with dovecot-pop3d, which the other tests need).
//
// popa3d serves /var/mail/<user> (an mbox), authenticates through PAM,
// changes to the user "popa3d" in a chroot at /var/lib/popa3d, and has no
// option to change any of it; it speaks POP3 on its standard input and
// output, as inetd runs it. Start listens on a random loopback port and,
// for each connection, runs popa3d with the connection as its standard
// input and output in a mount namespace of its own (unshare(1)), where a
// folder of the test's is bind-mounted over /var, and generated files over
// /etc/passwd, /etc/group and /etc/pam.d: the system's files, users and
// mail are never touched. The PAM configuration checks the password with
// a script (pam_exec) against Server.Password. This needs root, as popa3d
// itself does.
//
//	srv := popa3dtest.Start(t)                 // user "alice", password "secret"
//	srv.AddMessages([][]byte{[]byte("Subject: hi\r\n\r\nhello\r\n")})
//	conn, _ := net.Dial("tcp", srv.Addr)       // +OK
//
// The binary is APARTADO_POPA3D, else the path .ci/run extracts it to
// (DefaultPath), else /usr/sbin/popa3d. Without one Start fails the test
// with the commands that fetch it, or skips it when APARTADO_SKIP_POPA3D=1.
//
// # What popa3d does with the mailbox
//
// Found with popa3d 1.0.3 (Debian's 1.0.3-1.1): it answers no CAPA (-ERR),
// sends every LF of the mbox as CRLF, dot-stuffs, and counts the CRLFs in
// LIST. Its UIDL is a hash of a few headers (Received, Delivered-To, Date,
// Message-ID, X-Delivery-ID) and not of the size or the rest: every message
// lacking them has the same UIDL. AddMessages writes each message (lines
// ending in CRLF) as an mbox entry with LF line ends, so that RETR returns
// it byte for byte; Messages reads back what is left after a session's
// deletions, the same way.
package popa3dtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The mailbox's owner and the users popa3d needs, in the namespace's
// /etc/passwd. The ids are unlikely to belong to anyone on the machine.
const (
	User     = "alice"
	Password = "secret"
	userID   = 60902
	popa3dID = 60901
)

// DefaultPath is where .ci/run (and the README) extract the package.
var DefaultPath = filepath.Join(os.TempDir(), "apartado-popa3d", "usr", "sbin", "popa3d")

// Install is what the error message tells to run.
var Install = fmt.Sprintf("mkdir -p %[1]s && cd %[1]s && apt-get download popa3d && dpkg-deb -x popa3d_*.deb . "+
	"(or set APARTADO_POPA3D to the binary; APARTADO_SKIP_POPA3D=1 skips these tests)", filepath.Join(os.TempDir(), "apartado-popa3d"))

// Server is a running popa3d.
type Server struct {
	Addr     string // host:port on 127.0.0.1
	Dir      string // the folder mounted over /var, and the generated files
	User     string
	Password string

	bin string
	ln  net.Listener
	wg  sync.WaitGroup

	mu     sync.Mutex
	procs  map[*exec.Cmd]bool
	log    bytes.Buffer
	closed bool
}

// BinaryPath finds the popa3d binary.
func BinaryPath() (string, error) {
	if p := os.Getenv("APARTADO_POPA3D"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("APARTADO_POPA3D: %w", err)
		}
		return p, nil
	}
	for _, p := range []string{DefaultPath, "/usr/sbin/popa3d"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("popa3d not found")
}

// Start starts a server for the test, closed at its end.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if os.Getenv("APARTADO_SKIP_POPA3D") == "1" {
		tb.Skip("APARTADO_SKIP_POPA3D=1")
	}
	bin, err := BinaryPath()
	if err != nil {
		tb.Fatalf("popa3dtest: %v; fetch it with: %s", err, Install)
	}
	s, err := New(bin)
	if err != nil {
		tb.Fatalf("popa3dtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("popa3dtest: %v", err)
		}
	})
	return s
}

// New starts a server running the binary bin; Close stops it.
func New(bin string) (*Server, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("popa3d must run as root (it changes user and chroots); run the tests as root or set APARTADO_SKIP_POPA3D=1")
	}
	for _, tool := range []string{"unshare", "mount", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s is needed (util-linux): %w", tool, err)
		}
	}
	dir, err := os.MkdirTemp("", "popa3dtest")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, User: User, Password: Password, bin: bin, procs: make(map[*exec.Cmd]bool)}
	if err := s.prepare(); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if s.ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s.Addr = s.ln.Addr().String()
	s.wg.Add(1)
	go s.accept()
	return s, nil
}

// prepare writes the namespace's files: var/mail/alice (empty),
// var/lib/popa3d (the chroot), etc/passwd, etc/group, pam.d/popa3d and
// the password check.
func (s *Server) prepare() error {
	if err := os.Chmod(s.Dir, 0o755); err != nil {
		return err
	}
	for _, d := range []string{"var/mail", "var/lib/popa3d", "etc", "pam.d"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d), 0o755); err != nil {
			return err
		}
	}
	files := []struct {
		name string
		mode os.FileMode
		data string
	}{
		{"etc/passwd", 0o644, fmt.Sprintf("root:x:0:0:root:/root:/bin/sh\npopa3d:x:%d:%d::/nonexistent:/usr/sbin/nologin\n"+
			"%s:x:%d:%d::/nonexistent:/usr/sbin/nologin\n", popa3dID, popa3dID, User, userID, userID)},
		{"etc/group", 0o644, fmt.Sprintf("root:x:0:\npopa3d:x:%d:\n%s:x:%d:\n", popa3dID, User, userID)},
		{"password", 0o600, Password},
		// pam_exec gives the password on standard input.
		{"check", 0o755, fmt.Sprintf("#!/bin/sh\n[ \"$(cat)\" = \"$(cat %s)\" ]\n", filepath.Join(s.Dir, "password"))},
		{"pam.d/popa3d", 0o644, fmt.Sprintf("auth required pam_exec.so quiet expose_authtok %s\naccount required pam_permit.so\n",
			filepath.Join(s.Dir, "check"))},
		{"var/mail/" + User, 0o600, ""},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(s.Dir, f.name), []byte(f.data), f.mode); err != nil {
			return err
		}
	}
	return os.Chown(s.mailbox(), userID, userID)
}

func (s *Server) mailbox() string { return filepath.Join(s.Dir, "var", "mail", User) }

// script sets up the namespace and runs popa3d: $1 is Dir, $2 the binary.
const script = `set -e
mount --bind "$1/var" /var
mount --bind "$1/etc/passwd" /etc/passwd
mount --bind "$1/etc/group" /etc/group
mount --bind "$1/pam.d" /etc/pam.d
exec "$2"`

func (s *Server) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		if err := s.serve(c.(*net.TCPConn)); err != nil {
			s.logf("connection: %v\n", err)
		}
	}
}

// serve runs popa3d on connection c.
func (s *Server) serve(c *net.TCPConn) error {
	defer c.Close()
	f, err := c.File()
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script, "popa3d", s.Dir, s.bin)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = f, f, (*logWriter)(s)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("closed")
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	s.procs[cmd] = true
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := cmd.Wait(); err != nil {
			s.logf("popa3d: %v\n", err)
		}
		s.mu.Lock()
		delete(s.procs, cmd)
		s.mu.Unlock()
	}()
	return nil
}

type logWriter Server

func (w *logWriter) Write(b []byte) (int, error) {
	s := (*Server)(w)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.Write(b)
}

func (s *Server) logf(format string, args ...any) {
	fmt.Fprintf((*logWriter)(s), format, args...)
}

// Log is what the sessions wrote on their standard error, and why any
// ended badly.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// Close stops listening, ends the sessions still running and removes Dir.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	err := s.ln.Close()
	for cmd := range s.procs {
		// The whole group: the shell exec'd popa3d, which forks a child.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() { s.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		return errors.New("sessions still running after 10 s")
	}
	return errors.Join(err, os.RemoveAll(s.Dir))
}

// fromLine starts each mbox entry.
const fromLine = "From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n"

// AddMessages appends messages to the mailbox. Each must be lines that
// end in CRLF, with no other CR or LF, and none starting with "From ":
// RETR then returns it byte for byte. Add them before the session that
// should see them logs in.
func (s *Server) AddMessages(raws [][]byte) error {
	var b bytes.Buffer
	for i, raw := range raws {
		if !bytes.HasSuffix(raw, []byte("\r\n")) {
			return fmt.Errorf("message %d does not end in CRLF", i)
		}
		lines := strings.Split(strings.TrimSuffix(string(raw), "\r\n"), "\r\n")
		b.WriteString(fromLine)
		for _, l := range lines {
			if strings.ContainsAny(l, "\r\n") || strings.HasPrefix(l, "From ") {
				return fmt.Errorf("message %d has a bare CR or LF, or a line starting with \"From \"", i)
			}
			b.WriteString(l + "\n")
		}
		b.WriteString("\n")
	}
	f, err := os.OpenFile(s.mailbox(), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return err
	}
	if _, err := f.Write(b.Bytes()); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Messages returns the messages left in the mailbox, in order, with CRLF
// line ends as RETR sends them.
func (s *Server) Messages() ([][]byte, error) {
	data, err := os.ReadFile(s.mailbox())
	if err != nil {
		return nil, err
	}
	var entries [][]string
	for _, l := range strings.SplitAfter(string(data), "\n") {
		switch {
		case l == "":
		case strings.HasPrefix(l, "From "):
			entries = append(entries, nil)
		case len(entries) == 0:
			return nil, errors.New("mailbox: does not start with a From line")
		default:
			entries[len(entries)-1] = append(entries[len(entries)-1], l)
		}
	}
	var out [][]byte
	for _, e := range entries {
		if len(e) > 0 && e[len(e)-1] == "\n" {
			e = e[:len(e)-1] // the blank line that ends an entry
		}
		out = append(out, []byte(strings.ReplaceAll(strings.Join(e, ""), "\n", "\r\n")))
	}
	return out, nil
}
