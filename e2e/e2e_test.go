// Package e2e drives the real apartado binary with a real headless Chromium
// against a real Dovecot: what a person does on the first day, at a desktop
// and at a phone's width.
package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dnstest"
	"github.com/apartado/apartado/internal/dovecottest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "apartado-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "apartado")
	build := exec.Command("go", "build", "-o", binary, "../cmd/apartado")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building apartado:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// app is a running apartado process.
type app struct {
	URL  string
	Data string
	// SetupCode is the first-run code the program logged at start.
	SetupCode string
	cmd       *exec.Cmd
	log       *strings.Builder
}

// startApp runs "apartado serve" on a free loopback port and waits until it
// says where it listens.
func startApp(t *testing.T, extraEnv ...string) *app {
	t.Helper()
	return startAppIn(t, t.TempDir(), extraEnv...)
}

// startAppIn is startApp with the data folder data.
// An APARTADO_ADDR among extraEnv is the address it listens on (a test
// that must know its address before it starts: its public URL).
func startAppIn(t *testing.T, data string, extraEnv ...string) *app {
	t.Helper()
	addr := "127.0.0.1:0"
	for _, e := range extraEnv {
		if v, ok := strings.CutPrefix(e, "APARTADO_ADDR="); ok {
			addr = v
		}
	}
	cmd := exec.Command(binary, "serve", "--addr", addr, "--data", data, "--log-format", "json")
	cmd.Env = append(os.Environ(), extraEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a := &app{Data: data, cmd: cmd, log: &strings.Builder{}}
	listening := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			a.log.WriteString(line + "\n")
			var rec struct {
				Msg       string `json:"msg"`
				Addr      string `json:"addr"`
				SetupCode string `json:"setup_code"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil {
				if rec.SetupCode != "" {
					a.SetupCode = rec.SetupCode // logged before "listening", read after it
				}
				if rec.Msg == "apartado listening" {
					listening <- rec.Addr
				}
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("apartado did not stop cleanly: %v", err)
			}
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			t.Error("apartado did not stop within 30 s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("apartado's log:\n%s", a.log.String())
		}
	})
	select {
	case a.URL = <-listening:
	case <-time.After(30 * time.Second):
		t.Fatalf("apartado did not start; log:\n%s", a.log.String())
	}
	return a
}

// browser starts a headless Chromium with a viewport of w×h.
func browser(t *testing.T, w, h int, mobile bool) context.Context {
	t.Helper()
	return startBrowser(t, w, h, mobile, "Translate,OptimizationHints,MediaRouter")
}

// startBrowser starts a headless Chromium with a viewport of w×h, the
// Chromium features disabled (a comma-separated list) and any more
// options; it skips the test when Chromium is missing and
// APARTADO_SKIP_BROWSER=1.
func startBrowser(t *testing.T, w, h int, mobile bool, disabledFeatures string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	path := os.Getenv("APARTADO_CHROMIUM")
	if path == "" {
		for _, p := range []string{"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"} {
			if _, err := os.Stat(p); err == nil {
				path = p
				break
			}
		}
	}
	if path == "" {
		if os.Getenv("APARTADO_SKIP_BROWSER") == "1" {
			t.Skip("no Chromium and APARTADO_SKIP_BROWSER=1")
		}
		t.Fatal("Chromium not found: apt-get install chromium (or set APARTADO_CHROMIUM)")
	}
	opts := append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-features", disabledFeatures),
		chromedp.WindowSize(w, h),
	}, extra...)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	emulate := chromedp.EmulateViewport(int64(w), int64(h))
	if mobile {
		emulate = chromedp.EmulateViewport(int64(w), int64(h), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2))
	}
	if err := chromedp.Do(ctx, emulate); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// createAdmin makes the administrator through the first-run form.
func createAdmin(t *testing.T, ctx context.Context, a *app) {
	t.Helper()
	run(t, ctx, "create the administrator",
		chromedp.Navigate(a.URL+"/setup"),
		chromedp.WaitVisible(tid("setup-form")),
		chromedp.SendKeys(`#code`, a.SetupCode),
		chromedp.SendKeys(`#name`, "admin"),
		chromedp.SendKeys(`#password`, "household-secret"),
		chromedp.SendKeys(`#confirm`, "household-secret"),
		chromedp.Click(tid("setup-submit")),
		chromedp.WaitReady(tid("nav")),
	)
}

// setUpAccount creates the administrator through the first-run form and
// adds a POP3 account named name for alice on srv through the account form.
func setUpAccount(t *testing.T, ctx context.Context, a *app, name string, srv *dovecottest.Server) {
	t.Helper()
	appURL := a.URL
	createAdmin(t, ctx, a)
	host, port, _ := net.SplitHostPort(srv.TLSAddr)
	run(t, ctx, "add the account",
		chromedp.Navigate(appURL+"/settings/accounts/new?manual=1"),
		chromedp.WaitVisible(tid("account-form")),
		chromedp.SendKeys(`#name`, name),
		chromedp.SendKeys(`#email`, "alice@example.org"),
		chromedp.SendKeys(`#host`, host),
		chromedp.SetValue(`#port`, port),
		chromedp.SendKeys(`#username`, "alice"),
		chromedp.SendKeys(`#password`, "secret"),
		chromedp.Click(tid("account-submit")),
		chromedp.WaitVisible(tid("accounts")),
	)
}

func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// get runs one action and returns its value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	return get(t, ctx, expr, chromedp.Evaluate[T](expr))
}

