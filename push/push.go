// Package push tells people about new mail with browser notifications: Web
// Push (RFC 8030) with VAPID (RFC 8292), the message encrypted for each
// browser (RFC 8291, aes128gcm). The poller tells a Notifier what a sync
// stored; the Notifier sends, in the background, one push per device of
// the account's owner who asked for that account's mail, with the count
// and the newest sender and subject, and nothing else of the mail. A slow
// or failing push service never holds the poller up: NewMail only queues,
// pushes run a few at a time, each with a deadline. It serves no pages and
// schedules no syncs.
package push

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	webpush "github.com/SherClockHolmes/webpush-go"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/netguard"
	"github.com/apartado/apartado/internal/secret"
)

// Defaults.
const (
	DefaultConcurrency = 4
	DefaultTimeout     = 30 * time.Second
	// DefaultTTL is how long a push service keeps a push for a browser
	// that is offline (RFC 8030 section 5.2): after a day, news of new
	// mail is old news.
	DefaultTTL       = 24 * time.Hour
	DefaultQueueSize = 256
	// maxCount bounds the messages looked at for one push.
	maxCount = 1000
)

// Notifier sends the pushes. Set the exported fields before Run; zero
// values mean the defaults.
type Notifier struct {
	DB  *db.DB
	Key *secret.Key
	Log *slog.Logger
	// Contact is the VAPID "sub" (RFC 8292 section 2.1), a mailto: or
	// https: address the push services may write to about this server.
	// "" means the first administrator's first account's address, or
	// else postmaster at PublicURL's host (or localhost).
	Contact   string
	PublicURL *url.URL
	// Client sends the pushes; nil means one whose connections are
	// checked by internal/netguard as the account owner's (a member's
	// devices cannot have Apartado post to this computer or, unless
	// MemberPrivateServers, its network).
	Client               *http.Client
	Resolver             *net.Resolver
	MemberPrivateServers bool
	Concurrency          int           // pushes in flight at once
	Timeout              time.Duration // for one push, connecting included
	TTL                  time.Duration
	QueueSize            int // syncs waiting to be told about; more are dropped, with a warning

	once  sync.Once
	queue chan newMail
	slots chan struct{}
	notes *app.Notifications
}

type newMail struct {
	accountID int64
	count     int
}

func (n *Notifier) init() {
	n.once.Do(func() {
		if n.Log == nil {
			n.Log = slog.New(slog.DiscardHandler)
		}
		if n.Concurrency <= 0 {
			n.Concurrency = DefaultConcurrency
		}
		if n.Timeout <= 0 {
			n.Timeout = DefaultTimeout
		}
		if n.TTL <= 0 {
			n.TTL = DefaultTTL
		}
		if n.QueueSize <= 0 {
			n.QueueSize = DefaultQueueSize
		}
		if n.Client == nil {
			d := &net.Dialer{Timeout: n.Timeout, Resolver: n.Resolver}
			tr := http.DefaultTransport.(*http.Transport).Clone()
			tr.DialContext = netguard.Dialer(d).DialContext
			// No connection opened for one user is reused for another
			// whom the policy would not have let open it.
			tr.DisableKeepAlives = true
			n.Client = &http.Client{Transport: tr, Timeout: n.Timeout,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		}
		n.queue = make(chan newMail, n.QueueSize)
		n.slots = make(chan struct{}, n.Concurrency)
		n.notes = app.NewNotifications(n.DB, n.Key)
	})
}

// NewMail queues the pushes about count messages just stored from an
// account. It never blocks (poller.NewMailNotifier).
func (n *Notifier) NewMail(accountID int64, count int) {
	n.init()
	select {
	case n.queue <- newMail{accountID: accountID, count: count}:
	default:
		n.Log.Warn("push: too many notifications waiting; this one is dropped", "account", accountID, "new", count)
	}
}

// Run sends the queued pushes until ctx ends, then waits for the pushes in
// flight, which ctx's end cancels.
func (n *Notifier) Run(ctx context.Context) {
	n.init()
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-n.queue:
			n.notify(ctx, m, &wg)
		}
	}
}

// notify starts one push per device of the account's owner, if the owner
// asked for this account's new mail and some of it is worth telling.
func (n *Notifier) notify(ctx context.Context, m newMail, wg *sync.WaitGroup) {
	t, err := n.DB.PushTargetFor(ctx, m.accountID, min(m.count, maxCount))
	if err != nil && !errors.Is(err, db.ErrNotFound) {
		n.Log.Error("push: reading what to tell", "account", m.accountID, "err", err)
	}
	if err != nil || len(t.Devices) == 0 || t.Count == 0 {
		return // deleted meanwhile, not asked for, or all of it went to junk
	}
	keys, err := n.notes.VAPID(ctx)
	if err != nil {
		n.Log.Error("push: the VAPID key", "err", err)
		return
	}
	contact, err := n.contact(ctx)
	if err != nil {
		n.Log.Error("push: the VAPID contact", "err", err)
		return
	}
	for _, dev := range t.Devices {
		body, err := json.Marshal(NewPayload(t, dev.Locale))
		if err != nil {
			n.Log.Error("push: encoding", "err", err)
			return
		}
		select {
		case n.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-n.slots }()
			n.send(ctx, t, dev, body, keys, contact)
		}()
	}
}

