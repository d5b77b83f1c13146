package compose

import (
	"slices"
	"strings"
	"testing"
)

func addrs(list ...string) []Address {
	var out []Address
	for _, a := range list {
		name, addr, ok := strings.Cut(a, "|")
		if !ok {
			name, addr = "", a
		}
		out = append(out, Address{Name: name, Addr: addr})
	}
	return out
}

func TestReplyRecipients(t *testing.T) {
	own := []string{"Me@Example.com", "old@isp.example"}
	cases := []struct {
		name      string
		orig      Original
		reply     []Address
		all, allC []Address
	}{
		{
			name:  "from someone, to me and others",
			orig:  Original{From: addrs("Ana|ana@x.org"), To: addrs("me@example.com", "bob@x.org"), Cc: addrs("carol@x.org", "BOB@x.org", "old@ISP.example")},
			reply: addrs("Ana|ana@x.org"),
			all:   addrs("Ana|ana@x.org"), allC: addrs("bob@x.org", "carol@x.org"),
		},
		{
			name:  "reply-to wins over from",
			orig:  Original{From: addrs("ana@x.org"), ReplyTo: addrs("List|list@x.org"), To: addrs("list@x.org", "me@example.com")},
			reply: addrs("List|list@x.org"),
			all:   addrs("List|list@x.org"), allC: nil,
		},
		{
			name:  "from is also in cc",
			orig:  Original{From: addrs("ana@x.org"), To: addrs("me@example.com"), Cc: addrs("Ana Again|ANA@x.org", "dan@x.org")},
			reply: addrs("ana@x.org"),
			all:   addrs("Ana Again|ana@x.org"), allC: addrs("dan@x.org"),
		},
		{
			name:  "my own sent message",
			orig:  Original{From: addrs("Me|me@example.com"), To: addrs("ana@x.org", "me@example.com"), Cc: addrs("bob@x.org")},
			reply: addrs("ana@x.org"),
			all:   addrs("ana@x.org"), allC: addrs("bob@x.org"),
		},
		{
			name:  "a note to myself",
			orig:  Original{From: addrs("me@example.com"), To: addrs("old@isp.example")},
			reply: addrs("me@example.com"),
			all:   addrs("me@example.com"), allC: nil,
		},
		{
			name:  "reply-to is me: all goes to the others",
			orig:  Original{From: addrs("ana@x.org"), ReplyTo: addrs("me@example.com"), Cc: addrs("bob@x.org")},
			reply: addrs("me@example.com"),
			all:   addrs("bob@x.org"), allC: nil,
		},
	}
	for _, c := range cases {
		if got := ReplyRecipients(c.orig, own); !slices.Equal(got, c.reply) {
			t.Errorf("%s: reply = %v, want %v", c.name, got, c.reply)
		}
		to, cc := ReplyAllRecipients(c.orig, own)
		if !slices.Equal(to, c.all) || !slices.Equal(cc, c.allC) {
			t.Errorf("%s: reply all = %v / %v, want %v / %v", c.name, to, cc, c.all, c.allC)
		}
	}
}

func TestAttribution(t *testing.T) {
	cases := []struct {
		pattern, date string
		from          Address
		want          string
	}{
		{"On %[1]s, %[2]s wrote:", "4 Mar 2026, 15:06", Address{"Ana Pérez", "ana@x.org"}, "On 4 Mar 2026, 15:06, Ana Pérez wrote:"},
		{"El %[1]s, %[2]s escribió:", "4 mar 2026", Address{"", "ana@x.org"}, "El 4 mar 2026, ana@x.org escribió:"},
		{"%[2]s wrote on %[1]s:", "today", Address{"Evil\r\nBcc: x", "e@x.org"}, "Evil Bcc: x wrote on today:"},
	}
	for _, c := range cases {
		if got := Attribution(c.pattern, c.date, c.from); got != c.want {
			t.Errorf("Attribution = %q, want %q", got, c.want)
		}
	}
}

func TestQuoteForReply(t *testing.T) {
	got := QuoteForReply("Hi,\r\n\r\nsee below.\n> earlier\n>> older\n\n\n", "On Tuesday, Ana wrote:")
	want := "On Tuesday, Ana wrote:\n> Hi,\n>\n> see below.\n>> earlier\n>>> older\n"
	if got != want {
		t.Errorf("QuoteForReply = %q, want %q", got, want)
	}
	if got := QuoteForReply("x", ""); got != "> x\n" {
		t.Errorf("without attribution: %q", got)
	}

	// Quoted as format=flowed quotes: a reply's text goes out with the
	// quote depth each line had, long lines wrapped within their depth.
	long := strings.Repeat("quoted words ", 20)
	d := baseDraft()
	d.Text = "My answer.\n\n" + QuoteForReply("A first line.\n"+long+"\n> "+long, "Ana wrote:")
	s := write(t, d, Options{})
	if got, want := decodeFlowed(s.parts[0].body), canonicalText(d.Text); got != want {
		t.Errorf("round trip:\n got %q\nwant %q", got, want)
	}
	for _, l := range strings.Split(s.parts[0].body, "\r\n") {
		if len(l) > flowWidth {
			t.Errorf("line of %d: %q", len(l), l)
		}
	}
	if !strings.Contains(s.parts[0].body, "\r\n>> quoted words") {
		t.Errorf("second-level quote not written as >>:\n%s", s.parts[0].body)
	}
}

func TestForwardedText(t *testing.T) {
	got := ForwardedText("-------- Mensaje reenviado --------", []Field{
		{"Asunto", "Año nuevo"},
		{"Fecha", "4 mar 2026"},
		{"De", "Carol <carol@x.org>\r\nBcc: evil"},
		{"Cc", ""},
	}, "Feliz año\r\n\r\n")
	want := "-------- Mensaje reenviado --------\nAsunto: Año nuevo\nFecha: 4 mar 2026\nDe: Carol <carol@x.org> Bcc: evil\n\nFeliz año\n"
	if got != want {
		t.Errorf("ForwardedText = %q, want %q", got, want)
	}
}
