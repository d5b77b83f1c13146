package e2e

import (
	"context"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/smtptest"
	"github.com/apartado/apartado/internal/testnet"
)

// TestComposeRoundTrip writes a message in the browser and follows it the
// whole way: the outbox sends it through a real Postfix (STARTTLS, AUTH)
// that delivers into the suite's Dovecot; Apartado's poller then fetches
// it over POP3 into the inbox, and a copy of what went out is in the
// outbox's "sent" line. The composer is also opened at phone width in
// Spanish, where it must not scroll sideways.
func TestComposeRoundTrip(t *testing.T) {
	mta := smtptest.Start(t, nil)
	ca := mailCAFile(t, mta)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca)
	ctx := browser(t, 1280, 900, false)
	setUpSending(t, ctx, a, mta)

	subject := "Round trip " + time.Now().UTC().Format("150405.000")
	run(t, ctx, "write and send",
		chromedp.Navigate(a.URL+"/compose"),
		chromedp.WaitVisible(tid("compose-form")),
		chromedp.SendKeys(`#to`, smtptest.Address(dovecottest.DefaultUser)),
		chromedp.SendKeys(`#subject`, subject),
		chromedp.SendKeys(`#text`, "Hola,\nthis went out and came back.\n"),
		chromedp.Click(tid("compose-send")),
		chromedp.WaitVisible(tid("outbox")),
	)
	waitSent(t, ctx, a)
	waitArrived(t, ctx, a, subject)
	run(t, ctx, "open it", chromedp.Click(`[data-testid="message-link"]`), chromedp.WaitVisible(tid("message")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="message-subject"]').innerText`); got != subject {
		t.Errorf("subject %q, want %q", got, subject)
	}
	one := eval[string](t, ctx, `document.body.innerText`)
	if !strings.Contains(one, "this went out and came back.") {
		t.Errorf("the body did not survive the trip:\n%s", one)
	}
	// Replying opens the composer answering it.
	run(t, ctx, "reply", chromedp.Click(tid("reply")), chromedp.WaitVisible(tid("compose-form")))
	if got := eval[string](t, ctx, `document.querySelector('#subject').value`); got != "Re: "+subject {
		t.Errorf("reply subject %q", got)
	}

	// The address fields propose people mail came from.
	run(t, ctx, "type the start of an address",
		chromedp.Navigate(a.URL+"/compose"),
		chromedp.WaitVisible(tid("compose-form")),
		chromedp.SendKeys(`#to`, "ali"),
		chromedp.WaitReady(`#suggest-to option`),
	)
	if got := eval[string](t, ctx, `document.querySelector('#suggest-to option').value`); !strings.Contains(got, smtptest.Address(dovecottest.DefaultUser)) {
		t.Errorf("the To field proposes %q", got)
	}

	// What is being written saves itself: leave the page, and it is in
	// the drafts.
	run(t, ctx, "start writing",
		chromedp.Navigate(a.URL+"/compose"),
		chromedp.WaitVisible(tid("compose-form")),
		chromedp.SendKeys(`#subject`, "Half written"),
		chromedp.SendKeys(`#text`, "Not finished yet"),
		chromedp.WaitVisible(`[data-testid="draft-status"]:not(:empty)`),
	)
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="draft-status"]').innerText`); got != "Draft saved" {
		t.Fatalf("draft status %q", got)
	}
	run(t, ctx, "leave, then open the drafts",
		chromedp.Navigate(a.URL+"/mail"),
		chromedp.Navigate(a.URL+"/drafts"),
		chromedp.WaitVisible(tid("draft-link")),
		chromedp.Click(tid("draft-link")),
		chromedp.WaitVisible(tid("compose-form")),
	)
	if got := eval[string](t, ctx, `document.querySelector('#text').value`); !strings.Contains(got, "Not finished yet") {
		t.Errorf("the draft reopened with %q", got)
	}

	// The composer at phone width, in Spanish.
	phone := browser(t, 360, 740, true)
	run(t, phone, "sign in on the phone",
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, "admin"),
		chromedp.SendKeys(`#password`, "household-secret"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(tid("nav")),
		chromedp.Navigate(a.URL+"/settings"),
		chromedp.WaitVisible(tid("preferences-form")),
		chromedp.SetValue(`#locale`, "es"),
		chromedp.Click(tid("preferences-submit")),
		chromedp.WaitVisible(`html[lang="es"] [data-testid="notice"]`), // the saved page, not the one before it
		chromedp.Navigate(a.URL+"/compose"),
		chromedp.WaitVisible(tid("compose-form")),
	)
	if got := eval[string](t, phone, `document.querySelector('[data-testid="compose-send"]').innerText`); got != "Enviar" {
		t.Errorf("the send button reads %q in Spanish", got)
	}
	noHorizontalScroll(t, phone, "the composer at 360 px")
	screenshot(t, phone, "compose-phone-es")
}