// send posts one push and deals with the answer: a subscription the push
// service no longer knows (404, 410: RFC 8030 section 7.3) is deleted.
func (n *Notifier) send(ctx context.Context, t db.PushTarget, dev db.PushSubscription, body []byte, keys app.VAPID, contact string) {
	ctx, cancel := context.WithTimeout(ctx, n.Timeout)
	defer cancel()
	if !t.Admin {
		ctx = netguard.Restrict(ctx, netguard.Policy{AllowPrivate: n.MemberPrivateServers})
	}
	resp, err := webpush.SendNotificationWithContext(ctx, body,
		&webpush.Subscription{Endpoint: dev.Endpoint, Keys: webpush.Keys{Auth: dev.Auth, P256dh: dev.P256dh}},
		&webpush.Options{
			HTTPClient: n.Client,
			// QUIRK: webpush-go v1.4.0 puts "mailto:" before any
			// subscriber that does not start with "https:", so a
			// "mailto:a@b" would become "mailto:mailto:a@b", which Apple's
			// push service refuses (SherClockHolmes/webpush-go#92).
			Subscriber:      strings.TrimPrefix(contact, "mailto:"),
			Topic:           "account-" + strconv.FormatInt(t.AccountID, 10), // a newer push replaces one not yet delivered
			TTL:             int(n.TTL / time.Second),
			Urgency:         webpush.UrgencyNormal,
			VAPIDPublicKey:  keys.Public,
			VAPIDPrivateKey: keys.Private,
		})
	if err != nil {
		n.Log.Warn("push: sending failed", "account", t.AccountID, "device", dev.ID, "err", err)
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if err := resp.Body.Close(); err != nil {
		n.Log.Debug("push: closing the answer", "err", err)
	}
	switch code := resp.StatusCode; {
	case code == http.StatusNotFound || code == http.StatusGone:
		if err := n.DB.DropPushSubscription(context.WithoutCancel(ctx), dev.ID); err != nil {
			n.Log.Error("push: deleting a subscription that is gone", "device", dev.ID, "err", err)
			return
		}
		n.Log.Info("push: the browser's subscription is gone; deleted", "user", t.UserID, "device", dev.ID, "status", code)
	case code >= 200 && code < 300:
		n.Log.Debug("push sent", "account", t.AccountID, "device", dev.ID, "status", code)
	default:
		n.Log.Warn("push: refused by the push service", "account", t.AccountID, "device", dev.ID, "status", code)
	}
}

// contact is the VAPID "sub": Contact, or the first administrator's first
// account's address, or postmaster at the public host.
func (n *Notifier) contact(ctx context.Context) (string, error) {
	if n.Contact != "" {
		return n.Contact, nil
	}
	email, err := n.DB.PushContact(ctx)
	if err != nil || email != "" {
		return "mailto:" + email, err
	}
	host := "localhost"
	if n.PublicURL != nil && n.PublicURL.Hostname() != "" {
		host = n.PublicURL.Hostname()
	}
	return "mailto:postmaster@" + host, nil
}

// Payload is what a push says, as the service worker (static/sw.js)
// reads it: the notification's title and body in the owner's language,
// and for the badge and the click, the owner's unread count and the
// account's inbox.
type Payload struct {
	AccountID int64  `json:"account_id"`
	Account   string `json:"account"`
	Count     int    `json:"count"`
	From      string `json:"from"`
	Subject   string `json:"subject"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	URL       string `json:"url"`
	Unread    int64  `json:"unread"`
}

// Bounds on what a push carries: a push service takes about 4 KB.
const (
	maxFrom    = 100
	maxSubject = 200
)

// NewPayload words a push about t for a device whose browser speaks
// deviceLocale (the owner's own choice of language wins).
func NewPayload(t db.PushTarget, deviceLocale string) Payload {
	loc := i18n.Match(t.UserLocale, deviceLocale)
	from := t.FromName
	if from == "" {
		from = t.FromAddr
	}
	subject := t.Subject
	if strings.TrimSpace(subject) == "" {
		subject = loc.T("(no subject)")
	}
	p := Payload{AccountID: t.AccountID, Account: t.AccountName, Count: t.Count, Unread: t.InboxUnread,
		From: clip(from, maxFrom), Subject: clip(subject, maxSubject),
		URL: "/mail?account=" + strconv.FormatInt(t.AccountID, 10)}
	p.Title = loc.T("New mail in %s", p.Account)
	p.Body = p.Subject
	if p.From != "" {
		p.Body = p.From + " — " + p.Subject
	}
	if t.Count > 1 {
		p.Body += "\n" + loc.T("%d new messages", t.Count)
	}
	return p
}

func clip(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}
