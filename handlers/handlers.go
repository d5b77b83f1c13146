package handlers

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/sessions"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/internal/password"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/poller"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/static"
)

// Poller is the background poller as the web interface sees it: it is
// told when an account should be checked soon (after "check now", and
// after an account is added or edited), and it reports the progress of the
// syncs it runs. *poller.Poller satisfies it.
type Poller interface {
	Wake()
	Progress(accountID int64) (poller.Progress, bool)
}

// The values of Config.CookieSecure.
const (
	CookieSecureAuto   = "auto"   // Secure when the request came over TLS (or, with TrustProxy, X-Forwarded-Proto says https)
	CookieSecureAlways = "always" // always Secure: the site is only ever reached over HTTPS
	CookieSecureNever  = "never"  // never Secure: plain HTTP on a trusted network
)

// ValidCookieSecure reports whether s is a valid Config.CookieSecure value
// ("" means auto), for validating configuration at start.
func ValidCookieSecure(s string) bool {
	switch s {
	case "", CookieSecureAuto, CookieSecureAlways, CookieSecureNever:
		return true
	}
	return false
}

// Config is what the HTTP layer needs.
type Config struct {
	DB     *db.DB
	Key    *secret.Key
	Poller Poller       // may be nil (no background poller)
	Log    *slog.Logger // nil: discard
	// CookieSecure says when the session cookie gets the Secure flag:
	// CookieSecureAuto (the default when empty), CookieSecureAlways or
	// CookieSecureNever.
	CookieSecure string
	// TrustProxy makes the client's address come from the last hop of
	// X-Forwarded-For, and lets X-Forwarded-Proto say the request was
	// HTTPS. Set it only behind a reverse proxy that sets those headers.
	TrustProxy bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PasswordParams are the argon2id costs for new password hashes; the
	// zero value means password.Default.
	PasswordParams password.Params

	// Resolver looks up POP3 server names for connection tests (and, when
	// DiscoverOptions.DialOptions is nil, for autodiscovery's probes);
	// nil means the system's.
	Resolver pop3client.Resolver
	// ExtraRootCAs are certificate authorities trusted in addition to the
	// system's by connection tests, as by the poller.
	ExtraRootCAs []*x509.Certificate
	// DiscoverOptions configure autodiscovery (DNS, HTTPS client, probes);
	// nil means the defaults, with probes through Resolver and
	// ExtraRootCAs.
	DiscoverOptions *discover.Options
	// TestTimeout bounds each step of a connection test; zero means
	// diagnose.DefaultTestTimeout.
	TestTimeout time.Duration
	// SMTPTimeout is how long the sender waits for an outgoing server at
	// one step (the serve setting); an outgoing server's connection test
	// waits no longer than that either, so that it fails where sending
	// would. Zero: TestTimeout alone.
	SMTPTimeout time.Duration
	// MemberPrivateServers lets users who are not administrators have
	// Apartado connect to servers on its local network (10/8, 192.168/16,
	// fc00::/7…) for discovery and connection tests. Never to the computer
	// Apartado runs on or its link (dialguard.go).
	MemberPrivateServers bool

	// SetupCode is the one-time code the first-run form asks for, shown to
	// whoever started the program; "" (as when users exist already) leaves
	// that form shut.
	SetupCode string
	// PublicURL is the address people reach Apartado at, like
	// https://mail.example.net; nil if not configured. When set, requests
	// naming another host (as after a DNS rebinding) are refused.
	PublicURL *url.URL
	// PasswordConcurrency bounds the password hashes computed at once;
	// zero means the number of CPUs.
	PasswordConcurrency int
	// Sender is told when a message was put in the outbox; may be nil.
	Sender Waker
	// UndoWindow is how long a message can be taken back before it
	// leaves; nil means app.DefaultUndo.
	UndoWindow *time.Duration
	// SignIns is the sign-in service shared with the poller and the
	// sender; nil: one of the handler's own.
	SignIns *app.SignIns
	// Background is the context of work that outlives a request (waiting
	// for a sign-in with a code on another device): cancelled when the
	// program stops. nil: context.Background().
	Background context.Context
	// Work counts that work's goroutines, for the program to wait for them
	// once Background is done (they end at once then) and before the
	// database closes. nil: the handler's own, which nobody waits for.
	Work *sync.WaitGroup
}

