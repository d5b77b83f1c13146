package poller

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/pop3client"
)

// TestMemberAccountsStayOffThisComputer: a member's account saved (with
// "Save anyway") for a server on this computer is refused when the poller
// connects, after DNS, with the not-allowed kind and not a single
// connection; the same server works for an administrator's account.
func TestMemberAccountsStayOffThisComputer(t *testing.T) {
	f := newFixture(t, dovecottest.Options{})
	if err := f.srv.AddMessages("alice", mailbox(3)); err != nil {
		t.Fatal(err)
	}
	// A listener that counts connections, standing in for whatever the
	// member hoped to probe.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var accepted atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	ctx := context.Background()
	member, err := f.db.CreateUser(ctx, "bea", "hash", db.RoleMember)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := f.key.Seal([]byte("x"), app.PasswordContext(member.ID))
	port := ln.Addr().(*net.TCPAddr).Port
	probe, err := f.db.CreateAccount(ctx, member.ID, db.AccountSettings{Name: "Probe", Email: "bea@example.org",
		Host: "127.0.0.1", Port: port, Security: "none", Username: "bea", PasswordSealed: sealed,
		PollInterval: 10 * time.Minute, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, allowPrivate := range []bool{false, true} {
		f.p.MemberPrivateServers = allowPrivate
		res, err := f.p.SyncAccount(ctx, probe.ID)
		if err != nil {
			t.Fatal(err)
		}
		var pe *pop3client.Error
		if !errors.As(res.Err, &pe) || pe.Kind != pop3client.KindAddressNotAllowed {
			t.Fatalf("member's sync to 127.0.0.1:%d (private allowed: %v): %v, want %s", port, allowPrivate, res.Err, pop3client.KindAddressNotAllowed)
		}
	}
	if n := accepted.Load(); n != 0 {
		t.Fatalf("the listener accepted %d connections from a member's account", n)
	}
	a, _ := f.db.Account(ctx, member.ID, probe.ID)
	if a.LastErrorKind != string(pop3client.KindAddressNotAllowed) {
		t.Errorf("recorded kind %q", a.LastErrorKind)
	}

	// The administrator's account on the same computer syncs.
	acc := f.account(t, dovecottest.DefaultPassword, false)
	res, err := f.p.SyncAccount(ctx, acc.ID)
	if err != nil || res.Err != nil || res.New != 3 {
		t.Fatalf("admin's sync: %+v %v", res, err)
	}
}
