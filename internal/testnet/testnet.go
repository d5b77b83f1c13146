// Package testnet serves test connections on loopback: one goroutine per
// connection, everything closed and waited for when the test ends. It is
// for tests only.
package testnet

import (
	"net"
	"sync"
	"testing"
)

// Serve listens on 127.0.0.1 and runs serve for each connection (closing
// the connection after it) until the test ends; it returns the address.
// At the end it closes the listener and every open connection, then waits
// for the serve calls to return.
func Serve(t testing.TB, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// Port is the port of a loopback address Serve returned.
func Port(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// ClosedAddr returns a loopback address (127.0.0.1:port) on which nothing
// listens now: for a connection that must be refused, or a server to be
// started there later.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
