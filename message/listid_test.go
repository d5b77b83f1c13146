package message

import "testing"

func TestListID(t *testing.T) {
	for _, tc := range []struct{ raw, want string }{
		{"From: a@example.com\r\nList-Id: Go Nuts\r\n <golang-nuts.googlegroups.com>\r\nSubject: x\r\n\r\nbody\r\n", "Go Nuts <golang-nuts.googlegroups.com>"},
		{"List-ID: =?UTF-8?Q?Canci=C3=B3n?= <cancion.lists.example.org>\r\n\r\n", "Canción <cancion.lists.example.org>"},
		{"From: a@example.com\r\nSubject: no list\r\n\r\nList-Id: <in.the.body>\r\n", ""},
		{"", ""},
	} {
		if got := ListID([]byte(tc.raw)); got != tc.want {
			t.Errorf("ListID(%q) = %q, want %q", tc.raw, got, tc.want)
		}
	}
}
