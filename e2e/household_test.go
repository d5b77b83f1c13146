package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/testnet"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestImportPage: a Thunderbird-era mbox of the corpus uploaded on the
// import page, in Spanish, is imported in the background; the page says
// how it went when it ends, and the inbox holds its messages. Uploaded
// again, nothing is stored twice.
func TestImportPage(t *testing.T) {
	data := withAdmin(t)
	// Its server is on loopback, where nothing answers: the import needs
	// an account, not its mail.
	cli(t, data, "secret\n", "account", "add", "--user", "admin", "--email", "ana@example.org", "--host", "127.0.0.1", "--port", "9",
		"--security", "none", "--username", "ana")
	a := startAppIn(t, data)
	ctx := browser(t, 1280, 900, false)
	signIn(t, ctx, a, "es")
	mbox, err := filepath.Abs(filepath.Join("..", "testdata", "mail", "mimekit", "mbox", "content-length.mbox.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for round, want := range []string{"Guardados: 29. Ya estaban: 0.", "Guardados: 0. Ya estaban: 29."} {
		run(t, ctx, "open the import page from Settings", chromedp.Navigate(a.URL+"/settings"),
			chromedp.Click(tid("import-link")), chromedp.WaitVisible(tid("import-form")))
		run(t, ctx, "upload the mbox", chromedp.SetValue(`#import-format`, "mbox"),
			chromedp.SetUploadFiles(`#import-file`, []string{mbox}), chromedp.Click(tid("import-submit")))
		// The page of this round's import, once it has ended.
		got := waitFor(t, ctx, `(() => { const p = document.querySelector('[data-testid="import-result"]');
			return p && p.innerText.includes(`+strconv.Quote(want)+`) ? p.innerText : ""; })()`)
		if !strings.HasPrefix(got, "La importación ha terminado. Mensajes leídos: 29.") {
			t.Errorf("round %d: the page says %q", round+1, got)
		}
	}
	screenshot(t, ctx, "import")
	run(t, ctx, "the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-row")))
	if n, err := countRows(ctx); err != nil || n != 29 {
		t.Errorf("%d messages in the inbox (%v), want 29", n, err)
	}
}

// TestBrowserTimeZone: signing in from a browser in Tokyo gives a
// user without a time zone that one, as Settings then shows.
func TestBrowserTimeZone(t *testing.T) {
	data := withAdmin(t)
	a := startAppIn(t, data)
	ctx := browser(t, 1280, 900, false)
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride,
		emulation.SetTimezoneOverrideParams{TimezoneID: "Asia/Tokyo"}); err != nil {
		t.Fatalf("a browser in Tokyo: %v", err)
	}
	signIn(t, ctx, a, "en")
	run(t, ctx, "settings", chromedp.Navigate(a.URL+"/settings"), chromedp.WaitVisible(`#timezone`))
	if got := eval[string](t, ctx, `document.querySelector('#timezone').value`); got != "Asia/Tokyo" {
		t.Errorf("the time zone in Settings is %q", got)
	}
}

