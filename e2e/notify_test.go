package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/serviceworker"
	"github.com/chromedp/chromedp"

	"github.com/apartado/apartado/internal/dovecottest"
	"github.com/apartado/apartado/internal/pushtest"
)

// fakePushJS stands in for the browser's push service inside the page.
// Headless Chromium has no push service to subscribe with (Chrome's is
// Google's FCM, out of reach on loopback and absent from Chromium without
// Google's services: subscribe() fails with "push service not available"),
// so PushManager.prototype.subscribe and getSubscription are replaced,
// before any page script runs, by ones that hand out a subscription at
// the test's loopback push service with the keys of the test's browser
// (pushtest.Browser). Everything else is real: the permission prompt
// (granted through the DevTools protocol), the service worker's
// registration, notify.js, the server storing the subscription and
// pushing to it. The key the page subscribed with is kept, to be checked.
const fakePushJS = `(() => {
  const ENDPOINT = %q, P256DH = %q, AUTH = %q;
  const bytes = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) %% 4)), (c) => c.charCodeAt(0)).buffer;
  const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const make = (key) => ({
    endpoint: ENDPOINT,
    expirationTime: null,
    options: { userVisibleOnly: true, applicationServerKey: bytes(key) },
    getKey: (name) => bytes(name === "p256dh" ? P256DH : AUTH),
    toJSON: () => ({ endpoint: ENDPOINT, expirationTime: null, keys: { p256dh: P256DH, auth: AUTH } }),
    unsubscribe: () => { localStorage.removeItem("fake-push-key"); return Promise.resolve(true); },
  });
  PushManager.prototype.subscribe = function (opts) {
    if (!opts || !opts.userVisibleOnly || !opts.applicationServerKey) {
      return Promise.reject(new DOMException("userVisibleOnly and applicationServerKey are required", "NotAllowedError"));
    }
    const key = b64url(opts.applicationServerKey);
    localStorage.setItem("fake-push-key", key);
    return Promise.resolve(make(key));
  };
  PushManager.prototype.getSubscription = function () {
    const key = localStorage.getItem("fake-push-key");
    return Promise.resolve(key ? make(key) : null);
  };
})();`

