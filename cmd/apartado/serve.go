package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/backup"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/handlers"
	"github.com/apartado/apartado/internal/password"
	"github.com/apartado/apartado/poller"
	"github.com/apartado/apartado/push"
	"github.com/apartado/apartado/sender"
)

// serve runs the web server, the poller and the sender until ctx ends,
// then stops in order: no new requests, in-flight requests finished, syncs
// stopped safely (a cancelled sync has deleted nothing unconfirmed) and
// deliveries stopped safely (one stopped before its final "." is queued
// again, one after it waits as "may have been sent"), database closed.
func serve(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := parseConfig("serve", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	log := cfg.logger(stderr)
	d, err := cfg.open(ctx, log)
	if err != nil {
		return err
	}
	key, cas, store := d.key, d.cas, d.store
	res := cfg.resolver() // one resolver for the poller, connection tests and discovery
	defer func() {
		if err := store.Close(); err != nil {
			log.Error("closing the database", "err", err)
		}
	}()

	setupCode, err := firstRunCode(ctx, store, log, stderr)
	if err != nil {
		return err
	}

	// The web's work that outlives its requests, waited for at the end.
	var background sync.WaitGroup
	// One renewal of a sign-in's access token at a time, whoever needs it.
	signIns := app.NewSignIns(store, key)
	p := &poller.Poller{DB: store, Key: key, Log: log, Concurrency: cfg.PollConcurrency, Timeout: cfg.PollTimeout,
		ExtraRootCAs: cas, Resolver: res, MemberPrivateServers: cfg.MemberPrivateServers, SignIns: signIns}
	snd := &sender.Sender{DB: store, Key: key, Log: log, Timeout: cfg.SMTPTimeout, ExtraRootCAs: cas, Resolver: res,
		MemberPrivateServers: cfg.MemberPrivateServers, SignIns: signIns}
	// Browser notifications of new mail: the poller queues, the notifier
	// sends in the background.
	notifier := &push.Notifier{DB: store, Key: key, Log: log, Contact: cfg.PushContact, PublicURL: cfg.PublicURL,
		Resolver: res, MemberPrivateServers: cfg.MemberPrivateServers}
	p.NewMail = notifier
	h := handlers.New(handlers.Config{DB: store, Key: key, Poller: p, Log: log, CookieSecure: cfg.CookieSecure,
		TrustProxy: cfg.TrustProxy, PasswordParams: password.Default, SetupCode: setupCode, PublicURL: cfg.PublicURL,
		Resolver: res, ExtraRootCAs: cas, DiscoverOptions: discoverOptions(res),
		MemberPrivateServers: cfg.MemberPrivateServers, Sender: snd, UndoWindow: &cfg.UndoWindow, SMTPTimeout: cfg.SMTPTimeout,
		SignIns: signIns, Background: ctx, Work: &background})
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      5 * time.Minute, // exports and large attachments
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("apartado listening", "addr", "http://"+ln.Addr().String(), "data", cfg.Data)

	var wg sync.WaitGroup
	pollCtx, stopPolling := context.WithCancel(context.WithoutCancel(ctx))
	wg.Add(8)
	go func() {
		defer wg.Done()
		p.Run(pollCtx)
	}()
	go func() {
		defer wg.Done()
		notifier.Run(pollCtx)
	}()
	go func() {
		defer wg.Done()
		if cfg.Backups > 0 {
			daily := &backup.Daily{DB: store, Dir: filepath.Join(cfg.Data, "backups"), Keep: cfg.Backups,
				SecretKey: key.String(), Log: log, Now: time.Now}
			daily.Run(pollCtx)
		}
	}()
	go func() {
		defer wg.Done()
		// The mail stored before search existed, indexed a batch at a
		// time (its cursor survives a stop).
		app.NewSearch(store).RunIndexer(pollCtx, log)
	}()
	go func() {
		defer wg.Done()
		// Likewise put in their conversations.
		app.NewConversations(store).RunThreader(pollCtx, log)
	}()
	go func() {
		defer wg.Done()
		snd.Run(pollCtx)
	}()
	go func() {
		defer wg.Done()
		// Mail to the administrators who asked, when an account fails.
		alerts := app.NewAlerts(store, snd.Wake)
		alerts.Log = log
		if cfg.PublicURL != nil {
			alerts.PublicURL = cfg.PublicURL.String()
		}
		alerts.Run(pollCtx)
	}()
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			if err := store.DeleteExpiredSessions(pollCtx); err != nil && pollCtx.Err() == nil {
				log.Error("deleting expired sessions", "err", err)
			}
			// Trash and Junk empty themselves (each user's setting).
			if n, err := app.NewMessages(store).EmptyExpired(pollCtx, time.Now()); err != nil && pollCtx.Err() == nil {
				log.Error("emptying the trash and junk", "err", err)
			} else if n > 0 {
				log.Info("emptied the trash and junk", "deleted", n)
			}
			select {
			case <-pollCtx.Done():
				return
			case <-t.C:
			}
		}
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err = <-serveErr:
	case <-ctx.Done():
		log.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	stopPolling()
	wg.Wait()
	background.Wait() // a sign-in with a code still waiting ends with ctx
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	log.Info("stopped")
	return err
}

// firstRunCode makes the one-time code that the first-run form asks for,
// while no user exists, and shows it to whoever started Apartado: in the
// log, and in a box on the terminal when there is one. With users, there
// is no code and the form stays shut.
func firstRunCode(ctx context.Context, store *db.DB, log *slog.Logger, stderr io.Writer) (string, error) {
	n, err := store.CountUsers(ctx)
	if err != nil {
		return "", err
	}
	if n > 0 {
		return "", nil
	}
	code := handlers.NewSetupCode()
	log.Warn("no administrator yet: open Apartado in a browser and enter this set-up code, "+
		"or create one with: apartado user add NAME --admin", "setup_code", code)
	if isTerminal(stderr) {
		fmt.Fprintf(stderr, "\n  Set-up code for the first administrator:  %s\n\n", code)
	}
	return code, nil
}

// healthcheck asks the running server's /healthz, for Docker's HEALTHCHECK
// (the image has no curl).
func healthcheck(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) error {
	cfg, _, err := parseConfig("healthcheck", args, getenv, stderr, nil)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthz: %s", resp.Status)
	}
	return nil
}
