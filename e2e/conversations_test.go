package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
)

// TestConversation: at a phone's width, with conversations turned on in
// the preferences, a reply that arrives after its original leaves the
// inbox with one row for the two, which says so; opening it shows both
// messages on one page, the original folded once read and the reply
// open, and opening the original's line shows its text.
func TestConversation(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages("alice", testMessages[:1]); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 360, 740, true)
	setUpAccount(t, ctx, a, "Home", srv)
	waitArrived(t, ctx, a, "Café mañana")
	run(t, ctx, "turn conversations on",
		chromedp.Navigate(a.URL+"/settings"),
		chromedp.WaitVisible(tid("preferences-form")),
		chromedp.Click(tid("field-conversations")),
		chromedp.Click(tid("preferences-submit")),
	)
	// The page the form comes back to, once it has loaded.
	for deadline := time.Now().Add(15 * time.Second); ; {
		saved, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`location.search.includes('done=') && document.readyState === 'complete'`))
		if err == nil && saved {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the preferences were not saved")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !eval[bool](t, ctx, `document.querySelector('[data-testid="field-conversations"]').checked`) {
		t.Fatal("the setting is not saved")
	}
	// Read the original first, so that it is folded in the conversation.
	run(t, ctx, "read the original",
		chromedp.Navigate(a.URL+"/mail"),
		chromedp.WaitVisible(tid("message-list")),
		chromedp.Click(tid("message-link")),
		chromedp.WaitVisible(tid("message")),
	)

	reply := []byte("From: Alice <alice@example.org>\r\nTo: Zoë Martin <zoe@example.net>\r\nSubject: Re: =?UTF-8?Q?Caf=C3=A9_ma=C3=B1ana?=\r\n" +
		"Date: Mon, 23 Nov 2026 11:00:00 +0100\r\nMessage-ID: <reply@example.org>\r\nIn-Reply-To: <1@example.net>\r\n" +
		"References: <1@example.net>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nA las diez, sí.\r\n")
	if err := srv.AddMessages("alice", [][]byte{reply}); err != nil {
		t.Fatal(err)
	}
	waitArrived(t, ctx, a, "Re: Café mañana")

	run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	if n, err := countRows(ctx); err != nil || n != 1 {
		t.Fatalf("%d rows in the inbox (%v), want one for the conversation", n, err)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="conversation-count"]').innerText`); got != "(2)" {
		t.Errorf("the row's count is %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="message-from"]').innerText`); !strings.Contains(got, "Zoë Martin") ||
		!strings.Contains(got, "Alice") {
		t.Errorf("the row names %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="mailbox-total"]').innerText`); got != "2 messages" {
		t.Errorf("the total says %q", got)
	}
	noHorizontalScroll(t, ctx, "the inbox of conversations")

	run(t, ctx, "open the conversation", chromedp.Click(tid("message-link")), chromedp.WaitVisible(tid("thread")))
	if got := eval[int](t, ctx, `document.querySelectorAll('[data-testid="thread-message"]').length`); got != 2 {
		t.Fatalf("%d messages on the conversation's page, want 2", got)
	}
	if got := eval[string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="thread-from"]')).map(e => e.innerText).join(" / ")`); got != "Zoë Martin / Alice" {
		t.Errorf("the senders, oldest first: %q", got)
	}
	if got := eval[string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="thread-message"]')).map(e => e.open).join(",")`); got != "false,true" {
		t.Errorf("open: %s, want the read original folded and the reply open", got)
	}
	if got := eval[string](t, ctx, `document.querySelectorAll('[data-testid="thread-message"]')[1].innerText`); !strings.Contains(got, "A las diez, sí.") {
		t.Errorf("the reply shows %q", got)
	}
	noHorizontalScroll(t, ctx, "the conversation")
	run(t, ctx, "unfold the original", chromedp.Click(`[data-testid="thread-message"] summary`),
		chromedp.WaitVisible(`[data-testid="thread-message"][open] [data-testid="thread-body-text"]`))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="thread-message"] [data-testid="thread-body-text"]').innerText`); !strings.Contains(got, "¿Quedamos a las diez?") {
		t.Errorf("the original shows %q", got)
	}
	noHorizontalScroll(t, ctx, "the conversation unfolded")
	screenshot(t, ctx, "conversation-phone")
}