// Waker is a background worker that can be told to look for work now.
type Waker interface{ Wake() }

// Sessions last 30 days from the last visit.
const (
	sessionCookieName = "apartado_session"
	sessionTTL        = 30 * 24 * time.Hour
	// The cookie is sent again (extending its life in the browser) when it
	// is older than this; the database slides the session itself.
	cookieRefresh = 24 * time.Hour
)

// Handler holds the HTTP layer's dependencies; every handler is a method.
type Handler struct {
	db           *db.DB
	key          *secret.Key
	poller       Poller
	sender       Waker
	log          *slog.Logger
	cookieSecure string
	trustProxy   bool
	now          func() time.Time
	pwParams     password.Params

	store     *sessions.CookieStore
	partKey   []byte // signs the URLs of a message's inline images
	assets    *static.Assets
	limiter   *limiter
	connLimit *limiter    // connection tests and discovery, per user
	dummyHash string      // verified against for unknown names, so they take as long as known ones
	hasUsers  atomic.Bool // once a user exists, one always does
	users     *app.Users  // every password hash goes through its gate
	accounts  *app.Accounts
	signIns   *app.SignIns
	flows     *signinFlows // sign-ins with a provider under way (signin_flow.go)
	messages  *app.Messages
	search    *app.Search
	folders   *app.Folders
	outbox    *app.Outbox
	notes     *app.Notifications // browser notifications (notifications.go)
	drafts    *app.Drafts
	contacts  *app.Contacts
	imports   *app.ImportJobs
	setupCode *setupCode
	logKey    []byte // keys the hashes that stand for typed names in the log
	// publicHost is PublicURL's host name (lower case, without the
	// port); "" accepts any Host.
	publicHost string
	// redirectURI is where providers send the browser back after a
	// sign-in (the public URL's oauthCallbackPath); "" without a public URL.
	redirectURI string

	resolver     pop3client.Resolver
	extraRootCAs []*x509.Certificate
	discoverOpts *discover.Options
	testTimeout  time.Duration
	smtpTimeout  time.Duration
	// dialer checks every address against the request's policy;
	// memberPrivate is the policy's AllowPrivate (dialguard.go).
	dialer        *net.Dialer
	memberPrivate bool
	// testConn runs a connection test; diagnose.Test, replaced in tests.
	testConn func(context.Context, diagnose.TestSettings, diagnose.TestOptions, func(diagnose.StepResult)) diagnose.Result
	// testSMTP tests an outgoing server; diagnose.TestSMTP, replaced in tests.
	testSMTP func(context.Context, diagnose.TestSettings, diagnose.TestOptions, func(diagnose.StepResult)) diagnose.Result
	// work is Config.Work.
	work *sync.WaitGroup
	// background is Config.Background.
	background context.Context
}

// noPoller stands in when there is no background poller.
type noPoller struct{}

func (noPoller) Wake()                                  {}
func (noPoller) Progress(int64) (poller.Progress, bool) { return poller.Progress{}, false }

// New returns the web interface's handler. It panics if cfg lacks the
// database or the key, which is a programming error.
func New(cfg Config) http.Handler {
	h, err := newHandler(cfg)
	if err != nil {
		panic("handlers: " + err.Error())
	}
	return h.routes()
}

