package e2e

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// edgesMbox is an mbox of the messages the tests of this file open: a
// short HTML message, a long one, and one from an address that fits on a
// phone's line.
func edgesMbox() []byte {
	var long strings.Builder
	for i := 1; i <= 80; i++ {
		fmt.Fprintf(&long, "<p>Párrafo %d del boletín: noticias de la asociación de vecinos, con el orden del día de la próxima reunión.</p>\n", i)
	}
	msg := func(from, subject, date, html string) string {
		return "From sender@example.com Mon Dec  7 10:00:00 2026\n" +
			"From: " + from + "\nTo: ana@example.org\nSubject: " + subject + "\nDate: " + date + "\n" +
			"Message-ID: <" + strings.ReplaceAll(strings.ToLower(subject), " ", "-") + "@example.com>\n" +
			"MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n" +
			"<!DOCTYPE html><html><body>" + html + "</body></html>\n\n"
	}
	return []byte(msg("Maximiliano Fernández <maximiliano.fernandez.garcia@correo-de-casa.example.com>", "Nota corta", "Mon, 7 Dec 2026 10:00:00 +0100",
		"<p>Hola Ana, nos vemos mañana a las diez.</p>") +
		msg("Boletín <boletin@example.com>", "Boletín largo", "Mon, 7 Dec 2026 11:00:00 +0100", long.String()) +
		msg("name@example.com", "Solo la dirección", "Mon, 7 Dec 2026 12:00:00 +0100", "<p>Sin nombre.</p>"))
}

// withEdgesMail makes a data folder whose administrator has an account
// holding edgesMbox, imported with the command line.
func withEdgesMail(t *testing.T) string {
	t.Helper()
	data := withAdmin(t)
	// Its server is on loopback, where nothing answers: the messages come
	// from the import.
	cli(t, data, "secret\n", "account", "add", "--user", "admin", "--email", "ana@example.org", "--host", "127.0.0.1", "--port", "9",
		"--security", "none", "--username", "ana")
	imp := exec.Command(binary, "import", "--data", data, "--user", "admin", "--format", "mbox", writeFile(t, "edges.mbox", edgesMbox()))
	if out, err := imp.CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	return data
}

// frameFit is what a body frame measures against its content.
type frameFit struct {
	Height         float64 // the frame's height on the page
	Content        float64 // the height of the document inside, to the bottom of its body's margin
	Scroll, Client float64 // the document's scrollHeight and clientHeight
	Viewport       float64 // the page's viewport height
}

// measureFrame waits until the page's script has sized the body frame,
// then measures it.
func measureFrame(t *testing.T, ctx context.Context) frameFit {
	t.Helper()
	waitFor(t, ctx, `(() => { const f = document.querySelector('[data-testid="message-body-frame"]');
		return f && f.style.height && f.contentDocument && f.contentDocument.readyState === "complete" ? "sized" : ""; })()`)
	return eval[frameFit](t, ctx, `(() => {
		const f = document.querySelector('[data-testid="message-body-frame"]');
		const d = f.contentDocument, root = d.documentElement, body = d.body;
		const mb = parseFloat(d.defaultView.getComputedStyle(body).marginBottom) || 0;
		return {Height: f.getBoundingClientRect().height, Content: body.getBoundingClientRect().bottom + d.defaultView.scrollY + mb,
			Scroll: root.scrollHeight, Client: root.clientHeight, Viewport: window.innerHeight};
	})()`)
}

// TestBodyFrameFitsContent: an HTML message's frame is as tall as what it
// shows, at a phone's width and a computer's: a short message leaves no
// void below it, a long one makes the page longer rather than scrolling
// inside its frame, also after the window's width changes. Without
// JavaScript the frame keeps a height of its own and scrolls inside.
func TestBodyFrameFitsContent(t *testing.T) {
	data := withEdgesMail(t)
	a := startAppIn(t, data)
	for _, size := range [][2]int{{360, 740}, {1280, 900}} {
		where := fmt.Sprintf("%dx%d", size[0], size[1])
		ctx := browser(t, size[0], size[1], size[0] < 400)
		signIn(t, ctx, a, "es")

		openMessage(t, ctx, a, "Nota corta")
		m := measureFrame(t, ctx)
		if m.Height > m.Content+30 || m.Height < m.Content || m.Height > 200 {
			t.Errorf("%s: the short message's frame is %.0f px tall for %.0f px of content", where, m.Height, m.Content)
		}
		if m.Scroll > m.Client+2 {
			t.Errorf("%s: the short message scrolls inside its frame: %.0f of %.0f px", where, m.Scroll, m.Client)
		}
		screenshot(t, ctx, "frame-short-"+where)

		openMessage(t, ctx, a, "Boletín largo")
		m = measureFrame(t, ctx)
		if m.Height <= m.Viewport || m.Height < m.Content {
			t.Errorf("%s: the long message's frame is %.0f px tall for %.0f px of content in a %.0f px viewport", where, m.Height, m.Content, m.Viewport)
		}
		if m.Scroll > m.Client+2 {
			t.Errorf("%s: the long message scrolls inside its frame: %.0f of %.0f px", where, m.Scroll, m.Client)
		}
		if size[0] > 400 {
			// Narrower, the text wraps into more lines: the frame follows.
			before := m.Height
			run(t, ctx, "a narrower window", chromedp.EmulateViewport(480, 900))
			waitFor(t, ctx, fmt.Sprintf(`document.querySelector('[data-testid="message-body-frame"]').getBoundingClientRect().height > %f ? "taller" : ""`, before))
			m = measureFrame(t, ctx)
			if m.Height <= before || m.Scroll > m.Client+2 {
				t.Errorf("after narrowing the window the long message's frame is %.0f px (was %.0f), scrolling %.0f of %.0f px", m.Height, before, m.Scroll, m.Client)
			}
		}
	}

	// Without JavaScript: the style sheet's height, which scrolls inside.
	ctx := browser(t, 360, 740, true)
	signIn(t, ctx, a, "es")
	noScript(t, ctx, true)
	openMessage(t, ctx, a, "Nota corta")
	if h := eval[float64](t, ctx, `document.querySelector('[data-testid="message-body-frame"]').getBoundingClientRect().height`); h < 300 {
		t.Errorf("without JavaScript the frame is %.0f px tall", h)
	}
}