// TestInstallableApp: the page links a manifest Chromium reads without
// errors, its service worker takes control, and when the server cannot be
// reached a page of the app shows the offline page, in the user's
// language. The browser reaches Apartado through a proxy in this test,
// which stands for the network: switched off, it cuts every connection
// (DevTools' offline mode does not reach a service worker's own fetches).
func TestInstallableApp(t *testing.T) {
	data := withAdmin(t)
	a := startAppIn(t, data)
	target, err := url.Parse(a.URL)
	if err != nil {
		t.Fatal(err)
	}
	var down atomic.Bool
	proxy := httputil.NewSingleHostReverseProxy(target)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				conn.Close()
			}
			return
		}
		proxy.ServeHTTP(w, r)
	}))
	defer front.Close()
	via := *a
	via.URL = front.URL
	ctx := browser(t, 360, 740, true)
	signIn(t, ctx, &via, "es")
	run(t, ctx, "the inbox", chromedp.Navigate(via.URL+"/mail"), chromedp.WaitReady(tid("nav")))
	m, err := chromedp.Call(ctx, page.GetAppManifest, page.GetAppManifestParams{})
	if err != nil || m.URL == "" || len(m.Errors) != 0 {
		t.Errorf("the manifest as Chromium reads it: %q %+v %v", m.URL, m.Errors, err)
	}
	// The worker controls the pages from the one after it was installed;
	// that page keeps the offline page in the user's language (the sign-in
	// page's was English).
	run(t, ctx, "another page", chromedp.Navigate(via.URL+"/mail"), chromedp.WaitReady(tid("nav")))
	got := waitFor(t, ctx, `(() => { const c = navigator.serviceWorker && navigator.serviceWorker.controller;
		return c && localStorage.getItem("apartado-offline-lang") === "es" ? c.scriptURL : ""; })()`)
	if !strings.HasSuffix(got, "/sw.js") {
		t.Errorf("the page is controlled by %q", got)
	}
	down.Store(true)
	run(t, ctx, "a page without the server", chromedp.Navigate(via.URL+"/mail/archive"), chromedp.WaitVisible(tid("offline")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="offline"] h1').innerText`); got != "No hay conexión" {
		t.Errorf("the offline page says %q", got)
	}
	down.Store(false)
	run(t, ctx, "back", chromedp.Click(tid("offline-retry")), chromedp.WaitReady(tid("nav")))
}

