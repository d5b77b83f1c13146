package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/text/language"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/poller"
	"github.com/apartado/apartado/pop3client"
)

func accountForm(kv ...string) url.Values {
	f := url.Values{
		"name": {"Home"}, "email": {"ana@example.com"}, "host": {"pop.example.com"}, "port": {"995"},
		"security": {"tls"}, "username": {"ana@example.com"}, "password": {"pop secret 1"}, "retention": {"keep"}, "interval": {"10"},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		f.Set(kv[i], kv[i+1])
	}
	return f
}

func TestAccountFormDefaults(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	r := c.get("/settings/accounts/new?manual=1")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	one(t, doc, "account-form")
	if got := checkedRadio(doc, "security"); got != "tls" {
		t.Errorf("security preselected %q, want tls", got)
	}
	if v, _, _ := inputValue(doc, "port"); v != "995" {
		t.Errorf("port %q, want 995", v)
	}
	if got := checkedRadio(doc, "retention"); got != "keep" {
		t.Errorf("retention preselected %q, want keep", got)
	}
	if got := selectedOption(doc, "interval"); got != "10" {
		t.Errorf("interval preselected %q, want 10", got)
	}
	var options []string
	walk(one(t, doc, "field-interval"), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "option" {
			options = append(options, attr(n, "value"))
		}
	})
	if strings.Join(options, ",") != "5,10,15,30,60" {
		t.Errorf("intervals %v", options)
	}
	// "None" carries a visible warning.
	if w := text(one(t, doc, "security-warning-none")); w == "" {
		t.Error("no warning for an unencrypted connection")
	}
}

