package smtpclient

import (
	"github.com/emersion/go-sasl"

	"github.com/apartado/apartado/pop3client"
)

// The SASL mechanisms are pop3client's (RFC 4616 PLAIN, LOGIN, XOAUTH2,
// RFC 7628 OAUTHBEARER), adapted to go-smtp's sasl.Client: one
// implementation of each for both protocols.

// PlainAuth is SASL PLAIN with an empty authorization identity.
func PlainAuth(username, password string) sasl.Client {
	return mechanism{pop3client.PlainAuth(username, password)}
}

// LoginAuth is the LOGIN mechanism: user name, then password.
func LoginAuth(username, password string) sasl.Client {
	return mechanism{pop3client.LoginAuth(username, password)}
}

// XOAuth2Auth is XOAUTH2 (Google, Microsoft) with an OAuth 2 bearer token.
func XOAuth2Auth(username, token string) sasl.Client {
	return mechanism{pop3client.XOAuth2Auth(username, token)}
}

// OAuthBearerAuth is OAUTHBEARER (RFC 7628) with an OAuth 2 bearer token;
// host and port may be empty and zero.
func OAuthBearerAuth(username, token, host string, port int) sasl.Client {
	return mechanism{pop3client.OAuthBearerAuth(username, token, host, port)}
}

type mechanism struct{ m pop3client.Mechanism }

func (a mechanism) Start() (string, []byte, error) {
	ir, err := a.m.Start()
	return a.m.Name(), ir, err
}

func (a mechanism) Next(challenge []byte) ([]byte, error) { return a.m.Next(challenge) }
