package e2e

import (
	"bytes"
	"context"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/smtptest"
	"github.com/apartado/apartado/internal/testnet"
)

// writingConfig is a width and a language the tests of writing run at.
type writingConfig struct {
	name   string
	w, h   int
	mobile bool
	lang   string
	// roundTrip: the messages go out through Postfix and are waited for
	// until they come back through Dovecot; otherwise the test stops at
	// the outbox, which keeps the two extra combinations cheap.
	roundTrip bool
	// plainToo: the form is also sent once with JavaScript off.
	plainToo bool
}

// writingConfigs cover each flow at both widths and in both languages,
// with the round trips at {1280 px, English} and {360 px, Spanish}.
var writingConfigs = []writingConfig{
	{name: "desktop-en", w: 1280, h: 900, lang: "en", roundTrip: true},
	{name: "phone-es", w: 360, h: 740, mobile: true, lang: "es", roundTrip: true},
	{name: "phone-en", w: 360, h: 740, mobile: true, lang: "en", plainToo: true},
	{name: "desktop-es", w: 1280, h: 900, lang: "es"},
}

// writingText is what the pages of writing say in a language.
type writingText struct {
	send, outbox, undo, reply, attached, draftSaved string
	// draftSent is what the composer says when its message is in the
	// outbox already (sent from another tab) and it stops saving.
	draftSent string
	// uploading is the first progress text for an upload of 3.1 MB;
	// failed, what a connection lost during the upload leads to.
	uploading, uploaded, failed string
}

var writingTexts = map[string]writingText{
	"en": {send: "Send", outbox: "Outbox", undo: "Undo (", reply: "Reply", attached: "Attached", draftSaved: "Draft saved",
		draftSent: "This message is in the outbox: changes here are not saved",
		uploading: "Uploading 0\u00a0B of 3.1\u00a0MB…", uploaded: "Uploaded. Waiting for the server…",
		failed: "The connection was lost during the upload. Nothing was sent: check the connection and try again."},
	"es": {send: "Enviar", outbox: "Bandeja de salida", undo: "Deshacer (", reply: "Responder", attached: "Adjuntos", draftSaved: "Borrador guardado",
		draftSent: "Este mensaje está en la bandeja de salida: los cambios que hagas aquí no se guardan",
		uploading: "Subiendo 0\u00a0B de 3,1\u00a0MB…", uploaded: "Subido. Esperando al servidor…",
		failed: "Se perdió la conexión durante la subida. No se ha enviado nada: comprueba la conexión y vuelve a intentarlo."},
}