func TestAccountFormValidationKeepsInput(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	const secretPassword = "Sup3r-Secret-POP-pw"
	form := accountForm("email", "not an address", "host", "pop3://pop.example.com", "port", "110",
		"username", "ana.m", "password", secretPassword, "retention", "delete", "interval", "30", "name", "Casa")
	r := c.post("/settings/accounts/new", form)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc := r.doc(t)
	one(t, doc, "form-error")
	one(t, doc, "error-email")
	one(t, doc, "error-host")
	one(t, doc, "error-port") // 110 with SSL/TLS
	none(t, doc, "error-username")
	for field, want := range map[string]string{"name": "Casa", "email": "not an address", "host": "pop3://pop.example.com", "port": "110", "username": "ana.m"} {
		if v, found, _ := inputValue(doc, field); !found || v != want {
			t.Errorf("%s = %q, want the input %q kept", field, v, want)
		}
	}
	if checkedRadio(doc, "retention") != "delete" || selectedOption(doc, "interval") != "30" || checkedRadio(doc, "security") != "tls" {
		t.Error("choices were not kept")
	}
	if strings.Contains(r.body, secretPassword) {
		t.Fatal("the password was sent back")
	}
	if v, found, hasValue := inputValue(doc, "password"); !found || hasValue || v != "" {
		t.Errorf("password field value %q", v)
	}
	if accs, _ := app.db.Accounts(context.Background(), u.ID); len(accs) != 0 {
		t.Fatal("an invalid account was stored")
	}

	for _, tc := range []struct {
		field string
		form  url.Values
	}{
		{"error-host", accountForm("host", "")},
		{"error-host", accountForm("host", "pop.example.com:995")},
		{"error-port", accountForm("port", "70000")},
		{"error-port", accountForm("security", "starttls", "port", "995")},
		{"error-username", accountForm("username", "")},
		{"error-password", accountForm("password", "")},
		{"error-password", accountForm("password", "a\r\nDELE 1")},
		{"error-interval", accountForm("interval", "0")},
		{"error-interval", accountForm("interval", "1441")},
		{"error-security", accountForm("security", "ssl3")},
	} {
		r := c.post("/settings/accounts/new", tc.form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		if len(byTestID(r.doc(t), tc.field)) != 1 {
			t.Errorf("%v: no %s", tc.form, tc.field)
		}
	}
}

func TestAccountLifecycle(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")

	// pop.example.com does not resolve: only "save anyway" saves it
	// (setup_test.go tests the test before saving).
	r := c.post("/settings/accounts/new", accountForm("retention", "delete", "interval", "15", "name", "", "force", "1"))
	wantRedirect(t, r, "/settings?done="+doneAccountAdded)
	if app.waker.n.Load() != 1 {
		t.Error("the poller was not woken")
	}
	accs, err := app.db.Accounts(ctx, u.ID)
	if err != nil || len(accs) != 1 {
		t.Fatalf("accounts %v %v", accs, err)
	}
	a := accs[0]
	if a.Name != "ana@example.com" || a.Host != "pop.example.com" || a.Port != 995 || a.Security != "tls" ||
		!a.DeleteAfterDownload || a.PollInterval != 15*time.Minute || !a.Enabled {
		t.Fatalf("stored %+v", a.AccountSettings)
	}
	pw, err := app.key.Open(a.PasswordSealed, apppkg.PasswordContext(u.ID))
	if err != nil || string(pw) != "pop secret 1" {
		t.Fatalf("sealed password opens to %q, %v", pw, err)
	}
	id := strconv.FormatInt(a.ID, 10)

	// The settings page lists it, waiting for its first check.
	r = c.get("/settings?done=" + doneAccountAdded)
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	one(t, doc, "notice")
	st := one(t, doc, "account-status")
	if attr(st, "data-state") != "pending" {
		t.Errorf("state %q", attr(st, "data-state"))
	}
	if strings.Contains(r.body, "pop secret 1") {
		t.Fatal("the settings page shows the password")
	}

	// Editing shows the values but never the password; an empty password keeps it.
	r = c.get("/settings/accounts/" + id)
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if v, _, _ := inputValue(doc, "host"); v != "pop.example.com" {
		t.Errorf("host %q", v)
	}
	if v, _, hasValue := inputValue(doc, "password"); v != "" || hasValue {
		t.Error("the edit form shows the password")
	}
	if checkedRadio(doc, "retention") != "delete" || selectedOption(doc, "interval") != "15" {
		t.Error("the edit form lost the choices")
	}
	r = c.post("/settings/accounts/"+id, accountForm("password", "", "name", "Casa", "force", "1"))
	wantRedirect(t, r, "/settings?done="+doneAccountSaved)
	b, _ := app.db.Account(ctx, u.ID, a.ID)
	if b.Name != "Casa" || b.DeleteAfterDownload {
		t.Fatalf("after edit %+v", b.AccountSettings)
	}
	if string(b.PasswordSealed) != string(a.PasswordSealed) {
		t.Fatal("an empty password field changed the password")
	}
	// Another port and security need the password typed again
	// (TestStoredPasswordStaysWithItsServer).
	r = c.post("/settings/accounts/"+id, accountForm("password", "", "security", "starttls", "port", "110", "force", "1"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-password")
	r = c.post("/settings/accounts/"+id, accountForm("password", "pop secret 2", "security", "starttls", "port", "110", "force", "1"))
	wantRedirect(t, r, "/settings?done="+doneAccountSaved)
	b, _ = app.db.Account(ctx, u.ID, a.ID)
	if b.Security != "starttls" || b.Port != 110 {
		t.Fatalf("after edit %+v", b.AccountSettings)
	}
	if pw, _ := app.key.Open(b.PasswordSealed, apppkg.PasswordContext(u.ID)); string(pw) != "pop secret 2" {
		t.Fatalf("new password %q", pw)
	}
	// An invalid edit keeps the input and the delete section.
	r = c.post("/settings/accounts/"+id, accountForm("email", "nope", "password", "pop secret 3"))
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if strings.Contains(r.body, "pop secret 3") {
		t.Fatal("the edit form echoed the password")
	}
	one(t, r.doc(t), "account-delete-form")
	if v, _, _ := inputValue(r.doc(t), "email"); v != "nope" {
		t.Errorf("email %q", v)
	}

	// Check now: due at once, and the poller is woken.
	if err := app.db.SetNextPoll(ctx, a.ID, app.clock.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	woken := app.waker.n.Load()
	wantRedirect(t, c.post("/settings/accounts/"+id+"/check", nil), "/settings?done="+doneCheckStarted)
	b, _ = app.db.Account(ctx, u.ID, a.ID)
	if b.NextPoll.Unix() != 0 || app.waker.n.Load() != woken+1 {
		t.Fatalf("check now: next poll %v, woken %d", b.NextPoll, app.waker.n.Load()-woken)
	}

	// Deleting needs the confirmation.
	app.addMessage(b, textMessage, app.clock.Now())
	r = c.post("/settings/accounts/"+id+"/delete", nil)
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-confirm-delete")
	if _, err := app.db.Account(ctx, u.ID, a.ID); err != nil {
		t.Fatal("deleted without confirmation")
	}
	wantRedirect(t, c.post("/settings/accounts/"+id+"/delete", url.Values{"confirm": {"yes"}}), "/settings?done="+doneAccountDeleted)
	if _, err := app.db.Account(ctx, u.ID, a.ID); err != db.ErrNotFound {
		t.Fatalf("account after delete: %v", err)
	}
	wantStatus(t, c.get("/settings/accounts/"+id), http.StatusNotFound)
	wantStatus(t, c.get("/settings/accounts/abc"), http.StatusNotFound)
	wantStatus(t, c.post("/settings/accounts/"+id+"/check", nil), http.StatusNotFound)
}

func TestAccountStatus(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	u := app.addUser("ana", "correct horse", db.RoleMember)
	ok := app.addAccount(u.ID, "Good")
	bad := app.addAccount(u.ID, "Bad")
	stopped := app.addAccount(u.ID, "Stopped")
	broken := app.addAccount(u.ID, "Broken")
	now := app.clock.Now()
	record := func(id int64, r db.PollResult) {
		t.Helper()
		r.Started, r.NextPoll = now, now.Add(time.Hour)
		if err := app.db.RecordPoll(ctx, id, r); err != nil {
			t.Fatal(err)
		}
	}
	record(ok.ID, db.PollResult{})
	record(bad.ID, db.PollResult{ErrKind: "certificate-expired", ErrStep: "tls", ErrText: "x509: certificate has expired"})
	for i := 0; i < poller.MaxAuthFailures; i++ {
		record(stopped.ID, db.PollResult{ErrKind: "auth-failed", ErrStep: "auth", ErrText: "[AUTH] Authentication failed.", AuthFailure: true})
	}
	record(broken.ID, db.PollResult{ErrKind: "internal", ErrText: "reading the account's password: secret: cannot decrypt"})

	c := app.login("ana", "correct horse")
	r := c.get("/settings")
	wantStatus(t, r, http.StatusOK)
	byName := map[string]*html.Node{}
	for _, a := range byTestID(r.doc(t), "account") {
		byName[text(one(t, a, "account-name"))] = a
	}
	state := func(name string) string { return attr(one(t, byName[name], "account-status"), "data-state") }
	if state("Good") != "ok" || state("Bad") != "failing" || state("Stopped") != "stopped" || state("Broken") != "failing" {
		t.Fatalf("states %s %s %s %s", state("Good"), state("Bad"), state("Stopped"), state("Broken"))
	}
	if s := text(one(t, byName["Good"], "account-status")); !strings.Contains(s, "Mar 14, 2026, 10:00") {
		t.Errorf("last success not shown: %q", s)
	}
	if s := text(one(t, byName["Bad"], "diagnosis-title")); s != "The server's certificate has expired" {
		t.Errorf("diagnosis %q", s)
	}
	if s := text(one(t, byName["Bad"], "diagnosis-explanation")); !strings.Contains(s, "forgot to renew") {
		t.Errorf("explanation %q", s)
	}
	if s := text(one(t, byName["Bad"], "diagnosis-detail")); !strings.Contains(s, "x509: certificate has expired") {
		t.Errorf("server's words %q", s)
	}
	if s := text(one(t, byName["Bad"], "diagnosis-since")); !strings.Contains(s, "Mar 14, 2026, 10:00") {
		t.Errorf("failing since %q", s)
	}
	if href := attr(one(t, byName["Bad"], "diagnosis-help"), "href"); href != "/help#error-certificate-expired" {
		t.Errorf("help link %q", href)
	}
	if s := text(one(t, byName["Stopped"], "diagnosis-title")); !strings.Contains(s, "rejected the user name or password") {
		t.Errorf("stopped diagnosis %q", s)
	}
	if s := text(one(t, byName["Stopped"], "account-error")); !strings.Contains(s, "stopped") {
		t.Errorf("stopped sentence %q", s)
	}
	// Re-entering the password is the fix for a rejected one.
	if href := attr(one(t, byName["Stopped"], "fix-link"), "href"); href != "/settings/accounts/"+strconv.FormatInt(stopped.ID, 10)+"#password" {
		t.Errorf("stopped fix %q", href)
	}
	none(t, byName["Broken"], "diagnosis-detail")
	if s := text(one(t, byName["Broken"], "diagnosis-title")); s != "Apartado could not check this account" {
		t.Errorf("internal diagnosis %q", s)
	}
	if strings.Contains(r.body, "cannot decrypt") {
		t.Error("an internal error's detail is shown to the user")
	}
	for _, a := range byName {
		one(t, a, "account-check")
		one(t, a, "account-edit")
	}
	// Every kind pop3client reports has its own sentence.
	for _, k := range pop3Kinds {
		if s := diagnose.Sentence(k, i18n.New(language.English)); s == "The check failed" || s == "" {
			t.Errorf("kind %q has no sentence", k)
		}
	}
}

func TestPreferencesAndTranslation(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	app.addMessage(acc, textMessage, time.Date(2026, 3, 13, 23, 30, 0, 0, time.UTC))

	// The browser's language picks the page language, before signing in too.
	es := app.client()
	es.header.Set("Accept-Language", "es-ES,es;q=0.9,en;q=0.5")
	if lang := htmlLang(es.get("/login").doc(t)); lang != "es" {
		t.Errorf("login page lang %q with Accept-Language es", lang)
	}
	en := app.client()
	en.header.Set("Accept-Language", "en-GB")
	if lang := htmlLang(en.get("/login").doc(t)); lang != "en" {
		t.Errorf("login page lang %q", lang)
	}
	c := app.login("ana", "correct horse")
	c.header.Set("Accept-Language", "es")
	for _, p := range []string{"/mail", "/mail/trash", "/settings", "/settings/accounts/new", "/no/such/page"} {
		if lang := htmlLang(c.get(p).doc(t)); lang != "es" {
			t.Errorf("%s: lang %q", p, lang)
		}
	}

	// A saved preference wins over the browser; the time zone moves dates.
	r := c.get("/settings")
	if selectedOption(r.doc(t), "locale") != "" {
		t.Error("the language is not automatic by default")
	}
	r = c.post("/settings/preferences", url.Values{"locale": {"en"}, "timezone": {"Not/AZone"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-timezone")
	if v, _, _ := inputValue(r.doc(t), "timezone"); v != "Not/AZone" {
		t.Errorf("timezone field %q", v)
	}
	wantStatus(t, c.post("/settings/preferences", url.Values{"locale": {"xx"}}), http.StatusBadRequest)
	wantRedirect(t, c.post("/settings/preferences", url.Values{"locale": {"en"}, "timezone": {"Europe/Madrid"}}), "/settings?done="+donePrefsSaved)
	u, _ = app.db.UserByID(ctx, u.ID)
	if u.Locale != "en" || u.TimeZone != "Europe/Madrid" {
		t.Fatalf("preferences %q %q", u.Locale, u.TimeZone)
	}
	r = c.get("/mail")
	if lang := htmlLang(r.doc(t)); lang != "en" {
		t.Errorf("lang %q after choosing English", lang)
	}
	// 23:30 UTC is 00:30 the next day in Madrid.
	if s := attr(one(t, r.doc(t), "message-date"), "title"); s != "Mar 14, 2026, 00:30" {
		t.Errorf("date in Madrid %q", s)
	}
	r = c.get("/settings")
	if selectedOption(r.doc(t), "locale") != "en" {
		t.Error("the saved language is not selected")
	}
	if v, _, _ := inputValue(r.doc(t), "timezone"); v != "Europe/Madrid" {
		t.Errorf("saved zone %q", v)
	}
}

func TestHealthzAndStatic(t *testing.T) {
	app := newApp(t)
	c := app.client()
	// Health and static files work before setup and without a session.
	r := c.get("/healthz")
	wantStatus(t, r, http.StatusOK)
	if r.body != "ok\n" {
		t.Errorf("healthz %q", r.body)
	}
	for _, name := range []string{"app.css", "app.js", "favicon.svg", "manifest.webmanifest"} {
		r := c.get("/static/" + name)
		wantStatus(t, r, http.StatusOK)
		if r.body == "" || r.Header.Get("Content-Type") == "" {
			t.Errorf("%s: empty or untyped", name)
		}
	}
	wantStatus(t, c.get("/static/../handlers.go"), http.StatusNotFound)
	wantRedirect(t, c.get("/login"), "/setup")
}

// pop3Kinds are pop3client's error kinds (pop3client/errors.go).
var pop3Kinds = []string{
	string(pop3client.KindHostNotFound), string(pop3client.KindDNSTemporary), string(pop3client.KindConnectionRefused),
	string(pop3client.KindUnreachable), string(pop3client.KindTimeout), string(pop3client.KindNetwork),
	string(pop3client.KindClosedBeforeGreeting), string(pop3client.KindNotPOP3), string(pop3client.KindTLSOnPlainPort),
	string(pop3client.KindPlainOnTLSPort), string(pop3client.KindUnknownAuthority), string(pop3client.KindCertificateName),
	string(pop3client.KindCertificateExpired), string(pop3client.KindCertificateInvalid), string(pop3client.KindTLSVersion),
	string(pop3client.KindTLSHandshake), string(pop3client.KindSTLSNotOffered), string(pop3client.KindAuthFailed),
	string(pop3client.KindOAuthRequired), string(pop3client.KindEncryptionRequired), string(pop3client.KindPOPDisabled),
	string(pop3client.KindTempFailure), string(pop3client.KindInUse), string(pop3client.KindLoginDelay),
	string(pop3client.KindTransferInterrupted), string(pop3client.KindMessageTooLarge), string(pop3client.KindProtocol),
	string(pop3client.KindServerError), string(pop3client.KindUpdateFailed), string(pop3client.KindUnsupported),
	string(pop3client.KindCanceled), string(pop3client.KindClosed), string(pop3client.KindInvalidInput),
}

// TestFailingBanner: an account whose password was refused once, or whose
// checks failed three times in a row, is named on every page with what is
// wrong and a link to fix it; two failures of another kind are not yet;
// a check that works again ends it.
func TestFailingBanner(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	home := app.addAccount(u.ID, "Casa")
	work := app.addAccount(u.ID, "Trabajo")
	c := app.login("ana", "correct horse")
	ctx := context.Background()
	now := app.clock.Now()
	fail := func(id int64, kind string, auth bool) {
		t.Helper()
		if err := app.db.RecordPoll(ctx, id, db.PollResult{Started: now, NextPoll: now.Add(time.Hour), ErrKind: kind,
			ErrStep: "connect", ErrText: "x", AuthFailure: auth}); err != nil {
			t.Fatal(err)
		}
	}
	banner := func(path string) string {
		t.Helper()
		body := c.get(path).body
		i := strings.Index(body, `data-testid="failing-banner"`)
		if i < 0 {
			return ""
		}
		return body[i:min(len(body), i+2000)]
	}
	fail(work.ID, "connection-refused", false)
	fail(work.ID, "connection-refused", false)
	if b := banner("/mail"); b != "" {
		t.Errorf("two failures make a banner: %s", b)
	}
	fail(home.ID, "auth-failed", true)
	for _, path := range []string{"/mail", "/settings", "/compose", "/search?q=x"} {
		b := banner(path)
		if !strings.Contains(b, "Mail from Casa is not arriving.") || !strings.Contains(b, "password") || !strings.Contains(b, `href="/settings/accounts/`+strconv.FormatInt(home.ID, 10)+`"`) ||
			strings.Contains(b, "Trabajo") {
			t.Errorf("%s: banner %q", path, b)
		}
	}
	fail(work.ID, "connection-refused", false)
	if b := banner("/mail"); !strings.Contains(b, "Mail from Trabajo is not arriving.") {
		t.Errorf("three failures: %q", b)
	}
	for _, id := range []int64{home.ID, work.ID} {
		if err := app.db.RecordPoll(ctx, id, db.PollResult{Started: now, NextPoll: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if b := banner("/mail"); b != "" {
		t.Errorf("after a check that works: %s", b)
	}
}

// TestHouseholdPage: the administrator's users page shows, for each member,
// when they last signed in, how much mail their accounts hold, and how
// each account fares with what is wrong; never a message of theirs.
func TestHouseholdPage(t *testing.T) {
	app := newApp(t)
	app.addUser("root", "correct horse", db.RoleAdmin)
	ana := app.addUser("ana", "battery staple", db.RoleMember)
	app.addUser("bea", "staple battery", db.RoleMember)
	casa := app.addAccount(ana.ID, "Casa")
	app.addAccount(ana.ID, "Trabajo")
	raw := "Subject: Una carta muy privada\r\n\r\n" + strings.Repeat("texto ", 200) + "\r\n"
	app.addMessage(casa, raw, app.clock.Now())
	now := app.clock.Now()
	if err := app.db.RecordPoll(context.Background(), casa.ID, db.PollResult{Started: now, NextPoll: now.Add(time.Hour),
		ErrKind: "auth-failed", ErrStep: "auth", ErrText: "-ERR nope", AuthFailure: true}); err != nil {
		t.Fatal(err)
	}
	app.login("ana", "battery staple")
	body := app.login("root", "correct horse").get("/admin/users").body
	member := func(name string) string {
		i := strings.Index(body, `data-user-name="`+name+`"`)
		if i < 0 {
			t.Fatalf("no row for %s", name)
		}
		end := strings.Index(body[i+1:], `data-testid="user"`)
		if end < 0 {
			end = len(body) - i - 1
		}
		return body[i : i+1+end]
	}
	a := member("ana")
	for _, want := range []string{"Last signed in", "Mail stored: " + i18nSize(len(raw)), `data-state="failing"`, "Casa", "Trabajo",
		`data-state="pending"`, "Messages: 1 (" + i18nSize(len(raw)) + ")", "password"} {
		if !strings.Contains(a, want) {
			t.Errorf("ana's row lacks %q:\n%s", want, a)
		}
	}
	if b := member("bea"); !strings.Contains(b, "Has not signed in yet.") || strings.Contains(b, "user-account") {
		t.Errorf("bea's row:\n%s", b)
	}
	if strings.Contains(body, "Una carta muy privada") {
		t.Error("the household page shows a member's mail")
	}
}

// i18nSize is a size as the English pages write it.
func i18nSize(n int) string { return i18n.New(language.English).Size(int64(n)) }

// TestDeleteMemberAndRole: a member is deleted only once their name is
// typed, with their accounts and mail; nobody deletes themselves or
// changes their own role; a member made an administrator reaches the
// users page, and made a member again no longer does.
func TestDeleteMemberAndRole(t *testing.T) {
	app := newApp(t)
	root := app.addUser("root", "correct horse", db.RoleAdmin)
	ana := app.addUser("ana", "battery staple", db.RoleMember)
	casa := app.addAccount(ana.ID, "Casa")
	app.addMessage(casa, "Subject: hola\r\n\r\nx\r\n", app.clock.Now())
	c := app.login("root", "correct horse")
	anaURL := "/admin/users/" + strconv.FormatInt(ana.ID, 10)
	rootURL := "/admin/users/" + strconv.FormatInt(root.ID, 10)

	wantStatus(t, c.post(anaURL+"/delete", url.Values{"confirm": {"an"}}), http.StatusUnprocessableEntity)
	wantStatus(t, c.post(rootURL+"/delete", url.Values{"confirm": {"root"}}), http.StatusConflict)
	wantStatus(t, c.post(rootURL+"/role", url.Values{"role": {"member"}}), http.StatusConflict)
	wantStatus(t, c.post(anaURL+"/role", url.Values{"role": {"owner"}}), http.StatusBadRequest)

	wantRedirect(t, c.post(anaURL+"/role", url.Values{"role": {"admin"}}), "/admin/users?done=role-changed")
	a := app.login("ana", "battery staple")
	wantStatus(t, a.get("/admin/users"), http.StatusOK)
	wantRedirect(t, c.post(anaURL+"/role", url.Values{"role": {"member"}}), "/admin/users?done=role-changed")
	wantStatus(t, a.get("/admin/users"), http.StatusForbidden)

	wantRedirect(t, c.post(anaURL+"/delete", url.Values{"confirm": {"ana"}}), "/admin/users?done=user-deleted")
	if _, err := app.db.UserByName(context.Background(), "ana"); !errors.Is(err, db.ErrNotFound) {
		t.Errorf("ana is still there: %v", err)
	}
	if accs, _ := app.db.AllAccounts(context.Background()); len(accs) != 0 {
		t.Errorf("%d accounts left", len(accs))
	}
	wantRedirect(t, a.get("/mail"), "/login?next=%2Fmail")
}

// TestCheckMemberAccount: the administrator asks for a member's account to
// be checked now from the household page; a member cannot, and an account
// is found only under its own user.
func TestCheckMemberAccount(t *testing.T) {
	app := newApp(t)
	app.addUser("root", "correct horse", db.RoleAdmin)
	ana := app.addUser("ana", "battery staple", db.RoleMember)
	bea := app.addUser("bea", "staple battery", db.RoleMember)
	casa := app.addAccount(ana.ID, "Casa")
	c := app.login("root", "correct horse")
	if body := c.get("/admin/users").body; !strings.Contains(body, `data-testid="user-account-check"`) {
		t.Fatal("no check button on the household page")
	}
	path := func(u db.User) string {
		return memberAccountsPath(u.ID) + "/" + strconv.FormatInt(casa.ID, 10) + "/check"
	}
	before := app.waker.n.Load()
	wantRedirect(t, c.post(path(ana), nil), "/admin/users?done=check-started")
	if a, _ := app.db.Account(context.Background(), ana.ID, casa.ID); !a.NextPoll.Equal(time.Unix(0, 0)) || app.waker.n.Load() != before+1 {
		t.Errorf("next poll %v, woken %d times", a.NextPoll, app.waker.n.Load()-before)
	}
	wantStatus(t, c.post(path(bea), nil), http.StatusNotFound)
	wantStatus(t, app.login("bea", "staple battery").post(path(ana), nil), http.StatusForbidden)
}