// addressLines is the text of each line an element's text is laid out
// in, as the browser broke it.
const addressLines = `((sel) => {
	const el = document.querySelector(sel);
	const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
	const lines = [];
	let top = null;
	for (let n = walker.nextNode(); n; n = walker.nextNode()) {
		for (let i = 0; i < n.data.length; i++) {
			const r = document.createRange();
			r.setStart(n, i);
			r.setEnd(n, i + 1);
			const rects = r.getClientRects();
			if (rects.length === 0) {
				if (lines.length > 0) lines[lines.length - 1] += n.data[i];
				continue;
			}
			const t = Math.round(rects[rects.length - 1].top);
			if (top === null || t > top + 2) {
				lines.push("");
				top = t;
			}
			lines[lines.length - 1] += n.data[i];
		}
	}
	return lines;
})`

// TestAddressesAndShowOriginalOnAPhone: at a phone's width an address that
// fits on a line stays on one, one that does not breaks only after its @
// or before a dot, never inside a word; "Show original" is a button a
// finger can hit.
func TestAddressesAndShowOriginalOnAPhone(t *testing.T) {
	data := withEdgesMail(t)
	a := startAppIn(t, data)
	ctx := browser(t, 360, 740, true)
	signIn(t, ctx, a, "en")

	openMessage(t, ctx, a, "Solo la dirección")
	if lines := eval[[]string](t, ctx, addressLines+`('[data-testid="message-from"] .addr')`); len(lines) != 1 {
		t.Errorf("name@example.com is laid out in lines %q", lines)
	}
	h := eval[float64](t, ctx, `document.querySelector('[data-testid="show-original"]').getBoundingClientRect().height`)
	if h < 44 {
		t.Errorf("Show original is %.0f px high, want at least 44", h)
	}
	screenshot(t, ctx, "address-alone-360")

	openMessage(t, ctx, a, "Nota corta")
	lines := eval[[]string](t, ctx, addressLines+`('[data-testid="message-from"]')`)
	if got := strings.Join(strings.Fields(strings.Join(lines, "")), " "); got != "Maximiliano Fernández <maximiliano.fernandez.garcia@correo-de-casa.example.com>" {
		t.Fatalf("the sender reads %q", lines)
	}
	if len(lines) < 2 {
		t.Fatalf("the sender fits on one line at 360 px: %q", lines)
	}
	for i := 1; i < len(lines); i++ {
		before, after := lines[i-1], lines[i]
		if !strings.HasSuffix(before, " ") && !strings.HasSuffix(before, "@") && !strings.HasSuffix(before, "-") && !strings.HasPrefix(after, ".") {
			t.Errorf("the sender breaks inside a word: %q", lines)
		}
	}
	screenshot(t, ctx, "address-long-360")
}

// TestSecurityWarningFollowsTheChoice: on the account form the "Not
// encrypted" warning shows while no encryption is chosen, and only then,
// as the choice changes.
func TestSecurityWarningFollowsTheChoice(t *testing.T) {
	data := withAdmin(t)
	a := startAppIn(t, data)
	ctx := browser(t, 360, 740, true)
	signIn(t, ctx, a, "en")
	run(t, ctx, "the account form", chromedp.Navigate(a.URL+"/settings/accounts/new?manual=1"), chromedp.WaitVisible(tid("account-form")))
	shown := func(id string) bool {
		return eval[bool](t, ctx, `(() => { const w = document.querySelector('[data-testid="`+id+`"]');
			return !!w && w.getClientRects().length > 0 && w.getBoundingClientRect().height > 0; })()`)
	}
	for _, c := range []struct {
		click string
		want  bool
	}{{"", false}, {"field-security-none", true}, {"field-security-starttls", false}, {"field-security-none", true}, {"field-security-tls", false}} {
		if c.click != "" {
			run(t, ctx, "choose "+c.click, chromedp.Click(tid(c.click)))
		}
		if got := shown("security-warning-none"); got != c.want {
			t.Errorf("after choosing %q the warning is shown: %v", c.click, got)
		}
	}
	screenshot(t, ctx, "account-form-360")
	run(t, ctx, "no encryption for sending", chromedp.Click(tid("field-smtp_security-none")))
	if !shown("smtp-security-warning-none") || shown("security-warning-none") {
		t.Errorf("after choosing no encryption for sending: sending's warning %v, receiving's %v", shown("smtp-security-warning-none"), shown("security-warning-none"))
	}
}