// mailCAFile writes the certificates of the suite's Dovecot and Postfix
// into one file for APARTADO_EXTRA_CA_FILE.
func mailCAFile(t *testing.T, mta *smtptest.Server) string {
	t.Helper()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	pems := append(append([]byte{}, mta.Dovecot.CertPEM...), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: mta.Cert.X509.Raw})...)
	if err := os.WriteFile(ca, pems, 0o600); err != nil {
		t.Fatal(err)
	}
	return ca
}

// setUpSending creates the administrator and an account that receives
// from the suite's Dovecot and sends through its Postfix, which lets alice
// send as her own address only.
func setUpSending(t *testing.T, ctx context.Context, a *app, mta *smtptest.Server) {
	t.Helper()
	run(t, ctx, "create the administrator",
		chromedp.Navigate(a.URL+"/setup"),
		chromedp.WaitVisible(tid("setup-form")),
		chromedp.SendKeys(`#code`, a.SetupCode),
		chromedp.SendKeys(`#name`, "admin"),
		chromedp.SendKeys(`#password`, "household-secret"),
		chromedp.SendKeys(`#confirm`, "household-secret"),
		chromedp.Click(tid("setup-submit")),
		chromedp.WaitVisible(tid("nav")),
	)
	// The account receives from Dovecot and sends through Postfix, which
	// lets alice send as her own address only.
	run(t, ctx, "add the account with its outgoing server",
		chromedp.Navigate(a.URL+"/settings/accounts/new?manual=1"),
		chromedp.WaitVisible(tid("account-form")),
		chromedp.SendKeys(`#name`, "Home"),
		chromedp.SendKeys(`#email`, smtptest.Address(dovecottest.DefaultUser)),
		chromedp.SendKeys(`#host`, "127.0.0.1"),
		chromedp.SetValue(`#port`, testnet.Port(mta.Dovecot.TLSAddr)),
		chromedp.SendKeys(`#username`, dovecottest.DefaultUser),
		chromedp.SendKeys(`#password`, dovecottest.DefaultPassword),
		chromedp.SendKeys(`#smtp_host`, "127.0.0.1"),
		chromedp.Click(tid("field-smtp_security-starttls")),
		chromedp.SetValue(`#smtp_port`, testnet.Port(mta.SubmissionAddr)),
		chromedp.Click(tid("account-submit")),
		chromedp.WaitVisible(tid("accounts")),
	)
}

// waitSent follows the outbox page until its first message is sent.
func waitSent(t *testing.T, ctx context.Context, a *app) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); {
		state := eval[string](t, ctx, `(document.querySelector('[data-testid="outbox-row"]')||{}).dataset?.state || ""`)
		if state == "sent" {
			return
		}
		if state == "failed" || state == "maybe_sent" {
			t.Fatalf("the message ended %s: %s", state, eval[string](t, ctx, `document.body.innerText`))
		}
		time.Sleep(time.Second)
		run(t, ctx, "reload the outbox", chromedp.Navigate(a.URL+"/outbox"), chromedp.WaitVisible(tid("outbox")))
	}
	t.Fatalf("not sent within 90 s; the outbox says: %s", eval[string](t, ctx, `document.body.innerText`))
}