func tid(id string) string { return `[data-testid="` + id + `"]` }

// openMenu shows the navigation: on a narrow screen it is a drawer that the
// header's menu button opens, so the button is pressed; on a wide one it is
// always there. Either way it then waits for the navigation to be visible.
func openMenu(t *testing.T, ctx context.Context) {
	t.Helper()
	if eval[bool](t, ctx, `(() => { const b = document.querySelector('[data-testid="menu-button"]');
		return !!b && b.getClientRects().length > 0; })()`) {
		run(t, ctx, "open the menu", chromedp.Click(tid("menu-button")))
	}
	run(t, ctx, "the navigation shows", chromedp.WaitVisible(tid("nav")))
}

// noHorizontalScroll fails when the page is wider than the viewport.
func noHorizontalScroll(t *testing.T, ctx context.Context, where string) {
	t.Helper()
	if eval[bool](t, ctx, `document.documentElement.scrollWidth > window.innerWidth + 1`) {
		sw := eval[int](t, ctx, `document.documentElement.scrollWidth`)
		iw := eval[int](t, ctx, `window.innerWidth`)
		t.Errorf("%s scrolls horizontally: %d px of content in a %d px viewport", where, sw, iw)
	}
}

// screenshot saves a full-page PNG when APARTADO_SCREENSHOTS names a folder.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveShot(t, ctx, name, chromedp.FullScreenshot(100))
}

// caFile writes a certificate (PEM) for APARTADO_EXTRA_CA_FILE and
// returns its path.
func caFile(t *testing.T, pem []byte) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return ca
}

// saveShot saves the PNG that shot takes when APARTADO_SCREENSHOTS names a
// folder (made if need be).
func saveShot(t *testing.T, ctx context.Context, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	dir := os.Getenv("APARTADO_SCREENSHOTS")
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png := get(t, ctx, "screenshot", shot)
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func countRows(ctx context.Context) (int, error) {
	return chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="message-row"]').length`))
}

