package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/apartado/apartado/internal/dovecottest"
)

// phoneMessages are n messages of two lines each on a list: a sender, a
// subject and some text, the newest first by date.
func phoneMessages(n int) [][]byte {
	var msgs [][]byte
	for i := range n {
		msgs = append(msgs, fmt.Appendf(nil, "From: Sender %02d <s%02d@example.net>\r\nTo: alice@example.org\r\n"+
			"Subject: Phone message %02d\r\nDate: Mon, 23 Nov 2026 %02d:%02d:00 +0000\r\nMessage-ID: <phone-%02d@example.net>\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nThe text of message %02d, long enough to be cut at the end of its line.\r\n",
			i, i, i, 8+i/60, i%60, i, i))
	}
	return msgs
}

// visible says whether the element the selector finds takes up room on
// the page.
func visible(t *testing.T, ctx context.Context, sel string) bool {
	t.Helper()
	return eval[bool](t, ctx, `(() => { const e = document.querySelector(`+jsString(sel)+`);
		return !!e && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden"; })()`)
}

// screenShot saves what the screen shows (not the whole page: the header
// and the bar of actions stay on the screen) when APARTADO_SCREENSHOTS
// names a folder.
func screenShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	saveShot(t, ctx, name, chromedp.CaptureScreenshot())
}

