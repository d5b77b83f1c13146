package main

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/handlers"
	"github.com/apartado/apartado/internal/secret"
)

// config is every setting, parsed once from flags and environment and
// validated before anything starts.
type config struct {
	Addr            string
	Data            string
	SecretKey       string // the key itself (APARTADO_SECRET_KEY)
	SecretKeyFile   string
	CookieSecure    string
	TrustProxy      bool
	LogLevel        string
	LogFormat       string
	PollConcurrency int
	PollTimeout     time.Duration
	// SMTPTimeout is how long an outgoing server may stay silent at one
	// step of sending (the sender's, and at most the connection test's).
	SMTPTimeout time.Duration
	ExtraCAFile string
	DNSServer   string
	PublicURL   *url.URL // nil when not configured
	// MemberPrivateServers lets users who are not administrators test and
	// discover servers on the local network (never on this computer).
	MemberPrivateServers bool
	// UndoWindow is how long a message sent from the web can be taken back.
	UndoWindow time.Duration
	// Backups is how many daily backups the server keeps (0: none).
	Backups int
	// PushContact is the contact push services are given (VAPID "sub"):
	// mailto: or https:; "" for the first administrator's address.
	PushContact string
}

// setting is one row of the settings table: a flag, its variable, its
// default and what it means. The README's table is written from these.
type setting struct {
	flag, env, def, help string
}

var settings = []setting{
	{"addr", "APARTADO_ADDR", "127.0.0.1:8080", "address to listen on (0.0.0.0:8080 in the Docker image)"},
	{"data", "APARTADO_DATA", "./data", "folder for the database and the generated secret key"},
	{"secret-key", "APARTADO_SECRET_KEY", "", "the secret key (32 bytes, base64); by default read from or generated into DATA/secret.key"},
	{"secret-key-file", "APARTADO_SECRET_KEY_FILE", "", "a file holding the secret key (e.g. a Docker secret)"},
	{"cookie-secure", "APARTADO_COOKIE_SECURE", "auto", "Secure cookies: auto (when served over HTTPS), always, never"},
	{"trust-proxy", "APARTADO_TRUST_PROXY", "false", "trust X-Forwarded-For/-Proto/-Host from a reverse proxy in front"},
	{"public-url", "APARTADO_PUBLIC_URL", "", "the address people reach Apartado at, like https://mail.example.net; requests naming another host are refused"},
	{"log-level", "APARTADO_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"log-format", "APARTADO_LOG_FORMAT", "text", "text or json"},
	{"poll-concurrency", "APARTADO_POLL_CONCURRENCY", "3", "how many accounts are synced at once"},
	{"poll-timeout", "APARTADO_POLL_TIMEOUT", "60s", "how long a POP3 server may stay silent before a sync gives up"},
	{"smtp-timeout", "APARTADO_SMTP_TIMEOUT", "60s", "how long an outgoing (SMTP) server may stay silent at one step of sending before the attempt gives up (the message is tried again later; the final answer to a message may take 10 minutes)"},
	{"extra-ca-file", "APARTADO_EXTRA_CA_FILE", "", "PEM certificates to trust for POP3 servers, besides the system's"},
	{"dns-server", "APARTADO_DNS_SERVER", "", "a DNS server (host:port) to ask instead of the system's, for POP3 servers and settings discovery"},
	{"undo-window", "APARTADO_UNDO_WINDOW", "5s", "how long a message written in the browser waits in the outbox, to be taken back, before it leaves (0s to 30s)"},
	{"backups", "APARTADO_BACKUPS", "7", "how many daily backups to keep in DATA/backups (0: make none)"},
	{"push-contact", "APARTADO_PUSH_CONTACT", "", "who the browsers' push services may write to about this server's notifications of new mail: a mailto: or https: address; by default the first administrator's first mail account"},
	{"member-private-servers", "APARTADO_MEMBER_PRIVATE_SERVERS", "false", "let users who are not administrators connect to POP3 servers on the local network (10/8, 172.16/12, 192.168/16, fc00::/7…); this computer and link-local addresses stay off limits"},
}

// parseConfig reads the serve settings: a flag wins over its variable,
// which wins over the default. Every *_FILE-style secret may come from a file.
// extra, if not nil, defines a subcommand's own flags before parsing.
func parseConfig(name string, args []string, getenv func(string) string, stderr io.Writer, extra func(*flag.FlagSet)) (*config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	if extra != nil {
		extra(fs)
	}
	vals := map[string]*string{}
	for _, s := range settings {
		def := s.def
		if v := getenv(s.env); v != "" {
			def = v
		}
		vals[s.flag] = fs.String(s.flag, def, s.help+" ($"+s.env+")")
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	c := &config{
		Addr: *vals["addr"], Data: *vals["data"], SecretKey: *vals["secret-key"], SecretKeyFile: *vals["secret-key-file"],
		CookieSecure: *vals["cookie-secure"], LogLevel: *vals["log-level"], LogFormat: *vals["log-format"],
		ExtraCAFile: *vals["extra-ca-file"], DNSServer: *vals["dns-server"],
	}
	if c.DNSServer != "" {
		if _, _, err := net.SplitHostPort(c.DNSServer); err != nil {
			return nil, nil, fmt.Errorf("--dns-server must be host:port, like 127.0.0.1:53")
		}
	}
	if v := *vals["public-url"]; v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil {
			return nil, nil, fmt.Errorf("--public-url must be an http or https address like https://mail.example.net")
		}
		c.PublicURL = u
	}
	var err error
	if c.TrustProxy, err = strconv.ParseBool(*vals["trust-proxy"]); err != nil {
		return nil, nil, fmt.Errorf("--trust-proxy: %w", err)
	}
	if c.UndoWindow, err = time.ParseDuration(*vals["undo-window"]); err != nil || c.UndoWindow < 0 || c.UndoWindow > app.MaxUndo {
		return nil, nil, fmt.Errorf("--undo-window must be a duration from 0s to 30s, like 5s")
	}
	if c.MemberPrivateServers, err = strconv.ParseBool(*vals["member-private-servers"]); err != nil {
		return nil, nil, fmt.Errorf("--member-private-servers must be true or false")
	}
	if c.PushContact, err = parsePushContact(*vals["push-contact"]); err != nil {
		return nil, nil, err
	}
	if c.Backups, err = strconv.Atoi(*vals["backups"]); err != nil || c.Backups < 0 || c.Backups > 1000 {
		return nil, nil, fmt.Errorf("--backups must be a number from 0 to 1000")
	}
	if c.PollConcurrency, err = strconv.Atoi(*vals["poll-concurrency"]); err != nil || c.PollConcurrency < 1 || c.PollConcurrency > 32 {
		return nil, nil, fmt.Errorf("--poll-concurrency must be a number from 1 to 32")
	}
	if c.PollTimeout, err = time.ParseDuration(*vals["poll-timeout"]); err != nil || c.PollTimeout < time.Second {
		return nil, nil, fmt.Errorf("--poll-timeout must be a duration of at least 1s, like 60s")
	}
	if c.SMTPTimeout, err = time.ParseDuration(*vals["smtp-timeout"]); err != nil || c.SMTPTimeout < time.Second || c.SMTPTimeout > 10*time.Minute {
		return nil, nil, fmt.Errorf("--smtp-timeout must be a duration from 1s to 10m, like 60s")
	}
	switch c.CookieSecure {
	case "auto", "always", "never":
	default:
		return nil, nil, fmt.Errorf("--cookie-secure must be auto, always or never")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return nil, nil, fmt.Errorf("--log-format must be text or json")
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		return nil, nil, err
	}
	if c.Data == "" {
		return nil, nil, errors.New("--data must not be empty")
	}
	return c, fs, nil
}

// parsePushContact checks a --push-contact: a mailto: with an address, or
// an https: address (RFC 8292 section 2.1).
func parsePushContact(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	ok := err == nil && (u.Scheme == "mailto" && strings.Contains(u.Opaque, "@") && !strings.ContainsAny(u.Opaque, " ,") ||
		u.Scheme == "https" && u.Host != "")
	if !ok {
		return "", fmt.Errorf("--push-contact must be a mailto: or https: address, like mailto:admin@example.net")
	}
	return s, nil
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("--log-level must be debug, info, warn or error")
	}
	return l, nil
}

