package oauth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// TestRefreshErrors: what a token endpoint answers maps to the error the
// rest of Apartado acts on (sign in again, the administrator's to fix, try
// again later).
func TestRefreshErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"revoked", 400, `{"error":"invalid_grant","error_description":"AADSTS70000: revoked"}`, ErrRevoked},
		{"client", 401, `{"error":"invalid_client"}`, ErrClient},
		{"unauthorized client", 400, `{"error":"unauthorized_client"}`, ErrClient},
		{"server error", 503, `busy`, ErrUnavailable},
		{"not OAuth", 200, `<html>portal</html>`, ErrUnavailable},
	}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			if strings.HasPrefix(tt.body, "<") {
				w.Header().Set("Content-Type", "text/html")
			}
			w.WriteHeader(tt.status)
			_, _ = w.Write([]byte(tt.body))
		}))
		_, err := Refresh(context.Background(), Issuer{TokenURL: srv.URL}, Client{ID: "c"}, "r")
		srv.Close()
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// Nobody listening.
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	if _, err := Refresh(context.Background(), Issuer{TokenURL: addr}, Client{ID: "c"}, "r"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("closed: %v", err)
	}
	// No refresh token: only signing in again helps.
	if _, err := Refresh(context.Background(), Issuer{TokenURL: addr}, Client{ID: "c"}, ""); !errors.Is(err, ErrRevoked) {
		t.Errorf("none: %v", err)
	}
}

// TestStartCode: the authorization request carries PKCE (S256), the
// state, the login hint and the issuer's own parameters, and the state
// and verifier differ every time.
func TestStartCode(t *testing.T) {
	is := Issuer{AuthURL: "https://id.example/authorize", TokenURL: "https://id.example/token", Scopes: []string{"a", "b"},
		AuthParams: map[string]string{"access_type": "offline"}}
	a := StartCode(is, Client{ID: "app"}, "https://mail.example/oauth/callback", "ana@example.com")
	b := StartCode(is, Client{ID: "app"}, "https://mail.example/oauth/callback", "")
	if a.State == b.State || a.Verifier == b.Verifier || len(a.Verifier) < 43 {
		t.Fatalf("state or verifier reused or short: %+v %+v", a, b)
	}
	u, err := url.Parse(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	for k, v := range map[string]string{"client_id": "app", "response_type": "code", "state": a.State, "scope": "a b",
		"code_challenge_method": "S256", "login_hint": "ana@example.com", "access_type": "offline",
		"redirect_uri": "https://mail.example/oauth/callback"} {
		if q.Get(k) != v {
			t.Errorf("%s = %q, want %q", k, q.Get(k), v)
		}
	}
	if q.Get("code_challenge") == "" || q.Get("code_challenge") == a.Verifier {
		t.Errorf("challenge %q", q.Get("code_challenge"))
	}
}

func TestLoginOf(t *testing.T) {
	tok := func(claims string) string {
		return "e30." + base64.RawURLEncoding.EncodeToString([]byte(claims)) + ".sig"
	}
	for in, want := range map[string]string{
		tok(`{"email":"ana@outlook.com","preferred_username":"x"}`): "ana@outlook.com",
		tok(`{"preferred_username":"ana@contoso.com"}`):             "ana@contoso.com",
		tok(`not json`): "",
		"garbage":       "",
	} {
		if got := loginOf(in); got != want {
			t.Errorf("loginOf(%q) = %q, want %q", in, got, want)
		}
	}
}
