package app

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/secret"
)

// Notifications are the rules of browser notifications of new mail: the
// server's VAPID key pair (RFC 8292), the devices a user turned them on in
// (Web Push subscriptions, RFC 8030), and which accounts' mail they are
// for. Sending them is the push package's.
type Notifications struct {
	db  *db.DB
	key *secret.Key
}

// NewNotifications returns the service over store, with key sealing the
// VAPID private key.
func NewNotifications(store *db.DB, key *secret.Key) *Notifications {
	return &Notifications{db: store, key: key}
}

// Bounds on a subscription.
const (
	MaxPushEndpoint = 2048
	MaxPushLabel    = 100
)

// The input fields of a subscription, as Problem.Field names them.
const (
	FieldPushEndpoint = "endpoint"
	FieldPushKey      = "p256dh"
	FieldPushAuth     = "auth"
)

const vapidContext = "vapid-private-key"

// VAPID is the server's key pair, each half base64url without padding as
// browsers (applicationServerKey) and the Web Push library take them.
type VAPID struct {
	Public  string
	Private string // never sent to a browser
}

// VAPID returns the server's key pair, made and stored the first time.
// When the stored private key no longer opens (the secret key was
// changed), a new pair replaces it and every subscription, which were made
// with the old public key, is deleted: browsers subscribe again when
// their owner turns notifications on.
func (n *Notifications) VAPID(ctx context.Context) (VAPID, error) {
	k, err := n.db.PushKeys(ctx)
	if errors.Is(err, db.ErrNotFound) {
		fresh, err := n.newKeys()
		if err != nil {
			return VAPID{}, err
		}
		if k, err = n.db.AddPushKeys(ctx, fresh); err != nil {
			return VAPID{}, err
		}
	} else if err != nil {
		return VAPID{}, err
	}
	private, err := n.key.Open(k.PrivateSealed, vapidContext)
	if errors.Is(err, secret.ErrOpen) {
		if k, err = n.newKeys(); err != nil {
			return VAPID{}, err
		}
		if err := n.db.ReplacePushKeys(ctx, k); err != nil {
			return VAPID{}, err
		}
		private, err = n.key.Open(k.PrivateSealed, vapidContext)
	}
	if err != nil {
		return VAPID{}, fmt.Errorf("vapid key: %w", err)
	}
	enc := base64.RawURLEncoding
	return VAPID{Public: enc.EncodeToString(k.Public), Private: enc.EncodeToString(private)}, nil
}

func (n *Notifications) newKeys() (db.PushKeys, error) {
	priv, err := ecdh.P256().GenerateKey(rand.Reader)
	if err != nil {
		return db.PushKeys{}, fmt.Errorf("vapid key: %w", err)
	}
	sealed, err := n.key.Seal(priv.Bytes(), vapidContext)
	if err != nil {
		return db.PushKeys{}, fmt.Errorf("vapid key: %w", err)
	}
	return db.PushKeys{Public: priv.PublicKey().Bytes(), PrivateSealed: sealed}, nil
}

// Subscription is what a browser gives when it subscribes: its push
// service's endpoint and its keys (PushSubscription.toJSON()), plus a
// label for the device and its language.
type Subscription struct {
	Endpoint string
	P256dh   string
	Auth     string
	Label    string
	Locale   string
}

// Subscribe stores a device of the user's. The endpoint must be an http(s)
// address (the push sender connects to it as the user could, see push),
// p256dh a P-256 public key and auth a 16-byte secret, base64url encoded.
func (n *Notifications) Subscribe(ctx context.Context, userID int64, in Subscription) (db.PushSubscription, error) {
	var ps problems
	u, err := url.Parse(in.Endpoint)
	switch {
	case in.Endpoint == "":
		ps.add(FieldPushEndpoint, i18n.Key("The browser gave no push address."))
	case len(in.Endpoint) > MaxPushEndpoint || err != nil || (u.Scheme != "https" && u.Scheme != "http") ||
		u.Host == "" || u.User != nil:
		ps.add(FieldPushEndpoint, i18n.Key("The browser's push address is not a web address."))
	}
	key, err := decodePushKey(in.P256dh)
	if err == nil {
		_, err = ecdh.P256().NewPublicKey(key)
	}
	if err != nil {
		ps.add(FieldPushKey, i18n.Key("The browser's push key is not valid."))
	}
	auth, err := decodePushKey(in.Auth)
	if err != nil || len(auth) != 16 {
		ps.add(FieldPushAuth, i18n.Key("The browser's push key is not valid."))
	}
	if err := ps.err(); err != nil {
		return db.PushSubscription{}, err
	}
	enc := base64.RawURLEncoding
	return n.db.SavePushSubscription(ctx, userID, db.PushSubscription{
		Endpoint: in.Endpoint, P256dh: enc.EncodeToString(key), Auth: enc.EncodeToString(auth),
		Label: truncateRunes(strings.TrimSpace(in.Label), MaxPushLabel), Locale: truncateRunes(in.Locale, 35),
	})
}

// decodePushKey reads base64url with or without padding, or standard
// base64, as browsers and libraries write these keys.
func decodePushKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	if b, err := base64.RawURLEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return base64.RawStdEncoding.DecodeString(s)
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Unsubscribe removes the user's subscription with endpoint (the browser
// turning notifications off); ErrNotFound when the user has none there.
func (n *Notifications) Unsubscribe(ctx context.Context, userID int64, endpoint string) error {
	return n.db.DeletePushEndpoint(ctx, userID, endpoint)
}

// RemoveDevice removes one of the user's devices by id; ErrNotFound for
// another user's.
func (n *Notifications) RemoveDevice(ctx context.Context, userID, id int64) error {
	return n.db.DeletePushSubscription(ctx, userID, id)
}

// Devices lists the user's devices, newest first.
func (n *Notifications) Devices(ctx context.Context, userID int64) ([]db.PushSubscription, error) {
	return n.db.PushSubscriptions(ctx, userID)
}

// Accounts returns the ids of the user's accounts whose new mail is told.
func (n *Notifications) Accounts(ctx context.Context, userID int64) (map[int64]bool, error) {
	return n.db.NotifyAccounts(ctx, userID)
}

// SetAccounts makes exactly the accounts in on notify, of the user's
// accounts; an id in on that is not the user's is ErrNotFound, and
// nothing changes.
func (n *Notifications) SetAccounts(ctx context.Context, userID int64, on map[int64]bool) error {
	ids, err := n.db.AccountIDs(ctx, userID)
	if err != nil {
		return err
	}
	mine := map[int64]bool{}
	for _, id := range ids {
		mine[id] = true
	}
	var chosen []int64
	for id, yes := range on {
		if !mine[id] {
			return db.ErrNotFound
		}
		if yes {
			chosen = append(chosen, id)
		}
	}
	return n.db.SetNotifyAccounts(ctx, userID, chosen)
}
