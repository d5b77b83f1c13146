package pop3client

import "context"

// LoginToken authenticates with an OAuth 2.0 access token instead of a
// password: SASL OAUTHBEARER (RFC 7628) when the server offers it, else
// XOAUTH2 (Google's and Microsoft's). A server that lists neither is tried
// with XOAUTH2 all the same: some list their SASL mechanisms only in part,
// and a refusal says the rest. Like Login, it never tries a second
// mechanism after a rejection.
func (c *Client) LoginToken(ctx context.Context, username, token string) error {
	caps := c.caps
	if caps.Has("UTF8") {
		if err := c.UTF8(ctx); err != nil && KindOf(err) != KindServerError {
			return err
		}
	}
	if caps.HasSASL("OAUTHBEARER") {
		return c.Auth(ctx, OAuthBearerAuth(username, token, c.host, 0))
	}
	return c.Auth(ctx, XOAuth2Auth(username, token))
}