// TestFailingBanner: an account whose password the server refuses is named
// on every page at a phone's width and a computer's, without making the
// page scroll sideways, and shown failing on the administrator's household
// page; the banner's button opens the account's form.
func TestFailingBanner(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	data := withAdmin(t)
	cli(t, data, "not-the-password\n", "account", "add", "--user", "admin", "--name", "Casa de la playa", "--email", "alice@example.org",
		"--host", "127.0.0.1", "--port", testnet.Port(srv.TLSAddr), "--security", "tls", "--username", dovecottest.DefaultUser)
	ca := caFile(t, srv.CertPEM)
	a := startAppIn(t, data, "APARTADO_EXTRA_CA_FILE="+ca)
	for _, size := range [][2]int{{360, 740}, {1280, 900}} {
		ctx := browser(t, size[0], size[1], size[0] < 400)
		signIn(t, ctx, a, "es")
		got := ""
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && got == ""; time.Sleep(200 * time.Millisecond) {
			run(t, ctx, "the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitReady(tid("nav")))
			got = eval[string](t, ctx, `(() => { const b = document.querySelector('[data-testid="failing-banner"]'); return b ? b.innerText : ""; })()`)
		}
		if !strings.Contains(got, "No llega el correo de Casa de la playa.") {
			t.Fatalf("%dpx: the banner says %q", size[0], got)
		}
		noHorizontalScroll(t, ctx, "the failing banner")
		screenshot(t, ctx, "failing-banner-"+strconv.Itoa(size[0]))
		run(t, ctx, "the household", chromedp.Navigate(a.URL+"/admin/users"), chromedp.WaitVisible(tid("user-accounts")))
		if got := eval[string](t, ctx, `document.querySelector('[data-testid="user-account"]').getAttribute("data-state")`); got != "failing" {
			t.Errorf("%dpx: the household page shows the account as %q", size[0], got)
		}
		noHorizontalScroll(t, ctx, "the household page")
		screenshot(t, ctx, "household-"+strconv.Itoa(size[0]))
		run(t, ctx, "fix it", chromedp.Click(tid("failing-fix")), chromedp.WaitVisible(tid("account-form")))
	}
}

// withAdmin makes a data folder whose administrator signIn signs in,
// made with the command line before the server starts.
func withAdmin(t *testing.T) string {
	t.Helper()
	data := t.TempDir()
	cli(t, data, "household-secret\n", "user", "add", "admin", "--admin")
	return data
}

// cli runs the program's command line on the data folder data, with stdin.
func cli(t *testing.T, data, stdin string, args ...string) {
	t.Helper()
	cmd := exec.Command(binary, append(args, "--data", data)...)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

// TestAdminFixesMemberAccount: a member's account fails (a wrong
// password); the administrator sees it on the household page, follows its
// "Fix it" to the member's account form, types the password, and saves
// (the connection test passes against the suite's Dovecot); the account
// then works, and the member, signing in, reads what the administrator
// changed until they dismiss it. Once on a phone, once on a desktop.
//
// The two people helped are administrators too: the suite's Dovecot is on
// loopback, which a member's accounts may never reach (internal/netguard);
// the household treats any other user alike, and handlers'
// TestAdminManagesMemberAccounts covers members.
func TestAdminFixesMemberAccount(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	data := withAdmin(t)
	members := []struct {
		name, lang, said string
		size             [2]int
	}{
		{"ana", "es", "admin cambió tu cuenta Casa: la contraseña.", [2]int{360, 740}},
		{"bea", "en", "admin changed your account Casa: the password.", [2]int{1280, 900}},
	}
	for _, m := range members {
		cli(t, data, m.name+"-password\n", "user", "add", m.name, "--admin")
		cli(t, data, "not-the-password\n", "account", "add", "--user", m.name, "--name", "Casa", "--email", m.name+"@example.org",
			"--host", "127.0.0.1", "--port", testnet.Port(srv.TLSAddr), "--security", "tls", "--username", dovecottest.DefaultUser)
	}
	ca := caFile(t, srv.CertPEM)
	a := startAppIn(t, data, "APARTADO_EXTRA_CA_FILE="+ca)
	for _, m := range members {
		w := strconv.Itoa(m.size[0]) + "px"
		row := `[data-user-name="` + m.name + `"] `
		ctx := browser(t, m.size[0], m.size[1], m.size[0] < 400)
		signIn(t, ctx, a, m.lang)
		stateIs := func(want string) {
			t.Helper()
			got := ""
			for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline) && got != want; time.Sleep(200 * time.Millisecond) {
				run(t, ctx, "the household", chromedp.Navigate(a.URL+"/admin/users"), chromedp.WaitVisible(tid("users")))
				got = eval[string](t, ctx, `document.querySelector('`+row+`[data-testid="user-account"]').getAttribute("data-state")`)
			}
			if got != want {
				t.Fatalf("%s: %s's account is %q on the household page, want %q", w, m.name, got, want)
			}
		}
		stateIs("failing")
		noHorizontalScroll(t, ctx, "the household page")
		run(t, ctx, "fix it", chromedp.Click(row+tid("user-account-fix")), chromedp.WaitVisible(tid("for-member")))
		if got := eval[string](t, ctx, `document.querySelector('[data-testid="for-member"]').innerText`); !strings.Contains(got, m.name) {
			t.Errorf("%s: the form says %q", w, got)
		}
		noHorizontalScroll(t, ctx, "a member's account form")
		screenshot(t, ctx, "member-account-"+w)
		run(t, ctx, "type the password and save", chromedp.SendKeys(`#password`, dovecottest.DefaultPassword),
			chromedp.Click(tid("account-submit")), chromedp.WaitVisible(tid("users")))
		if !strings.HasSuffix(eval[string](t, ctx, `location.pathname + location.search`), "/admin/users?done=account-saved") {
			t.Fatalf("%s: after saving, %s", w, eval[string](t, ctx, `location.href`))
		}
		stateIs("ok")

		mctx := browser(t, m.size[0], m.size[1], m.size[0] < 400)
		signInAs(t, mctx, a, m.name, m.name+"-password", m.lang)
		run(t, mctx, "the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("changes-banner")))
		if got := eval[string](t, mctx, `document.querySelector('[data-testid="changes-banner"]').innerText`); !strings.Contains(got, m.said) {
			t.Errorf("%s: %s reads %q, want %q", w, m.name, got, m.said)
		}
		noHorizontalScroll(t, mctx, "the notice of a change")
		screenshot(t, mctx, "member-notice-"+w)
		run(t, mctx, "dismiss it", chromedp.Click(tid("changes-dismiss")), chromedp.WaitNotPresent(tid("changes-banner")))
		if got := eval[string](t, mctx, `location.pathname`); got != "/mail" {
			t.Errorf("%s: dismissing led to %s", w, got)
		}
	}
}
