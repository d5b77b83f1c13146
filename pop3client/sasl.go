package pop3client

import (
	"errors"
	"strconv"
)

// Mechanism is a SASL mechanism for the AUTH command (RFC 5034). Start is
// called at the beginning of every attempt, so a mechanism can be retried.
type Mechanism interface {
	// Name is the mechanism name, e.g. "PLAIN".
	Name() string
	// Start returns the initial response. A nil slice means the mechanism
	// has none; an empty non-nil slice is an empty initial response.
	Start() (ir []byte, err error)
	// Next answers a server challenge.
	Next(challenge []byte) (response []byte, err error)
}

// ErrUnexpectedChallenge is returned by a mechanism that was not expecting
// (another) challenge; the client then cancels the exchange with "*".
var ErrUnexpectedChallenge = errors.New("unexpected SASL challenge")

// PlainAuth is SASL PLAIN (RFC 4616) with an empty authorization identity.
func PlainAuth(username, password string) Mechanism {
	return &plainMech{user: username, pass: password}
}

type plainMech struct{ user, pass string }

func (m *plainMech) Name() string { return "PLAIN" }
func (m *plainMech) Start() ([]byte, error) {
	return []byte("\x00" + m.user + "\x00" + m.pass), nil
}
func (m *plainMech) Next([]byte) ([]byte, error) { return nil, ErrUnexpectedChallenge }

// LoginAuth is the widely deployed, never standardised LOGIN mechanism: the
// server asks for the user name and then the password. The challenges'
// text ("Username:", "Password:") varies between servers, so only their
// order is relied upon.
func LoginAuth(username, password string) Mechanism {
	return &loginMech{user: username, pass: password}
}

type loginMech struct {
	user, pass string
	step       int
}

func (m *loginMech) Name() string { return "LOGIN" }
func (m *loginMech) Start() ([]byte, error) {
	m.step = 0
	return nil, nil
}
func (m *loginMech) Next([]byte) ([]byte, error) {
	m.step++
	switch m.step {
	case 1:
		return []byte(m.user), nil
	case 2:
		return []byte(m.pass), nil
	}
	return nil, ErrUnexpectedChallenge
}

// XOAuth2Auth is Google's and Microsoft's XOAUTH2 mechanism with a bearer
// token the caller obtained. On failure the server sends a JSON error as a
// challenge; the client answers it with an empty response, as required.
func XOAuth2Auth(username, token string) Mechanism {
	return &xoauth2Mech{user: username, token: token}
}

type xoauth2Mech struct{ user, token string }

func (m *xoauth2Mech) Name() string { return "XOAUTH2" }
func (m *xoauth2Mech) Start() ([]byte, error) {
	return []byte("user=" + m.user + "\x01auth=Bearer " + m.token + "\x01\x01"), nil
}
func (m *xoauth2Mech) Next([]byte) ([]byte, error) { return []byte{}, nil }

// OAuthBearerAuth is OAUTHBEARER (RFC 7628) with a bearer token the caller
// obtained. host and port may be empty and zero.
func OAuthBearerAuth(username, token, host string, port int) Mechanism {
	return &oauthBearerMech{user: username, token: token, host: host, port: port}
}

type oauthBearerMech struct {
	user, token, host string
	port              int
}

func (m *oauthBearerMech) Name() string { return "OAUTHBEARER" }
func (m *oauthBearerMech) Start() ([]byte, error) {
	// RFC 7628 §3.1: gs2-header "n,a=user," then kvpairs separated by 0x01.
	s := "n,a=" + saslName(m.user) + ",\x01"
	if m.host != "" {
		s += "host=" + m.host + "\x01"
	}
	if m.port > 0 {
		s += "port=" + strconv.Itoa(m.port) + "\x01"
	}
	s += "auth=Bearer " + m.token + "\x01\x01"
	return []byte(s), nil
}

// Next answers the server's error challenge with the dummy "\x01" response
// (RFC 7628 §3.2.3), after which the server fails the exchange.
func (m *oauthBearerMech) Next([]byte) ([]byte, error) { return []byte{0x01}, nil }

// saslName escapes "," and "=" in an authzid (RFC 5801 §4).
func saslName(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ',':
			out = append(out, "=2C"...)
		case '=':
			out = append(out, "=3D"...)
		default:
			out = append(out, s[i])
		}
	}
	return string(out)
}
