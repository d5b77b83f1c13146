// Package netguard decides which addresses a connection made on a user's
// behalf may reach. A request marks its context with a Policy (Restrict);
// every dialer built with Dialer checks the address it is really
// connecting to, after name resolution, so a name that resolves to another
// address later cannot get around a check made earlier. Without a Policy in
// the context nothing is refused. It resolves no names and opens no
// connections itself.
package netguard

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
)

// Class is where an address leads, as far as the policy cares.
type Class int

// The classes of addresses.
const (
	// Public is any other address: a server on the Internet.
	Public Class = iota
	// Private is the local network around the computer Apartado runs on:
	// 10/8, 172.16/12, 192.168/16, 100.64/10 (carrier-grade NAT),
	// fc00::/7 and the old site-local fec0::/10.
	Private
	// Local is the computer itself or the link it sits on: loopback,
	// link-local, unspecified, multicast and broadcast addresses, 0/8, and
	// the IPv4-compatible IPv6 block ::/96.
	Local
)

func (c Class) String() string {
	switch c {
	case Private:
		return "private"
	case Local:
		return "local"
	}
	return "public"
}

var (
	cgnat     = netip.MustParsePrefix("100.64.0.0/10")
	siteLocal = netip.MustParsePrefix("fec0::/10")
	thisNet   = netip.MustParsePrefix("0.0.0.0/8")
	v4compat  = netip.MustParsePrefix("::/96")
	broadcast = netip.MustParseAddr("255.255.255.255")
)

// Classify says where addr leads. An IPv4-mapped IPv6 address
// (::ffff:127.0.0.1) is classified as the IPv4 address it carries.
func Classify(addr netip.Addr) Class {
	addr = addr.Unmap()
	switch {
	case !addr.IsValid():
		return Local
	case addr.IsLoopback(), addr.IsLinkLocalUnicast(), addr.IsUnspecified(), addr.IsMulticast(),
		addr.IsLinkLocalMulticast(), addr.IsInterfaceLocalMulticast(),
		addr == broadcast, thisNet.Contains(addr), v4compat.Contains(addr):
		return Local
	case addr.IsPrivate(), cgnat.Contains(addr), siteLocal.Contains(addr.WithZone("")):
		return Private
	}
	return Public
}

// Policy is what a restricted user may connect to: never Local addresses,
// Private ones only when AllowPrivate is set, Public ones always.
type Policy struct {
	AllowPrivate bool
}

// Check returns an *Error if p does not allow connecting to addr.
func (p Policy) Check(addr netip.Addr) error {
	switch c := Classify(addr); {
	case c == Local, c == Private && !p.AllowPrivate:
		return &Error{Addr: addr.Unmap(), Class: c}
	}
	return nil
}

// Error is a connection the policy refused.
type Error struct {
	Addr  netip.Addr
	Class Class
}

func (e *Error) Error() string {
	where := "the local network"
	if e.Class == Local {
		where = "this computer"
	}
	return fmt.Sprintf("netguard: %s is on %s: not allowed for this user", e.Addr, where)
}

// AddressNotAllowed marks the error as a refusal by policy, for packages
// that recognize it without importing this one (pop3client).
func (e *Error) AddressNotAllowed() bool { return true }

type policyKey struct{}

// Restrict returns a context under which every connection through a
// Dialer must satisfy p.
func Restrict(ctx context.Context, p Policy) context.Context {
	return context.WithValue(ctx, policyKey{}, p)
}

// PolicyFrom returns the context's policy, if it has one.
func PolicyFrom(ctx context.Context) (Policy, bool) {
	p, ok := ctx.Value(policyKey{}).(Policy)
	return p, ok
}

// Control is a net.Dialer ControlContext: it refuses the connection when
// ctx carries a Policy that does not allow the address being connected to.
func Control(ctx context.Context, network, address string, _ syscall.RawConn) error {
	p, ok := PolicyFrom(ctx)
	if !ok {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("netguard: %s %q is not an address and port: %w", network, address, err)
	}
	return p.Check(ap.Addr())
}

// Dialer returns a copy of d (a zero Dialer when nil) that checks every
// address against the context's policy, after any ControlContext or
// Control d already had.
func Dialer(d *net.Dialer) *net.Dialer {
	var out net.Dialer
	if d != nil {
		out = *d
	}
	prevCtx, prev := out.ControlContext, out.Control
	out.Control = nil
	out.ControlContext = func(ctx context.Context, network, address string, c syscall.RawConn) error {
		if err := Control(ctx, network, address, c); err != nil {
			return err
		}
		switch {
		case prevCtx != nil:
			return prevCtx(ctx, network, address, c)
		case prev != nil:
			return prev(network, address, c)
		}
		return nil
	}
	return &out
}
