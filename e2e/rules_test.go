package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
)

// TestRuleOnArrival: on a phone-sized screen, a rule made on the rules
// page (without leaving it wider than the screen) places a message fetched
// afterwards where it says: in the trash, never in the inbox.
func TestRuleOnArrival(t *testing.T) {
	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages("alice", testMessages[:1]); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 360, 740, true)
	setUpAccount(t, ctx, a, "Old ISP", srv)
	waitArrived(t, ctx, a, "Café mañana")

	run(t, ctx, "open the rules page",
		chromedp.Navigate(a.URL+"/settings"), chromedp.WaitVisible(tid("rules-link")), chromedp.Click(tid("rules-link")),
		chromedp.WaitVisible(tid("no-rules")))
	noHorizontalScroll(t, ctx, "the rules page")
	run(t, ctx, "fill in a rule",
		chromedp.SendKeys(`#rule_name`, "Tienda"),
		chromedp.SendKeys(`#rule_sender`, "SHOP.example"),
		chromedp.Click(tid("field-rule_star")),
	)
	if !eval[bool](t, ctx, `(() => { const s = document.querySelector('#rule_mailbox');
		const o = Array.from(s.options).find(o => o.text === 'Trash'); if (!o) return false; s.value = o.value; return true })()`) {
		t.Fatal("Trash is not offered as a rule's mailbox")
	}
	run(t, ctx, "add the rule", chromedp.Click(tid("rule-submit")), chromedp.WaitVisible(tid("rule")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="rule-actions"]').innerText`); got != "move it to Trash and star it" {
		t.Errorf("the rule's actions read %q", got)
	}
	noHorizontalScroll(t, ctx, "the rules page with a rule")
	screenshot(t, ctx, "rules-phone")

	// New mail from the shop arrives: it lands in the trash.
	if err := srv.AddMessages("alice", testMessages[1:2]); err != nil {
		t.Fatal(err)
	}
	const subject = "Your order has shipped"
	for deadline := time.Now().Add(90 * time.Second); ; {
		if time.Now().After(deadline) {
			t.Fatalf("%q did not reach the trash within 90 s", subject)
		}
		run(t, ctx, "check now", chromedp.Navigate(a.URL+"/settings"), chromedp.WaitVisible(tid("accounts")),
			chromedp.Click(tid("account-check")), chromedp.WaitVisible(tid("notice")), chromedp.Sleep(time.Second),
			chromedp.Navigate(a.URL+"/mail/trash"), chromedp.WaitReady(tid("nav")))
		if strings.Contains(eval[string](t, ctx, `document.body.innerText`), subject) {
			break
		}
	}
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="auto-empty"]').innerText`); !strings.Contains(got, "30 days") {
		t.Errorf("the trash says %q", got)
	}
	run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	if body := eval[string](t, ctx, `document.body.innerText`); strings.Contains(body, subject) || !strings.Contains(body, "Café mañana") {
		t.Errorf("the inbox after the rule:\n%s", body)
	}
}
