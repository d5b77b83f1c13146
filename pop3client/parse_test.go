package pop3client

import (
	"strings"
	"testing"
	"time"
)

func TestParseReply(t *testing.T) {
	long := strings.Repeat("x", 2000)
	tests := []struct {
		in     string
		ok     bool
		code   string
		text   string
		reject bool
	}{
		{in: "+OK", ok: true},
		{in: "-ERR"},
		{in: "+OK 2 320", ok: true, text: "2 320"},
		{in: "+ok lower case", ok: true, text: "lower case"},
		{in: "+OK   many   spaces  ", ok: true, text: "many   spaces"},
		{in: "-ERR [AUTH] Invalid credentials", code: "AUTH", text: "Invalid credentials"},
		{in: "-ERR [sys/temp] busy", code: "SYS/TEMP", text: "busy"},
		{in: "-ERR [IN-USE]", code: "IN-USE"},
		{in: "-ERR [unterminated code", text: "[unterminated code"},
		{in: "+OK\tTab", ok: true, text: "Tab"},
		{in: "+OK " + long, ok: true, text: long},
		{in: "+OK\x00\xff", ok: true, text: "\x00\xff"},
		{in: "+OKAY", reject: true},
		{in: "OK", reject: true},
		{in: "", reject: true},
		{in: "* OK IMAP", reject: true},
	}
	for _, tc := range tests {
		r, err := parseReply([]byte(tc.in))
		if tc.reject {
			if err == nil {
				t.Errorf("%q: accepted, want rejected", tc.in)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if r.ok != tc.ok || r.code != tc.code || r.text != tc.text {
			t.Errorf("%q: got %+v, want ok=%v code=%q text=%q", tc.in, r, tc.ok, tc.code, tc.text)
		}
	}
}

func TestParseListing(t *testing.T) {
	lists := []struct {
		in   string
		id   int
		size int64
		bad  bool
	}{
		{in: "1 120", id: 1, size: 120},
		{in: "2    340", id: 2, size: 340},
		{in: "  3\t5 extra words", id: 3, size: 5},
		{in: "4", bad: true},
		{in: "x 5", bad: true},
		{in: "0 5", bad: true},
		{in: "-1 5", bad: true},
		{in: "5 -3", bad: true},
		{in: "99999999999999999999 1", bad: true},
	}
	for _, tc := range lists {
		m, err := parseListLine([]byte(tc.in))
		if tc.bad != (err != nil) || (!tc.bad && (m.ID != tc.id || m.Size != tc.size)) {
			t.Errorf("LIST %q: got %+v, %v", tc.in, m, err)
		}
	}
	uids := []struct {
		in  string
		id  int
		uid string
		bad bool
	}{
		{in: "1 whqtswO00WBw418f9t5JxYwZ", id: 1, uid: "whqtswO00WBw418f9t5JxYwZ"},
		{in: "2   spaced out", id: 2, uid: "spaced out"},
		{in: "3 uid with trailing space  ", id: 3, uid: "uid with trailing space"},
		{in: "4 ñandú\xff", id: 4, uid: "ñandú\xff"},
		{in: "5 " + strings.Repeat("u", 300), id: 5, uid: strings.Repeat("u", 300)},
		{in: "6 ", id: 6, uid: ""},
		{in: "7", id: 7, uid: ""},
		{in: "uid-only", bad: true},
	}
	for _, tc := range uids {
		u, err := parseUIDLine([]byte(tc.in))
		if tc.bad != (err != nil) || (!tc.bad && (u.ID != tc.id || u.UID != tc.uid)) {
			t.Errorf("UIDL %q: got %+v, %v", tc.in, u, err)
		}
	}
}

func TestMarkDuplicates(t *testing.T) {
	u := []UID{{ID: 1, UID: "a"}, {ID: 2, UID: "b"}, {ID: 3, UID: "a"}, {ID: 4, UID: ""}, {ID: 5, UID: "c"}, {ID: 6, UID: "a"}}
	markDuplicates(u)
	want := []bool{true, false, true, false, false, true}
	for i := range u {
		if u[i].Duplicate != want[i] {
			t.Errorf("message %d (%q): Duplicate=%v, want %v", u[i].ID, u[i].UID, u[i].Duplicate, want[i])
		}
	}
}

func TestCapabilities(t *testing.T) {
	caps := Capabilities{}
	for _, l := range []string{"TOP", "user", "SASL PLAIN LOGIN xoauth2", "RESP-CODES", "LOGIN-DELAY 900",
		"PIPELINING", "EXPIRE 30 USER", "UIDL", "IMPLEMENTATION Dovecot (Debian)  ready", "UTF8 USER", ""} {
		parseCapaLine(caps, []byte(l))
	}
	if !caps.Has("USER") || !caps.Has("utf8") || !caps.Pipelining() || caps.Has("STLS") {
		t.Errorf("Has: %v", caps)
	}
	if !caps.HasSASL("XOAUTH2") || !caps.HasSASL("plain") || caps.HasSASL("CRAM-MD5") {
		t.Errorf("SASL: %v", caps.SASL())
	}
	if d, ok := caps.LoginDelay(); !ok || d != 900*time.Second {
		t.Errorf("LoginDelay = %v, %v", d, ok)
	}
	if days, never, ok := caps.Expire(); !ok || never || days != 30 {
		t.Errorf("Expire = %d %v %v", days, never, ok)
	}
	if got := caps.Implementation(); got != "Dovecot (Debian)  ready" {
		t.Errorf("Implementation = %q", got)
	}
	for in, want := range map[string][3]any{"EXPIRE NEVER": {0, true, true}, "EXPIRE 0": {0, false, true}, "EXPIRE USER": {0, false, false}} {
		c := Capabilities{}
		parseCapaLine(c, []byte(in))
		d, n, ok := c.Expire()
		if d != want[0] || n != want[1] || ok != want[2] {
			t.Errorf("%s: Expire = %d %v %v, want %v", in, d, n, ok, want)
		}
	}
	if _, ok := (Capabilities{"LOGIN-DELAY": {"USER"}}).LoginDelay(); ok {
		t.Error("LOGIN-DELAY USER has no number")
	}
}

func FuzzParseReply(f *testing.F) {
	for _, s := range []string{"+OK", "-ERR [AUTH] no", "+OK 1 2", "-ERR [", "+OK [x]y", "-err\t[SYS/TEMP]"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, err := parseReply(line)
		if err == nil && len(r.text) > len(line) {
			t.Fatalf("text longer than the line")
		}
	})
}

func FuzzParseListing(f *testing.F) {
	for _, s := range []string{"1 120", "2   spaced out", "3 ", "x", "4 \xff", "1 2 3"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		if m, err := parseListLine(line); err == nil && (m.ID <= 0 || m.Size < 0) {
			t.Fatalf("LIST %q gave %+v", line, m)
		}
		if u, err := parseUIDLine(line); err == nil && u.ID <= 0 {
			t.Fatalf("UIDL %q gave %+v", line, u)
		}
	})
}

func FuzzParseCapa(f *testing.F) {
	for _, s := range []string{"SASL PLAIN", "EXPIRE NEVER", "LOGIN-DELAY 10 USER", "IMPLEMENTATION", " ", "\x00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		c := Capabilities{}
		parseCapaLine(c, line)
		c.SASL()
		c.LoginDelay()
		c.Expire()
		c.Implementation()
		if d, ok := c.LoginDelay(); ok && d < 0 {
			t.Fatal("negative delay")
		}
	})
}
