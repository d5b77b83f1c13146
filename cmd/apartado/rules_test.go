package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/net/html"

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

// accountCase is one account, as flags and as the account form's fields.
type accountCase struct {
	name  string
	flags []string   // beyond --user root and the password on stdin
	form  url.Values // beyond force=1
	bad   string     // "" for accepted, else the form field the rules blame
}

// TestAccountRulesAgree adds the same accounts from the command line and
// from the account form (saved without a connection test): both accept and
// refuse the same ones, blaming the same field.
func TestAccountRulesAgree(t *testing.T) {
	base := url.Values{"email": {"ana@example.net"}, "host": {"pop.example.net"}, "port": {"995"}, "security": {"tls"},
		"username": {"ana"}, "password": {"pop secret"}, "retention": {"keep"}, "interval": {"10"}, "when_deleted": {"never"},
		"smtp_security": {"tls"}, "smtp_auth": {"password"}}
	smtpPassword := writeFile(t, "smtp-password", "smtp secret\n")
	with := func(kv ...string) url.Values {
		v := url.Values{}
		for k, vs := range base {
			v[k] = append([]string(nil), vs...)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	baseFlags := []string{"--email", "ana@example.net", "--host", "pop.example.net", "--port", "995", "--security", "tls", "--username", "ana"}
	flags := func(extra ...string) []string { return append(append([]string(nil), baseFlags...), extra...) }
	for _, tc := range []accountCase{
		{"plain", flags(), with(), ""},
		{"every 7 minutes", flags("--interval", "7m"), with("interval", "7"), ""},
		{"every minute", flags("--interval", "1m"), with("interval", "1"), ""},
		{"every day", flags("--interval", "24h"), with("interval", "1440"), ""},
		{"too often", flags("--interval", "30s"), with("interval", "0"), "interval"},
		{"too seldom", flags("--interval", "25h"), with("interval", "1500"), "interval"},
		{"starttls on 110", flags("--security", "starttls", "--port", "110"), with("security", "starttls", "port", "110"), ""},
		{"tls on 110", flags("--port", "110"), with("port", "110"), "port"},
		{"starttls on 995", flags("--security", "starttls"), with("security", "starttls"), "port"},
		{"port out of range", flags("--port", "70000"), with("port", "70000"), "port"},
		{"unknown security", flags("--security", "ssl3"), with("security", "ssl3"), "security"},
		{"not an address", flags("--email", "ana@"), with("email", "ana@"), "email"},
		{"a URL for a host", flags("--host", "pop3://pop.example.net"), with("host", "pop3://pop.example.net"), "host"},
		{"a host with a port", flags("--host", "pop.example.net:995"), with("host", "pop.example.net:995"), "host"},
		{"a long name", flags("--name", strings.Repeat("n", 101)), with("name", strings.Repeat("n", 101)), "name"},
		{"a user name with a line end", flags("--username", "ana\r\nQUIT"), with("username", "ana\r\nQUIT"), "username"},
		{"delete after 30 days", flags("--delete-after-days", "30"), with("after_days_on", "1", "after_days", "30"), ""},
		{"delete after 0 days", flags("--delete-after-days", "-1"), with("after_days_on", "1", "after_days", "0"), "after_days"},
		{"delete after 11 years", flags("--delete-after-days", "4000"), with("after_days_on", "1", "after_days", "4000"), "after_days"},
		{"delete when the trash is emptied", flags("--delete-when-deleted", "trash_emptied"), with("when_deleted", "trash_emptied"), ""},
		{"delete at some other time", flags("--delete-when-deleted", "sometimes"), with("when_deleted", "sometimes"), "when_deleted"},
		{"sends through the provider's server", flags("--smtp-host", "smtp.example.net"), with("smtp_host", "smtp.example.net"), ""},
		{"sends on 587 with STARTTLS", flags("--smtp-host", "smtp.example.net", "--smtp-security", "starttls"),
			with("smtp_host", "smtp.example.net", "smtp_security", "starttls"), ""},
		{"sends through another provider with its password", flags("--smtp-host", "smtp.relay.example", "--smtp-username", "ana-out", "--smtp-password-file", smtpPassword),
			with("smtp_host", "smtp.relay.example", "smtp_username", "ana-out", "smtp_password", "smtp secret"), ""},
		{"another provider, no password", flags("--smtp-host", "smtp.relay.example"), with("smtp_host", "smtp.relay.example"), "smtp_password"},
		{"another provider, no signing in", flags("--smtp-host", "smtp.relay.example", "--smtp-auth", "none"),
			with("smtp_host", "smtp.relay.example", "smtp_auth", "none"), ""},
		{"SSL/TLS on 587", flags("--smtp-host", "smtp.example.net", "--smtp-port", "587"), with("smtp_host", "smtp.example.net", "smtp_port", "587"), "smtp_port"},
		{"STARTTLS on 465", flags("--smtp-host", "smtp.example.net", "--smtp-security", "starttls", "--smtp-port", "465"),
			with("smtp_host", "smtp.example.net", "smtp_security", "starttls", "smtp_port", "465"), "smtp_port"},
		{"port 25", flags("--smtp-host", "smtp.example.net", "--smtp-security", "starttls", "--smtp-port", "25"),
			with("smtp_host", "smtp.example.net", "smtp_security", "starttls", "smtp_port", "25"), ""},
		{"an outgoing URL", flags("--smtp-host", "smtp://smtp.example.net"), with("smtp_host", "smtp://smtp.example.net"), "smtp_host"},
		{"unknown signing in", flags("--smtp-host", "smtp.example.net", "--smtp-auth", "magic"), with("smtp_host", "smtp.example.net", "smtp_auth", "magic"), "smtp_auth"},
		{"a name and a signature", flags("--display-name", "Ana María", "--signature", "Ana\nCalle Mayor 1"),
			with("display_name", "Ana María", "signature", "Ana\nCalle Mayor 1"), ""},
		{"a name on two lines", flags("--display-name", "Ana\nBcc: x@example.org"), with("display_name", "Ana\nBcc: x@example.org"), "display_name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cli, web := newHousehold(t), newHousehold(t)
			_, cliErr := runCmd(t, cli.env, "pop secret\n", append([]string{"account", "add", "--user", "root"}, tc.flags...)...)
			form := tc.form
			form.Set("force", "1")
			code, body := web.post("/settings/accounts/new", form)
			webOK := code == http.StatusSeeOther
			if (cliErr == nil) != (tc.bad == "") || webOK != (tc.bad == "") {
				t.Fatalf("command line: %v; web: %d %v; want bad=%q", cliErr, code, webFieldErrors(body), tc.bad)
			}
			if tc.bad != "" {
				if want := cliFieldName(tc.bad) + ": "; !strings.Contains(cliErr.Error(), want) {
					t.Errorf("command line said %q, want it to blame %s", cliErr, cliFieldName(tc.bad))
				}
				if fields := webFieldErrors(body); len(fields) != 1 || fields[0] != tc.bad {
					t.Errorf("web marked %v, want %s", fields, tc.bad)
				}
				return
			}
			// Both stored the same settings.
			a, b := onlyAccount(t, cli), onlyAccount(t, web)
			a.PasswordSealed, b.PasswordSealed = nil, nil
			if (a.Outgoing.PasswordSealed == nil) != (b.Outgoing.PasswordSealed == nil) {
				t.Errorf("outgoing password: command line %v, web %v", a.Outgoing.PasswordSealed != nil, b.Outgoing.PasswordSealed != nil)
			}
			a.Outgoing.PasswordSealed, b.Outgoing.PasswordSealed = nil, nil
			if ia, ib := onlyIdentity(t, cli), onlyIdentity(t, web); ia != ib {
				t.Errorf("identity: command line %+v, web %+v", ia, ib)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("command line stored %+v\nweb stored          %+v", a, b)
			}
		})
	}
}

// onlyAccount is root's one account's settings.
func onlyAccount(t *testing.T, h *household) db.AccountSettings {
	t.Helper()
	u, err := h.db.UserByName(context.Background(), "root")
	if err != nil {
		t.Fatal(err)
	}
	accs, err := h.db.Accounts(context.Background(), u.ID)
	if err != nil || len(accs) != 1 {
		t.Fatalf("%d accounts, %v", len(accs), err)
	}
	return accs[0].AccountSettings
}

// TestAccountRoundTripsThroughWebForm: an account added from the command
// line with an interval the form does not usually offer opens in the form
// with that interval chosen, and saving the form unchanged keeps it.
func TestAccountRoundTripsThroughWebForm(t *testing.T) {
	h := newHousehold(t)
	if _, err := runCmd(t, h.env, "pop secret\n", "account", "add", "--user", "root", "--email", "ana@example.net",
		"--host", "pop.example.net", "--interval", "7m", "--delete-after-days", "45", "--delete-when-deleted", "immediately",
		"--smtp-host", "smtp.relay.example", "--smtp-security", "starttls", "--smtp-password-file", writeFile(t, "p", "smtp secret\n")); err != nil {
		t.Fatal(err)
	}
	before := onlyAccount(t, h)
	u, _ := h.db.UserByName(context.Background(), "root")
	accs, _ := h.db.Accounts(context.Background(), u.ID)
	path := "/settings/accounts/" + strconv.FormatInt(accs[0].ID, 10)
	resp, err := h.web.Get(h.base + path)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	form := formValues(doc, "account-form")
	if form.Get("interval") != "7" {
		t.Fatalf("the form shows interval %q, want 7 chosen (form %v)", form.Get("interval"), form)
	}
	form.Set("force", "1")
	if code, body := h.post(path, form); code != http.StatusSeeOther {
		t.Fatalf("saving the form unchanged: %d %v", code, webFieldErrors(body))
	}
	after := onlyAccount(t, h)
	if !bytes.Equal(before.Outgoing.PasswordSealed, after.Outgoing.PasswordSealed) || before.Outgoing.PasswordSealed == nil {
		t.Errorf("the outgoing server's own password was not kept as it was")
	}
	before.PasswordSealed, after.PasswordSealed = nil, nil
	if !reflect.DeepEqual(before, after) {
		t.Errorf("before %+v\nafter  %+v", before, after)
	}
}

// formValues is what the browser would send for the form with the
// data-testid: text and hidden inputs, checked boxes and radios, and each
// select's selected option.
func formValues(doc *html.Node, testID string) url.Values {
	attr := func(n *html.Node, key string) (string, bool) {
		for _, a := range n.Attr {
			if a.Key == key {
				return a.Val, true
			}
		}
		return "", false
	}
	out := url.Values{}
	var walk func(n *html.Node, inForm bool)
	walk = func(n *html.Node, inForm bool) {
		if n.Type == html.ElementNode {
			if id, _ := attr(n, "data-testid"); n.Data == "form" && id == testID {
				inForm = true
			}
			name, _ := attr(n, "name")
			if inForm && name != "" {
				typ, _ := attr(n, "type")
				_, checked := attr(n, "checked")
				value, _ := attr(n, "value")
				switch {
				case n.Data == "input" && (typ == "radio" || typ == "checkbox"):
					if checked {
						out.Add(name, value)
					}
				case n.Data == "input":
					out.Set(name, value)
				case n.Data == "select":
					for o := n.FirstChild; o != nil; o = o.NextSibling {
						if _, sel := attr(o, "selected"); o.Type == html.ElementNode && o.Data == "option" && sel {
							v, _ := attr(o, "value")
							out.Set(name, v)
						}
					}
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inForm)
		}
	}
	walk(doc, false)
	return out
}

// onlyIdentity is root's one account's identity.
func onlyIdentity(t *testing.T, h *household) db.Identity {
	t.Helper()
	u, _ := h.db.UserByName(context.Background(), "root")
	accs, err := h.db.Accounts(context.Background(), u.ID)
	if err != nil || len(accs) != 1 {
		t.Fatalf("%d accounts, %v", len(accs), err)
	}
	return accs[0].Identity()
}
