package dovecottest

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Defaults used when Options.Users is nil.
const (
	DefaultUser     = "alice"
	DefaultPassword = "secret"
)

// SkipEnv is the environment variable that, set to "1", makes Start skip
// instead of fail when the dovecot binary is missing.
const SkipEnv = "APARTADO_SKIP_DOVECOT"

// BinaryEnv names an environment variable that may hold the path of the
// dovecot binary to use instead of looking it up.
const BinaryEnv = "APARTADO_DOVECOT_BIN"

const (
	// StartTimeout bounds how long New waits for both listeners to greet.
	StartTimeout = 15 * time.Second
	// stopTimeout bounds how long Close waits for the master to exit after
	// SIGTERM before it kills the whole process group with SIGKILL.
	stopTimeout = 10 * time.Second
	// startAttempts is how often New retries with fresh ports when a port
	// it picked was taken in the meantime.
	startAttempts = 4

	logName    = "dovecot.log"
	stderrName = "dovecot.stderr"
	confName   = "dovecot.conf"
)

// Options configure a Server. The zero value is a useful default.
type Options struct {
	// CertNames are host names the certificate is valid for besides
	// localhost and the loopback addresses (e.g. "pop.example.test" for a
	// test that resolves that name to 127.0.0.1).
	CertNames []string
	// Users maps user names to plaintext passwords. Nil means
	// {"alice": "secret"}. Names may use letters, digits and ._-@+.
	Users map[string]string
	// LockSession sets pop3_lock_session = yes: a second concurrent session
	// of a user gets "-ERR [IN-USE] ..." in answer to PASS. Dovecot first
	// waits up to 10 s (hard-coded) for the first session to end, so that
	// answer takes 10 s, and a first session that QUITs within them lets
	// the second one in.
	LockSession bool
	// DisablePlaintextAuth sets disable_plaintext_auth = yes, so USER/PASS
	// and AUTH PLAIN/LOGIN work only after STLS or on the TLS port. The
	// server then listens on 127.0.0.2 rather than 127.0.0.1, because
	// Dovecot treats a connection from its own address as secured.
	DisablePlaintextAuth bool
	// APOP adds the APOP mechanism; the greeting then carries the APOP
	// timestamp, "+OK Dovecot (Debian) ready. <...>".
	APOP bool
	// OAuth2, if not nil, adds the XOAUTH2 and OAUTHBEARER mechanisms and
	// an oauth2 passdb that checks their bearer tokens at an OAuth 2.0
	// token introspection endpoint (RFC 7662). See the package
	// documentation.
	OAuth2 *OAuth2
	// ExtraConfig is appended verbatim to the generated dovecot.conf. A
	// setting given again there overrides the generated one, and a service
	// block given again is merged into it.
	ExtraConfig string
}

// OAuth2 configures Dovecot's oauth2 passdb (Options.OAuth2).
type OAuth2 struct {
	// IntrospectionURL is the token introspection endpoint, with the
	// credentials of a client allowed to introspect as the URL's user
	// information: "http://id:secret@127.0.0.1:port/oauth/introspect".
	// Dovecot 2.3 sends them as HTTP Basic authentication and the token as
	// the form field "token" of a POST.
	IntrospectionURL string
	// UsernameAttribute is the field of the introspection response that
	// must equal the user name of the login (the "user=" of XOAUTH2, the
	// "a=" of OAUTHBEARER). Empty means "username".
	UsernameAttribute string
}

