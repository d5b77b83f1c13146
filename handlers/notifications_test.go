package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/pushtest"
)

// subscription is what notify.js posts for a browser.
func subscription(t *testing.T, endpoint string) url.Values {
	t.Helper()
	b, err := pushtest.NewBrowser()
	if err != nil {
		t.Fatal(err)
	}
	return url.Values{"endpoint": {endpoint}, "p256dh": {b.P256dh()}, "auth": {b.AuthSecret()}}
}

func pushAnswerOf(t *testing.T, r *response) pushAnswer {
	t.Helper()
	var a pushAnswer
	if err := json.Unmarshal([]byte(r.body), &a); err != nil {
		t.Fatalf("answer %q: %v", r.body, err)
	}
	return a
}

// TestNotificationsSection: the settings page carries the server's public
// key (never the private one), the section's buttons and script, and an
// unchecked box per account.
func TestNotificationsSection(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct-horse", db.RoleAdmin)
	acc := app.addAccount(u.ID, "Casa")
	c := app.login("ana", "correct-horse")
	r := c.get("/settings")
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	sec := one(t, doc, "notifications")
	keys, err := app.handler.notes.VAPID(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if attr(sec, "data-push-key") != keys.Public || len(keys.Public) != 87 {
		t.Errorf("data-push-key %q, want the public key %q", attr(sec, "data-push-key"), keys.Public)
	}
	if strings.Contains(r.body, keys.Private) {
		t.Fatal("the page holds the VAPID private key")
	}
	one(t, doc, "push-on")
	one(t, doc, "push-off")
	none(t, doc, "push-device")
	box := one(t, doc, "notify-account")
	if attr(box, "value") != strconv.FormatInt(acc.ID, 10) || hasAttr(box, "checked") {
		t.Errorf("the account's box: value %q checked %v", attr(box, "value"), hasAttr(box, "checked"))
	}
	// The key is made once and kept.
	again, err := app.handler.notes.VAPID(context.Background())
	if err != nil || again != keys {
		t.Errorf("a second read gave another key pair (%v)", err)
	}
}

// TestSubscribe: a browser's subscription is stored for the signed-in
// user with its browser's name; a bad one is refused with a sentence and
// nothing stored; subscribing again in the same browser replaces it.
func TestSubscribe(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct-horse", db.RoleAdmin)
	c := app.login("ana", "correct-horse")
	c.header.Set("User-Agent", "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36")
	ctx := context.Background()

	form := subscription(t, "https://push.example.net/send/abc")
	r := c.post(subscribePath, form)
	wantStatus(t, r, http.StatusOK)
	if a := pushAnswerOf(t, r); !a.OK {
		t.Fatalf("answer %+v", a)
	}
	devs, err := app.db.PushSubscriptions(ctx, u.ID)
	if err != nil || len(devs) != 1 {
		t.Fatalf("devices %+v, %v", devs, err)
	}
	if d := devs[0]; d.Endpoint != "https://push.example.net/send/abc" || d.P256dh != form.Get("p256dh") ||
		d.Auth != form.Get("auth") || d.Label != "Chrome · Android" {
		t.Errorf("stored %+v", d)
	}
	// The settings page lists it.
	doc := c.get("/settings").doc(t)
	if li := one(t, doc, "push-device"); !strings.Contains(text(li), "Chrome · Android") ||
		attr(li, "data-endpoint") != "https://push.example.net/send/abc" {
		t.Errorf("the device listed: %q", text(li))
	}

	for _, bad := range []url.Values{
		{"endpoint": {""}, "p256dh": form["p256dh"], "auth": form["auth"]},
		{"endpoint": {"javascript:alert(1)"}, "p256dh": form["p256dh"], "auth": form["auth"]},
		{"endpoint": {"https://user:pw@push.example.net/x"}, "p256dh": form["p256dh"], "auth": form["auth"]},
		{"endpoint": {"https://push.example.net/x"}, "p256dh": {"not a key"}, "auth": form["auth"]},
		{"endpoint": {"https://push.example.net/x"}, "p256dh": {"BAAA"}, "auth": form["auth"]},
		{"endpoint": {"https://push.example.net/x"}, "p256dh": form["p256dh"], "auth": {"c2hvcnQ"}},
		{"endpoint": {"https://push.example.net/" + strings.Repeat("x", 3000)}, "p256dh": form["p256dh"], "auth": form["auth"]},
	} {
		r := c.post(subscribePath, bad)
		wantStatus(t, r, http.StatusBadRequest)
		if a := pushAnswerOf(t, r); a.OK || a.Error == "" {
			t.Errorf("%v: answer %+v", bad, a)
		}
	}
	// Spanish for a Spanish browser.
	c.header.Set("Accept-Language", "es")
	r = c.post(subscribePath, url.Values{"endpoint": {"ftp://x"}, "p256dh": form["p256dh"], "auth": form["auth"]})
	if a := pushAnswerOf(t, r); a.Error != "La dirección de notificaciones del navegador no es una dirección web." {
		t.Errorf("in Spanish: %q", a.Error)
	}
	c.header.Del("Accept-Language")

	// The same browser again (new keys): one device, the new keys.
	again := subscription(t, "https://push.example.net/send/abc")
	wantStatus(t, c.post(subscribePath, again), http.StatusOK)
	devs, _ = app.db.PushSubscriptions(ctx, u.ID)
	if len(devs) != 1 || devs[0].P256dh != again.Get("p256dh") {
		t.Errorf("after subscribing again: %+v", devs)
	}
}

// TestUnsubscribeAndRemove: a user turns off or removes their own
// devices; another user's are not found and stay.
func TestUnsubscribeAndRemove(t *testing.T) {
	app := newApp(t)
	ana := app.addUser("ana", "correct-horse", db.RoleAdmin)
	bob := app.addUser("bob", "battery-staple", db.RoleMember)
	anaC := app.login("ana", "correct-horse")
	bobC := app.login("bob", "battery-staple")
	ctx := context.Background()
	wantStatus(t, anaC.post(subscribePath, subscription(t, "https://push.example.net/ana-phone")), http.StatusOK)
	wantStatus(t, anaC.post(subscribePath, subscription(t, "https://push.example.net/ana-laptop")), http.StatusOK)
	wantStatus(t, bobC.post(subscribePath, subscription(t, "https://push.example.net/bob")), http.StatusOK)
	anaDevs, _ := app.db.PushSubscriptions(ctx, ana.ID)
	if len(anaDevs) != 2 {
		t.Fatalf("ana's devices: %+v", anaDevs)
	}

	// Bob can neither turn off nor remove ana's.
	r := bobC.post(unsubscribePath, url.Values{"endpoint": {"https://push.example.net/ana-phone"}})
	wantStatus(t, r, http.StatusNotFound)
	for _, d := range anaDevs {
		wantStatus(t, bobC.post(notificationsPath+"/devices/"+strconv.FormatInt(d.ID, 10)+"/delete", nil), http.StatusNotFound)
	}
	if devs, _ := app.db.PushSubscriptions(ctx, ana.ID); len(devs) != 2 {
		t.Fatalf("bob removed ana's devices: %+v", devs)
	}

	// Ana turns one off in its browser, and removes the other from the list.
	r = anaC.post(unsubscribePath, url.Values{"endpoint": {"https://push.example.net/ana-phone"}})
	wantStatus(t, r, http.StatusOK)
	var laptop db.PushSubscription
	for _, d := range anaDevs {
		if d.Endpoint == "https://push.example.net/ana-laptop" {
			laptop = d
		}
	}
	r = anaC.post(notificationsPath+"/devices/"+strconv.FormatInt(laptop.ID, 10)+"/delete", nil)
	wantRedirect(t, r, "/settings?done="+doneDeviceRemoved+notificationsAnchor)
	if devs, _ := app.db.PushSubscriptions(ctx, ana.ID); len(devs) != 0 {
		t.Errorf("ana's devices left: %+v", devs)
	}
	if devs, _ := app.db.PushSubscriptions(ctx, bob.ID); len(devs) != 1 {
		t.Errorf("bob's devices: %+v", devs)
	}
	wantStatus(t, anaC.post(notificationsPath+"/devices/x/delete", nil), http.StatusNotFound)
	page := anaC.get("/settings?done=" + doneDeviceRemoved)
	if got := text(one(t, page.doc(t), "notice")); got != "That device no longer gets notifications." {
		t.Errorf("notice %q", got)
	}
}

// TestNotifyAccounts: the per-account choice is saved for the user's own
// accounts; naming another user's account changes nothing.
func TestNotifyAccounts(t *testing.T) {
	app := newApp(t)
	ana := app.addUser("ana", "correct-horse", db.RoleAdmin)
	bob := app.addUser("bob", "battery-staple", db.RoleMember)
	casa := app.addAccount(ana.ID, "Casa")
	work := app.addAccount(ana.ID, "Work")
	bobs := app.addAccount(bob.ID, "Bobs")
	anaC := app.login("ana", "correct-horse")
	bobC := app.login("bob", "battery-staple")
	ctx := context.Background()
	id := func(a db.Account) string { return strconv.FormatInt(a.ID, 10) }

	r := anaC.post(notificationsPath, url.Values{"account": {id(casa)}})
	wantRedirect(t, r, "/settings?done="+doneNotifySaved+notificationsAnchor)
	if on, _ := app.db.NotifyAccounts(ctx, ana.ID); !on[casa.ID] || on[work.ID] || len(on) != 1 {
		t.Errorf("ana's accounts that notify: %v", on)
	}
	doc := anaC.get("/settings").doc(t)
	for _, box := range byTestID(doc, "notify-account") {
		if want := attr(box, "value") == id(casa); hasAttr(box, "checked") != want {
			t.Errorf("the box of account %s: checked %v", attr(box, "value"), !want)
		}
	}
	// Bob names ana's account with his own: refused, nothing changes.
	wantStatus(t, bobC.post(notificationsPath, url.Values{"account": {id(bobs), id(work)}}), http.StatusNotFound)
	if on, _ := app.db.NotifyAccounts(ctx, ana.ID); !on[casa.ID] || on[work.ID] {
		t.Errorf("after bob's try, ana's: %v", on)
	}
	if on, _ := app.db.NotifyAccounts(ctx, bob.ID); len(on) != 0 {
		t.Errorf("bob's: %v", on)
	}
	wantStatus(t, bobC.post(notificationsPath, url.Values{"account": {"x"}}), http.StatusBadRequest)
	// Unchecking all turns them off.
	wantRedirect(t, anaC.post(notificationsPath, url.Values{}), "/settings?done="+doneNotifySaved+notificationsAnchor)
	if on, _ := app.db.NotifyAccounts(ctx, ana.ID); len(on) != 0 {
		t.Errorf("after unchecking: %v", on)
	}
}

// TestNotificationsCrossSite: every notifications POST is refused from
// another site, as the other forms are, and changes nothing.
func TestNotificationsCrossSite(t *testing.T) {
	app := newApp(t)
	ana := app.addUser("ana", "correct-horse", db.RoleAdmin)
	casa := app.addAccount(ana.ID, "Casa")
	c := app.login("ana", "correct-horse")
	ctx := context.Background()
	wantStatus(t, c.post(subscribePath, subscription(t, "https://push.example.net/kept")), http.StatusOK)
	devs, _ := app.db.PushSubscriptions(ctx, ana.ID)
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Origin": "https://evil.example"},
	} {
		for path, form := range map[string]url.Values{
			subscribePath:   subscription(t, "https://evil.example/push"),
			unsubscribePath: {"endpoint": {"https://push.example.net/kept"}},
			notificationsPath + "/devices/" + strconv.FormatInt(devs[0].ID, 10) + "/delete": nil,
			notificationsPath: {"account": {strconv.FormatInt(casa.ID, 10)}},
		} {
			if r := c.postWith(path, form, hdr); r.StatusCode != http.StatusForbidden {
				t.Errorf("cross-site POST %s with %v: status %d", path, hdr, r.StatusCode)
			}
		}
	}
	if devs, _ := app.db.PushSubscriptions(ctx, ana.ID); len(devs) != 1 || devs[0].Endpoint != "https://push.example.net/kept" {
		t.Errorf("devices after cross-site posts: %+v", devs)
	}
	if on, _ := app.db.NotifyAccounts(ctx, ana.ID); len(on) != 0 {
		t.Errorf("accounts after cross-site posts: %v", on)
	}
	// Signed out, nothing is taken.
	anon := app.client()
	r := anon.post(subscribePath, subscription(t, "https://push.example.net/anon"))
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/login") {
		t.Errorf("signed out: status %d, location %q", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestDeviceLabel(t *testing.T) {
	for ua, want := range map[string]string{
		"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0":                                                                  "Firefox · Linux",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1": "Safari · iPhone",
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36 Edg/131.0":                   "Edge · Windows",
		"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36":                       "Chrome · macOS",
		"curl/8.5.0": "",
	} {
		if got := deviceLabel(ua); got != want {
			t.Errorf("deviceLabel(%q) = %q, want %q", ua, got, want)
		}
	}
}
