package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
)

// TestSearch: on a phone, a search typed in the header finds the messages
// whatever their accents, shows the matched word marked, and "every
// result" marks all of them read, the ones past the first page too.
func TestSearch(t *testing.T) {
	const bills = 55 // more than a page
	var msgs [][]byte
	for i := range bills {
		msgs = append(msgs, fmt.Appendf(nil, "From: Luz <facturas@luz.example>\r\nTo: alice@example.org\r\nSubject: Factura %d\r\n"+
			"Date: Mon, %02d Nov 2026 10:00:00 +0000\r\nMessage-ID: <f%d@luz.example>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
			"El importe de la canción número %d.\r\n", i, 1+i%28, i, i))
	}
	msgs = append(msgs, []byte("From: Zoë <zoe@example.net>\r\nTo: alice@example.org\r\nSubject: Otra cosa\r\n"+
		"Date: Tue, 24 Nov 2026 09:00:00 +0000\r\nMessage-ID: <z@example.net>\r\n\r\nNada que ver.\r\n"))
	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages("alice", msgs); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 360, 740, true)
	setUpAccount(t, ctx, a, "Old ISP", srv)

	want := fmt.Sprintf("%d messages", len(msgs))
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(500 * time.Millisecond) {
		run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("mailbox-total")))
		if get(t, ctx, "total", chromedp.Text(tid("mailbox-total"))) == want {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the mail did not arrive: %s", get(t, ctx, "total", chromedp.Text(tid("mailbox-total"))))
		}
	}

	run(t, ctx, "search from the header",
		chromedp.SendKeys(tid("search-input"), "cancion"),
		chromedp.Click(tid("search-submit")),
		chromedp.WaitVisible(tid("search-total")),
	)
	// More than a page: said at once, the count coming after (app.js).
	counted := fmt.Sprintf("%d results", bills)
	got := waitFor(t, ctx, `(function () {
		var s = document.querySelector('[data-testid="search-total"]').textContent.trim();
		return s === "More than 50 results" ? "" : s;
	})()`)
	if got != counted {
		t.Fatalf("results: %q, want %q", got, counted)
	}
	if all := get(t, ctx, "every result", chromedp.Text(tid("all-results-text"))); !strings.Contains(all, fmt.Sprintf("(%d)", bills)) {
		t.Errorf("act on every result: %q", all)
	}
	if n, err := countRows(ctx); err != nil || n != 50 {
		t.Errorf("%d rows on the first page (%v)", n, err)
	}
	marked := eval[string](t, ctx, `Array.from(document.querySelector('[data-testid="message-row"]').querySelectorAll('mark')).map(m => m.textContent).join(",")`)
	if marked != "canción" {
		t.Errorf("marked words in the first row: %q", marked)
	}
	noHorizontalScroll(t, ctx, "search results")
	screenshot(t, ctx, "search-phone")

	run(t, ctx, "mark every result read",
		chromedp.Click(tid("all-results")),
		chromedp.Click(tid("action-read")),
		chromedp.WaitVisible(tid("notice")),
	)
	eval[string](t, ctx, `document.querySelector('[data-testid="search-input"]').value = ""`)
	run(t, ctx, "search the unread ones",
		chromedp.SendKeys(tid("search-input"), "is:unread"),
		chromedp.Click(tid("search-submit")),
		// The results page of is:unread, not the previous one still shown.
		chromedp.WaitVisible(tid("search-input")+`[value="is:unread"]`),
		chromedp.WaitVisible(tid("search-total")),
	)
	if got := get(t, ctx, "unread", chromedp.Text(tid("search-total"))); got != "1 result" {
		t.Errorf("unread after acting on every result: %q", got)
	}
	if list := get(t, ctx, "list", chromedp.Text(tid("message-list"))); !strings.Contains(list, "Otra cosa") {
		t.Errorf("the other message is not the unread one: %s", list)
	}
}
