package oauthtest

import (
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// browser returns an HTTP client with a cookie jar that follows redirects
// within the provider's own pages and stops at the first redirect
// elsewhere (to the client's redirect URI), returning that response.
func (p *Provider) browser() *http.Client {
	jar, _ := cookiejar.New(nil)
	issuer, _ := url.Parse(p.Issuer)
	return &http.Client{
		Jar:     jar,
		Timeout: 30 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("too many redirects")
			}
			own := req.URL.Host == issuer.Host &&
				(req.URL.Path == loginPath || strings.HasPrefix(req.URL.Path, "/authorize"))
			if !own {
				return http.ErrUseLastResponse
			}
			return nil
		},
	}
}

var (
	hiddenIDRe = regexp.MustCompile(`name="authRequestID" value="([^"]*)"`)
	errorRe    = regexp.MustCompile(`(?s)<p id="error"[^>]*>(.*?)</p>`)
)

// pageError returns the text of a page's #error paragraph, or a summary
// of the response.
func pageError(resp *http.Response, body []byte) string {
	if m := errorRe.FindSubmatch(body); m != nil {
		return html.UnescapeString(string(m[1]))
	}
	return fmt.Sprintf("%s: %.200s", resp.Status, strings.TrimSpace(string(body)))
}

// SignIn does what a person does in the browser for the authorization
// code flow, over HTTP with a cookie jar: it opens authURL (as built by
// oauth2.Config.AuthCodeURL), fills the provider's login form with user and
// password and submits it, and returns the redirect to the client's
// redirect URI (redirect_uri?code=...&state=...) without following it.
//
// If the provider redirects back with an error (e.g. error=invalid_request
// for a missing PKCE challenge), SignIn returns that URL and an error
// naming it. If it refuses the request outright (an unregistered redirect
// URI, an unknown client) or the password, the URL is nil.
func (p *Provider) SignIn(ctx context.Context, authURL, user, password string) (redirect *url.URL, err error) {
	c := p.browser()
	resp, body, err := get(ctx, c, authURL)
	if err != nil {
		return nil, err
	}
	if u, done, err := redirectResult(resp); done {
		return u, err
	}
	m := hiddenIDRe.FindSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		return nil, fmt.Errorf("oauthtest: the authorization request was refused: %s", pageError(resp, body))
	}
	form := url.Values{
		"authRequestID": {html.UnescapeString(string(m[1]))},
		"username":      {user},
		"password":      {password},
	}
	resp, body, err = post(ctx, c, p.LoginURL, form)
	if err != nil {
		return nil, err
	}
	if u, done, err := redirectResult(resp); done {
		return u, err
	}
	return nil, fmt.Errorf("oauthtest: sign-in as %q refused: %s", user, pageError(resp, body))
}

// redirectResult reports whether resp is the redirect to the client, and
// its target, with an error if it carries an OAuth error.
func redirectResult(resp *http.Response) (*url.URL, bool, error) {
	if resp.StatusCode < 300 || resp.StatusCode > 399 {
		return nil, false, nil
	}
	u, err := resp.Location()
	if err != nil {
		return nil, true, fmt.Errorf("oauthtest: redirect without a usable Location: %w", err)
	}
	if e := u.Query().Get("error"); e != "" {
		return u, true, fmt.Errorf("oauthtest: the provider redirected with error %s: %s", e, u.Query().Get("error_description"))
	}
	return u, true, nil
}

// ApproveDevice does what a person does on their phone for the device
// grant: it opens the verification page for userCode, signs in as user
// with password and allows the device. The device's next poll gets tokens.
func (p *Provider) ApproveDevice(ctx context.Context, userCode, user, password string) error {
	return p.decide(ctx, userCode, user, password, "allow")
}

// DenyDevice is ApproveDevice pressing "Deny": the device's next poll gets
// access_denied.
func (p *Provider) DenyDevice(ctx context.Context, userCode, user, password string) error {
	return p.decide(ctx, userCode, user, password, "deny")
}

func (p *Provider) decide(ctx context.Context, userCode, user, password, action string) error {
	c := p.browser()
	page := p.DeviceVerificationURL + "?user_code=" + url.QueryEscape(userCode)
	resp, body, err := get(ctx, c, page)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="user_code"`) {
		return fmt.Errorf("oauthtest: device page: %s", pageError(resp, body))
	}
	form := url.Values{"user_code": {userCode}, "username": {user}, "password": {password}, "action": {action}}
	resp, body, err = post(ctx, c, p.DeviceVerificationURL, form)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `id="done"`) {
		return fmt.Errorf("oauthtest: device %s as %q refused: %s", action, user, pageError(resp, body))
	}
	return nil
}

func get(ctx context.Context, c *http.Client, u string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, nil, err
	}
	return do(c, req)
}

func post(ctx context.Context, c *http.Client, u string, form url.Values) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(c, req)
}

func do(c *http.Client, req *http.Request) (*http.Response, []byte, error) {
	resp, err := c.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("oauthtest: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, nil, fmt.Errorf("oauthtest: reading %s: %w", req.URL, err)
	}
	return resp, body, nil
}