// TestNotifications: at a desktop, the person turns notifications on in
// Settings (the browser allows them), and the server stores this
// browser's subscription; they choose the account; new mail fetched from
// Dovecot makes the server push to the subscription's push service, which
// verifies the push's VAPID signature and decrypts it, and it names the
// account, the sender and the subject. The inbox's title counts the unread
// mail. Turning off forgets the device.
func TestNotifications(t *testing.T) {
	stub := pushtest.NewServer()
	t.Cleanup(stub.Close)
	endpoint, pb, err := stub.Subscribe("/push/e2e-browser")
	if err != nil {
		t.Fatal(err)
	}
	srv := dovecottest.Start(t, dovecottest.Options{})
	if err := srv.AddMessages("alice", testMessages[:1]); err != nil {
		t.Fatal(err)
	}
	ca := caFile(t, srv.CertPEM)
	a := startApp(t, "APARTADO_EXTRA_CA_FILE="+ca, "APARTADO_PUSH_CONTACT=mailto:household@example.org")
	ctx := browser(t, 1280, 900, false)
	registrations := make(chan serviceworker.RegistrationID, 1)
	for _, name := range []string{"notifications", "push"} {
		if _, err := chromedp.Call(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name, UserVisibleOnly: true},
			Setting:    cdpbrowser.PermissionSettingGranted, Origin: a.URL,
		}); err != nil {
			t.Fatalf("granting %s: %v", name, err)
		}
	}
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: fmt.Sprintf(fakePushJS, endpoint, pb.P256dh(), pb.AuthSecret()),
	}); err != nil {
		t.Fatal(err)
	}
	setUpAccount(t, ctx, a, "Old ISP", srv)
	waitArrived(t, ctx, a, "Café mañana")

	run(t, ctx, "open the settings", chromedp.Navigate(a.URL+"/settings"), chromedp.WaitVisible(tid("push-on")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="push-status"]').innerText`); got != "This device does not show notifications of new mail." {
		t.Errorf("before: the status says %q", got)
	}
	run(t, ctx, "turn notifications on", chromedp.Click(tid("push-on")), chromedp.WaitVisible(tid("push-off")),
		chromedp.WaitVisible(tid("push-device")))
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="push-status"]').innerText`); got != "This device shows notifications of new mail." {
		t.Errorf("after: the status says %q", got)
	}
	if got := eval[bool](t, ctx, `Notification.permission === "granted"`); !got {
		t.Error("the permission is not granted")
	}
	// The server's list of this user's devices: this browser, at the stub.
	devices := eval[[]string](t, ctx, `[...document.querySelectorAll('[data-testid="push-device"]')].map(li => li.getAttribute('data-endpoint'))`)
	if len(devices) != 1 || devices[0] != endpoint {
		t.Fatalf("the server's devices are %v, want %s", devices, endpoint)
	}
	serverKey := eval[string](t, ctx, `document.querySelector('[data-testid="notifications"]').getAttribute('data-push-key')`)
	if got := eval[string](t, ctx, `localStorage.getItem("fake-push-key")`); got != serverKey || got == "" {
		t.Errorf("the browser subscribed with key %q, the server's is %q", got, serverKey)
	}
	noHorizontalScroll(t, ctx, "the settings with notifications")
	screenshot(t, ctx, "notifications-desktop")

	run(t, ctx, "choose the account", chromedp.Click(tid("notify-account")), chromedp.Click(tid("notify-accounts-submit")),
		chromedp.WaitVisible(tid("notice")))
	if !eval[bool](t, ctx, `document.querySelector('[data-testid="notify-account"]').checked`) {
		t.Fatal("the account's choice was not kept")
	}

	// New mail, fetched by a check: one push to the stub.
	if err := srv.AddMessages("alice", testMessages[1:2]); err != nil {
		t.Fatal(err)
	}
	run(t, ctx, "check now", chromedp.Click(tid("account-check")), chromedp.WaitVisible(tid("notice")))
	var p pushtest.Push
	select {
	case p = <-stub.Pushes:
	case <-time.After(90 * time.Second):
		t.Fatalf("no push within 90 s of the check; log:\n%s", a.log.String())
	}
	if p.Err != nil {
		t.Fatalf("the push service refused the push: %v", p.Err)
	}
	if p.Key != serverKey || p.Claims.Sub != "mailto:household@example.org" {
		t.Errorf("signed with %s for %q", p.Key, p.Claims.Sub)
	}
	var payload struct {
		Title, Body, From, Subject, URL string
		Count                           int
		Unread                          int
	}
	if err := json.Unmarshal(p.Payload, &payload); err != nil {
		t.Fatalf("payload %q: %v", p.Payload, err)
	}
	if payload.Title != "New mail in Old ISP" || payload.From != "Shop" || payload.Subject != "Your order has shipped" ||
		payload.Count != 1 || payload.Unread != 2 || !strings.HasPrefix(payload.URL, "/mail?account=") {
		t.Errorf("the push says %s", p.Payload)
	}
	if strings.Contains(string(p.Payload), "Shipped") || strings.Contains(string(p.Payload), "parcel") {
		t.Errorf("the push carries the mail's body: %s", p.Payload)
	}

	// The service worker shows what was pushed: delivered to it as the
	// push service would (DevTools' ServiceWorker.deliverPushMessage, with
	// the payload the stub decrypted), it shows one notification per
	// account, named and worded as the server said.
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*serviceworker.EventWorkerRegistrationUpdated); ok {
			for _, r := range e.Registrations {
				if strings.HasPrefix(r.ScopeURL, a.URL) && !r.IsDeleted {
					select {
					case registrations <- r.RegistrationID:
					default:
					}
				}
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, serviceworker.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	var reg serviceworker.RegistrationID
	select {
	case reg = <-registrations:
	case <-time.After(30 * time.Second):
		t.Fatal("no service worker registration reported")
	}
	// The registration reported may still be activating, and a push
	// delivered to it then is dropped (seen once in CI, under load): the
	// page waits for the active worker, and the push is delivered again
	// every 5 seconds until it shows. A notification replaces one of the
	// same tag, so a second delivery cannot show two.
	get(t, ctx, "the active service worker", chromedp.Evaluate[bool](`navigator.serviceWorker.ready.then(() => true)`,
		chromedp.EvalAwaitPromise))
	deliver := func() {
		t.Helper()
		if _, err := chromedp.Call(ctx, serviceworker.DeliverPushMessage, serviceworker.DeliverPushMessageParams{
			Origin: a.URL, RegistrationID: reg, Data: string(p.Payload)}); err != nil {
			t.Fatal(err)
		}
	}
	deliver()
	type shown struct{ Title, Body, Tag string }
	var notes []shown
	for deadline, again := time.Now().Add(30*time.Second), time.Now().Add(5*time.Second); len(notes) == 0 && time.Now().Before(deadline); {
		notes = get(t, ctx, "the notifications shown", chromedp.Evaluate[[]shown](`navigator.serviceWorker.ready
			.then(r => r.getNotifications())
			.then(ns => ns.map(n => ({Title: n.title, Body: n.body, Tag: n.tag})))`, chromedp.EvalAwaitPromise))
		if len(notes) == 0 {
			if time.Now().After(again) {
				deliver()
				again = time.Now().Add(5 * time.Second)
			}
			run(t, ctx, "wait", chromedp.Sleep(200*time.Millisecond))
		}
	}
	if len(notes) != 1 || notes[0].Title != "New mail in Old ISP" || notes[0].Body != "Shop — Your order has shipped" ||
		!strings.HasPrefix(notes[0].Tag, "apartado-account-") {
		t.Errorf("the notifications shown: %+v", notes)
	}

	// The tab's title counts the unread mail.
	run(t, ctx, "open the inbox", chromedp.Navigate(a.URL+"/mail"), chromedp.WaitVisible(tid("message-list")))
	if got := eval[string](t, ctx, `document.title`); got != "(2) Inbox – Apartado" {
		t.Errorf("the inbox's title is %q", got)
	}
	// And so does the installed app's badge (live.js sets it from this).
	if got := eval[string](t, ctx, `document.querySelector('[data-testid="live-bar"]').getAttribute('data-live-badge')`); got != "2" {
		t.Errorf("the badge's count is %q", got)
	}

	// Turning off forgets this browser on the server too.
	run(t, ctx, "turn notifications off", chromedp.Navigate(a.URL+"/settings"), chromedp.WaitVisible(tid("push-off")),
		chromedp.Click(tid("push-off")), chromedp.WaitVisible(tid("push-on")))
	if n := eval[int](t, ctx, `document.querySelectorAll('[data-testid="push-device"]').length`); n != 0 {
		t.Errorf("%d devices listed after turning off", n)
	}
}
