package popa3dtest_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/popa3dtest"
)

// session sends commands and returns every line the server answered.
func session(t *testing.T, addr string, cmds ...string) []string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	for _, cmd := range cmds {
		fmt.Fprintf(c, "%s\r\n", cmd)
	}
	var out []string
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			break
		}
		out = append(out, strings.TrimRight(line, "\r\n"))
	}
	return out
}

func TestSession(t *testing.T) {
	srv := popa3dtest.Start(t)
	msgs := [][]byte{
		[]byte("Subject: one\r\n\r\nbody one\r\n.dotted\r\n"),
		[]byte("Message-ID: <2@example.org>\r\nSubject: two\r\n\r\nbody two\r\n"),
		[]byte("Subject: three\r\n\r\nbody 3\r\n"),
	}
	if err := srv.AddMessages(msgs); err != nil {
		t.Fatal(err)
	}
	if got := session(t, srv.Addr, "USER alice", "PASS wrong"); len(got) != 3 || !strings.HasPrefix(got[2], "-ERR") {
		t.Fatalf("wrong password: %q", got)
	}
	got := session(t, srv.Addr, "USER alice", "PASS secret", "CAPA", "LIST", "UIDL", "RETR 1", "DELE 2", "QUIT")
	text := strings.Join(got, "\n")
	for _, want := range []string{"-ERR", fmt.Sprintf("1 %d", len(msgs[0])), fmt.Sprintf("3 %d", len(msgs[2])), "..dotted"} {
		if !strings.Contains(text, want) {
			t.Errorf("session lacks %q:\n%s", want, text)
		}
	}
	// Messages 1 and 3 lack the headers popa3d's UIDL hashes: same UIDL.
	var uidls []string
	for _, l := range got {
		if f := strings.Fields(l); len(f) == 2 && len(f[1]) == 16 {
			uidls = append(uidls, f[1])
		}
	}
	if len(uidls) != 3 || uidls[0] != uidls[2] || uidls[0] == uidls[1] {
		t.Errorf("UIDLs %q", uidls)
	}
	left, err := srv.Messages()
	if err != nil || len(left) != 2 || !bytes.Equal(left[0], msgs[0]) || !bytes.Equal(left[1], msgs[2]) {
		t.Fatalf("left %q, %v\nlog: %s", left, err, srv.Log())
	}
}