var testMessages = [][]byte{
	[]byte("From: Zoë Martin <zoe@example.net>\r\nTo: alice@example.org\r\nSubject: =?UTF-8?Q?Caf=C3=A9_ma=C3=B1ana?=\r\n" +
		"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nMessage-ID: <1@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		"¿Quedamos a las diez? https://example.net/mapa\r\n"),
	[]byte("From: Shop <news@shop.example>\r\nTo: alice@example.org\r\nSubject: Your order has shipped\r\n" +
		"Date: Tue, 24 Nov 2026 09:00:00 +0000\r\nMessage-ID: <2@shop.example>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/html; charset=utf-8\r\n\r\n<html><body><h1>Shipped</h1><p>Your parcel is on its way.</p>" +
		"<img src=\"http://tracker.example/pixel.gif\"><script>document.title='pwned'</script></body></html>\r\n"),
	[]byte("From: Jörg <joerg@example.de>\r\nTo: alice@example.org\r\nSubject: Holiday photos\r\n" +
		"Date: Wed, 25 Nov 2026 08:00:00 +0000\r\nMessage-ID: <3@example.de>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename*=UTF-8''informe%20a%C3%B1o.pdf\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKJcfsj6IK\r\n--b--\r\n"),
}

// TestFirstDay: first-run admin creation, add an account pointing at the
// test Dovecot, see the mail arrive, open it, delete it, log out and in.
func TestFirstDay(t *testing.T) {
	for _, vp := range []struct {
		name   string
		w, h   int
		mobile bool
	}{{"desktop", 1280, 900, false}, {"phone", 360, 740, true}} {
		t.Run(vp.name, func(t *testing.T) {
			srv := dovecottest.Start(t, dovecottest.Options{})
			if err := srv.AddMessages("alice", testMessages); err != nil {
				t.Fatal(err)
			}
			ca := caFile(t, srv.CertPEM)
			a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
			ctx := browser(t, vp.w, vp.h, vp.mobile)
			shot := func(name string) { screenshot(t, ctx, vp.name+"-"+name) }

			// First run: every page leads to the one-time administrator form.
			run(t, ctx, "open the app", chromedp.Navigate(a.URL+"/"), chromedp.WaitVisible(tid("setup-form")))
			if loc := get(t, ctx, "location", chromedp.Location()); !strings.HasSuffix(loc, "/setup") {
				t.Fatalf("first run landed on %s, want /setup", loc)
			}
			noHorizontalScroll(t, ctx, "setup")
			shot("setup")
			if a.SetupCode == "" {
				t.Fatalf("no set-up code in the log:\n%s", a.log.String())
			}
			// A wrong code is refused, and nothing is created.
			run(t, ctx, "try a wrong set-up code",
				chromedp.SendKeys(`#code`, "WRONG-CODE0-AAAAA"),
				chromedp.SendKeys(`#name`, "mallory"),
				chromedp.SendKeys(`#password`, "household-secret"),
				chromedp.SendKeys(`#confirm`, "household-secret"),
				chromedp.Click(tid("setup-submit")),
				chromedp.WaitVisible(tid("error-code")),
			)
			createAdmin(t, ctx, a)

			// Add the POP3 account.
			host, port, _ := net.SplitHostPort(srv.TLSAddr)
			run(t, ctx, "open the account form", chromedp.Navigate(a.URL+"/settings/accounts/new?manual=1"), chromedp.WaitVisible(tid("account-form")))
			if !eval[bool](t, ctx, `document.querySelector('input[name=security][value=tls]').checked`) {
				t.Error("SSL/TLS is not preselected")
			}
			noHorizontalScroll(t, ctx, "account form")
			shot("account-form")
			run(t, ctx, "fill the account form",
				chromedp.SendKeys(`#name`, "Old ISP"),
				chromedp.SendKeys(`#email`, "alice@example.org"),
				chromedp.SendKeys(`#host`, host),
				chromedp.SetValue(`#port`, port),
				chromedp.SendKeys(`#username`, "alice"),
				chromedp.SendKeys(`#password`, "secret"),
				chromedp.Click(tid("account-submit")),
				chromedp.WaitVisible(tid("accounts")),
			)
			shot("settings")

			// The mail arrives (the poller is woken when the account is added).
			deadline := time.Now().Add(60 * time.Second)
			for {
				run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("mailbox-heading")))
				n, err := countRows(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == len(testMessages) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d messages arrived", n, len(testMessages))
				}
				time.Sleep(500 * time.Millisecond)
			}
			noHorizontalScroll(t, ctx, "inbox")
			shot("inbox")
			list := get(t, ctx, "read the list", chromedp.Text(tid("message-list")))
			for _, want := range []string{"Café mañana", "Your order has shipped", "Holiday photos", "Zoë Martin"} {
				if !strings.Contains(list, want) {
					t.Errorf("the inbox does not show %q:\n%s", want, list)
				}
			}

			// Open the plain-text message.
			run(t, ctx, "open a message",
				chromedp.Click(`//a[@data-testid="message-link"][contains(., "Café mañana")]`),
				chromedp.WaitVisible(tid("message-subject")),
			)
			subject := get(t, ctx, "subject", chromedp.Text(tid("message-subject")))
			body := get(t, ctx, "body", chromedp.Text(tid("message-body-text")))
			if subject != "Café mañana" || !strings.Contains(body, "¿Quedamos a las diez?") {
				t.Errorf("message page: subject %q, body %q", subject, body)
			}
			if !eval[bool](t, ctx, `!!document.querySelector('[data-testid="message-body-text"] a[href="https://example.net/mapa"]')`) {
				t.Error("the URL in the text is not a link")
			}
			noHorizontalScroll(t, ctx, "message")
			shot("message")

			// The HTML message: in a sandboxed frame, its script did not run,
			// the tracking pixel is blocked.
			run(t, ctx, "open the HTML message",
				chromedp.Navigate(a.URL+"/mail"),
				chromedp.Click(`//a[@data-testid="message-link"][contains(., "Your order has shipped")]`),
				chromedp.WaitVisible(tid("message-body-frame")),
				chromedp.WaitVisible(tid("remote-blocked")),
			)
			if title := get(t, ctx, "title", chromedp.Title()); strings.Contains(title, "pwned") {
				t.Error("the message's script ran")
			}
			sb := get(t, ctx, "read the frame", chromedp.AttributeValue(tid("message-body-frame"), "sandbox"))
			// Same origin, so that the page can size it to its content, but
			// no script may run in it (its policy allows none either).
			if !sb.Exists || sb.Value != "allow-same-origin allow-popups allow-popups-to-escape-sandbox" {
				t.Errorf("iframe sandbox = %q (present %v)", sb.Value, sb.Exists)
			}
			shot("html-message")

			// The attachment is listed with its decoded name.
			run(t, ctx, "open the message with an attachment",
				chromedp.Navigate(a.URL+"/mail"),
				chromedp.Click(`//a[@data-testid="message-link"][contains(., "Holiday photos")]`),
				chromedp.WaitVisible(tid("attachments")),
			)
			att := get(t, ctx, "attachments", chromedp.Text(tid("attachments")))
			if !strings.Contains(att, "informe año.pdf") {
				t.Errorf("attachments: %q", att)
			}
			noHorizontalScroll(t, ctx, "message with attachment")

			// Delete it: it leaves the inbox, and the next message opens
			// with the notice that can undo it.
			run(t, ctx, "delete the message",
				chromedp.Click(tid("action-trash")),
				chromedp.WaitVisible(tid("undo")),
			)
			if n, _ := countRows(ctx); n != len(testMessages)-1 {
				run(t, ctx, "reload the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("mailbox-heading")))
				if n, _ := countRows(ctx); n != len(testMessages)-1 {
					t.Fatalf("%d messages in the inbox after deleting one", n)
				}
			}
			run(t, ctx, "open the trash", chromedp.Navigate(a.URL+"/mail/trash"), chromedp.WaitVisible(tid("mailbox-heading")))
			if n, _ := countRows(ctx); n != 1 {
				t.Errorf("%d messages in the trash", n)
			}

			// Log out; pages need the password again; log back in.
			run(t, ctx, "open the inbox to log out", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitReady(tid("nav")))
			openMenu(t, ctx)
			run(t, ctx, "log out", chromedp.Click(tid("logout")),
				chromedp.WaitVisible(tid("login-form")), chromedp.WaitVisible(tid("notice"))) // "You are signed out."
			run(t, ctx, "a page after logout", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("login-form")))
			noHorizontalScroll(t, ctx, "login")
			shot("login")
			run(t, ctx, "log in",
				chromedp.SendKeys(`#name`, "admin"),
				chromedp.SendKeys(`#password`, "household-secret"),
				chromedp.Click(tid("login-submit")),
				chromedp.WaitVisible(tid("mailbox-heading")),
			)
			if n, _ := countRows(ctx); n != len(testMessages)-1 {
				t.Errorf("after logging in again: %d messages", n)
			}
		})
	}
}

