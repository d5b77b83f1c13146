package message

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestReferences(t *testing.T) {
	var long strings.Builder
	for i := range 300 {
		fmt.Fprintf(&long, " <m%d@example.org>", i)
	}
	var wantLong []string
	wantLong = append(wantLong, "parent@example.org", "m0@example.org")
	for i := 300 - (MaxReferences - 2); i < 300; i++ {
		wantLong = append(wantLong, fmt.Sprintf("m%d@example.org", i))
	}
	for _, tc := range []struct {
		name, header string
		want         []string
	}{
		{"none", "Subject: x\r\n", nil},
		{"in-reply-to and references", "In-Reply-To: <b@x>\r\nReferences: <a@x> <b@x>\r\n", []string{"b@x", "a@x"}},
		{"folded", "References: <a@x>\r\n <b@\r\n x>\r\n", []string{"a@x", "b@x"}},
		{"missing brackets", "In-Reply-To: b@x\r\nReferences: a@x b@x\r\n", []string{"b@x", "a@x"}},
		{"a comment and a phrase", "In-Reply-To: Ana's message of Monday <c@x> (sent from a phone)\r\n", []string{"c@x"}},
		{"garbage", "References: ((( ]]] <<< >>> \x00\r\nIn-Reply-To: hello there\r\n", nil},
		{"unclosed", "References: <a@x> <b@x\r\n", []string{"a@x"}},
		{"nested opening", "References: <a@x <b@x>\r\n", []string{"b@x"}},
		{"empty brackets", "References: <> <  > <a@x>\r\n", []string{"a@x"}},
		{"too long", "References: <" + strings.Repeat("a", 300) + "@x> <ok@x>\r\n", []string{"ok@x"}},
		{"hundreds: the root and the last", "In-Reply-To: <parent@example.org>\r\nReferences:" + long.String() + "\r\n", wantLong},
	} {
		raw := []byte("From: a@example.com\r\n" + tc.header + "\r\nbody\r\n")
		got := References(raw)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: References = %q, want %q", tc.name, got, tc.want)
		}
		if s := Summarize(raw); !slices.Equal(s.References, tc.want) {
			t.Errorf("%s: Summary.References = %q, want %q", tc.name, s.References, tc.want)
		}
		if len(got) > MaxReferences {
			t.Errorf("%s: %d references kept", tc.name, len(got))
		}
	}
	if got := References(nil); got != nil {
		t.Errorf("References(nil) = %q", got)
	}
}

func TestThreadSubject(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Dinner on Friday", "dinner on friday"},
		{"Re: Dinner on Friday", "dinner on friday"},
		{"RE: re:  Dinner   on Friday", "dinner on friday"},
		{"Fwd: Re: Dinner on Friday", "dinner on friday"},
		{"FW: Dinner on Friday", "dinner on friday"},
		{"AW: WG: Dinner on Friday", "dinner on friday"},
		{"SV: VS: Dinner on Friday", "dinner on friday"},
		{"RV: Dinner on Friday", "dinner on friday"},
		{"Rif: R: Dinner on Friday", "dinner on friday"},
		{"Re[2]: Dinner on Friday", "dinner on friday"},
		{"Re (3) : Dinner on Friday", "dinner on friday"},
		{"RE : Dinner on Friday", "dinner on friday"},
		{"Re：Dinner on Friday", "dinner on friday"},
		{"[club] Re: Dinner on Friday", "[club] dinner on friday"},
		{"[club] Dinner on Friday", "[club] dinner on friday"},
		{"Regarding: the roof", "regarding: the roof"},
		{"Re:", ""},
		{"  ", ""},
		{"Re: Re[x]: odd", "re[x]: odd"},
		{"Canción: Re: letra", "canción: re: letra"},
	} {
		if got := ThreadSubject(tc.in); got != tc.want {
			t.Errorf("ThreadSubject(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzReferences(f *testing.F) {
	f.Add([]byte("References: <a@x> <b@x>\r\nIn-Reply-To: <b@x>\r\n\r\n"))
	f.Add([]byte("References: a@x <b\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		refs := References(raw)
		if len(refs) > MaxReferences {
			t.Fatalf("%d references", len(refs))
		}
		for _, r := range refs {
			if r == "" || len(r) > maxReferenceLen || strings.ContainsAny(r, "<> \t\r\n") {
				t.Fatalf("reference %q", r)
			}
		}
		_ = ThreadSubject(string(raw))
	})
}

func TestAnswersSubject(t *testing.T) {
	for subject, want := range map[string]bool{
		"Re: la cena":               true,
		"RE : la cena":              true,
		"Fwd: Re: la cena":          true,
		"AW: Einladung":             true,
		"[vecinos] Re: el ascensor": true,
		"la cena":                   false,
		"[vecinos] el ascensor":     false,
		"Recibo de la luz":          false, // "Re" begins a word, not a prefix
		"Re:":                       false, // nothing to answer
		"":                          false,
	} {
		if got := AnswersSubject(subject); got != want {
			t.Errorf("AnswersSubject(%q) = %v, want %v", subject, got, want)
		}
	}
}
