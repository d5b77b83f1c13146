package dnstest

import (
	"context"
	"errors"
	"net"
	"testing"
)

func TestServer(t *testing.T) {
	s := Start(t, map[string]string{"pop.example.test": "127.0.0.1"})
	r := s.Resolver()
	addrs, err := r.LookupIPAddr(context.Background(), "POP.example.test")
	if err != nil || len(addrs) != 1 || !addrs[0].IP.Equal(net.IPv4(127, 0, 0, 1)) {
		t.Fatalf("lookup: %v %v", addrs, err)
	}
	_, err = r.LookupIPAddr(context.Background(), "pop.exmaple.test")
	var dnsErr *net.DNSError
	if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
		t.Fatalf("unknown name: %v", err)
	}
	s.Set("mail.example.test", "127.0.0.2")
	if addrs, err := r.LookupIPAddr(context.Background(), "mail.example.test"); err != nil || !addrs[0].IP.Equal(net.IPv4(127, 0, 0, 2)) {
		t.Fatalf("after Set: %v %v", addrs, err)
	}
	s.SetSRV("_pop3s._tcp.example.test", "pop.example.test", 1995)
	_, srvs, err := r.LookupSRV(context.Background(), "pop3s", "tcp", "example.test")
	if err != nil || len(srvs) != 1 || srvs[0].Target != "pop.example.test." || srvs[0].Port != 1995 {
		t.Fatalf("SRV: %v %v", srvs, err)
	}
}