// Server is a running private Dovecot POP3 server.
type Server struct {
	// PlainAddr is the plain POP3 listener, "127.0.0.1:port"; it offers
	// STLS. With Options.DisablePlaintextAuth it is "127.0.0.2:port" (see
	// the package documentation).
	PlainAddr string
	// TLSAddr is the implicit-TLS (pop3s) listener, "127.0.0.1:port", or
	// "127.0.0.2:port" with Options.DisablePlaintextAuth.
	TLSAddr string
	// CertPEM is the server's self-signed certificate (SANs localhost,
	// 127.0.0.1, 127.0.0.2 and ::1), PEM-encoded.
	CertPEM []byte
	// Dir holds the configuration, the logs and the mail. Close removes it.
	Dir string

	baseDir    string // base_dir; inside Dir unless Dir's path is too long for sockets
	ownBaseDir bool   // baseDir is a directory of its own, to remove on Close
	users      map[string]string
	certNames  []string
	id         identity
	pool       *x509.CertPool

	proc *process

	closeOnce sync.Once
	closeErr  error

	mu       sync.Mutex // guards the fields below
	finalLog string     // the log as it was when Close removed Dir; set once
	lastTime time.Time  // timestamp in the newest message file name
	seq      uint64     // messages added, for unique file names
}

// process is a running dovecot master.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once the master has exited and been reaped
	err  error         // cmd.Wait's result, set before done is closed
}

// BinaryPath returns the dovecot binary that New runs: $APARTADO_DOVECOT_BIN
// if set, else "dovecot" from $PATH, else /usr/sbin/dovecot or
// /usr/local/sbin/dovecot (sbin is often missing from a non-root $PATH).
func BinaryPath() (string, error) {
	if p := os.Getenv(BinaryEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%s=%s: %w", BinaryEnv, p, err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("dovecot binary not found in $PATH, /usr/sbin or /usr/local/sbin")
}

// Start starts a Server for a test or benchmark and closes it when the test
// ends. Without a dovecot binary it fails the test, or skips it when
// APARTADO_SKIP_DOVECOT=1. If the test fails, the tail of Dovecot's log is
// logged before the server is closed.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if _, err := BinaryPath(); err != nil {
		if os.Getenv(SkipEnv) == "1" {
			tb.Skipf("dovecottest: %v (skipping because %s=1)", err, SkipEnv)
		}
		tb.Fatalf("dovecottest: %v. These tests need a real Dovecot POP3 server: install it with `apt-get install -y dovecot-pop3d` (Debian/Ubuntu), or set %s=1 to skip them.", err, SkipEnv)
	}
	s, err := New(opts)
	if err != nil {
		tb.Fatalf("%v", err) // New's errors start with "dovecottest: "
	}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("dovecottest: tail of Dovecot's log (%s):\n%s", s.Dir, tail(s.Log(), 40))
		}
		if err := s.Close(); err != nil {
			tb.Errorf("dovecottest: %v", err)
		}
	})
	return s
}

// New starts a private Dovecot POP3 server and waits, at most StartTimeout,
// until both of its listeners answer with a "+OK" greeting. Errors carry the
// tail of Dovecot's log.
func New(opts Options) (*Server, error) {
	bin, err := BinaryPath()
	if err != nil {
		return nil, fmt.Errorf("dovecottest: %w; install it with apt-get install -y dovecot-pop3d", err)
	}
	if err := checkVersion(bin); err != nil {
		return nil, err
	}
	if opts.Users == nil {
		opts.Users = map[string]string{DefaultUser: DefaultPassword}
	}
	if len(opts.Users) == 0 {
		return nil, errors.New("dovecottest: Options.Users is empty")
	}
	for u, pw := range opts.Users {
		if !validUser(u) {
			return nil, fmt.Errorf("dovecottest: invalid user name %q (use letters, digits and ._-@+)", u)
		}
		if pw == "" || strings.ContainsAny(pw, "\x00\r\n") {
			return nil, fmt.Errorf("dovecottest: password of %q must be non-empty and free of NUL, CR and LF", u)
		}
	}
	if o := opts.OAuth2; o != nil && (o.IntrospectionURL == "" || strings.ContainsAny(o.IntrospectionURL+o.UsernameAttribute, "\x00\r\n \t")) {
		return nil, errors.New("dovecottest: OAuth2.IntrospectionURL must be set, and it and UsernameAttribute must be free of white space and control characters")
	}
	id, err := lookupIdentity()
	if err != nil {
		return nil, fmt.Errorf("dovecottest: %w", err)
	}

	s := &Server{users: make(map[string]string, len(opts.Users)), id: id, certNames: opts.CertNames}
	for u, pw := range opts.Users {
		s.users[u] = pw
	}
	if err := s.prepare(); err != nil {
		s.removeDirs()
		return nil, fmt.Errorf("dovecottest: %w", err)
	}

	var lastErr error
	for attempt := 1; attempt <= startAttempts; attempt++ {
		var retry bool
		retry, lastErr = s.start(bin, opts)
		if lastErr == nil {
			return s, nil
		}
		if !retry {
			break
		}
	}
	log := s.Log()
	s.removeDirs()
	if strings.Contains(log, "service(pop3") && strings.Contains(log, "No such file") {
		lastErr = fmt.Errorf("%w (is dovecot-pop3d installed? apt-get install -y dovecot-pop3d)", lastErr)
	}
	return nil, fmt.Errorf("dovecottest: %w\n--- tail of Dovecot's log ---\n%s", lastErr, tail(log, 40))
}

