package netguard

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want Class
	}{
		// IPv4
		{"127.0.0.1", Local},
		{"127.255.0.9", Local},
		{"169.254.169.254", Local}, // cloud metadata
		{"0.0.0.0", Local},
		{"0.1.2.3", Local},
		{"224.0.0.1", Local},
		{"239.255.255.250", Local},
		{"255.255.255.255", Local},
		{"10.0.0.1", Private},
		{"10.255.255.255", Private},
		{"172.16.0.1", Private},
		{"172.31.255.254", Private},
		{"192.168.1.10", Private},
		{"100.64.0.1", Private},
		{"100.127.255.255", Private},
		{"172.15.255.255", Public},
		{"172.32.0.1", Public},
		{"100.63.255.255", Public},
		{"100.128.0.0", Public},
		{"192.169.0.1", Public},
		{"11.0.0.1", Public},
		{"93.184.216.34", Public},
		{"8.8.8.8", Public},
		// IPv6
		{"::1", Local},
		{"::", Local},
		{"fe80::1", Local},
		{"fe80::1%eth0", Local},
		{"febf:ffff::1", Local},
		{"ff02::1", Local},
		{"ff0e::1", Local},
		{"::7f00:1", Local}, // IPv4-compatible 127.0.0.1
		{"fc00::1", Private},
		{"fd12:3456::1", Private},
		{"fec0::1", Private},
		{"2001:db8::1", Public},
		{"2a00:1450:4001:80e::2005", Public},
		{"fe00::1", Public},
		// IPv4-mapped IPv6 carries the IPv4 address's class.
		{"::ffff:127.0.0.1", Local},
		{"::ffff:169.254.1.1", Local},
		{"::ffff:10.1.2.3", Private},
		{"::ffff:192.168.0.1", Private},
		{"::ffff:8.8.8.8", Public},
	} {
		if got := Classify(netip.MustParseAddr(tc.addr)); got != tc.want {
			t.Errorf("Classify(%s) = %v, want %v", tc.addr, got, tc.want)
		}
	}
	if got := Classify(netip.Addr{}); got != Local {
		t.Errorf("Classify(zero) = %v, want local", got)
	}
}

func TestPolicyCheck(t *testing.T) {
	for _, tc := range []struct {
		addr         string
		allowPrivate bool
		refused      bool
	}{
		{"127.0.0.1", false, true},
		{"127.0.0.1", true, true},
		{"::1", true, true},
		{"::ffff:127.0.0.1", true, true},
		{"169.254.169.254", true, true},
		{"fe80::1", true, true},
		{"10.0.0.1", false, true},
		{"10.0.0.1", true, false},
		{"::ffff:192.168.0.1", false, true},
		{"::ffff:192.168.0.1", true, false},
		{"fd00::1", false, true},
		{"fd00::1", true, false},
		{"8.8.8.8", false, false},
		{"2001:db8::1", false, false},
	} {
		err := Policy{AllowPrivate: tc.allowPrivate}.Check(netip.MustParseAddr(tc.addr))
		if (err != nil) != tc.refused {
			t.Errorf("Check(%s, private %t) = %v, want refused %t", tc.addr, tc.allowPrivate, err, tc.refused)
		}
		var ge *Error
		if err != nil && !errors.As(err, &ge) {
			t.Errorf("Check(%s): %T is not an *Error", tc.addr, err)
		}
	}
}

func TestControlWithoutPolicyAllows(t *testing.T) {
	if err := Control(context.Background(), "tcp", "127.0.0.1:110", nil); err != nil {
		t.Fatal(err)
	}
	ctx := Restrict(context.Background(), Policy{})
	if err := Control(ctx, "tcp", "not an address", nil); err == nil {
		t.Fatal("a restricted dial to something that is not an address was allowed")
	}
}

// TestDialer dials a loopback listener: under a policy no connection
// reaches it, and the error says why; without one the dial works.
func TestDialer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var accepted atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	var chained atomic.Int32
	d := Dialer(&net.Dialer{Control: func(string, string, syscall.RawConn) error { chained.Add(1); return nil }})

	ctx := Restrict(context.Background(), Policy{AllowPrivate: true})
	_, err = d.DialContext(ctx, "tcp", ln.Addr().String())
	var ge *Error
	if !errors.As(err, &ge) || ge.Class != Local || ge.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Fatalf("restricted dial to loopback: %v, want a netguard *Error for 127.0.0.1", err)
	}
	var marked interface{ AddressNotAllowed() bool }
	if !errors.As(err, &marked) || !marked.AddressNotAllowed() {
		t.Fatalf("%v does not say AddressNotAllowed", err)
	}
	if chained.Load() != 0 {
		t.Error("the earlier Control ran for a refused address")
	}

	c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	// Read until the listener closes the connection: then it was accepted.
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("read from a connection the listener closed")
	}
	c.Close()
	ln.Close()
	<-done
	if n := accepted.Load(); n != 1 {
		t.Errorf("%d connections accepted, want 1 (the unrestricted one)", n)
	}
	if chained.Load() != 1 {
		t.Errorf("the earlier Control ran %d times, want 1", chained.Load())
	}
}
