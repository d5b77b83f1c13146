package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	apppkg "github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"golang.org/x/net/html"
)

// An administrator adds, fixes, checks and removes a member's accounts
// from the household page; the accounts stay the member's, the member is
// told of each change and by whom, and nothing there opens their mail.
func TestAdminManagesMemberAccounts(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	rootU := app.addUser("root", "correct horse", db.RoleAdmin)
	ana := app.addUser("ana", "battery staple", db.RoleMember)
	bea := app.addUser("bea", "staple battery", db.RoleMember)
	casa := app.addAccount(ana.ID, "Casa")
	beas := app.addAccount(bea.ID, "Bea")
	root := app.login("root", "correct horse")
	base := memberAccountsPath(ana.ID)
	edit := base + "/" + strconv.FormatInt(casa.ID, 10)

	// The household page links to the member's account and to adding one.
	doc := root.get("/admin/users").doc(t)
	var links []string
	walk(doc, func(n *html.Node) {
		if tid := attr(n, "data-testid"); tid == "user-account-edit" || tid == "user-add-account" {
			links = append(links, attr(n, "href"))
		}
	})
	if !contains(links, edit) || !contains(links, base+"/new") {
		t.Fatalf("household links %q, want %q and %q", links, edit, base+"/new")
	}

	// The form says whose account it is; Cancel leads back; no export.
	r := root.get(edit)
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if s := text(one(t, doc, "for-member")); !strings.Contains(s, "ana") {
		t.Errorf("for-member note %q", s)
	}
	if href := attr(one(t, doc, "account-cancel"), "href"); href != "/admin/users" {
		t.Errorf("cancel leads to %q", href)
	}
	if attr(one(t, doc, "account-form"), "action") != edit {
		t.Errorf("form posts to %q", attr(one(t, doc, "account-form"), "action"))
	}
	wantStatus(t, root.get(edit+"/export"), http.StatusNotFound)

	// A changed password, saved without a test ("Save anyway").
	form := url.Values{"name": {"Casa"}, "email": {"casa@example.com"}, "host": {"pop.example.com"}, "port": {"995"},
		"security": {"tls"}, "username": {"casa"}, "password": {"new pop secret"}, "retention": {"keep"},
		"interval": {"10"}, "force": {"1"}, "when_deleted": {"never"}}
	wantRedirect(t, root.post(edit, form), "/admin/users?done="+doneAccountSaved)
	got, err := app.db.Account(ctx, ana.ID, casa.ID)
	if err != nil {
		t.Fatal(err)
	}
	if pw, _ := app.key.Open(got.PasswordSealed, apppkg.PasswordContext(ana.ID)); string(pw) != "new pop secret" {
		t.Fatalf("password after the administrator's fix: %q", pw)
	}
	// Saving the same again changes nothing and tells nothing.
	form.Del("password")
	wantRedirect(t, root.post(edit, form), "/admin/users?done="+doneAccountSaved)

	// Added for her: the account is hers.
	add := url.Values{"name": {"Trabajo"}, "email": {"ana@work.example"}, "host": {"pop.work.example"}, "port": {"995"},
		"security": {"tls"}, "username": {"ana"}, "password": {"work secret"}, "retention": {"keep"}, "interval": {"10"}, "force": {"1"}}
	wantRedirect(t, root.post(base+"/new", add), "/admin/users?done="+doneAccountAdded)
	mine, _ := app.db.Accounts(ctx, ana.ID)
	if len(mine) != 2 {
		t.Fatalf("ana has %d accounts, want 2", len(mine))
	}
	if roots, _ := app.db.Accounts(ctx, rootU.ID); len(roots) != 0 {
		t.Fatalf("the administrator got %d accounts", len(roots))
	}

	// Checked now, then removed.
	wantRedirect(t, root.post(edit+"/check", nil), "/admin/users?done="+doneCheckStarted)
	var next []string
	walk(root.get("/admin/users").doc(t), func(n *html.Node) {
		if attr(n, "data-testid") == "user-account-next" {
			next = append(next, text(n))
		}
	})
	if !contains(next, "Next check: shortly.") {
		t.Errorf("household next checks %q, want one due shortly", next)
	}
	trabajo := strconv.FormatInt(accountNamed(t, mine, "Trabajo").ID, 10)
	wantRedirect(t, root.post(base+"/"+trabajo+"/delete", url.Values{"confirm": {"yes"}}), "/admin/users?done="+doneAccountDeleted)

	// Another member's account is not reachable through ana's pages.
	wantStatus(t, root.get(base+"/"+strconv.FormatInt(beas.ID, 10)), http.StatusNotFound)
	wantStatus(t, root.post(base+"/"+strconv.FormatInt(beas.ID, 10)+"/check", nil), http.StatusNotFound)

	// A member cannot manage anyone's accounts this way.
	anaC := app.login("ana", "battery staple")
	wantStatus(t, anaC.get(memberAccountsPath(bea.ID)+"/new"), http.StatusForbidden)
	wantStatus(t, anaC.post(memberAccountsPath(bea.ID)+"/"+strconv.FormatInt(beas.ID, 10)+"/delete", url.Values{"confirm": {"yes"}}), http.StatusForbidden)

	// Ana reads, on her pages, what root changed, newest first.
	r = anaC.get("/mail")
	var said []string
	walk(r.doc(t), func(n *html.Node) {
		if attr(n, "data-testid") == "account-change" {
			said = append(said, text(n))
		}
	})
	want := []string{"root removed your account Trabajo", "root added the account Trabajo for you", "root changed your account Casa: the password."}
	if len(said) != len(want) {
		t.Fatalf("notices %q, want %d", said, len(want))
	}
	for i, w := range want {
		if !strings.Contains(said[i], w) {
			t.Errorf("notice %d: %q, want it to say %q", i, said[i], w)
		}
	}
	// Bea was told nothing.
	if strings.Contains(app.login("bea", "staple battery").get("/mail").body, `data-testid="changes-banner"`) {
		t.Error("bea sees notices of changes to ana's accounts")
	}
	// Dismissed, they are gone, and she is back where she was.
	doc = r.doc(t)
	var upTo, back string
	walk(one(t, doc, "changes-banner"), func(n *html.Node) {
		switch attr(n, "name") {
		case "up_to":
			upTo = attr(n, "value")
		case "return":
			back = attr(n, "value")
		}
	})
	if back != "/mail" {
		t.Errorf("return %q", back)
	}
	wantRedirect(t, anaC.post("/account-changes/dismiss", url.Values{"up_to": {upTo}, "return": {back}}), "/mail")
	if strings.Contains(anaC.get("/settings").body, `data-testid="changes-banner"`) {
		t.Error("notices still shown after dismissing them")
	}
	// Bea cannot dismiss ana's (there are none of hers: nothing happens).
	wantStatus(t, anaC.post("/account-changes/dismiss", url.Values{"up_to": {"x"}}), http.StatusBadRequest)
}