// TestPhoneInbox: at 360×740 the navigation is a drawer behind the
// header's menu button (which opens it, moves the focus into it, and which
// Escape and a tap outside close), at least eight rows of a 30-message
// inbox fit whole on the first screen, and the actions on the ticked
// messages show in a bar only once one is ticked, saying how many, and
// work; without JavaScript the menu and the bar still do. At 1280×900 the
// navigation shows without opening anything.
func TestPhoneInbox(t *testing.T) {
	const total = 30
	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages("alice", phoneMessages(total)); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 360, 740, true)
	setUpAccount(t, ctx, a, "Home", srv)
	waitRows(t, ctx, a, total)

	// The menu is collapsed: none of the navigation's links shows.
	if n := eval[int](t, ctx, `Array.from(document.querySelectorAll('[data-testid="nav"] a, [data-testid="logout"]'))
		.filter(e => e.getClientRects().length > 0).length`); n != 0 {
		t.Errorf("%d links of the navigation show before the menu is opened", n)
	}
	if !visible(t, ctx, tid("menu-button")) || !visible(t, ctx, tid("top-compose")) || !visible(t, ctx, tid("search-input")) {
		t.Error("the header lacks the menu button, Write or the search")
	}
	// The first screen: whole rows inside the viewport, none under the
	// header or a bar.
	fit := eval[int](t, ctx, `(() => {
		const head = document.querySelector('[data-testid="header"]').getBoundingClientRect().bottom;
		return Array.from(document.querySelectorAll('[data-testid="message-row"]')).filter(r => {
			const b = r.getBoundingClientRect();
			return b.top >= head && b.bottom <= window.innerHeight && b.left >= 0 && b.right <= window.innerWidth;
		}).length; })()`)
	if fit < 8 {
		t.Errorf("%d whole rows on the first screen at 360×740, want at least 8", fit)
	}
	if visible(t, ctx, tid("bulk-bar")) {
		t.Error("the bar of actions shows with nothing ticked")
	}
	noHorizontalScroll(t, ctx, "the inbox at 360 px")
	screenShot(t, ctx, "phone-list-inbox")

	// The menu: opened by its button, the focus inside; Escape closes it
	// and gives the focus back to the button.
	run(t, ctx, "open the menu", chromedp.Click(tid("menu-button")), chromedp.WaitVisible(tid("nav-settings")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="menu-button"]').getAttribute("aria-expanded")`); got != "true" {
		t.Errorf("open menu: aria-expanded %q", got)
	}
	if !eval[bool](t, ctx, `document.querySelector('[data-testid="nav"]').contains(document.activeElement)`) {
		t.Error("the focus did not move into the open menu")
	}
	noHorizontalScroll(t, ctx, "the open menu")
	screenShot(t, ctx, "phone-list-menu")
	run(t, ctx, "Escape", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(tid("nav-settings")))
	if got := eval[string](t, ctx, `document.activeElement.getAttribute("data-testid") + " " + document.activeElement.getAttribute("aria-expanded")`); got != "menu-button false" {
		t.Errorf("after Escape the focus is on %q, want the closed menu button", got)
	}
	// A tap outside the open menu closes it, and opens nothing.
	before := get(t, ctx, "location", chromedp.Location())
	run(t, ctx, "open the menu again", chromedp.Click(tid("menu-button")), chromedp.WaitVisible(tid("nav-settings")))
	run(t, ctx, "tap beside the menu", chromedp.MouseClickXY(340, 500),
		chromedp.WaitNotVisible(tid("nav-settings")))
	time.Sleep(300 * time.Millisecond) // a navigation the tap started would have begun
	if after := get(t, ctx, "location", chromedp.Location()); after != before {
		t.Errorf("the tap outside the menu went on to %s", after)
	}
	// The mailboxes drop from the page's title in the header; Escape
	// closes them too.
	if got := get(t, ctx, "title", chromedp.Text(tid("top-title"))); got != "Inbox" {
		t.Errorf("the header names the page %q, want Inbox", got)
	}
	run(t, ctx, "open the mailboxes", chromedp.Click(tid("drawer-button")), chromedp.WaitVisible(tid("box-starred")))
	screenShot(t, ctx, "phone-list-mailboxes")
	run(t, ctx, "Escape the mailboxes", chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(tid("box-starred")))
	// The search widens over the title while it has the focus.
	run(t, ctx, "focus the search", chromedp.Focus(tid("search-input")))
	if w := eval[float64](t, ctx, `document.querySelector('[data-testid="search-input"]').getBoundingClientRect().width`); w < 200 {
		t.Errorf("the search being typed in is %.0f px wide", w)
	}
	screenShot(t, ctx, "phone-list-search")
	run(t, ctx, "leave the search", chromedp.Blur(tid("search-input")))
	// A link in the menu leads to its page.
	openMenu(t, ctx)
	run(t, ctx, "Settings from the menu", chromedp.Click(tid("nav-settings")), chromedp.WaitVisible(tid("preferences-form")))
	if visible(t, ctx, tid("nav-settings")) {
		t.Error("the menu is open on the page its link led to")
	}

	// The bar of actions: shown once a row is ticked, with the count; its
	// Move to Archive moves that message.
	run(t, ctx, "the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	first := eval[string](t, ctx, `document.querySelector('[data-testid="message-subject"]').innerText`)
	run(t, ctx, "tick the first row", chromedp.Click(tid("message-select")), chromedp.WaitVisible(tid("bulk-bar")))
	if got := get(t, ctx, "count", chromedp.Text(tid("bulk-count"))); got != "1 selected" {
		t.Errorf("the bar says %q, want 1 selected", got)
	}
	if !eval[bool](t, ctx, `(() => { const b = document.querySelector('[data-testid="bulk-bar"]').getBoundingClientRect();
		return b.bottom <= window.innerHeight + 1 && b.top >= window.innerHeight / 2; })()`) {
		t.Error("the bar of actions is not at the bottom of the screen")
	}
	noHorizontalScroll(t, ctx, "the inbox with a row ticked")
	screenShot(t, ctx, "phone-list-selected")
	run(t, ctx, "archive it from the bar", chromedp.Click(tid("action-archive")), chromedp.WaitVisible(tid("undo")))
	if n, _ := countRows(ctx); n != total-1 {
		t.Errorf("%d rows after archiving one, want %d", n, total-1)
	}
	if list := get(t, ctx, "list", chromedp.Text(tid("message-list"))); strings.Contains(list, first) {
		t.Errorf("%q is still in the inbox", first)
	}

	// Without JavaScript: the menu's label opens it, and the bar shows
	// once a row is ticked; Delete moves the ticked message to the trash.
	noScript(t, ctx, true)
	run(t, ctx, "the inbox without JavaScript", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	if visible(t, ctx, tid("nav-settings")) || visible(t, ctx, tid("bulk-bar")) {
		t.Error("without JavaScript, the menu or the bar shows before being asked for")
	}
	run(t, ctx, "open the menu without JavaScript", chromedp.Click(tid("menu-button")), chromedp.WaitVisible(tid("nav-settings")))
	run(t, ctx, "close it", chromedp.Click(tid("menu-button")), chromedp.WaitNotVisible(tid("nav-settings")))
	second := eval[string](t, ctx, `document.querySelector('[data-testid="message-subject"]').innerText`)
	run(t, ctx, "tick a row without JavaScript", chromedp.Click(tid("message-select")), chromedp.WaitVisible(tid("bulk-bar")))
	run(t, ctx, "delete it", chromedp.Click(tid("action-trash")), chromedp.WaitVisible(tid("undo")))
	if list := get(t, ctx, "list", chromedp.Text(tid("message-list"))); strings.Contains(list, second) {
		t.Errorf("%q is still in the inbox after Delete without JavaScript", second)
	}
	noScript(t, ctx, false)

	// A computer's screen: the navigation as it was, without a menu.
	run(t, ctx, "a desktop's viewport", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	if !visible(t, ctx, tid("nav-settings")) || !visible(t, ctx, tid("nav-inbox")) || !visible(t, ctx, tid("logout")) {
		t.Error("at 1280 px the navigation does not show")
	}
	if visible(t, ctx, tid("menu-button")) || visible(t, ctx, tid("top-compose")) {
		t.Error("at 1280 px the phone's menu button or Write shows")
	}
	if visible(t, ctx, tid("bulk-bar")) {
		t.Error("at 1280 px the bar of actions shows with nothing ticked")
	}
	run(t, ctx, "tick a row at 1280 px", chromedp.Click(tid("message-select")), chromedp.WaitVisible(tid("action-archive")))
	screenShot(t, ctx, "desktop-list-selected")
}