// TestComposeRoundTrip writes in the browser at each width and language
// and follows the messages the whole way: the outbox sends them through a
// real Postfix (STARTTLS, AUTH) that delivers into the suite's Dovecot;
// Apartado's poller fetches them over POP3 into the inbox. A message with
// an attachment (sent through the composer's upload with progress) comes
// back with it; it is answered, and forwarded (in English inline, keeping
// the original's files; in Spanish as an attachment, the original as an
// .eml), and the forward comes back with those files. Address completion and the drafts that
// save themselves are tried at each combination too: a message sent leaves
// no draft, and a draft open in two tabs, sent from one, is not saved
// again by the other, which says so calmly. The combinations
// share one Postfix, one Dovecot and one Apartado (an undo window of 1 s,
// so that sending waits little; TestUndoWindow takes messages back).
func TestComposeRoundTrip(t *testing.T) {
	mta := smtptest.Start(t, nil)
	// Mail to answer and forward where the test does not wait for its own.
	if err := mta.Dovecot.AddMessages(dovecottest.DefaultUser, testMessages); err != nil {
		t.Fatal(err)
	}
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+mailCAFile(t, mta), "APARTADO_UNDO_WINDOW=1s")
	setUpOnce(t, a, mta)
	note := writeFile(t, "nota.txt", []byte("lista de la compra\n"))
	for _, cfg := range writingConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			tx := writingTexts[cfg.lang]
			ctx := browser(t, cfg.w, cfg.h, cfg.mobile)
			signIn(t, ctx, a, cfg.lang)
			narrow := func(where string) {
				if cfg.w < 400 {
					noHorizontalScroll(t, ctx, where+" at 360 px")
				}
			}

			subject := "Round trip " + cfg.name + " " + time.Now().UTC().Format("150405.000")
			run(t, ctx, "open the composer", chromedp.Navigate(a.URL+"/compose"), chromedp.WaitVisible(tid("compose-form")))
			if got := eval[string](t, ctx, `document.querySelector('[data-testid="compose-send"]').innerText`); got != tx.send {
				t.Errorf("the send button reads %q, want %q", got, tx.send)
			}
			narrow("the composer")
			screenshot(t, ctx, "compose-"+cfg.name)
			run(t, ctx, "write with an attachment and send",
				chromedp.SendKeys(`#to`, smtptest.Address(dovecottest.DefaultUser)),
				chromedp.SendKeys(`#subject`, subject),
				chromedp.SendKeys(`#text`, "Hola,\nthis went out and came back.\n"),
				chromedp.SetUploadFiles(`#attachments`, []string{note}),
				chromedp.Click(tid("compose-send")),
				chromedp.WaitVisible(tid("outbox")),
			)
			if got := eval[string](t, ctx, `document.querySelector('[data-testid="outbox"] h1').innerText`); got != tx.outbox {
				t.Errorf("the outbox is headed %q, want %q", got, tx.outbox)
			}
			narrow("the outbox")
			run(t, ctx, "open the drafts", chromedp.Navigate(a.URL+"/drafts"), chromedp.WaitVisible(tid("drafts")))
			if draftOf(t, ctx, subject) {
				t.Errorf("a draft of the message sent is left in the drafts")
			}

			// Answer it, or, where the test does not wait for it, a message
			// that was in the mailbox.
			answered := "Café mañana"
			if cfg.roundTrip {
				waitSent(t, ctx, a, subject)
				answered = subject
			}
			waitArrived(t, ctx, a, answered)
			openMessage(t, ctx, a, answered)
			if cfg.roundTrip {
				if got := eval[string](t, ctx, `document.querySelector('[data-testid="message-subject"]').innerText`); got != subject {
					t.Errorf("subject %q, want %q", got, subject)
				}
				if body := eval[string](t, ctx, `document.body.innerText`); !strings.Contains(body, "this went out and came back.") {
					t.Errorf("the body did not survive the trip:\n%s", body)
				}
				if got := attachmentNames(t, ctx); got != "nota.txt" {
					t.Errorf("attachments %q, want nota.txt", got)
				}
				narrow("the message")
			}
			run(t, ctx, "reply", chromedp.Click(tid("reply")), chromedp.WaitVisible(tid("compose-form")))
			if got := eval[string](t, ctx, `document.querySelector('[data-testid="compose"] h1').innerText`); got != tx.reply {
				t.Errorf("the reply is headed %q, want %q", got, tx.reply)
			}
			if got := eval[string](t, ctx, `document.querySelector('#subject').value`); got != "Re: "+answered {
				t.Errorf("reply subject %q", got)
			}
			narrow("the reply")

			// Forward a message with an attachment: in English inline, with
			// the original's files; in Spanish as an attachment, the
			// original itself as an .eml.
			forwarded, wantFiles := "Holiday photos", "informe año.pdf"
			if cfg.roundTrip {
				forwarded, wantFiles = subject, "nota.txt"
			}
			forward := "forward"
			if cfg.lang == "es" {
				forward, wantFiles = "forward-attached", ".eml"
			}
			openMessage(t, ctx, a, forwarded)
			run(t, ctx, "forward it", chromedp.Click(tid(forward)), chromedp.WaitVisible(tid("attached-files")))
			if got := eval[string](t, ctx, attachedNamesJS); !strings.HasSuffix(got, wantFiles) {
				t.Errorf("the forward lists %q, want %q", got, wantFiles)
			}
			if got := eval[string](t, ctx, `document.querySelector('[data-testid="attached-files"] legend').innerText`); got != tx.attached {
				t.Errorf("the forward's files are headed %q, want %q", got, tx.attached)
			}
			narrow("the forward")
			run(t, ctx, "send the forward",
				chromedp.SendKeys(`#to`, smtptest.Address(dovecottest.DefaultUser)),
				chromedp.Click(tid("compose-send")),
				chromedp.WaitVisible(tid("outbox")),
			)
			if cfg.roundTrip {
				waitSent(t, ctx, a, "Fwd: "+subject)
				waitArrived(t, ctx, a, "Fwd: "+subject)
				openMessage(t, ctx, a, "Fwd: "+subject)
				if got := eval[string](t, ctx, `document.querySelector('[data-testid="message-subject"]').innerText`); got != "Fwd: "+subject {
					t.Fatalf("opened %q, want the forward", got)
				}
				if got := attachmentNames(t, ctx); !strings.HasSuffix(got, wantFiles) {
					t.Errorf("the forward's attachments %q, want %q", got, wantFiles)
				}
				narrow("the forwarded message")
			}

			// The address fields propose people mail came from or went to.
			run(t, ctx, "type the start of an address",
				chromedp.Navigate(a.URL+"/compose"),
				chromedp.WaitVisible(tid("compose-form")),
				chromedp.SendKeys(`#to`, "ali"),
				chromedp.WaitReady(`#suggest-to option`),
			)
			if got := eval[string](t, ctx, `document.querySelector('#suggest-to option').value`); !strings.Contains(got, smtptest.Address(dovecottest.DefaultUser)) {
				t.Errorf("the To field proposes %q", got)
			}

			// What is being written saves itself: leave the page, and it is
			// in the drafts.
			half := "Half written " + cfg.name
			run(t, ctx, "start writing",
				chromedp.Navigate(a.URL+"/compose"),
				chromedp.WaitVisible(tid("compose-form")),
				chromedp.SendKeys(`#subject`, half),
				chromedp.SendKeys(`#text`, "Not finished yet"),
				chromedp.WaitVisible(`[data-testid="draft-status"]:not(:empty)`),
			)
			if got := eval[string](t, ctx, `document.querySelector('[data-testid="draft-status"]').innerText`); got != tx.draftSaved {
				t.Fatalf("draft status %q, want %q", got, tx.draftSaved)
			}
			run(t, ctx, "leave, then open the drafts",
				chromedp.Navigate(a.URL+"/mail"),
				chromedp.Navigate(a.URL+"/drafts"),
				chromedp.WaitVisible(tid("draft-link")),
				chromedp.Click(`//a[@data-testid="draft-link"][contains(., "`+half+`")]`),
				chromedp.WaitVisible(tid("compose-form")),
			)
			if got := eval[string](t, ctx, `document.querySelector('#text').value`); !strings.Contains(got, "Not finished yet") {
				t.Errorf("the draft reopened with %q", got)
			}
			narrow("a draft")

			// The same draft in a second tab; sent from the first, the
			// second's autosave is refused, and it says so without alarm.
			draftURL := eval[string](t, ctx, `location.href`)
			tab, closeTab := chromedp.NewContext(ctx)
			defer closeTab()
			run(t, tab, "open the draft in a second tab", chromedp.Navigate(draftURL), chromedp.WaitVisible(tid("compose-form")))
			run(t, ctx, "send it from the first",
				chromedp.SendKeys(`#to`, smtptest.Address(dovecottest.DefaultUser)),
				chromedp.Click(tid("compose-send")),
				chromedp.WaitVisible(tid("outbox")),
			)
			run(t, tab, "write on in the second", chromedp.SendKeys(`#text`, " and more"),
				chromedp.WaitVisible(`[data-testid="draft-status"]:not(:empty)`))
			if got := eval[string](t, tab, `document.querySelector('[data-testid="draft-status"]').innerText`); got != tx.draftSent {
				t.Errorf("the second tab's draft status %q, want %q", got, tx.draftSent)
			}
			run(t, ctx, "open the drafts", chromedp.Navigate(a.URL+"/drafts"), chromedp.WaitVisible(tid("drafts")))
			if draftOf(t, ctx, half) {
				t.Errorf("the draft sent from one tab was saved again by the other")
			}
		})
	}
}