// An administrator's own accounts, reached from the household page, are
// managed as in Settings: no notice to anyone.
func TestAdminOwnAccountsFromHousehold(t *testing.T) {
	app := newApp(t)
	root := app.addUser("root", "correct horse", db.RoleAdmin)
	mine := app.addAccount(root.ID, "Mine")
	c := app.login("root", "correct horse")
	path := memberAccountsPath(root.ID) + "/" + strconv.FormatInt(mine.ID, 10)
	doc := c.get(path).doc(t)
	none(t, doc, "for-member")
	if attr(one(t, doc, "account-form"), "action") != "/settings/accounts/"+strconv.FormatInt(mine.ID, 10) {
		t.Errorf("own account form posts to %q", attr(one(t, doc, "account-form"), "action"))
	}
	wantRedirect(t, c.post(path+"/check", nil), "/settings?done="+doneCheckStarted)
	if cs, _ := app.db.UnseenAccountChanges(context.Background(), root.ID, 10); len(cs) != 0 {
		t.Errorf("changes recorded for one's own accounts: %v", cs)
	}
}

func accountNamed(t *testing.T, as []db.Account, name string) db.Account {
	t.Helper()
	for _, a := range as {
		if a.Name == name {
			return a
		}
	}
	t.Fatalf("no account %q", name)
	return db.Account{}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// An administrator chooses which of their accounts with an outgoing
// server sends them alerts about failing accounts; members have no such
// choice.
func TestAlertsSetting(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	root := app.addUser("root", "correct horse", db.RoleAdmin)
	ana := app.addUser("ana", "battery staple", db.RoleMember)
	receiving := app.addAccount(root.ID, "Receiving")
	sending := app.addAccount(root.ID, "Sending")
	if err := app.db.UpdateAccount(ctx, root.ID, sending.ID, func() db.AccountSettings {
		s := sending.AccountSettings
		s.Outgoing = db.Outgoing{Host: "smtp.example.com", Port: 465, Security: "tls", Auth: "password", SamePassword: true}
		return s
	}()); err != nil {
		t.Fatal(err)
	}
	anas := app.addAccount(ana.ID, "Ana")
	c := app.login("root", "correct horse")
	doc := c.get("/settings").doc(t)
	var options []string
	walk(one(t, doc, "field-alert-account"), func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "option" {
			options = append(options, attr(n, "value"))
		}
	})
	if want := []string{"0", strconv.FormatInt(sending.ID, 10)}; strings.Join(options, ",") != strings.Join(want, ",") {
		t.Errorf("alert options %q, want %q", options, want)
	}
	form := func(id int64) url.Values { return url.Values{"account": {strconv.FormatInt(id, 10)}} }
	wantRedirect(t, c.post("/settings/alerts", form(sending.ID)), "/settings?done="+doneAlertsSaved)
	if id, _ := app.db.AlertAccount(ctx, root.ID); id != sending.ID {
		t.Errorf("alert account %d", id)
	}
	wantStatus(t, c.post("/settings/alerts", form(receiving.ID)), http.StatusBadRequest)
	wantStatus(t, c.post("/settings/alerts", form(anas.ID)), http.StatusNotFound)
	wantRedirect(t, c.post("/settings/alerts", form(0)), "/settings?done="+doneAlertsSaved)
	if id, _ := app.db.AlertAccount(ctx, root.ID); id != 0 {
		t.Errorf("alert account %d after turning alerts off", id)
	}
	member := app.login("ana", "battery staple")
	none(t, member.get("/settings").doc(t), "alerts")
	wantStatus(t, member.post("/settings/alerts", form(anas.ID)), http.StatusForbidden)
}
