package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
)

// exitError is an error that ends the program with a status other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// exitCode is the status an error from run ends the program with.
func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// searchHit is one line of `apartado search --json`.
type searchHit struct {
	ID        int64  `json:"id"`
	Account   string `json:"account"`
	Date      string `json:"date"` // RFC 3339, in the user's time zone
	From      string `json:"from"` // the address
	FromName  string `json:"from_name"`
	To        string `json:"to"`
	Subject   string `json:"subject"`
	MessageID string `json:"message_id"` // without angle brackets
	Size      int64  `json:"size"`
	Unread    bool   `json:"unread"`
	Starred   bool   `json:"starred"`
}

// searchCmd prints every message of a user that a query matches, newest
// first: a line of text each, or a JSON object each with --json. A query
// that cannot be run exits with status 2 and the search page's sentence,
// in the terminal's language.
func searchCmd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	var user string
	var asJSON bool
	cfg, fs, err := parseConfig("search", args, getenv, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&user, "user", "", "the user whose mail to search")
		fs.BoolVar(&asJSON, "json", false, "print one JSON object a line")
	})
	if err != nil {
		return err
	}
	query := strings.Join(fs.Args(), " ")
	if user == "" {
		return &exitError{2, errors.New("usage: apartado search --user NAME [--json] [--] QUERY")}
	}
	store, err := cfg.openDB(ctx, cfg.logger(stderr))
	if err != nil {
		return err
	}
	defer store.Close()
	u, err := cliUser(ctx, store, user)
	if err != nil {
		return err
	}
	locale := terminalLocale(getenv)
	tz := i18n.Zone(u.TimeZone, time.Local)
	enc := json.NewEncoder(stdout)
	enc.SetEscapeHTML(false)
	err = app.NewSearch(store).Each(ctx, u.ID, app.SearchRequest{Query: query, Locale: locale.Code(), Loc: tz}, func(h db.SearchHit) error {
		date := h.SortAt.In(tz)
		if asJSON {
			return enc.Encode(searchHit{ID: h.ID, Account: h.AccountName, Date: date.Format(time.RFC3339), From: h.FromAddr,
				FromName: h.FromName, To: h.To, Subject: h.Subject, MessageID: h.MessageID, Size: h.Size,
				Unread: !h.Flags.Has(db.FlagSeen), Starred: h.Flags.Has(db.FlagFlagged)})
		}
		from := h.FromAddr
		if h.FromName != "" {
			from = h.FromName + " <" + h.FromAddr + ">"
		}
		_, err := fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\n", h.ID, date.Format("2006-01-02 15:04"), h.AccountName,
			oneLine(from), oneLine(h.Subject))
		return err
	})
	if msg, ok := app.QueryError(locale, err); ok {
		return &exitError{2, errors.New(msg)}
	}
	return err
}

// oneLine keeps a field on its line and its column.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}