// waitArrived checks the account now until a message with subject is in
// the inbox.
func waitArrived(t *testing.T, ctx context.Context, a *app, subject string) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); {
		run(t, ctx, "check now", chromedp.Navigate(a.URL+"/settings"), chromedp.WaitVisible(tid("accounts")),
			chromedp.Click(tid("account-check")), chromedp.WaitVisible(tid("notice")), chromedp.Sleep(time.Second),
			chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("nav")))
		if strings.Contains(eval[string](t, ctx, `document.body.innerText`), subject) {
			return
		}
	}
	t.Fatalf("%q did not come back through POP3 within 90 s", subject)
}

// TestUndoAndForwardOnPhone, at 360 px in Spanish: a message with an
// attachment is taken back while its Undo counts down, and the composer
// opens again naming the file to attach again; sent again, it comes back;
// forwarded, the copy that comes back carries the original as an .eml.
func TestUndoAndForwardOnPhone(t *testing.T) {
	mta := smtptest.Start(t, nil)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+mailCAFile(t, mta), "APARTADO_UNDO_WINDOW=30s")
	ctx := browser(t, 360, 740, true)
	setUpSending(t, ctx, a, mta)
	run(t, ctx, "choose Spanish",
		chromedp.Navigate(a.URL+"/settings"),
		chromedp.WaitVisible(tid("preferences-form")),
		chromedp.SetValue(`#locale`, "es"),
		chromedp.Click(tid("preferences-submit")),
		chromedp.WaitVisible(`html[lang="es"] [data-testid="notice"]`), // the saved page, not the one before it
	)
	note := filepath.Join(t.TempDir(), "nota.txt")
	if err := os.WriteFile(note, []byte("lista de la compra\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	subject := "Con adjunto " + time.Now().UTC().Format("150405.000")
	write := func() {
		run(t, ctx, "write with an attachment",
			chromedp.Navigate(a.URL+"/compose"),
			chromedp.WaitVisible(tid("compose-form")),
			chromedp.SendKeys(`#to`, smtptest.Address(dovecottest.DefaultUser)),
			chromedp.SetValue(`#subject`, subject),
			chromedp.SetUploadFiles(`#attachments`, []string{note}),
			chromedp.Click(tid("compose-send")),
			chromedp.WaitVisible(tid("outbox-undo")),
		)
	}
	write()
	noHorizontalScroll(t, ctx, "the outbox at 360 px")
	if label := eval[string](t, ctx, `document.querySelector('[data-testid="outbox-undo"]').innerText`); !strings.HasPrefix(label, "Deshacer (") {
		t.Errorf("the Undo button reads %q: no countdown, or not in Spanish", label)
	}
	run(t, ctx, "undo", chromedp.Click(tid("outbox-undo")), chromedp.WaitVisible(tid("compose-form")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="lost-attachments"]').innerText`); !strings.Contains(got, "nota.txt") {
		t.Errorf("the composer does not ask for nota.txt again: %q", got)
	}
	if got := eval[string](t, ctx, `document.querySelector('#subject').value`); got != subject {
		t.Errorf("the composer reopened with subject %q", got)
	}
	noHorizontalScroll(t, ctx, "the composer at 360 px")

	write()
	waitSent(t, ctx, a)
	waitArrived(t, ctx, a, subject)
	run(t, ctx, "open it", chromedp.Click(`[data-testid="message-link"]`), chromedp.WaitVisible(tid("message")))
	if got := eval[string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="attachment-link"]')).map(e => e.innerText).join(",")`); got != "nota.txt" {
		t.Errorf("attachments %q, want nota.txt", got)
	}
	run(t, ctx, "forward it",
		chromedp.Click(tid("forward")),
		chromedp.WaitVisible(tid("forwarded")),
		chromedp.SendKeys(`#to`, smtptest.Address(dovecottest.DefaultUser)),
		chromedp.Click(tid("compose-send")),
		chromedp.WaitVisible(tid("outbox")),
	)
	waitSent(t, ctx, a)
	waitArrived(t, ctx, a, "Fwd: "+subject)
	run(t, ctx, "open the forward",
		chromedp.Navigate(a.URL+"/mail"),
		chromedp.WaitVisible(tid("message-link")),
		chromedp.Click(`[data-testid="message-link"]`),
		chromedp.WaitVisible(tid("message")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="message-subject"]').innerText`); got != "Fwd: "+subject {
		t.Fatalf("newest message %q, want the forward", got)
	}
	if got := eval[string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="attachment-link"]')).map(e => e.innerText).join(",")`); !strings.HasSuffix(got, ".eml") {
		t.Errorf("the forward's attachments %q: no .eml of the original", got)
	}
	noHorizontalScroll(t, ctx, "the forwarded message at 360 px")
}

