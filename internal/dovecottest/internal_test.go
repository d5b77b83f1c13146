package dovecottest

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestCloseStopsEverything checks that Close leaves no Dovecot process and
// no directory behind, even with a session still logged in.
func TestCloseStopsEverything(t *testing.T) {
	t.Parallel()
	if _, err := BinaryPath(); err != nil {
		t.Skip(err)
	}
	s, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	pgid := s.proc.cmd.Process.Pid
	// A logged-in session, so that a pop3 mail process exists.
	conn, err := loginAndHold(s.PlainAddr)
	if err != nil {
		s.Close()
		t.Fatal(err)
	}
	defer conn.Close()
	if nproc := len(groupMembers(pgid)); nproc < 5 {
		t.Errorf("only %d processes in Dovecot's process group; is it the right group?", nproc)
	}
	// A clean setup logs no warnings or errors.
	for _, l := range strings.Split(s.Log(), "\n") {
		if strings.Contains(l, "Warning:") || strings.Contains(l, "Error:") || strings.Contains(l, "Fatal:") || strings.Contains(l, "Panic:") {
			t.Errorf("Dovecot logged: %s", l)
		}
	}
	dir := s.Dir
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if groupAlive(pgid) {
		t.Errorf("after Close, process group %d still has live members: %v", pgid, groupMembers(pgid))
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close, %s still exists: %v", dir, err)
	}
	if !strings.Contains(s.Log(), "starting up") {
		t.Errorf("Log after Close lacks the startup line:\n%s", s.Log())
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// loginAndHold logs in as alice and returns the open connection.
func loginAndHold(addr string) (net.Conn, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(conn)
	for _, cmd := range []string{"", "USER alice", "PASS secret", "STAT"} {
		if cmd != "" {
			fmt.Fprintf(conn, "%s\r\n", cmd)
		}
		if l, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(l, "+OK") {
			conn.Close()
			return nil, fmt.Errorf("%q: %q, %v", cmd, l, err)
		}
	}
	return conn, nil
}

// groupMembers lists the pids in process group pgid, from /proc.
func groupMembers(pgid int) []int {
	var pids []int
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid := 0
		for _, c := range e.Name() {
			if c < '0' || c > '9' {
				pid = -1
				break
			}
			pid = pid*10 + int(c-'0')
		}
		if pid <= 0 {
			continue
		}
		if g, err := syscall.Getpgid(pid); err == nil && g == pgid {
			pids = append(pids, pid)
		}
	}
	return pids
}

func TestNextNameOrder(t *testing.T) {
	s := &Server{}
	// A clock that stands still must not matter: names stay strictly
	// ordered the way Dovecot sorts them.
	var names []string
	for i := 0; i < 5000; i++ {
		names = append(names, s.nextName())
	}
	for i := 1; i < len(names); i++ {
		if maildirSortCmp(names[i-1], names[i]) >= 0 {
			t.Fatalf("%q does not sort before %q", names[i-1], names[i])
		}
	}
	// Pretend the clock went back an hour.
	s.lastTime = time.Now().Add(time.Hour)
	a := s.nextName()
	b := s.nextName()
	if maildirSortCmp(names[len(names)-1], a) >= 0 || maildirSortCmp(a, b) >= 0 {
		t.Fatalf("names out of order after the clock went back: %q %q %q", names[len(names)-1], a, b)
	}
	// Concurrent callers get distinct names.
	seen := map[string]bool{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				n := s.nextName()
				mu.Lock()
				if seen[n] {
					t.Errorf("duplicate name %q", n)
				}
				seen[n] = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
}

func TestMaildirSortCmp(t *testing.T) {
	// Dovecot's order: seconds, then microseconds, then the name.
	want := []string{
		"99.M999999P1.host",
		"100.M5P9.host",
		"100.M40P1.host",
		"100.M40P2.host",
		"100.M200P1.host:2,S",
		"1000.M0P1.host",
	}
	got := append([]string(nil), want...)
	sort.Slice(got, func(i, j int) bool { return maildirSortCmp(got[i], got[j]) < 0 })
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sorted = %q, want %q", got, want)
	}
}

func TestPasswdEntry(t *testing.T) {
	for pw, want := range map[string]string{
		"secret":     "{PLAIN}secret",
		"with space": "{PLAIN}with space",
		"a:b":        "{PLAIN.BASE64}YTpi",
		" lead":      "{PLAIN.BASE64}IGxlYWQ=",
		"tab\t":      "{PLAIN.BASE64}dGFiCQ==",
		"ünï":        "{PLAIN.BASE64}w7xuw68=",
	} {
		if got := passwdEntry(pw); got != want {
			t.Errorf("passwdEntry(%q) = %q, want %q", pw, got, want)
		}
	}
}

// fakeTB records what Start does with a missing binary.
type fakeTB struct {
	testing.TB
	skipped, failed bool
	msg             string
}

func (f *fakeTB) Helper() {}
func (f *fakeTB) Skipf(format string, args ...any) {
	f.skipped, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fakeTB) Fatalf(format string, args ...any) {
	f.failed, f.msg = true, fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestStartWithoutDovecot(t *testing.T) {
	t.Setenv(BinaryEnv, "/nonexistent/dovecot")
	for _, skip := range []string{"", "1"} {
		t.Setenv(SkipEnv, skip)
		f := &fakeTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Start(f, Options{})
		}()
		<-done
		if skip == "1" && (!f.skipped || f.failed) {
			t.Errorf("%s=1: skipped=%v failed=%v, want a skip", SkipEnv, f.skipped, f.failed)
		}
		if skip == "" && (!f.failed || f.skipped || !strings.Contains(f.msg, "apt-get install -y dovecot-pop3d")) {
			t.Errorf("%s unset: skipped=%v failed=%v msg=%q, want a failure naming dovecot-pop3d", SkipEnv, f.skipped, f.failed, f.msg)
		}
	}
}

// TestPortTaken checks that a port taken between picking it and Dovecot
// binding it is recognised as worth a retry, and that New then succeeds.
func TestPortTaken(t *testing.T) {
	t.Parallel()
	bin, err := BinaryPath()
	if err != nil {
		t.Skip(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	free, err := freePort("127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	id, err := lookupIdentity()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{users: map[string]string{"alice": "secret"}, id: id}
	if err := s.prepare(); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	retry, err := s.startOn(bin, Options{}, "127.0.0.1", free, taken)
	if err == nil || !retry {
		t.Fatalf("startOn with a taken port: retry=%v err=%v\n%s", retry, err, s.Log())
	}
	if !strings.Contains(s.Log(), "Address already in use") {
		t.Errorf("log lacks the bind failure:\n%s", s.Log())
	}
	// waitReady relies on the master binding its listeners before it logs
	// that it is starting up.
	if strings.Contains(s.Log(), "starting up") {
		t.Errorf("the master logged its start although it could not bind:\n%s", s.Log())
	}
	if retry, err = s.start(bin, Options{}); err != nil {
		t.Fatalf("retry: %v %v\n%s", retry, err, s.Log())
	}
}

// TestBadConfig checks that a configuration error fails New at once, with
// Dovecot's complaint in the error.
func TestBadConfig(t *testing.T) {
	t.Parallel()
	if _, err := BinaryPath(); err != nil {
		t.Skip(err)
	}
	start := time.Now()
	s, err := New(Options{ExtraConfig: "no_such_setting_here = 1"})
	if err == nil {
		s.Close()
		t.Fatal("New with a bad setting succeeded")
	}
	if !strings.Contains(err.Error(), "no_such_setting_here") {
		t.Errorf("error lacks Dovecot's complaint: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("New took %v to fail", d)
	}
}
