package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/handlers"
	"github.com/apartado/apartado/internal/secret"
)

// household is one data folder driven two ways: by the command line
// (runCmd with APARTADO_DATA) and by the web interface (the real handler
// over the same database, signed in as an administrator).
type household struct {
	t    *testing.T
	env  map[string]string
	db   *db.DB
	web  *http.Client
	base string
}

func newHousehold(t *testing.T) *household {
	t.Helper()
	data := t.TempDir()
	env := map[string]string{"APARTADO_DATA": data}
	if _, err := runCmd(t, env, "household-secret\n", "user", "add", "root", "--admin"); err != nil {
		t.Fatalf("user add root: %v", err)
	}
	store, err := db.Open(context.Background(), filepath.Join(data, "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	key, _, err := secret.LoadOrCreate(filepath.Join(data, "secret.key"))
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(handlers.New(handlers.Config{DB: store, Key: key}))
	t.Cleanup(srv.Close)
	jar, _ := cookiejar.New(nil)
	h := &household{t: t, env: env, db: store, base: srv.URL,
		web: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if code, _ := h.post("/login", url.Values{"name": {"root"}, "password": {"household-secret"}}); code != http.StatusSeeOther {
		t.Fatalf("signing in: %d", code)
	}
	return h
}

// post sends a form and returns the status and the body.
func (h *household) post(path string, form url.Values) (int, string) {
	h.t.Helper()
	resp, err := h.web.PostForm(h.base+path, form)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// webFieldErrors lists the form fields the page marks as wrong, by the
// data-testid="error-FIELD" the form helpers give them.
func webFieldErrors(body string) []string {
	var out []string
	for _, part := range strings.Split(body, `data-testid="error-`)[1:] {
		if i := strings.IndexByte(part, '"'); i > 0 {
			out = append(out, part[:i])
		}
	}
	return out
}

// TestUserRulesAgree creates the same users from the command line and from
// the administrator's page: both accept the same names and passwords and
// refuse the same ones, for the same field.
func TestUserRulesAgree(t *testing.T) {
	for _, tc := range []struct {
		name, password string
		bad            string // "" for accepted, else the field: "name" or "password"
	}{
		{"ana maria", "correct horse", ""},
		{"José Ñúñez", "correct horse", ""},
		{"山田", "correct horse", ""},
		{"o'brien", "correct horse", ""},
		{strings.Repeat("a", 64), "correct horse", ""},
		{strings.Repeat("a", 65), "correct horse", "name"},
		{"tab\tname", "correct horse", "name"},
		{"ana", "short", "password"},
		{"ana", strings.Repeat("x", 1025), "password"},
		{"ROOT", "correct horse", "name"}, // taken, whatever the case
	} {
		t.Run(tc.name+"/"+tc.password[:3], func(t *testing.T) {
			cli, web := newHousehold(t), newHousehold(t)
			_, cliErr := runCmd(t, cli.env, tc.password+"\n", "user", "add", tc.name)
			code, body := web.post("/admin/users", url.Values{"name": {tc.name}, "password": {tc.password}, "role": {"member"}})
			webOK := code == http.StatusSeeOther
			if (cliErr == nil) != (tc.bad == "") || webOK != (tc.bad == "") {
				t.Fatalf("command line: %v; web: %d %v; want bad=%q", cliErr, code, webFieldErrors(body), tc.bad)
			}
			if tc.bad == "" {
				for _, h := range []*household{cli, web} {
					if _, err := h.db.UserByName(context.Background(), tc.name); err != nil {
						t.Errorf("not stored: %v", err)
					}
				}
				return
			}
			cliField := map[string]string{"name": "NAME", "password": "password"}[tc.bad]
			if !strings.HasPrefix(cliErr.Error(), cliField+": ") {
				t.Errorf("command line blamed %q, want %s", cliErr, cliField)
			}
			if fields := webFieldErrors(body); len(fields) != 1 || fields[0] != "new-"+tc.bad {
				t.Errorf("web marked %v, want new-%s", fields, tc.bad)
			}
		})
	}
}