func newHandler(cfg Config) (*Handler, error) {
	if cfg.DB == nil || cfg.Key == nil {
		return nil, fmt.Errorf("the database and the secret key are required")
	}
	if !ValidCookieSecure(cfg.CookieSecure) {
		return nil, fmt.Errorf("cookie security %q: want %s, %s or %s", cfg.CookieSecure, CookieSecureAuto, CookieSecureAlways, CookieSecureNever)
	}
	assets, err := static.New()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		db:           cfg.DB,
		key:          cfg.Key,
		poller:       cfg.Poller,
		log:          cfg.Log,
		cookieSecure: cfg.CookieSecure,
		trustProxy:   cfg.TrustProxy,
		now:          cfg.Now,
		pwParams:     cfg.PasswordParams,
		assets:       assets,
		partKey:      cfg.Key.Derive("inline-part-url", 32),
		resolver:     cfg.Resolver,
		extraRootCAs: cfg.ExtraRootCAs,
		discoverOpts: cfg.DiscoverOptions,
		testTimeout:  cfg.TestTimeout,
		smtpTimeout:  cfg.SMTPTimeout,
		testConn:     diagnose.Test,
		testSMTP:     diagnose.TestSMTP,
	}
	if h.poller == nil {
		h.poller = noPoller{}
	}
	h.sender = cfg.Sender
	if h.sender == nil {
		h.sender = noPoller{}
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.cookieSecure == "" {
		h.cookieSecure = CookieSecureAuto
	}
	if h.pwParams == (password.Params{}) {
		h.pwParams = password.Default
	}
	h.guardDials(cfg)
	n := cfg.PasswordConcurrency
	if n <= 0 {
		n = runtime.NumCPU()
	}
	// A few more may wait briefly behind the running ones; past that, 503.
	h.users = app.NewUsers(cfg.DB, password.NewGate(n, 4*n, 3*time.Second), h.pwParams)
	h.accounts = app.NewAccounts(cfg.DB, cfg.Key)
	h.signIns = cfg.SignIns
	if h.signIns == nil {
		h.signIns = app.NewSignIns(cfg.DB, cfg.Key)
	}
	h.flows = newSigninFlows()
	h.background = cfg.Background
	h.work = cfg.Work
	if h.work == nil {
		h.work = new(sync.WaitGroup)
	}
	if h.background == nil {
		h.background = context.Background()
	}
	h.messages = app.NewMessages(cfg.DB)
	h.search = app.NewSearch(cfg.DB)
	h.folders = app.NewFolders(cfg.DB)
	h.drafts = app.NewDrafts(cfg.DB)
	h.contacts = app.NewContacts(cfg.DB)
	h.imports = app.NewImportJobs(app.NewImports(cfg.DB), h.log)
	h.outbox = app.NewOutbox(cfg.DB)
	h.notes = app.NewNotifications(cfg.DB, cfg.Key)
	h.outbox.Now = h.now
	if cfg.UndoWindow != nil {
		h.outbox.UndoWindow = *cfg.UndoWindow
	}
	h.outbox.Notify = h.sender.Wake
	h.setupCode = newSetupCodeState(cfg.SetupCode)
	h.logKey = cfg.Key.Derive("log-name-tag", 32)
	if cfg.PublicURL != nil {
		if cfg.PublicURL.Host == "" {
			return nil, fmt.Errorf("public URL %q has no host", cfg.PublicURL)
		}
		h.publicHost = canonicalHost(cfg.PublicURL.Host)
		h.redirectURI = redirectURI(cfg.PublicURL)
	}
	h.limiter = newLimiter(loginWindow, h.now)
	h.connLimit = newLimiter(connWindow, h.now)
	h.dummyHash = dummyHash(h.pwParams)
	h.store = sessions.NewCookieStore(cfg.Key.Derive("cookie-hash", 64), cfg.Key.Derive("cookie-block", 32))
	h.store.MaxAge(int(sessionTTL / time.Second))
	return h, nil
}

// dummyHash is a well-formed argon2id hash with the current parameters
// that no password matches, so verifying against it costs what a real
// verification costs.
func dummyHash(p password.Params) string {
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", p.Memory, p.Time, p.Threads,
		"c29tZSBzYWx0IGZvciBubw", strings.Repeat("A", 43))
}

// oauthCallbackPath is where a sign-in with the provider comes back.
const oauthCallbackPath = "/oauth/callback"

// redirectURI is the address providers send the browser back to after a
// sign-in: the public URL (without query or fragment) and
// oauthCallbackPath.
func redirectURI(public *url.URL) string {
	u := *public
	u.RawQuery, u.ForceQuery, u.Fragment, u.RawFragment = "", false, "", ""
	return strings.TrimSuffix(u.String(), "/") + oauthCallbackPath
}