// checkVersion rejects Dovecot versions whose configuration syntax this
// package does not generate.
func checkVersion(bin string) error {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return fmt.Errorf("dovecottest: %s --version: %w", bin, err)
	}
	v := strings.TrimSpace(string(out))
	if !strings.HasPrefix(v, "2.3.") {
		return fmt.Errorf("dovecottest: %s is Dovecot %s; only Dovecot 2.3 (Debian's dovecot-pop3d) is supported", bin, v)
	}
	return nil
}

// makeDir picks a parent for the server's directory: the first of
// os.TempDir(), /tmp and /var/tmp whose path is plain (Dovecot's config
// syntax and unix socket paths want that) and, when running as root, is
// traversable by Dovecot's unprivileged processes all the way down.
func (s *Server) makeDir() error {
	var candidates []string
	for _, c := range []string{os.TempDir(), "/tmp", "/var/tmp"} {
		c, err := filepath.Abs(c)
		if err == nil && plainPath(c) && (!s.id.root || worldTraversable(c)) {
			candidates = append(candidates, c)
		}
	}
	if len(candidates) == 0 {
		return errors.New("no usable temporary directory: $TMPDIR, /tmp and /var/tmp are unusable (odd characters, or not world-traversable)")
	}
	dir, err := os.MkdirTemp(candidates[0], "dovecottest-")
	if err != nil {
		return err
	}
	s.Dir = dir
	// MkdirTemp makes 0700; Dovecot's unprivileged processes must get in.
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	// Unix socket paths are limited to 107 bytes; the longest Dovecot
	// creates is about 30 bytes below base_dir.
	s.baseDir = filepath.Join(dir, "run")
	if len(s.baseDir) > 70 {
		b, err := os.MkdirTemp("/tmp", "dct-")
		if err != nil {
			return err
		}
		if err := os.Chmod(b, 0o755); err != nil {
			os.Remove(b)
			return err
		}
		s.baseDir = filepath.Join(b, "run")
		s.ownBaseDir = true
	}
	return nil
}

func plainPath(p string) bool {
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("/._-+", r):
		default:
			return false
		}
	}
	return true
}

// worldTraversable reports whether every directory from / down to p lets
// others search it.
func worldTraversable(p string) bool {
	for {
		fi, err := os.Stat(p)
		if err != nil || !fi.IsDir() || fi.Mode().Perm()&0o001 == 0 {
			return false
		}
		parent := filepath.Dir(p)
		if parent == p {
			return true
		}
		p = parent
	}
}