// TestComposerLimitFollowsFrom: the composer's attachments hint states the
// From account's own limit, Postfix's message_size_limit for the account
// tested against it and Apartado's own for one whose outgoing server was
// never reached, and follows the From field as it changes.
func TestComposerLimitFollowsFrom(t *testing.T) {
	mta := smtptest.Start(t, nil)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+mailCAFile(t, mta))
	ctx := browser(t, 1280, 900, false)
	setUpSending(t, ctx, a, mta)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	run(t, ctx, "add an account whose outgoing server does not answer, saved anyway",
		chromedp.Navigate(a.URL+"/settings/accounts/new?manual=1"),
		chromedp.WaitVisible(tid("account-form")),
		chromedp.SendKeys(`#name`, "Work"),
		chromedp.SendKeys(`#email`, smtptest.Address("work")),
		chromedp.SendKeys(`#host`, "127.0.0.1"),
		chromedp.SetValue(`#port`, testnet.Port(mta.Dovecot.TLSAddr)),
		chromedp.SendKeys(`#username`, dovecottest.DefaultUser),
		chromedp.SendKeys(`#password`, dovecottest.DefaultPassword),
		chromedp.SendKeys(`#smtp_host`, "127.0.0.1"),
		chromedp.Click(tid("field-smtp_security-starttls")),
		chromedp.SetValue(`#smtp_port`, testnet.Port(closedAddr)),
		chromedp.Click(tid("account-submit")),
		chromedp.WaitVisible(tid("account-save-anyway")),
		chromedp.Click(tid("account-save-anyway")),
		chromedp.WaitVisible(tid("accounts")),
	)
	run(t, ctx, "open the composer", chromedp.Navigate(a.URL+"/compose"), chromedp.WaitVisible(tid("compose-form")))
	hint := func() string {
		return eval[string](t, ctx, `document.querySelector('[data-testid="attachments-limit"]').innerText`)
	}
	choose := func(i int) {
		eval[bool](t, ctx, `(function(){var s=document.getElementById('account');s.selectedIndex=`+strconv.Itoa(i)+
			`;s.dispatchEvent(new Event('change'));return true})()`)
	}
	// Accounts are listed by name: Home (through Postfix), then Work.
	if got := hint(); !strings.Contains(got, "7.7") {
		t.Errorf("Home's hint %q, want three quarters of Postfix's 10.24 MB", got)
	}
	choose(1)
	if got := hint(); !strings.Contains(got, "28") {
		t.Errorf("Work's hint %q, want three quarters of Apartado's 35 MiB", got)
	}
	choose(0)
	if got := hint(); !strings.Contains(got, "7.7") {
		t.Errorf("back to Home: %q", got)
	}
}
