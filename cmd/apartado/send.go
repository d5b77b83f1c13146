package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/compose"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/discover"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/sender"
)

const sendUsage = "usage: apartado send --user NAME --account ID_OR_ADDRESS --to ADDR[,ADDR] [--cc ADDR,…] [--bcc ADDR,…] " +
	"--subject TEXT (--body-file FILE | --body-stdin) [--attach FILE]… [--wait]"

// sendFlags is what apartado send was given.
type sendFlags struct {
	user, account, to, cc, bcc, subject, bodyFile string
	bodyStdin, wait                               bool
	attach                                        []string
	undo                                          time.Duration
}

// sendCmd queues a message through the same outbox as the web's Send and,
// with --wait, delivers it in this process until it is sent or fails.
func sendCmd(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	var f sendFlags
	subjectSet := false
	cfg, fs, err := parseConfig("send", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&f.user, "user", "", "the Apartado user sending")
		fs.StringVar(&f.account, "account", "", "the account to send from: its id or its address")
		fs.StringVar(&f.to, "to", "", "recipients, separated by commas")
		fs.StringVar(&f.cc, "cc", "", "copy recipients, separated by commas")
		fs.StringVar(&f.bcc, "bcc", "", "hidden recipients (in the envelope only), separated by commas")
		fs.Func("subject", "the subject", func(s string) error { f.subject, subjectSet = s, true; return nil })
		fs.StringVar(&f.bodyFile, "body-file", "", "read the text of the message from this file (UTF-8)")
		fs.BoolVar(&f.bodyStdin, "body-stdin", false, "read the text of the message from standard input")
		fs.Func("attach", "attach this file (repeat for several)", func(s string) error { f.attach = append(f.attach, s); return nil })
		fs.BoolVar(&f.wait, "wait", false, "deliver now and wait until it is sent or fails (exit status 1 if it fails)")
		fs.DurationVar(&f.undo, "undo", 0, "leave the message this long in the outbox before it may leave (at most 30s)")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q\n%s", fs.Arg(0), sendUsage)
	}
	if f.user == "" || f.account == "" || !subjectSet || (f.bodyFile == "") == !f.bodyStdin {
		return errors.New(sendUsage)
	}
	draft, err := f.draft(stdin)
	if err != nil {
		return err
	}
	d, err := cfg.open(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer d.store.Close()
	u, err := cliUser(ctx, d.store, f.user)
	if err != nil {
		return err
	}
	acc, err := findAccount(ctx, d.store, u.ID, f.account)
	if err != nil {
		return err
	}
	outbox := app.NewOutbox(d.store)
	outbox.UndoWindow = f.undo
	m, err := outbox.Send(ctx, u.ID, acc.ID, app.Draft{Draft: draft})
	if inv, ok := app.AsInvalid(err); ok {
		return cliProblems(getenv, sendProblems(inv))
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "queued message %d <%s> from %s to %d recipients\n", m.ID, m.MessageID, acc.Email, len(m.Rcpts))
	if !f.wait {
		return nil
	}
	s := &sender.Sender{DB: d.store, Key: d.key, Log: cfg.logger(stderr), Timeout: cfg.SMTPTimeout, ExtraRootCAs: d.cas,
		Resolver: cfg.resolver(), MemberPrivateServers: cfg.MemberPrivateServers}
	return waitSent(ctx, stdout, getenv, d.store, s, acc, m)
}

// draft reads the text and checks the addresses and files given.
func (f sendFlags) draft(stdin io.Reader) (compose.Draft, error) {
	d := compose.Draft{Subject: f.subject}
	for _, l := range []struct {
		flag, value string
		into        *[]compose.Address
	}{{"--to", f.to, &d.To}, {"--cc", f.cc, &d.Cc}, {"--bcc", f.bcc, &d.Bcc}} {
		list, err := compose.ParseList(l.value)
		if err != nil {
			return d, fmt.Errorf("%s: %w", l.flag, err)
		}
		*l.into = list
	}
	var r io.Reader = stdin
	if f.bodyFile != "" {
		file, err := os.Open(f.bodyFile)
		if err != nil {
			return d, fmt.Errorf("--body-file: %w", err)
		}
		defer file.Close()
		r = file
	}
	text, err := io.ReadAll(io.LimitReader(r, app.DefaultMaxSendSize+1))
	if err != nil {
		return d, fmt.Errorf("reading the text: %w", err)
	}
	if len(text) > app.DefaultMaxSendSize {
		return d, fmt.Errorf("the text is longer than %d MB", app.DefaultMaxSendSize>>20)
	}
	d.Text = string(text)
	for _, path := range f.attach {
		fi, err := os.Stat(path)
		if err != nil {
			return d, fmt.Errorf("--attach: %w", err)
		}
		if !fi.Mode().IsRegular() {
			return d, fmt.Errorf("--attach: %s is not a file", path)
		}
		d.Attachments = append(d.Attachments, compose.File(path, "", ""))
	}
	return d, nil
}

