package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/apartado/apartado/internal/dovecottest"
)

// TestKeyboardShortcuts walks the inbox with the keyboard at a desktop's
// width: j and k move the highlight, x selects, e archives (with the Undo
// notice), ? opens the help and Escape closes it, / goes to the search
// field where a typed j is text, and with the setting off j does nothing.
func TestKeyboardShortcuts(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages("alice", testMessages); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 1280, 900, false)
	setUpAccount(t, ctx, a, "Home", srv)
	waitRows(t, ctx, a, len(testMessages))

	press := func(keys string) {
		t.Helper()
		run(t, ctx, "press "+keys, typeKeys(keys))
	}
	// highlighted is the subject of the highlighted row, "" for none; it
	// fails when more than one row is highlighted or the highlighted row's
	// link does not have the focus.
	highlighted := func() string {
		t.Helper()
		rows := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="message-row"][aria-current="true"]'))
			.map(r => r.querySelector('[data-testid="message-subject"]').innerText)`)
		switch len(rows) {
		case 0:
			return ""
		case 1:
		default:
			t.Fatalf("%d rows highlighted: %q", len(rows), rows)
		}
		if !eval[bool](t, ctx, `document.activeElement === document.querySelector('[aria-current="true"] [data-testid="message-link"]')
			&& document.activeElement.matches(':focus-visible')`) {
			t.Errorf("the highlighted row %q does not show the focus", rows[0])
		}
		return rows[0]
	}
	wantHighlighted := func(want string) {
		t.Helper()
		if got := highlighted(); got != want {
			t.Fatalf("highlighted %q, want %q", got, want)
		}
	}

	// Newest first: Holiday photos, Your order has shipped, Café mañana.
	if got := highlighted(); got != "" {
		t.Fatalf("a row is highlighted before any key: %q", got)
	}
	press("j")
	wantHighlighted("Holiday photos")
	press("j")
	wantHighlighted("Your order has shipped")
	press("j")
	wantHighlighted("Café mañana")
	press("j") // the last row stays
	wantHighlighted("Café mañana")
	press("k")
	wantHighlighted("Your order has shipped")
	screenshot(t, ctx, "keys-highlight")

	// x selects the highlighted row; e archives the selection.
	press("x")
	picked := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="message-select"]:checked'))
		.map(b => b.closest('[data-testid="message-row"]').querySelector('[data-testid="message-subject"]').innerText)`)
	if len(picked) != 1 || picked[0] != "Your order has shipped" {
		t.Fatalf("selected %q after x", picked)
	}
	run(t, ctx, "archive with e", typeKeys("e"), chromedp.WaitVisible(tid("undo")))
	wantNotice(t, ctx, "Moved 1 message to Archive")
	if n, _ := countRows(ctx); n != len(testMessages)-1 {
		t.Fatalf("%d messages in the inbox after archiving one", n)
	}
	if eval[bool](t, ctx, `Array.from(document.querySelectorAll('[data-testid="message-subject"]')).some(s => s.innerText === "Your order has shipped")`) {
		t.Fatal("the archived message is still in the inbox")
	}

	// ? opens the help, a modal dialog; Escape closes it.
	helpOpen := func() bool {
		t.Helper()
		return eval[bool](t, ctx, `document.querySelector('[data-testid="shortcuts-help"]').open`)
	}
	if helpOpen() {
		t.Fatal("the help is open before ?")
	}
	run(t, ctx, "open the help", typeKeys("?"), chromedp.WaitVisible(tid("shortcuts-help")))
	if !eval[bool](t, ctx, `document.querySelector('[data-testid="shortcuts-help"]').matches(':modal')`) {
		t.Error("the help is not a modal dialog")
	}
	screenshot(t, ctx, "keys-help")
	press("j") // the dialog has the keys: the list behind it does not move
	run(t, ctx, "close the help", typeKeys(kb.Escape), chromedp.WaitNotVisible(tid("shortcuts-help")))
	if helpOpen() {
		t.Fatal("the help is still open after Escape")
	}
	if got := highlighted(); got != "" {
		t.Fatalf("j moved the list behind the help: %q", got)
	}

	// / goes to the search field; a j typed there is text, not a shortcut.
	press("j")
	wantHighlighted("Holiday photos")
	press("/")
	if !eval[bool](t, ctx, `document.activeElement === document.querySelector('[data-testid="search-input"]')`) {
		t.Fatal("/ did not focus the search field")
	}
	press("jk")
	if v := eval[string](t, ctx, `document.querySelector('[data-testid="search-input"]').value`); v != "jk" {
		t.Errorf("search field %q after typing jk", v)
	}
	if got := eval[string](t, ctx, `document.querySelector('[aria-current="true"] [data-testid="message-subject"]').innerText`); got != "Holiday photos" {
		t.Errorf("typing in the search field moved the highlight to %q", got)
	}

	// o opens the highlighted message; there j goes to the older one, s
	// stars it (the same form as the button, with its notice) and u goes
	// back to the list.
	subjectIs := func(want string) {
		t.Helper()
		if got := get(t, ctx, "subject", chromedp.Text(`h1[data-testid="message-subject"]`)); got != want {
			t.Fatalf("on %q, want %q", got, want)
		}
	}
	run(t, ctx, "back to the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	press("j")
	run(t, ctx, "open with o", typeKeys("o"), chromedp.WaitVisible(tid("message")))
	subjectIs("Holiday photos")
	run(t, ctx, "older with j", typeKeys("j"), chromedp.WaitVisible(tid("message-newer")))
	subjectIs("Café mañana")
	run(t, ctx, "star with s", typeKeys("s"), chromedp.WaitVisible(tid("undo")))
	wantNotice(t, ctx, "Starred 1 message")
	subjectIs("Café mañana")
	run(t, ctx, "back with u", typeKeys("u"), chromedp.WaitVisible(tid("message-list")))

	// With the setting off, j does nothing.
	run(t, ctx, "turn the shortcuts off",
		chromedp.Navigate(a.URL+"/settings"),
		chromedp.WaitVisible(tid("preferences-form")),
		chromedp.Click(tid("field-shortcuts")),
		chromedp.Click(tid("preferences-submit")),
		chromedp.WaitVisible(tid("notice")),
	)
	run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	if v := eval[string](t, ctx, `document.body.getAttribute("data-shortcuts")`); v != "off" {
		t.Fatalf("body data-shortcuts %q after turning them off", v)
	}
	press("j")
	press("?")
	if got := highlighted(); got != "" {
		t.Errorf("j highlighted %q with the shortcuts off", got)
	}
	if !eval[bool](t, ctx, `document.activeElement === document.body && !document.querySelector('dialog[open]')`) {
		t.Error("a key acted with the shortcuts off")
	}
}

// typeKeys presses keys as a person does: each key's keydown carries its
// text, so a page that handles the keydown (preventDefault) types nothing.
// chromedp.KeyEvent sends the text as an event of its own, which types
// the character even then.
func typeKeys(keys string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		for _, r := range keys {
			events := kb.Encode(r)
			var text string
			for _, e := range events {
				if e.Type == kb.KeyChar {
					text = e.Text
				}
			}
			for _, e := range events {
				if e.Type == kb.KeyChar {
					continue
				}
				p := *e
				if p.Type == kb.KeyDown {
					p.Text, p.UnmodifiedText = text, text
				}
				if _, err := cdp.Call(ctx, t, input.DispatchKeyEvent, p); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
