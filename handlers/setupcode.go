package handlers

import (
	"crypto/rand"
	"crypto/subtle"
	"strings"
	"sync"
)

// The first-run form creates the administrator, and until it is used anyone
// who reaches the port could use it: through an open port, or from a web
// page that rebinds its own DNS name to this address. So the form asks for
// a one-time set-up code that Apartado prints in its log and on the
// terminal where it starts, which only the person who started it sees.

// setupAlphabet has no letters that read alike (0/O, 1/I/L): the code is
// copied by eye from a terminal.
const setupAlphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

// NewSetupCode returns a random set-up code of 15 characters in groups of
// five (about 74 bits), like "K7QMX-4TRWN-B2HZD".
func NewSetupCode() string {
	var b strings.Builder
	for i := range 15 {
		if i > 0 && i%5 == 0 {
			b.WriteByte('-')
		}
		b.WriteByte(setupAlphabet[randIndex(len(setupAlphabet))])
	}
	return b.String()
}

// randIndex is a uniform random number in [0, n), n < 256.
func randIndex(n int) int {
	limit := 256 - 256%n
	var buf [1]byte
	for {
		_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails
		if int(buf[0]) < limit {
			return int(buf[0]) % n
		}
	}
}

// normalizeSetupCode makes a typed code comparable: upper case, without the
// spaces and hyphens people type or leave out.
func normalizeSetupCode(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '-' || r == ' ' || r == '\t':
			return -1
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

// setupCode is the code the first-run form wants. Once the administrator
// exists it is spent and matches nothing.
type setupCode struct {
	mu    sync.Mutex
	code  string // normalized; "" matches nothing
	spent bool
}

func newSetupCodeState(code string) *setupCode {
	if code == "" {
		// No code was given (the program gives one only while no user
		// exists): a random one that nobody was shown, so the form stays
		// shut.
		code = NewSetupCode()
	}
	return &setupCode{code: normalizeSetupCode(code)}
}

// Matches reports, in constant time, whether typed is the code.
func (c *setupCode) Matches(typed string) bool {
	c.mu.Lock()
	code, spent := c.code, c.spent
	c.mu.Unlock()
	t := normalizeSetupCode(typed)
	return !spent && code != "" && subtle.ConstantTimeCompare([]byte(t), []byte(code)) == 1
}

// Spend makes the code match nothing from now on.
func (c *setupCode) Spend() {
	c.mu.Lock()
	c.spent = true
	c.mu.Unlock()
}