// TestWizard walks the account set-up wizard in English and in Spanish: the
// address alone finds the server (from the domain's SRV record on a loopback
// name server), a mistyped server name gets the right advice, its fix is
// applied with one click, the test turns green, the account is saved and the
// mail arrives.
func TestWizard(t *testing.T) {
	for _, lang := range []struct {
		code, noSuchServer string
	}{{"en", "The server name does not exist"}, {"es", "El nombre del servidor no existe"}} {
		t.Run(lang.code, func(t *testing.T) {
			// The login name is the whole address, as discovery proposes.
			srv := dovecottest.Start(t, dovecottest.Options{CertNames: []string{"pop.example.test"},
				Users: map[string]string{"alice@example.test": "secret"}})
			if err := srv.AddMessages("alice@example.test", testMessages); err != nil {
				t.Fatal(err)
			}
			_, tlsPort, _ := net.SplitHostPort(srv.TLSAddr)
			port, _ := strconv.Atoi(tlsPort)
			dns := dnstest.Start(t, map[string]string{"pop.example.test": "127.0.0.1"})
			dns.SetSRV("_pop3s._tcp.example.test", "pop.example.test", uint16(port))
			ca := caFile(t, srv.CertPEM)
			a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca, "APARTADO_DNS_SERVER="+dns.Addr)
			ctx := browser(t, 1280, 900, false)
			shot := func(name string) { screenshot(t, ctx, "wizard-"+lang.code+"-"+name) }

			createAdmin(t, ctx, a)
			if lang.code == "es" {
				run(t, ctx, "choose Spanish",
					chromedp.Navigate(a.URL+"/settings"),
					chromedp.WaitVisible(tid("preferences-form")),
					chromedp.SetValue(`#locale`, "es"),
					chromedp.Click(tid("preferences-submit")),
				)
				// The click navigates; wait for a page in Spanish.
				for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
					if lang, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.lang`)); err == nil && lang == "es" {
						break
					}
					if time.Now().After(deadline) {
						t.Fatal("the pages are not in Spanish after choosing it")
					}
				}
			}

			// Step 1: the address and the password; the server is discovered.
			run(t, ctx, "start the wizard",
				chromedp.Navigate(a.URL+"/settings/accounts/new"),
				chromedp.WaitVisible(tid("account-start-form")),
				chromedp.SendKeys(`#email`, "alice@example.test"),
				chromedp.SendKeys(`#password`, "secret"),
				chromedp.Click(tid("account-start-submit")),
				chromedp.WaitVisible(tid("account-form")),
			)
			shot("discovered")
			if host := eval[string](t, ctx, `document.querySelector('#host').value`); host != "pop.example.test" {
				t.Errorf("discovered host %q, want pop.example.test", host)
			}
			if got := eval[string](t, ctx, `document.querySelector('#port').value`); got != tlsPort {
				t.Errorf("discovered port %q, want %s (from the SRV record)", got, tlsPort)
			}
			if !eval[bool](t, ctx, `document.querySelector('input[name=security][value=tls]').checked`) {
				t.Error("SSL/TLS not chosen for a _pop3s record")
			}

			// A typing mistake in the server name. The password typed for the
			// discovered server is not sent to another: it is typed again.
			run(t, ctx, "mistype the server and test",
				chromedp.SetValue(`#host`, "pop.exmaple.test"),
				chromedp.SendKeys(`#password`, "secret"),
				chromedp.Click(tid("account-test")),
				chromedp.WaitVisible(tid("diagnosis")),
			)
			shot("diagnosis")
			if title := get(t, ctx, "diagnosis", chromedp.Text(tid("diagnosis-title"))); !strings.Contains(title, lang.noSuchServer) {
				t.Fatalf("diagnosis %q, want %q", title, lang.noSuchServer)
			}
			fix := get(t, ctx, "fix", chromedp.Text(tid("fix-button")))
			if !strings.Contains(fix, "pop.example.test") {
				t.Fatalf("the first fix is %q, want one naming pop.example.test", fix)
			}
			// One click applies it and tests again: green.
			run(t, ctx, "apply the fix", chromedp.Click(tid("fix-button")), chromedp.WaitVisible(tid("test-ok")))
			shot("fixed")
			if host := eval[string](t, ctx, `document.querySelector('#host').value`); host != "pop.example.test" {
				t.Errorf("after the fix the form says %q", host)
			}
			run(t, ctx, "save", chromedp.Click(tid("account-submit")), chromedp.WaitVisible(tid("accounts")))

			deadline := time.Now().Add(60 * time.Second)
			for {
				run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("mailbox-heading")))
				n, err := countRows(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if n == len(testMessages) {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("%d of %d messages arrived", n, len(testMessages))
				}
				time.Sleep(500 * time.Millisecond)
			}
			shot("inbox")
		})
	}
}