// draftOf reports whether the drafts page lists a draft whose subject has
// subject.
func draftOf(t *testing.T, ctx context.Context, subject string) bool {
	t.Helper()
	return eval[bool](t, ctx, `Array.from(document.querySelectorAll('[data-testid="draft-link"]')).some(e => e.innerText.includes(`+jsString(subject)+`))`)
}

// TestUndoWindow, at each width and language: a message with attachments
// goes up with a progress bar and lands in the outbox, where its Undo
// counts down; taken back, the composer opens again naming the files to
// attach again. Through the same upload, a mistake comes back as the form
// with its errors (its script running again), and "Save draft" saves a
// draft rather than sending. Once, the form is sent with JavaScript off.
func TestUndoWindow(t *testing.T) {
	mta := smtptest.Start(t, nil)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+mailCAFile(t, mta), "APARTADO_UNDO_WINDOW=30s")
	setUpOnce(t, a, mta)
	note := writeFile(t, "nota.txt", []byte("lista de la compra\n"))
	data := writeFile(t, "datos.bin", bytes.Repeat([]byte("datos "), 3_100_000/6)) // with nota.txt, "3.1 MB" / "3,1 MB" to upload
	for _, cfg := range writingConfigs {
		t.Run(cfg.name, func(t *testing.T) {
			tx := writingTexts[cfg.lang]
			ctx := browser(t, cfg.w, cfg.h, cfg.mobile)
			signIn(t, ctx, a, cfg.lang)
			narrow := func(where string) {
				if cfg.w < 400 {
					noHorizontalScroll(t, ctx, where+" at 360 px")
				}
			}
			subject := "Con adjunto " + cfg.name + " " + time.Now().UTC().Format("150405.000")
			write := func(to string) {
				run(t, ctx, "write with attachments",
					chromedp.Navigate(a.URL+"/compose"),
					chromedp.WaitVisible(tid("compose-form")),
					chromedp.SendKeys(`#to`, to),
					chromedp.SetValue(`#subject`, subject),
					chromedp.SetUploadFiles(`#attachments`, []string{note, data}),
				)
			}

			// The connection is lost: the page says so in its language and
			// gives the buttons back, the form as it was.
			write(smtptest.Address(dovecottest.DefaultUser))
			offline(t, ctx, true)
			run(t, ctx, "send with the connection lost", chromedp.Click(tid("compose-send")))
			if got := waitFor(t, ctx, `(() => {
				const p = document.querySelector('[data-testid="upload-progress-text"]');
				return p && p.textContent.length > 0 && !document.querySelector('[data-testid="compose-send"]').disabled ? p.textContent : "";
			})()`); got != tx.failed {
				t.Errorf("with the connection lost the page says %q, want %q", got, tx.failed)
			}
			offline(t, ctx, false)
			if !eval[bool](t, ctx, `document.querySelector('#subject').value === `+jsString(subject)+` && document.querySelector('#attachments').files.length === 2 && !document.querySelector('[data-testid="compose-save"]').disabled`) {
				t.Error("after the lost connection the form lost its contents, or its buttons stay disabled")
			}
			narrow("the composer after a lost connection")

			// Again, with the connection back.
			watchUpload(t, ctx)
			run(t, ctx, "send", chromedp.Click(tid("compose-send")), chromedp.WaitVisible(tid("outbox-undo")))
			seen := uploadSeen(t, ctx)
			t.Logf("the upload showed, in turn: %q", seen)
			if len(seen) == 0 || seen[0] != tx.uploading {
				t.Errorf("the upload showed %q, want it to start with %q", seen, tx.uploading)
			}
			for _, s := range seen[1:] {
				if !strings.HasPrefix(s, strings.Fields(tx.uploading)[0]+" ") && s != tx.uploaded {
					t.Errorf("the upload said %q", s)
				}
			}
			narrow("the outbox")
			if label := eval[string](t, ctx, `document.querySelector('[data-testid="outbox-undo"]').innerText`); !strings.HasPrefix(label, tx.undo) {
				t.Errorf("the Undo button reads %q: no countdown, or not %q", label, tx.undo)
			}
			undo(t, ctx, tx, subject)
			narrow("the composer taken back")
			screenshot(t, ctx, "undone-"+cfg.name)

			// A mistake: the form comes back through the upload with the
			// error and the files kept with its draft, and its script runs
			// (the address field has its list of proposals again).
			write("bea@")
			run(t, ctx, "send with a wrong address", chromedp.Click(tid("compose-send")), chromedp.WaitVisible(tid("error-to")))
			if got := eval[string](t, ctx, attachedNamesJS); !strings.Contains(got, "datos.bin") {
				t.Errorf("the form came back with the files %q, want datos.bin kept", got)
			}
			if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="lost-attachments"]').length`); n != 0 {
				t.Error("the form that came back asks for files again")
			}
			if !eval[bool](t, ctx, `!!document.getElementById('suggest-to') && !!document.querySelector('[data-upload-progress]').closest('form')`) {
				t.Error("the form that came back has no script running")
			}
			narrow("the form with its errors")

			// "Save draft" with files saves a draft and sends nothing.
			write(smtptest.Address(dovecottest.DefaultUser))
			run(t, ctx, "save the draft", chromedp.Click(tid("compose-save")), chromedp.WaitVisible(tid("drafts")))
			if !eval[bool](t, ctx, `Array.from(document.querySelectorAll('[data-testid="draft-link"]')).some(e => e.innerText.includes(`+jsString(subject)+`))`) {
				t.Errorf("the draft %q is not in the drafts", subject)
			}
			run(t, ctx, "open the outbox", chromedp.Navigate(a.URL+"/outbox"), chromedp.WaitVisible(tid("outbox")))
			if n := eval[int](t, ctx, `Array.from(document.querySelectorAll('[data-testid="outbox-row"][data-state="queued"]')).filter(e => e.innerText.includes(`+jsString(subject)+`)).length`); n != 0 {
				t.Errorf("saving a draft queued %d messages", n)
			}

			if cfg.plainToo {
				// Without JavaScript the form posts the plain way.
				noScript(t, ctx, true)
				write(smtptest.Address(dovecottest.DefaultUser))
				if eval[bool](t, ctx, `!!document.getElementById('suggest-to')`) {
					t.Fatal("the composer's script ran with JavaScript off")
				}
				run(t, ctx, "send without JavaScript", chromedp.Click(tid("compose-send")), chromedp.WaitVisible(tid("outbox-undo")))
				noScript(t, ctx, false)
				undo(t, ctx, tx, subject)
			}
		})
	}
}

