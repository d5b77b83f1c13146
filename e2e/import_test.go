package e2e

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestImportPage: a Thunderbird-era mbox of the corpus uploaded on the
// import page, in Spanish, is imported in the background; the page says
// how it went when it ends, and the inbox holds its messages. Uploaded
// again, nothing is stored twice.
func TestImportPage(t *testing.T) {
	data := t.TempDir()
	cli := func(stdin string, args ...string) {
		t.Helper()
		cmd := exec.Command(binary, append(args, "--data", data)...)
		cmd.Stdin = strings.NewReader(stdin)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	cli("household-secret\n", "user", "add", "admin", "--admin")
	// Its server is on loopback, where nothing answers: the import needs
	// an account, not its mail.
	cli("secret\n", "account", "add", "--user", "admin", "--email", "ana@example.org", "--host", "127.0.0.1", "--port", "9",
		"--security", "none", "--username", "ana")
	a := startAppIn(t, data)
	ctx := browser(t, 1280, 900, false)
	signIn(t, ctx, a, "es")
	mbox, err := filepath.Abs(filepath.Join("..", "testdata", "mail", "mimekit", "mbox", "content-length.mbox.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for round, want := range []string{"Guardados: 29. Ya estaban: 0.", "Guardados: 0. Ya estaban: 29."} {
		run(t, ctx, "upload the mbox",
			chromedp.Navigate(a.URL+"/settings"),
			chromedp.Click(tid("import-link")),
			chromedp.WaitVisible(tid("import-form")),
			chromedp.SetValue(`#import-format`, "mbox"),
			chromedp.SetUploadFiles(`#import-file`, []string{mbox}),
			chromedp.Click(tid("import-submit")),
		)
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
	data := t.TempDir()
	cmd := exec.Command(binary, "user", "add", "admin", "--admin", "--data", data)
	cmd.Stdin = strings.NewReader("household-secret\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user add: %v\n%s", err, out)
	}
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
