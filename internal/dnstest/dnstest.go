// Package dnstest runs a tiny authoritative DNS server on loopback for
// tests: it answers A queries for the names it is given and NXDOMAIN for
// every other name, so that tests see exactly the errors Go's resolver
// reports for real, and no query ever leaves the machine.
package dnstest

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"golang.org/x/net/dns/dnsmessage"
)

// Server is a running DNS server.
type Server struct {
	Addr string // "127.0.0.1:port", UDP

	pc    net.PacketConn
	mu    sync.Mutex
	hosts map[string]net.IP // lower-case FQDN ("pop.example.test.") → IPv4
	srvs  map[string]srv    // "_pop3s._tcp.example.test." → target
	wg    sync.WaitGroup
}

// Start serves hosts (name → IPv4 address) until the test ends.
func Start(tb testing.TB, hosts map[string]string) *Server {
	tb.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	s := &Server{Addr: pc.LocalAddr().String(), pc: pc, hosts: map[string]net.IP{}, srvs: map[string]srv{}}
	for name, ip := range hosts {
		s.Set(name, ip)
	}
	s.wg.Add(1)
	go s.serve()
	tb.Cleanup(func() {
		pc.Close()
		s.wg.Wait()
	})
	return s
}

// Set adds or changes a name.
func (s *Server) Set(name, ip string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hosts[fqdn(name)] = net.ParseIP(ip).To4()
}

type srv struct {
	target string
	port   uint16
}

// SetSRV adds an SRV record, e.g. ("_pop3s._tcp.example.test",
// "pop.example.test", 995); a target of "." says the service is not offered.
func (s *Server) SetSRV(name, target string, port uint16) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.srvs[fqdn(name)] = srv{target: fqdn(target), port: port}
}

func fqdn(name string) string {
	name = strings.ToLower(name)
	if !strings.HasSuffix(name, ".") {
		name += "."
	}
	return name
}

func (s *Server) serve() {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	for {
		n, addr, err := s.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		if resp, ok := s.answer(buf[:n]); ok {
			_, _ = s.pc.WriteTo(resp, addr)
		}
	}
}

func (s *Server) answer(query []byte) ([]byte, bool) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil {
		return nil, false
	}
	q, err := p.Question()
	if err != nil {
		return nil, false
	}
	name := strings.ToLower(q.Name.String())
	s.mu.Lock()
	ip, isHost := s.hosts[name]
	rec, isSRV := s.srvs[name]
	s.mu.Unlock()
	known := isHost || isSRV
	rh := dnsmessage.Header{ID: h.ID, Response: true, Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	if !known {
		rh.RCode = dnsmessage.RCodeNameError
	}
	b := dnsmessage.NewBuilder(nil, rh)
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, false
	}
	if err := b.Question(q); err != nil {
		return nil, false
	}
	if err := b.StartAnswers(); err != nil {
		return nil, false
	}
	if isSRV && q.Type == dnsmessage.TypeSRV {
		target, err := dnsmessage.NewName(rec.target)
		if err != nil {
			return nil, false
		}
		if err := b.SRVResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60},
			dnsmessage.SRVResource{Priority: 0, Weight: 1, Port: rec.port, Target: target}); err != nil {
			return nil, false
		}
	}
	if isHost && q.Type == dnsmessage.TypeA {
		var a [4]byte
		copy(a[:], ip)
		if err := b.AResource(dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.AResource{A: a}); err != nil {
			return nil, false
		}
	}
	out, err := b.Finish()
	return out, err == nil
}

// Resolver returns a Go resolver that asks only this server.
func (s *Server) Resolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", s.Addr)
	}}
}