// prepare creates Dir with the certificate, the user database and the
// users' Maildirs.
func (s *Server) prepare() error {
	if err := s.makeDir(); err != nil {
		return err
	}
	certPEM, keyPEM, err := generateCert(s.certNames)
	if err != nil {
		return fmt.Errorf("generating the certificate: %w", err)
	}
	s.CertPEM = certPEM
	s.pool = x509.NewCertPool()
	s.pool.AppendCertsFromPEM(certPEM)
	p := configParams{dir: s.Dir}
	if err := os.WriteFile(p.certPath(), certPEM, 0o644); err != nil {
		return err
	}
	// The key and dovecot.conf are read by the master and its config
	// process, which keep the master's privileges.
	if err := os.WriteFile(p.keyPath(), keyPEM, 0o600); err != nil {
		return err
	}
	// The passwd-file is read by the auth process, which runs as
	// default_internal_user.
	if err := os.WriteFile(p.usersPath(), passwdFile(s.users), 0o640); err != nil {
		return err
	}
	if s.id.root {
		if err := os.Chown(p.usersPath(), 0, s.id.internalGID); err != nil {
			return err
		}
	}
	if err := os.Mkdir(filepath.Join(s.Dir, "state"), 0o755); err != nil {
		return err
	}
	if err := os.Mkdir(p.homeRoot(), 0o755); err != nil {
		return err
	}
	for u := range s.users {
		home := filepath.Join(p.homeRoot(), u)
		for _, d := range []string{home, s.Maildir(u), filepath.Join(s.Maildir(u), "cur"), filepath.Join(s.Maildir(u), "new"), filepath.Join(s.Maildir(u), "tmp")} {
			if err := os.Mkdir(d, 0o700); err != nil {
				return err
			}
			if err := s.chownMail(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *Server) chownMail(path string) error {
	if !s.id.root {
		return nil
	}
	return os.Chown(path, s.id.mailUID, s.id.mailGID)
}

// freePort returns a TCP port on host that was free a moment ago.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// listenHost returns the loopback address to listen on. Dovecot's login
// processes treat a connection whose remote address equals its local
// address as secured, just like TLS, and allow plaintext authentication on
// it whatever disable_plaintext_auth says. On Linux a client connecting to
// 127.0.0.1 comes from 127.0.0.1, so with DisablePlaintextAuth the server
// listens on 127.0.0.2 instead: clients then come from 127.0.0.1 and are
// not secured until STLS.
func listenHost(opts Options) string {
	if opts.DisablePlaintextAuth {
		return "127.0.0.2"
	}
	return "127.0.0.1"
}

// start writes the configuration with fresh ports and starts the master.
// retry reports whether a failure looks like a port taken in the meantime
// (Dovecot then logs "bind(...) failed: Address already in use").
func (s *Server) start(bin string, opts Options) (retry bool, err error) {
	host := listenHost(opts)
	plainPort, err := freePort(host)
	if err != nil {
		return false, err
	}
	tlsPort, err := freePort(host)
	for err == nil && tlsPort == plainPort {
		tlsPort, err = freePort(host)
	}
	if err != nil {
		return false, err
	}
	return s.startOn(bin, opts, host, plainPort, tlsPort)
}

// startOn is start with given ports.
func (s *Server) startOn(bin string, opts Options, host string, plainPort, tlsPort int) (retry bool, err error) {
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return false, err
	}
	p := configParams{
		dir:       s.Dir,
		baseDir:   s.baseDir,
		stateDir:  filepath.Join(s.Dir, "state"),
		instance:  "dovecottest-" + hex.EncodeToString(rnd[:]),
		host:      host,
		plainPort: plainPort,
		tlsPort:   tlsPort,
		opts:      opts,
		id:        s.id,
	}
	if opts.OAuth2 != nil {
		if err := s.writeOAuth2Conf(p, *opts.OAuth2); err != nil {
			return false, err
		}
	}
	conf := filepath.Join(s.Dir, confName)
	if err := os.WriteFile(conf, []byte(dovecotConf(p)), 0o644); err != nil {
		return false, err
	}
	s.PlainAddr = net.JoinHostPort(host, strconv.Itoa(plainPort))
	s.TLSAddr = net.JoinHostPort(host, strconv.Itoa(tlsPort))

	logStart := fileSize(filepath.Join(s.Dir, logName))
	stderrStart := fileSize(filepath.Join(s.Dir, stderrName))
	stderr, err := os.OpenFile(filepath.Join(s.Dir, stderrName), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return false, err
	}
	defer stderr.Close() // the child has its own copy

	cmd := exec.Command(bin, "-F", "-c", conf)
	cmd.Dir = s.Dir
	cmd.Stdout = stderr
	cmd.Stderr = stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// A group of its own, so Close can signal every process Dovecot
		// started, and none of ours.
		Setpgid: true,
		// If the test binary dies without Close, the master dies too and
		// its children follow on noticing that.
		Pdeathsig: syscall.SIGKILL,
	}
	proc, err := startProcess(cmd)
	if err != nil {
		return false, fmt.Errorf("starting %s: %w", bin, err)
	}
	s.proc = proc

	if err := s.waitReady(StartTimeout, logStart); err != nil {
		s.stop()
		inUse := strings.Contains(readFrom(filepath.Join(s.Dir, logName), logStart), "Address already in use") ||
			strings.Contains(readFrom(filepath.Join(s.Dir, stderrName), stderrStart), "Address already in use")
		return inUse, err
	}
	return false, nil
}

// writeOAuth2Conf writes the oauth2 passdb's settings, which hold the
// introspection client's secret, readable by the auth process only (it
// runs as default_internal_user).
func (s *Server) writeOAuth2Conf(p configParams, o OAuth2) error {
	if err := os.WriteFile(p.oauth2Path(), []byte(oauth2Conf(o)), 0o640); err != nil {
		return err
	}
	if s.id.root {
		return os.Chown(p.oauth2Path(), 0, s.id.internalGID)
	}
	return nil
}

// startProcess starts cmd from a goroutine locked to its OS thread that
// stays alive, waiting for the process, for as long as the process runs:
// Pdeathsig fires when the thread that started the child exits, not when
// the process does.
func startProcess(cmd *exec.Cmd) (*process, error) {
	p := &process{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		// Never unlocked: the thread is discarded when this goroutine
		// returns, which is only after the process has exited.
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		p.err = cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}

// waitReady waits until the master has logged that it is starting up
// (which it does only once it has bound its listeners, so the greetings
// below cannot come from someone else who took a port) and both listeners
// greet with "+OK", until the master exits, or until the timeout passes.
// logStart is the size the log had before this master started.
func (s *Server) waitReady(timeout time.Duration, logStart int) error {
	deadline := time.Now().Add(timeout)
	started, plainOK, tlsOK := false, false, false
	lastErr := errors.New("the master has not logged its start")
	for {
		select {
		case <-s.proc.done:
			return fmt.Errorf("dovecot exited during startup: %v", s.proc.err)
		default:
		}
		if !started {
			started = strings.Contains(readFrom(filepath.Join(s.Dir, logName), logStart), "starting up")
		}
		if !started {
			if time.Now().After(deadline) {
				return fmt.Errorf("dovecot did not start within %v: %v", timeout, lastErr)
			}
			time.Sleep(10 * time.Millisecond)
			continue
		}
		if !plainOK {
			if lastErr = greet(s.PlainAddr, nil); lastErr == nil {
				plainOK = true
			}
		}
		if plainOK && !tlsOK {
			if lastErr = greet(s.TLSAddr, &tls.Config{RootCAs: s.pool, ServerName: "localhost"}); lastErr == nil {
				tlsOK = true
			}
		}
		if plainOK && tlsOK {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("dovecot did not greet on %s and %s within %v: %v", s.PlainAddr, s.TLSAddr, timeout, lastErr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// greet connects to addr, over TLS when cfg is not nil, reads the greeting,
// and says QUIT.
func greet(addr string, cfg *tls.Config) error {
	d := &net.Dialer{Timeout: 2 * time.Second}
	var c net.Conn
	var err error
	if cfg != nil {
		c, err = tls.DialWithDialer(d, "tcp", addr, cfg)
	} else {
		c, err = d.Dial("tcp", addr)
	}
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the greeting from %s: %w", addr, err)
	}
	if !strings.HasPrefix(line, "+OK") {
		return fmt.Errorf("greeting from %s: %q", addr, strings.TrimSpace(line))
	}
	fmt.Fprintf(c, "QUIT\r\n")
	return nil
}

// Close stops the server and all of its processes and removes Dir. It is
// safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.closeErr = s.stop()
		log := s.Log()
		s.mu.Lock()
		s.finalLog = log
		s.mu.Unlock()
		if err := s.removeDirs(); err != nil && s.closeErr == nil {
			s.closeErr = err
		}
	})
	return s.closeErr
}

// stop sends SIGTERM to Dovecot's whole process group (every process
// shuts down at once and the log process still writes the last lines;
// SIGTERM to the master alone takes about a second and leaves mail
// processes behind for a while), waits for the master, and makes sure
// nothing of the group survives, killing stragglers.
func (s *Server) stop() error {
	p := s.proc
	if p == nil {
		return nil
	}
	s.proc = nil
	pgid := p.cmd.Process.Pid // Setpgid: the group is the master's pid

	syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(stopTimeout):
		syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	if groupGone(pgid, 2*time.Second) {
		return nil
	}
	syscall.Kill(-pgid, syscall.SIGKILL)
	if groupGone(pgid, 5*time.Second) {
		return nil
	}
	return fmt.Errorf("dovecot processes of group %d survived SIGKILL", pgid)
}

// groupGone waits up to timeout until process group pgid has no live
// member. Zombies do not count: Dovecot's children are reparented to init
// when the master exits, and a slow init leaves them unreaped for a while.
func groupGone(pgid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for {
		if !groupAlive(pgid) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// groupAlive reports whether process group pgid has a member that is not a
// zombie.
func groupAlive(pgid int) bool {
	if err := syscall.Kill(-pgid, 0); errors.Is(err, syscall.ESRCH) {
		return false
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return true // no /proc: trust kill(2)
	}
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		// "pid (comm) state ppid pgrp ...", and comm may hold anything.
		i := bytes.LastIndexByte(stat, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(stat[i+1:]))
		if len(f) >= 3 && f[2] == strconv.Itoa(pgid) && f[0] != "Z" && f[0] != "X" {
			return true
		}
	}
	return false
}

func (s *Server) removeDirs() error {
	var errs []error
	if s.Dir != "" {
		errs = append(errs, os.RemoveAll(s.Dir))
	}
	if s.ownBaseDir {
		errs = append(errs, os.RemoveAll(filepath.Dir(s.baseDir)))
	}
	return errors.Join(errs...)
}

// RootCAs returns a pool holding the server's certificate, for a
// tls.Config's RootCAs (with ServerName "localhost", or the IP address).
func (s *Server) RootCAs() *x509.CertPool {
	return s.pool
}

// Users returns a copy of the user name to password map the server uses.
func (s *Server) Users() map[string]string {
	m := make(map[string]string, len(s.users))
	for u, pw := range s.users {
		m[u] = pw
	}
	return m
}

// Log returns Dovecot's log: the log file everything is configured to go
// to, then anything the master printed on stdout/stderr. After Close it
// returns the log as it was when Close removed Dir.
func (s *Server) Log() string {
	s.mu.Lock()
	final := s.finalLog
	s.mu.Unlock()
	if final != "" {
		return final
	}
	var b bytes.Buffer
	if data, err := os.ReadFile(filepath.Join(s.Dir, logName)); err == nil {
		b.Write(data)
	}
	if data, err := os.ReadFile(filepath.Join(s.Dir, stderrName)); err == nil && len(data) > 0 {
		b.WriteString("--- dovecot stdout/stderr ---\n")
		b.Write(data)
	}
	return b.String()
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "(empty)"
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// readFrom returns the contents of the file at path from offset on.
func readFrom(path string, offset int) string {
	data, err := os.ReadFile(path)
	if err != nil || offset > len(data) {
		return ""
	}
	return string(data[offset:])
}

func fileSize(path string) int {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return int(fi.Size())
}
