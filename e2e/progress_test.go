package e2e

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/mailgen"
	"github.com/apartado/apartado/internal/testnet"
)

// throttle is a TCP proxy that holds server bytes until released, then
// passes them on at about rate bytes per second.
type throttle struct {
	addr    string // where it listens
	target  string
	rate    int
	release chan struct{}
	once    sync.Once
}

func startThrottle(t *testing.T, target string, rate int) *throttle {
	t.Helper()
	p := &throttle{target: target, rate: rate, release: make(chan struct{})}
	p.addr = testnet.Serve(t, p.serve)
	t.Cleanup(p.open) // runs first: a held connection must let go
	return p
}

func (p *throttle) open() { p.once.Do(func() { close(p.release) }) }

func (p *throttle) serve(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer s.Close()
	go func() {
		_, _ = io.Copy(s, c)
		s.Close()
	}()
	buf := make([]byte, 8<<10)
	for {
		n, err := s.Read(buf)
		if n > 0 {
			<-p.release
			if _, werr := c.Write(buf[:n]); werr != nil {
				return
			}
			time.Sleep(time.Duration(n) * time.Second / time.Duration(p.rate))
		}
		if err != nil {
			return
		}
	}
}

// TestSyncProgressBar: a first sync slowed down on the way shows the
// settings page's progress bar moving without the page reloading, then the
// page reloads by itself to show the result and the check in the history.
func TestSyncProgressBar(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	box := mailgen.Mailbox{Seed: 11}
	var msgs [][]byte
	total := 0
	for i := range 40 {
		m := box.Message(i)
		msgs = append(msgs, m)
		total += len(m)
	}
	if err := srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	// About 8 seconds of download, whatever the mailbox's size.
	proxy := startThrottle(t, srv.TLSAddr, total/8)

	dir := t.TempDir()
	ca, pw := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "pw")
	if err := os.WriteFile(ca, srv.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(pw, []byte(dovecottest.DefaultPassword+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	cli := &killEnv{t: t, data: data, env: []string{"APARTADO_DATA=" + data, "APARTADO_EXTRA_CA_FILE=" + ca}}
	if out, err := cli.run("household-secret\n", "user", "add", "admin", "--admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	port := testnet.Port(proxy.addr)
	if out, err := cli.run("", "account", "add", "--user", "admin", "--email", "alice@example.org", "--host", "127.0.0.1",
		"--port", port, "--security", "tls", "--username", "alice", "--password-file", pw); err != nil {
		t.Fatalf("account add: %v\n%s", err, out)
	}

	// The new account is due at once: its sync starts with the server
	// and waits at the proxy.
	a := startAppIn(t, data, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 1280, 900, false)
	run(t, ctx, "log in", chromedp.Navigate(a.URL+"/login"), chromedp.WaitVisible(tid("login-form")),
		chromedp.SendKeys(`#name`, "admin"), chromedp.SendKeys(`#password`, "household-secret"),
		chromedp.Click(tid("login-submit")), chromedp.WaitReady(tid("nav")))
	run(t, ctx, "open the settings", chromedp.Navigate(a.URL+"/settings"), chromedp.WaitVisible(tid("sync-progress")))
	first := get(t, ctx, "progress text", chromedp.Text(tid("sync-progress-text")))
	if !strings.Contains(first, "Connecting") && !strings.Contains(first, "shortly") {
		t.Errorf("before the server answers, the progress says %q", first)
	}
	// A marker that a reload would wipe.
	eval[bool](t, ctx, `window.stillHere = true`)
	proxy.open()

	// Watch the bar move without a reload.
	var texts []string
	var values []float64
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		state := eval[map[string]any](t, ctx, `(() => {
			const box = document.querySelector('[data-testid="sync-progress"]');
			if (!window.stillHere || !box) { return {gone: true}; }
			const bar = box.querySelector('progress');
			return {gone: false, text: box.querySelector('[data-testid="sync-progress-text"]').textContent,
				value: bar.hasAttribute('value') ? bar.value : -1, max: bar.max};
		})()`)
		if state["gone"] == true {
			break
		}
		text, _ := state["text"].(string)
		if len(texts) == 0 || texts[len(texts)-1] != text {
			texts = append(texts, text)
		}
		if v, _ := state["value"].(float64); v > 0 {
			values = append(values, v)
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Logf("the progress said, in turn:\n%s", strings.Join(texts, "\n"))
	var counted []string
	for _, s := range texts {
		if strings.Contains(s, " of 40 messages") {
			counted = append(counted, s)
		}
	}
	if len(counted) < 3 {
		t.Errorf("the progress showed %d different message counts while downloading, want 3 or more", len(counted))
	}
	if len(values) < 2 || values[len(values)-1] <= values[0] {
		t.Errorf("the bar did not move: %v", values)
	}
	if !strings.Contains(strings.Join(counted, "\n"), "/s") {
		t.Error("the progress never showed a rate")
	}
	if !strings.Contains(strings.Join(counted, "\n"), "left") {
		t.Error("the progress never showed the time left")
	}

	// The page reloaded by itself once the sync ended: no bar, the account
	// working, and the check in its history.
	run(t, ctx, "the page after the sync", chromedp.WaitVisible(tid("account-status")))
	if eval[bool](t, ctx, `window.stillHere === true`) {
		t.Fatal("the page did not reload when the sync ended")
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="sync-progress"]').length`); n != 0 {
		t.Errorf("%d progress bars after the sync", n)
	}
	stats := get(t, ctx, "stats", chromedp.Text(tid("account-stats")))
	if !strings.Contains(stats, "40 messages stored") {
		t.Errorf("after the sync: %q", stats)
	}
	run(t, ctx, "open the account page", chromedp.Click(tid("account-edit")), chromedp.WaitVisible(tid("sync-history")))
	rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="history-row"]'), r => r.textContent)`)
	if len(rows) != 1 || !strings.Contains(rows[0], "40 (") {
		t.Errorf("history rows %q, want one with 40 new messages", rows)
	}
	noHorizontalScroll(t, ctx, "account page with history")
	screenshot(t, ctx, "account-history")
}
