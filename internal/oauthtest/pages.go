package oauthtest

import (
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/zitadel/oidc/v3/pkg/oidc"
)

// Paths of the provider's own pages.
const (
	loginPath  = "/login"
	devicePath = "/device"
)

var pages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{{.}} – Apartado test provider</title></head><body><main>
<h1>{{.}}</h1>{{end}}

{{define "login"}}{{template "head" "Sign in"}}
<p id="request">{{.ClientID}} asks for: <span id="scopes">{{.Scopes}}</span></p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form id="login" method="post" action="` + loginPath + `">
<input type="hidden" id="authRequestID" name="authRequestID" value="{{.ID}}">
<p><label for="username">Username</label>
<input id="username" name="username" autocomplete="username" autofocus value="{{.Username}}"></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button id="submit" type="submit">Sign in</button></p>
</form></main></body></html>{{end}}

{{define "device"}}{{template "head" "Connect a device"}}
<p>Enter the code the device shows, and sign in to let it in.</p>
{{if .Error}}<p id="error" role="alert">{{.Error}}</p>{{end}}
<form id="device" method="post" action="` + devicePath + `">
<p><label for="user_code">Code</label>
<input id="user_code" name="user_code" autocomplete="off" value="{{.UserCode}}"></p>
<p><label for="username">Username</label>
<input id="username" name="username" autocomplete="username" value="{{.Username}}"></p>
<p><label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password"></p>
<p><button id="approve" type="submit" name="action" value="allow">Allow</button>
<button id="deny" type="submit" name="action" value="deny">Deny</button></p>
</form></main></body></html>{{end}}

{{define "device_done"}}{{template "head" "Device connected"}}
<p id="done" data-action="{{.}}">{{if eq . "allow"}}The device is connected. You can return to it now.{{else}}The device was refused.{{end}}</p>
</main></body></html>{{end}}
`))

// render writes a page; a failure to write is the client's problem.
func render(w http.ResponseWriter, status int, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pages.ExecuteTemplate(w, name, data)
}

type loginPage struct {
	ID, ClientID, Scopes, Username, Error string
}

// loginForm shows the sign-in form of the authorization request
// ?authRequestID=.
func (p *Provider) loginForm(w http.ResponseWriter, r *http.Request) {
	p.showLogin(w, http.StatusOK, r.URL.Query().Get("authRequestID"), "", "")
}

func (p *Provider) showLogin(w http.ResponseWriter, status int, id, username, msg string) {
	clientID, scopes, ok := p.store.authRequestInfo(id)
	if !ok {
		status, msg = http.StatusBadRequest, "This sign-in request is unknown or has expired; start again from the application."
	}
	render(w, status, "login", loginPage{ID: id, ClientID: clientID, Scopes: strings.Join(scopes, " "), Username: username, Error: msg})
}

// login checks the form and, when the password is right, continues the
// authorization at the library's callback, which redirects to the client's
// redirect URI with the code. A wrong password shows the form again with
// status 401 and an #error paragraph.
func (p *Provider) login(w http.ResponseWriter, r *http.Request) {
	id, username := r.PostFormValue("authRequestID"), r.PostFormValue("username")
	if err := p.store.signIn(id, username, r.PostFormValue("password")); err != nil {
		p.showLogin(w, http.StatusUnauthorized, id, username, err.Error())
		return
	}
	http.Redirect(w, r, p.Issuer+"/authorize/callback?id="+url.QueryEscape(id), http.StatusFound)
}

type devicePage struct {
	UserCode, Username, Error string
}

// deviceForm shows the device verification form, the code filled in from
// ?user_code= (verification_uri_complete).
func (p *Provider) deviceForm(w http.ResponseWriter, r *http.Request) {
	render(w, http.StatusOK, "device", devicePage{UserCode: r.URL.Query().Get("user_code")})
}

// device approves or denies the device grant of the form's user code once
// the user's password is right.
func (p *Provider) device(w http.ResponseWriter, r *http.Request) {
	code, username, action := r.PostFormValue("user_code"), r.PostFormValue("username"), r.PostFormValue("action")
	if action == "" {
		action = "allow" // a form submitted with Enter
	}
	fail := func(status int, msg string) {
		render(w, status, "device", devicePage{UserCode: code, Username: username, Error: msg})
	}
	if action != "allow" && action != "deny" {
		fail(http.StatusBadRequest, "unknown action")
		return
	}
	if _, err := p.store.checkPassword(username, r.PostFormValue("password")); err != nil {
		fail(http.StatusUnauthorized, err.Error())
		return
	}
	if err := p.store.decideDevice(code, username, action == "allow"); err != nil {
		fail(http.StatusBadRequest, err.Error())
		return
	}
	render(w, http.StatusOK, "device_done", action)
}

// checkAuthorize guards the authorization endpoint with what the library
// leaves out: the redirect URI must be one the client registered, exactly
// (the library lets a native client's loopback URI differ in its port), and
// a public client must send a PKCE S256 challenge (the library would only
// notice the missing challenge at the token endpoint). "plain" PKCE is
// refused for every client. A bad redirect URI is answered with a 400 page,
// never a redirect; a PKCE problem is redirected as invalid_request.
func (p *Provider) checkAuthorize(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil {
			http.Error(w, "invalid_request: "+err.Error(), http.StatusBadRequest)
			return
		}
		q := r.Form
		p.store.mu.Lock()
		c, ok := p.store.clients[q.Get("client_id")]
		p.store.mu.Unlock()
		if !ok {
			http.Error(w, "invalid_request: unknown client_id", http.StatusBadRequest)
			return
		}
		redirect := q.Get("redirect_uri")
		if !slices.Contains(c.redirectURIs, redirect) {
			http.Error(w, "invalid_request: redirect_uri is not registered for this client", http.StatusBadRequest)
			return
		}
		challenge, method := q.Get("code_challenge"), q.Get("code_challenge_method")
		var msg string
		switch {
		case c.public() && challenge == "":
			msg = "PKCE is required: send code_challenge and code_challenge_method=S256"
		case challenge != "" && method != string(oidc.CodeChallengeMethodS256):
			msg = "code_challenge_method must be S256"
		}
		if msg != "" {
			redirectError(w, r, redirect, q.Get("state"), msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// redirectError sends the user back to the client with an
// invalid_request error (RFC 6749 §4.1.2.1).
func redirectError(w http.ResponseWriter, r *http.Request, redirect, state, msg string) {
	u, err := url.Parse(redirect)
	if err != nil {
		http.Error(w, "invalid_request: "+msg, http.StatusBadRequest)
		return
	}
	v := u.Query()
	v.Set("error", "invalid_request")
	v.Set("error_description", msg)
	if state != "" {
		v.Set("state", state)
	}
	u.RawQuery = v.Encode()
	http.Redirect(w, r, u.String(), http.StatusFound)
}
