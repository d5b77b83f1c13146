package e2e

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	gomessage "github.com/emersion/go-message"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/smtptest"
)

// TestComposeFormatted turns formatting on in the composer, makes a word
// bold and a bulleted list with the toolbar, and sends the message
// through the real Postfix; fetched back over POP3, its HTML part has the
// bold word and the list, and its text part the same words as plain text.
// At 360 px the toolbar stays inside the page, and text with a quote goes
// into the editor as a blockquote and comes back out unchanged.
func TestComposeFormatted(t *testing.T) {
	mta := smtptest.Start(t, nil)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+mailCAFile(t, mta))
	ctx := browser(t, 1280, 900, false)
	setUpSending(t, ctx, a, mta)

	subject := "Formatted " + time.Now().UTC().Format("150405.000")
	run(t, ctx, "write, then turn formatting on",
		chromedp.Navigate(a.URL+"/compose"),
		chromedp.WaitVisible(tid("format-toggle")),
		chromedp.SendKeys(`#to`, smtptest.Address(dovecottest.DefaultUser)),
		chromedp.SendKeys(`#subject`, subject),
		chromedp.SendKeys(`#text`, "Hello bold world"),
		chromedp.Click(tid("format-toggle")),
		chromedp.WaitVisible(tid("field-editor")),
		chromedp.WaitVisible(tid("format-bold")),
	)
	if eval[bool](t, ctx, `document.querySelector('#text').offsetParent !== null`) ||
		eval[string](t, ctx, `document.querySelector('[data-testid="format-toggle"]').getAttribute('aria-pressed')`) != "true" {
		t.Fatal("the text area is still shown, or the switch is not pressed")
	}
	// Select "bold" in the editor and press B.
	eval[bool](t, ctx, `(function () {
		var ed = document.querySelector('[data-testid="field-editor"]');
		var walker = document.createTreeWalker(ed, NodeFilter.SHOW_TEXT);
		var n;
		while ((n = walker.nextNode())) {
			var i = n.nodeValue.indexOf("bold");
			if (i >= 0) {
				ed.focus();
				var r = document.createRange();
				r.setStart(n, i);
				r.setEnd(n, i + 4);
				var s = window.getSelection();
				s.removeAllRanges();
				s.addRange(r);
				return true;
			}
		}
		return false;
	})()`)
	run(t, ctx, "make it bold", chromedp.Click(tid("format-bold")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="format-bold"]').getAttribute('aria-pressed')`); got != "true" {
		t.Errorf("the bold button's aria-pressed is %q on bold text", got)
	}
	// At the end, a new paragraph that becomes a list of two items.
	eval[bool](t, ctx, `(function () {
		var ed = document.querySelector('[data-testid="field-editor"]');
		ed.focus();
		var r = document.createRange();
		r.selectNodeContents(ed);
		r.collapse(false);
		var s = window.getSelection();
		s.removeAllRanges();
		s.addRange(r);
		return true;
	})()`)
	run(t, ctx, "make a list",
		chromedp.KeyEvent("\r"),
		chromedp.KeyEvent("first item"),
		chromedp.Click(tid("format-bulleted")),
		chromedp.KeyEvent("\r"),
		chromedp.KeyEvent("second item"),
	)
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="format-bulleted"]').getAttribute('aria-pressed')`); got != "true" {
		t.Errorf("the list button's aria-pressed is %q in the list", got)
	}
	// The toolbar is one Tab stop; the arrow keys move along it.
	eval[bool](t, ctx, `(document.querySelector('[data-testid="format-bold"]').focus(), true)`)
	run(t, ctx, "move along the toolbar", chromedp.KeyEvent(kb.ArrowRight))
	if got := eval[string](t, ctx, `document.activeElement.dataset.testid + " " + document.activeElement.tabIndex`); got != "format-italic 0" {
		t.Errorf("ArrowRight from Bold focused %q", got)
	}
	html := eval[string](t, ctx, `document.querySelector('input[name="html"]').value`)
	if !strings.Contains(html, "<b>bold</b>") || !strings.Contains(html, "<ul>") || !strings.Contains(html, "second item") {
		t.Fatalf("the html field holds %q", html)
	}
	if eval[bool](t, ctx, `document.querySelector('input[name="html"]').disabled || !document.querySelector('#text').disabled`) {
		t.Error("with formatting on, the html field should be sent and the text area not")
	}
	run(t, ctx, "send", chromedp.Click(tid("compose-send")), chromedp.WaitVisible(tid("outbox")))
	waitSent(t, ctx, a, subject)
	waitArrived(t, ctx, a, subject)

	// Read it back as it came over POP3.
	href := eval[string](t, ctx, `document.querySelector('[data-testid="message-link"]').getAttribute('href')`)
	run(t, ctx, "open the raw message", chromedp.Navigate(a.URL+strings.SplitN(href, "?", 2)[0]+"/raw"), chromedp.WaitReady(`body`))
	raw := eval[string](t, ctx, `document.body.innerText`)
	plain, htmlPart := formattedParts(t, raw)
	if !strings.Contains(htmlPart, "<b>bold</b>") && !strings.Contains(htmlPart, "<strong>bold</strong>") {
		t.Errorf("the HTML part has no bold word:\n%s", htmlPart)
	}
	if !strings.Contains(htmlPart, "<ul>") || !strings.Contains(htmlPart, "<li>first item</li>") {
		t.Errorf("the HTML part has no list:\n%s", htmlPart)
	}
	for _, want := range []string{"Hello bold world", "- first item", "- second item"} {
		if !strings.Contains(plain, want) {
			t.Errorf("the text part lacks %q:\n%s", want, plain)
		}
	}
	if strings.Contains(plain, "<") {
		t.Errorf("the text part has markup:\n%s", plain)
	}

	// At phone width: the toolbar wraps inside the page, and a quote
	// round-trips through the editor.
	run(t, ctx, "the composer at 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulateScale(2)),
		chromedp.Navigate(a.URL+"/compose"),
		chromedp.WaitVisible(tid("format-toggle")),
		chromedp.SendKeys(`#text`, "On Monday, Bea wrote:\n> Lunch at one?\n> Or two.\n\nOne is fine."),
		chromedp.Click(tid("format-toggle")),
		chromedp.WaitVisible(tid("format-toolbar")),
	)
	noHorizontalScroll(t, ctx, "the composer with formatting at 360 px")
	screenshot(t, ctx, "compose-formatting-phone")
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="field-editor"] blockquote').innerHTML`); got != "<div>Lunch at one?</div><div>Or two.</div>" {
		t.Errorf("the quote went into the editor as %q", got)
	}
	run(t, ctx, "turn formatting off", chromedp.Click(tid("format-toggle")), chromedp.WaitVisible(`#text`))
	if got := eval[string](t, ctx, `document.querySelector('#text').value`); got != "On Monday, Bea wrote:\n> Lunch at one?\n> Or two.\n\nOne is fine." {
		t.Errorf("the text came back as %q", got)
	}
}

// formattedParts is the text/plain and text/html of a raw message.
func formattedParts(t *testing.T, raw string) (plain, html string) {
	t.Helper()
	e, err := gomessage.Read(strings.NewReader(raw))
	if err != nil {
		t.Fatalf("the message does not parse: %v\n%s", err, raw)
	}
	err = e.Walk(func(_ []int, p *gomessage.Entity, err error) error {
		if err != nil || p.MultipartReader() != nil {
			return err
		}
		b, err := io.ReadAll(p.Body)
		if err != nil {
			return err
		}
		switch mt, _, _ := p.Header.ContentType(); mt {
		case "text/plain":
			plain = string(b)
		case "text/html":
			html = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the parts: %v", err)
	}
	if plain == "" || html == "" {
		t.Fatalf("not a text and an HTML part:\n%s", raw)
	}
	return plain, html
}