// undo takes the newest message back and checks the composer it reopens.
func undo(t *testing.T, ctx context.Context, tx writingText, subject string) {
	t.Helper()
	run(t, ctx, "undo", chromedp.Click(tid("outbox-undo")), chromedp.WaitVisible(tid("compose-form")))
	if got := eval[string](t, ctx, attachedNamesJS); !strings.Contains(got, "nota.txt") || !strings.Contains(got, "datos.bin") {
		t.Errorf("the composer taken back lists %q, want nota.txt and datos.bin", got)
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="lost-attachments"]').length`); n != 0 {
		t.Error("the composer taken back asks for files again")
	}
	if got := eval[string](t, ctx, `document.querySelector('#subject').value`); got != subject {
		t.Errorf("the composer reopened with subject %q", got)
	}
}

// watchUpload records, in the tab's session storage, each text the
// composer's upload box shows, so that the page the upload leads to can
// say what was shown on the way.
func watchUpload(t *testing.T, ctx context.Context) {
	t.Helper()
	eval[bool](t, ctx, `(() => {
		sessionStorage.removeItem('upload-seen');
		const box = document.querySelector('[data-testid="upload-progress"]');
		const seen = [];
		new MutationObserver(() => {
			const text = box.querySelector('[data-testid="upload-progress-text"]').textContent;
			if (!box.hidden && box.querySelector('progress').offsetWidth > 0 && text !== seen[seen.length-1]) {
				seen.push(text);
				sessionStorage.setItem('upload-seen', JSON.stringify(seen));
			}
		}).observe(box, {attributes: true, childList: true, characterData: true, subtree: true});
		return true;
	})()`)
}

