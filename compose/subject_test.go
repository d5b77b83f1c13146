package compose

import "testing"

func TestReplySubject(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Hello", "Re: Hello"},
		{"Re: Hello", "Re: Hello"},
		{"Re: Re: Hello", "Re: Hello"},
		{"RE: re: Re:Hello", "Re: Hello"},
		{"AW: Hello", "Re: Hello"},
		{"Aw: RE: SV: Hello", "Re: Hello"},
		{"Antw: Odp: Vs: Hello", "Re: Hello"},
		{"Re[2]: Hello", "Re: Hello"},
		{"Re(3): Hello", "Re: Hello"},
		{"RE [2]: Hello", "Re: Hello"}, // the count after a space, as threading reads it
		{"RE : Bonjour", "Re: Bonjour"},
		{"Réf. : Bonjour", "Re: Bonjour"},
		{"Ref: Bonjour", "Re: Bonjour"},
		{"RIF: Ciao", "Re: Ciao"},
		{"RES: Olá", "Re: Olá"},
		{"Re：全角", "Re: 全角"},
		{"  Re:   spaced   out  ", "Re: spaced out"},
		{"Fwd: Hello", "Re: Fwd: Hello"},
		{"Re: Fwd: Re: Hello", "Re: Fwd: Re: Hello"},
		{"Re: [list] Re: Hello", "Re: [list] Re: Hello"},
		{"Regarding: Hello", "Re: Regarding: Hello"},
		{"Reunion", "Re: Reunion"},
		{"Re Hello", "Re: Re Hello"},
		{"Re[x]: Hello", "Re: Re[x]: Hello"},
		{"R: Ciao", "Re: R: Ciao"},
		{"", "Re:"},
		{"Re:", "Re:"},
	}
	for _, c := range cases {
		if got := ReplySubject(c.in); got != c.want {
			t.Errorf("ReplySubject(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestForwardSubject(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Hello", "Fwd: Hello"},
		{"Fwd: Hello", "Fwd: Hello"},
		{"Fwd: FW: Fw: Hello", "Fwd: Hello"},
		{"WG: Hallo", "Fwd: Hallo"},
		{"RV: Hola", "Fwd: Hola"},
		{"TR : Bonjour", "Fwd: Bonjour"},
		{"ENC: Olá", "Fwd: Olá"},
		{"Re: Hello", "Fwd: Re: Hello"},
		{"Fwd: Re: Fwd: Hello", "Fwd: Re: Fwd: Hello"},
	}
	for _, c := range cases {
		if got := ForwardSubject(c.in); got != c.want {
			t.Errorf("ForwardSubject(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