func (c *config) logger(w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// key returns the secret key: given directly, from a file, or from (or
// generated into) DATA/secret.key. A key file that other users may read is
// dealt with as keyfile.go explains, with warnings to log.
func (c *config) key(log *slog.Logger) (*secret.Key, error) {
	switch {
	case c.SecretKey != "":
		return secret.Parse(c.SecretKey)
	case c.SecretKeyFile != "":
		return keyFromFile(c.SecretKeyFile, log)
	}
	return dataKey(filepath.Join(c.Data, "secret.key"), log)
}

// deps are what the commands that touch accounts and mail need.
type deps struct {
	key   *secret.Key
	cas   []*x509.Certificate
	store *db.DB
}

// open reads the secret key and the extra CAs and opens the database; the
// caller closes deps.store.
func (c *config) open(ctx context.Context, log *slog.Logger) (*deps, error) {
	key, err := c.key(log)
	if err != nil {
		return nil, err
	}
	cas, err := c.extraCAs()
	if err != nil {
		return nil, err
	}
	store, err := c.openDB(ctx, log)
	if err != nil {
		return nil, err
	}
	return &deps{key: key, cas: cas, store: store}, nil
}

// openDB creates the data folder (0700) and opens the database in it,
// logging any of its files that had to be made private.
func (c *config) openDB(ctx context.Context, log *slog.Logger) (*db.DB, error) {
	if err := os.MkdirAll(c.Data, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	store, err := db.Open(ctx, filepath.Join(c.Data, "apartado.db"))
	if err != nil {
		return nil, err
	}
	logModeChanges(store, log)
	return store, nil
}

// extraCAs reads the PEM file of extra trusted roots, if any.
func (c *config) extraCAs() ([]*x509.Certificate, error) {
	if c.ExtraCAFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.ExtraCAFile)
	if err != nil {
		return nil, fmt.Errorf("extra CA file: %w", err)
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, b = pem.Decode(b)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("extra CA file: %w", err)
		}
		out = append(out, cert)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("extra CA file %s holds no PEM certificate", c.ExtraCAFile)
	}
	return out, nil
}

// resolver returns the resolver for POP3 servers and discovery: the
// system's, or Go's own DNS client asking only the configured server.
func (c *config) resolver() *net.Resolver {
	if c.DNSServer == "" {
		return net.DefaultResolver
	}
	server := c.DNSServer
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}

// discoverOptions makes settings discovery use the same name server for
// its DNS look-ups and its HTTPS requests, which obey the web interface's
// limits on where a user's requests may connect.
func discoverOptions(res *net.Resolver) *discover.Options {
	tr := handlers.GuardedTransport(&net.Dialer{Resolver: res, Timeout: 10 * time.Second})
	return &discover.Options{Resolver: res, HTTPClient: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// settingsTable renders the settings as a Markdown table (for the README).
func settingsTable() string {
	var b strings.Builder
	b.WriteString("| flag | environment variable | default | meaning |\n| --- | --- | --- | --- |\n")
	for _, s := range settings {
		def := s.def
		if def == "" {
			def = "—"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | `%s` | %s |\n", s.flag, s.env, def, s.help)
	}
	return b.String()
}
