package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
)

// TestLiveInbox: on a phone-sized screen, with the inbox open, a message
// that arrives in the mailbox on the server and is fetched by a check
// asked for elsewhere shows up without a reload: a bar offers it, the tab's
// title and the sidebar count it, and what was selected stays selected.
// "Show" lists it; Check mail on the list comes back with a notice.
func TestLiveInbox(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages("alice", testMessages[:1]); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 360, 740, true)
	setUpAccount(t, ctx, a, "Old ISP", srv)
	waitArrived(t, ctx, a, "Café mañana")

	run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	if got := eval[string](t, ctx, `document.title`); got != "(1) Inbox – Apartado" {
		t.Errorf("the inbox's title is %q", got)
	}
	noHorizontalScroll(t, ctx, "the inbox with Check mail")
	// This page, and what is selected on it, must outlive what follows.
	run(t, ctx, "select the message", chromedp.Click(tid("message-select")))
	eval[bool](t, ctx, `window.stillThisPage = true`)

	const subject = "Your order has shipped"
	if err := srv.AddMessages("alice", testMessages[1:2]); err != nil {
		t.Fatal(err)
	}
	// Have it fetched from elsewhere (as the poller would in its time):
	// the account's "check now", posted without leaving the page.
	if got := eval[int](t, ctx, `(() => {
		const s = new XMLHttpRequest();
		s.open('GET', '/settings', false);
		s.send();
		const id = new DOMParser().parseFromString(s.responseText, 'text/html')
			.querySelector('[data-testid="account"]').getAttribute('data-account-id');
		const x = new XMLHttpRequest();
		x.open('POST', '/settings/accounts/' + id + '/check', false);
		x.send();
		return x.status;
	})()`); got != 200 {
		t.Fatalf("asking for a check: status %d", got)
	}
	for deadline := time.Now().Add(90 * time.Second); ; {
		if eval[bool](t, ctx, `!document.querySelector('[data-testid="live-bar"]').hidden`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no new mail offered within 90 s of its arrival")
		}
		run(t, ctx, "wait", chromedp.Sleep(500*time.Millisecond))
	}
	if !eval[bool](t, ctx, `window.stillThisPage === true`) {
		t.Fatal("the page was reloaded")
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="live-text"]').innerText`); got != "1 new message" {
		t.Errorf("the bar says %q", got)
	}
	if got := eval[string](t, ctx, `document.title`); got != "(2) Inbox – Apartado" {
		t.Errorf("the title with new mail is %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#sidebar [data-testid="box-inbox"] [data-testid="box-unread"]').innerText`); got != "2" {
		t.Errorf("the sidebar's inbox count is %q", got)
	}
	if !eval[bool](t, ctx, `document.querySelector('[data-testid="message-select"]').checked`) {
		t.Error("the selection was lost")
	}
	if body := eval[string](t, ctx, `document.querySelector('[data-testid="message-list"]').innerText`); strings.Contains(body, subject) {
		t.Error("the list changed under the person choosing")
	}
	noHorizontalScroll(t, ctx, "the inbox with the new-mail bar")
	screenshot(t, ctx, "live-inbox-phone")

	run(t, ctx, "show the new mail", chromedp.Click(tid("live-show")), chromedp.WaitVisible(tid("message-list")))
	if body := eval[string](t, ctx, `document.querySelector('[data-testid="message-list"]').innerText`); !strings.Contains(body, subject) {
		t.Errorf("after Show, the list is:\n%s", body)
	}
	if eval[bool](t, ctx, `!document.querySelector('[data-testid="live-bar"]').hidden`) {
		t.Error("the bar still shows after showing the new mail")
	}

	run(t, ctx, "check mail", chromedp.Click(tid("check-mail")), chromedp.WaitVisible(tid("notice")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="notice"]').innerText`); !strings.Contains(got, "Checking") &&
		!strings.Contains(got, "30 seconds") {
		t.Errorf("after Check mail the notice says %q", got)
	}
	if !strings.HasPrefix(eval[string](t, ctx, `location.pathname`), "/mail") {
		t.Errorf("Check mail led to %s", eval[string](t, ctx, `location.href`))
	}
}