// uploadSeen is what watchUpload recorded.
func uploadSeen(t *testing.T, ctx context.Context) []string {
	t.Helper()
	return eval[[]string](t, ctx, `JSON.parse(sessionStorage.getItem('upload-seen') || '[]')`)
}

// offline cuts the browser's connections, or gives them back.
func offline(t *testing.T, ctx context.Context, off bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	cond := &network.Conditions{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
		MatchedNetworkConditions: []*network.Conditions{cond}}); err != nil {
		t.Fatalf("offline=%v: %v", off, err)
	}
}

// waitFor evaluates expr until it gives a string that is not empty.
func waitFor(t *testing.T, ctx context.Context, expr string) string {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if s := eval[string](t, ctx, expr); s != "" {
			return s
		}
	}
	t.Fatalf("still nothing after 30 s: %s", expr)
	return ""
}

// noScript turns the page's JavaScript off or on again.
func noScript(t *testing.T, ctx context.Context, off bool) {
	t.Helper()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off}); err != nil {
		t.Fatalf("turning JavaScript off=%v: %v", off, err)
	}
}

// writeFile writes content to a file named name and returns its path.
func writeFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// openMessage opens the newest message in the inbox whose line contains
// subject.
func openMessage(t *testing.T, ctx context.Context, a *app, subject string) {
	t.Helper()
	run(t, ctx, "open "+subject,
		chromedp.Navigate(a.URL+"/mail"),
		chromedp.WaitVisible(tid("message-list")),
		chromedp.Click(`//a[@data-testid="message-link"][contains(., "`+subject+`")]`),
		chromedp.WaitVisible(tid("message")),
	)
}

