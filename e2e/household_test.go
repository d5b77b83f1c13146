package e2e

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
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
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, srv.CertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
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