// findAccount is the user's account with this id or address.
func findAccount(ctx context.Context, store *db.DB, userID int64, idOrAddress string) (db.Account, error) {
	if id, err := strconv.ParseInt(idOrAddress, 10, 64); err == nil {
		a, err := store.Account(ctx, userID, id)
		if errors.Is(err, db.ErrNotFound) {
			return a, fmt.Errorf("the user has no account %d", id)
		}
		return a, err
	}
	accs, err := store.Accounts(ctx, userID)
	if err != nil {
		return db.Account{}, err
	}
	for _, a := range accs {
		if strings.EqualFold(a.Email, idOrAddress) {
			return a, nil
		}
	}
	return db.Account{}, fmt.Errorf("the user has no account with the address %q", idOrAddress)
}

// sendProblems names a draft's fields as apartado send's flags.
func sendProblems(inv *app.Invalid) *app.Invalid {
	out := &app.Invalid{}
	for _, p := range inv.Problems {
		switch p.Field {
		case compose.FieldText:
			p.Field = "body-file"
		case compose.FieldAttachment:
			p.Field = "attach"
		case compose.FieldFrom:
			p.Field = app.FieldAccount
		case compose.FieldHTML, compose.FieldInReplyTo, compose.FieldReferences, compose.FieldMessageID,
			compose.FieldDate, compose.FieldForwarded, app.FieldOriginal:
			p.Field = ""
		}
		out.Problems = append(out.Problems, p)
	}
	return out
}

// waitSent delivers message m in this process, trying again as the outbox
// would, until it is sent or stops; a sender elsewhere (apartado serve)
// may deliver it instead, and then this waits for it.
func waitSent(ctx context.Context, w io.Writer, getenv func(string) string, store *db.DB, s *sender.Sender, acc db.Account, m db.OutboxMessage) error {
	locale := terminalLocale(getenv)
	sec, _ := pop3client.ParseSecurity(acc.Outgoing.Security)
	in := diagnose.Input{Host: acc.Outgoing.Host, Port: acc.Outgoing.Port, Security: sec, Email: acc.Email}
	if p, ok := discover.LookupProvider(acc.Email); ok {
		in.Provider = p
	}
	explain := func(err error) {
		dg := diagnose.Explain(err, in)
		fmt.Fprintf(w, "  %s\n  %s\n", dg.Title.Text(locale, nil), dg.Explanation.Text(locale, nil))
		if dg.Detail != "" {
			fmt.Fprintf(w, "  %s\n", dg.Detail)
		}
		for _, f := range dg.Fixes {
			fmt.Fprintf(w, "  → %s\n", f.Label.Text(locale, nil))
		}
	}
	for {
		st, err := s.Deliver(ctx, m.ID)
		if errors.Is(err, sender.ErrNotClaimed) {
			cur, err := store.OutboxMessage(ctx, m.UserID, m.ID)
			if err != nil {
				return err
			}
			if done, err := finalState(w, cur); done {
				return err
			}
			wait := time.Second
			if cur.State == db.OutboxQueued {
				wait = min(max(time.Until(cur.NextAttemptAt), time.Second), time.Minute)
			}
			if err := sleep(ctx, wait); err != nil {
				return fmt.Errorf("stopped waiting; message %d stays in the outbox: %w", m.ID, err)
			}
			continue
		}
		switch st {
		case db.OutboxSent:
			cur, err := store.OutboxMessage(ctx, m.UserID, m.ID)
			if err != nil {
				return err
			}
			_, err = finalState(w, cur)
			return err
		case db.OutboxQueued:
			if ctx.Err() != nil {
				return fmt.Errorf("stopped; message %d stays in the outbox and is sent later", m.ID)
			}
			cur, _ := store.OutboxMessage(ctx, m.UserID, m.ID)
			fmt.Fprintf(w, "not sent yet (%s); trying again at %s\n", smtpWords(err), cur.NextAttemptAt.Format(time.TimeOnly))
			explain(err)
		case db.OutboxFailed, db.OutboxMaybeSent:
			cur, _ := store.OutboxMessage(ctx, m.UserID, m.ID)
			cur.State = st
			_, ferr := finalState(w, cur)
			explain(err)
			return ferr
		case db.OutboxSending:
			// The outcome could not be recorded; the next sender decides
			// by the mark before the final ".".
			return err
		}
		// "": another sender took the message over; follow it.
	}
}

// finalState prints a message that is done with, and says whether it is;
// the error is the exit status of a failure.
func finalState(w io.Writer, m db.OutboxMessage) (bool, error) {
	switch m.State {
	case db.OutboxSent:
		fmt.Fprintf(w, "sent message %d: %s\n", m.ID, m.Reply)
		return true, nil
	case db.OutboxFailed:
		return true, fmt.Errorf("message %d was not sent: %s %s %d %s", m.ID, m.Err.Kind, m.Err.Step, m.Err.Code, m.Err.Text)
	case db.OutboxMaybeSent:
		return true, fmt.Errorf("message %d may have been sent: the connection broke after the whole message went out, "+
			"before the server answered. It is not sent again unless you ask", m.ID)
	case db.OutboxCancelled:
		return true, fmt.Errorf("message %d was cancelled", m.ID)
	}
	return false, nil
}

// smtpWords is an attempt's error in a few words.
func smtpWords(err error) string {
	if err == nil {
		return "no error"
	}
	return err.Error()
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