// attachmentNames lists the open message's attachments, comma-separated.
func attachmentNames(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `Array.from(document.querySelectorAll('[data-testid="attachment-link"]')).map(e => e.innerText).join(",")`)
}

// setUpOnce creates the administrator and the account that sends, in a
// browser of its own that is closed when it is done.
func setUpOnce(t *testing.T, a *app, mta *smtptest.Server) {
	t.Helper()
	ctx := browser(t, 1280, 900, false)
	setUpSending(t, ctx, a, mta)
	if err := chromedp.Cancel(ctx); err != nil {
		t.Logf("closing the set-up browser: %v", err)
	}
}

// signIn signs the administrator in and chooses the language lang.
func signIn(t *testing.T, ctx context.Context, a *app, lang string) {
	t.Helper()
	signInAs(t, ctx, a, "admin", "household-secret", lang)
}

// signInAs signs in as the user name with password pw and chooses the
// language lang.
func signInAs(t *testing.T, ctx context.Context, a *app, name, pw, lang string) {
	t.Helper()
	run(t, ctx, "sign in as "+name,
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, name),
		chromedp.SendKeys(`#password`, pw),
		chromedp.Click(tid("login-submit")),
		chromedp.WaitReady(tid("nav")),
	)
	chooseLanguage(t, ctx, a, lang)
}

