package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/smtpfake"
	"github.com/apartado/apartado/sender"
)

// Never lost, never sent twice (issue 10): "apartado send --wait" is
// SIGKILLed while the server holds it at one step of the dialogue, then
// "apartado serve" takes over once the killed sender's claim runs out.
// Killed before the final ".", the message is delivered exactly once; killed
// after it (the server took the message, its reply never came), it is
// "may have been sent" and never sent again. Every step has its own data
// folder and server; the servers take over all at once, so the test waits
// for one lease, not one per step.
func TestKillMidSend(t *testing.T) {
	cases := []*sendKill{
		{step: "GREETING", want: db.OutboxSent},
		{step: "EHLO", want: db.OutboxSent},
		{step: "AUTH", want: db.OutboxSent},
		{step: "MAIL", want: db.OutboxSent},
		{step: "RCPT", want: db.OutboxSent},
		{step: "DATA", want: db.OutboxSent},
		{step: "BODY", want: db.OutboxSent},
		{step: "DOT", want: db.OutboxMaybeSent},
	}
	for _, c := range cases {
		c.killAt(t)
	}
	for _, c := range cases {
		startAppIn(t, c.data)
	}
	for _, c := range cases {
		c.check(t)
	}
	// A maybe-sent message stays so, past another look at the outbox.
	time.Sleep(sender.DefaultTick + time.Second)
	for _, c := range cases {
		m := c.message(t)
		if n := len(c.f.Messages()); m.State != c.want || n != 1 {
			t.Errorf("killed at %s: later %s with %d received, want %s and 1", c.step, m.State, n, c.want)
		}
	}
}

// sendKill is one kill point: the server hangs at step the first time.
type sendKill struct {
	step    string
	want    db.OutboxState
	f       *smtpfake.Server
	data    string
	reached atomic.Bool // BODY: the server holds the message's bytes
}

// killAt sets up a data folder, runs "apartado send --wait" and SIGKILLs it
// once the server holds its session at the step.
func (c *sendKill) killAt(t *testing.T) {
	t.Helper()
	// No SIZE: the large message of BODY is not refused before DATA.
	f := &smtpfake.Server{Ext: []string{"8BITMIME", "AUTH PLAIN LOGIN"}}
	hold := make(chan struct{})
	if c.step == "BODY" {
		var first atomic.Bool
		f.OnData = func(n int) {
			if n > 1<<20 && first.CompareAndSwap(false, true) {
				c.reached.Store(true)
				<-hold
			}
		}
	}
	c.f = smtpfake.Start(t, f)
	// Cleanups run last first: the held session is let go before the
	// server's own cleanup waits for its sessions.
	t.Cleanup(func() { close(hold) })
	if c.step != "BODY" {
		c.f.On(c.step, "HANG")
	}
	c.data = t.TempDir()
	e := &killEnv{t: t, data: c.data, env: []string{"APARTADO_DATA=" + c.data}}
	if out, err := e.run("a good password\n", "user", "add", "ana", "--admin"); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
	host, port, _ := net.SplitHostPort(c.f.Addr)
	if out, err := e.run("secret\n", "account", "add", "--user", "ana", "--email", "ana@example.test", "--host", host,
		"--username", "ana", "--smtp-host", host, "--smtp-port", port, "--smtp-security", "none", "--interval", "24h"); err != nil {
		t.Fatalf("account add: %v\n%s", err, out)
	}
	text := "Hola\n.\n..\n"
	if c.step == "BODY" {
		text = strings.Repeat("a line of text long enough to fill the buffers\n", 200000) // 9.6 MB
	}
	bodyFile := filepath.Join(t.TempDir(), "body.txt")
	if err := os.WriteFile(bodyFile, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "send", "--user", "ana", "--account", "1", "--to", "bea@example.org", "--subject", "Kill",
		"--body-file", bodyFile, "--wait")
	cmd.Env = append(os.Environ(), e.env...)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !c.atStep() {
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			t.Fatalf("the session never reached %s; commands %q\n%s", c.step, c.f.Commands(), out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if n := len(c.f.Messages()); n > 1 || (n == 1) != (c.step == "DOT") {
		t.Fatalf("killed at %s: %d messages received", c.step, n)
	}
	if m := c.message(t); m.State != db.OutboxSending {
		t.Fatalf("killed at %s: the message is %s, want sending", c.step, m.State)
	}
}

// atStep reports whether the server holds the session at the step.
func (c *sendKill) atStep() bool {
	switch c.step {
	case "BODY":
		return c.reached.Load()
	case "GREETING":
		return c.f.Sessions() == 1
	case "DOT":
		return len(c.f.Messages()) == 1
	}
	return c.f.SawCommand(c.step)
}

func (c *sendKill) message(t *testing.T) db.OutboxMessage {
	t.Helper()
	store, err := db.Open(context.Background(), filepath.Join(c.data, "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := store.UserByName(context.Background(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	m, err := store.OutboxMessage(context.Background(), u.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// check waits until the server's sender has finished the message, and
// checks that it reached the server exactly once.
func (c *sendKill) check(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(sender.DefaultLease + sender.DefaultTick + 30*time.Second)
	var m db.OutboxMessage
	for {
		m = c.message(t)
		if m.State != db.OutboxSending && m.State != db.OutboxQueued {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("killed at %s: still %s after the lease", c.step, m.State)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if m.State != c.want {
		t.Errorf("killed at %s: %s (%+v), want %s", c.step, m.State, m.Err, c.want)
	}
	if n := len(c.f.Messages()); n != 1 {
		t.Errorf("killed at %s, then %s: the server received %d copies", c.step, m.State, n)
	}
	if c.want == db.OutboxSent && m.Attempts != 2 {
		t.Errorf("killed at %s: %d attempts, want 2", c.step, m.Attempts)
	}
}