// chooseLanguage makes lang the signed-in user's language.
func chooseLanguage(t *testing.T, ctx context.Context, a *app, lang string) {
	t.Helper()
	run(t, ctx, "choose the language "+lang,
		chromedp.Navigate(a.URL+"/settings"),
		chromedp.WaitVisible(tid("preferences-form")),
		chromedp.SetValue(`#locale`, lang),
		chromedp.Click(tid("preferences-submit")),
		chromedp.WaitVisible(`html[lang="`+lang+`"] [data-testid="notice"]`), // the saved page, not the one before it
	)
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
	createAdmin(t, ctx, a)
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

// waitSent follows the outbox page until the newest message with subject
// is sent.
func waitSent(t *testing.T, ctx context.Context, a *app, subject string) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); {
		state := eval[string](t, ctx, `(Array.from(document.querySelectorAll('[data-testid="outbox-row"]')).find(e => e.querySelector('strong').innerText === `+jsString(subject)+`) || {}).dataset?.state || ""`)
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
			chromedp.Navigate(a.URL+"/mail"), chromedp.WaitReady(tid("nav")))
		if strings.Contains(eval[string](t, ctx, `document.body.innerText`), subject) {
			return
		}
	}
	t.Fatalf("%q did not come back through POP3 within 90 s", subject)
}

// In the browser: the composer's listed files, and a message's attachments.
const (
	attachedNamesJS   = `Array.from(document.querySelectorAll('[data-testid="attached-name"]')).map(e => e.innerText).join(",")`
	attachmentLinksJS = `Array.from(document.querySelectorAll('[data-testid="attachment-link"]')).map(e => e.innerText).join(",")`
)

// TestDraftWithAttachment: a draft with an attachment is saved with the
// button, reopened from Drafts (in the mail pages' sidebar), sent, and arrives
// with its attachment; the Sent mailbox lists it.
func TestDraftWithAttachment(t *testing.T) {
	mta := smtptest.Start(t, nil)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+mailCAFile(t, mta))
	ctx := browser(t, 1280, 900, false)
	setUpSending(t, ctx, a, mta)
	plan := filepath.Join(t.TempDir(), "plano.pdf")
	content := "%PDF-1.4 plano del piso\n"
	if err := os.WriteFile(plan, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	subject := "Borrador con adjunto " + time.Now().UTC().Format("150405.000")
	run(t, ctx, "write and save a draft with a file",
		chromedp.Navigate(a.URL+"/compose"),
		chromedp.WaitVisible(tid("compose-form")),
		chromedp.SendKeys(`#to`, smtptest.Address(dovecottest.DefaultUser)),
		chromedp.SetValue(`#subject`, subject),
		chromedp.SetValue(`#text`, "The plan is attached."),
		chromedp.SetUploadFiles(`#attachments`, []string{plan}),
		chromedp.Click(tid("compose-save")),
		chromedp.WaitVisible(tid("drafts")),
	)
	run(t, ctx, "reopen it from Drafts in the sidebar",
		chromedp.Navigate(a.URL+"/mail"),
		chromedp.WaitVisible(tid("sidebar")),
		chromedp.Click(tid("box-drafts")),
		chromedp.WaitVisible(tid("draft-link")),
		chromedp.Click(tid("draft-link")),
		chromedp.WaitVisible(tid("attached-files")),
	)
	if got := eval[string](t, ctx, attachedNamesJS); got != "plano.pdf" {
		t.Fatalf("the draft reopened with %q, want plano.pdf", got)
	}
	run(t, ctx, "send it", chromedp.Click(tid("compose-send")), chromedp.WaitVisible(tid("outbox")))
	waitSent(t, ctx, a, subject)
	waitArrived(t, ctx, a, subject)
	run(t, ctx, "open it", chromedp.Click(`[data-testid="message-link"]`), chromedp.WaitVisible(tid("message")))
	if got := eval[string](t, ctx, attachmentLinksJS); got != "plano.pdf" {
		t.Errorf("arrived with attachments %q, want plano.pdf", got)
	}
	run(t, ctx, "Sent in the sidebar", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("sidebar")),
		chromedp.Click(tid("box-sent")), chromedp.WaitVisible(tid("message-link")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="message-subject"]').innerText`); got != subject {
		t.Errorf("Sent lists %q", got)
	}
	run(t, ctx, "no drafts left", chromedp.Navigate(a.URL+"/drafts"), chromedp.WaitVisible(tid("drafts")))
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="draft-row"]').length`); n != 0 {
		t.Errorf("%d drafts left after sending", n)
	}
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
