package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/db"
)

const hostileSong = `From: =?utf-8?q?Zo=C3=AB?= <zoe@example.net>
To: ana@example.com
Subject: <script>alert(1)</script> <b>canción</b> del verano
Date: Tue, 10 Mar 2026 10:00:00 +0000
Content-Type: text/plain; charset=utf-8

Te envío la letra de la canción, <img src=x onerror=alert(2)>.
`

// marks returns the texts of the <mark> elements under n.
func marks(n *html.Node) []string {
	var out []string
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == "mark" {
			out = append(out, text(n))
		}
		if n.Type == html.ElementNode && n.Data != "mark" && n.Data != "span" && n.Data != "a" && n.Data != "li" &&
			n.Data != "input" && n.Data != "svg" && n.Data != "path" {
			panic("unexpected element <" + n.Data + "> in a result row")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// TestSearchPage: the header's search field leads to the results, newest
// first, with the matched words marked and everything else escaped, in
// English and Spanish; a query that cannot be run says why (400).
func TestSearchPage(t *testing.T) {
	app := newApp(t)
	ana := app.addUser("ana", "correct horse", db.RoleMember)
	home := app.addAccount(ana.ID, "Home")
	bea := app.addUser("bea", "correct horse", db.RoleMember)
	song := app.addMessage(home, hostileSong, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
	app.addMessage(app.addAccount(bea.ID, "Bea"), hostileSong, time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC))
	app.addMessage(home, "From: x@example.net\nSubject: Otra cosa\n\nNada.\n", time.Date(2026, 3, 11, 10, 0, 0, 0, time.UTC))

	for _, lang := range []string{"en", "es"} {
		c := app.login("ana", "correct horse")
		c.header.Set("Accept-Language", lang)
		// Every mail page has the search field: a GET form to /search.
		doc := c.get("/mail").doc(t)
		form := one(t, doc, "search-form")
		if attr(form, "method") != "get" || attr(form, "action") != "/search" || attr(one(t, form, "search-input"), "name") != "q" {
			t.Fatalf("%s: search form %v", lang, form.Attr)
		}

		r := c.get("/search?q=cancion")
		wantStatus(t, r, http.StatusOK)
		doc = r.doc(t)
		rows := byTestID(doc, "message-row")
		if len(rows) != 1 || attr(rows[0], "data-message-id") != strconv.FormatInt(song, 10) {
			t.Fatalf("%s: %d rows", lang, len(rows))
		}
		subject := one(t, rows[0], "message-subject")
		if got := marks(subject); len(got) != 1 || got[0] != "canción" {
			t.Errorf("%s: subject marks %q", lang, got)
		}
		if s := text(subject); !strings.Contains(s, "<script>alert(1)</script>") || !strings.Contains(s, "<b>") {
			t.Errorf("%s: subject %q, want the sender's markup as text", lang, s)
		}
		snippet := one(t, rows[0], "message-snippet")
		if got := marks(snippet); len(got) != 1 || got[0] != "canción" {
			t.Errorf("%s: snippet marks %q", lang, got)
		}
		if !strings.Contains(text(snippet), "<img src=x") {
			t.Errorf("%s: snippet %q", lang, text(snippet))
		}
		if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") {
			t.Errorf("%s: sender markup reached the page unescaped", lang)
		}
		if v := attr(one(t, doc, "search-input"), "value"); v != "cancion" {
			t.Errorf("%s: the field shows %q", lang, v)
		}
		want := map[string]string{"en": "1 result", "es": "1 resultado"}[lang]
		if s := text(one(t, doc, "search-total")); s != want {
			t.Errorf("%s: total %q, want %q", lang, s, want)
		}

		// A malformed query is a sentence in the reader's language.
		r = c.get("/search?q=" + url.QueryEscape(`"sin cerrar`))
		wantStatus(t, r, http.StatusBadRequest)
		msg := text(one(t, r.doc(t), "search-error"))
		want = map[string]string{"en": "A quotation mark is not closed", "es": "Unas comillas no están cerradas"}[lang]
		if !strings.Contains(msg, want) {
			t.Errorf("%s: error %q", lang, msg)
		}
		r = c.get("/search?q=" + url.QueryEscape("before:31/02/2026"))
		wantStatus(t, r, http.StatusBadRequest)
		want = map[string]string{"en": "12/31/2025", "es": "31/12/2025"}[lang]
		if msg := text(one(t, r.doc(t), "search-error")); !strings.Contains(msg, want) {
			t.Errorf("%s: date error %q", lang, msg)
		}
		// No query: the help, no error.
		r = c.get("/search")
		wantStatus(t, r, http.StatusOK)
		one(t, r.doc(t), "search-help")
		none(t, r.doc(t), "search-error")
		wantStatus(t, c.get("/search?q=x&before=garbage"), http.StatusBadRequest)
	}
}

// TestSearchActOnAllResults: "all results" acts on every match, past the
// first page, and on nothing else, with a notice that undoes it all;
// without it, only the selected rows. The page offers the mailboxes' own
// actions (move, star, archive) and the sidebar.
func TestSearchActOnAllResults(t *testing.T) {
	app := newApp(t)
	ana := app.addUser("ana", "correct horse", db.RoleMember)
	home := app.addAccount(ana.ID, "Home")
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var facturas []int64
	for i := range pageSize + 10 {
		facturas = append(facturas, app.addMessage(home, fmt.Sprintf("From: luz@example.es\nSubject: Factura %d\n\nImporte.\n", i),
			base.Add(time.Duration(i)*time.Hour)))
	}
	other := app.addMessage(home, "From: x@example.net\nSubject: Otra cosa\n\nNada.\n", base)
	c := app.login("ana", "correct horse")

	r := c.get("/search?q=factura")
	doc := r.doc(t)
	if n := len(byTestID(doc, "message-row")); n != pageSize {
		t.Fatalf("%d rows on the first page", n)
	}
	one(t, doc, "all-results")
	form := one(t, doc, "list-form")
	if attr(form, "action") != "/search/actions" {
		t.Fatalf("form posts to %s", attr(form, "action"))
	}
	one(t, doc, "action-archive")
	one(t, doc, "move-to")
	one(t, doc, "sidebar")
	older := attr(one(t, doc, "page-older"), "href")
	if rows := byTestID(c.get(older).doc(t), "message-row"); len(rows) != 10 {
		t.Errorf("%d rows on the second page", len(rows))
	}

	// The selected rows only.
	r = c.post("/search/actions", url.Values{"action": {"read"}, "q": {"factura"}, "ids": {strconv.FormatInt(facturas[0], 10)},
		"return": {"/search?q=factura"}})
	wantUndoable(t, r, "/search?q=factura")
	if n := unread(t, app, ana.ID); n != pageSize+9 {
		t.Errorf("%d unread after marking one read", n)
	}

	// Every result, undone from the notice, then again.
	trashAll := func() string {
		t.Helper()
		return wantUndoable(t, c.post("/search/actions", url.Values{"action": {"trash"}, "q": {"factura"}, "all": {"1"}}), "/search?q=factura")
	}
	undo := trashAll()
	notice := one(t, c.get("/search?q=factura&undo="+undo).doc(t), "notice")
	if got := text(one(t, notice, "notice-text")); !strings.Contains(got, strconv.Itoa(pageSize+10)) {
		t.Errorf("the notice says %q, not how many were moved", got)
	}
	wantRedirect(t, c.post(undoPath, url.Values{"undo": {undo}, "return": {"/search?q=factura"}}), "/search?done="+doneUndone+"&q=factura")
	if rows := byTestID(c.get("/search?q=factura").doc(t), "message-row"); len(rows) != pageSize {
		t.Fatalf("after Undo, %d rows on the first page", len(rows))
	}
	trashAll()
	for _, id := range append(facturas, other) {
		m, err := app.db.Message(context.Background(), ana.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if (m.TrashedAt != nil) != (id != other) {
			t.Errorf("message %d trashed: %v", id, m.TrashedAt != nil)
		}
	}
	// Nothing left to act on, and a malformed query changes nothing.
	wantRedirect(t, c.post("/search/actions", url.Values{"action": {"read"}, "q": {"factura"}, "all": {"1"}}),
		"/search?done=none-selected&q=factura")
	wantRedirect(t, c.post("/search/actions", url.Values{"action": {"read"}, "q": {`"x`}, "all": {"1"}}),
		"/search?q=%22x")
	wantStatus(t, c.post("/search/actions", url.Values{"action": {"explode"}, "q": {"otra"}, "all": {"1"}}), http.StatusBadRequest)
}

func unread(t *testing.T, app *testApp, userID int64) int {
	t.Helper()
	box, err := app.db.MailboxByRole(context.Background(), userID, db.MailboxInbox)
	if err != nil {
		t.Fatal(err)
	}
	return int(box.Unread) - 1 // the other message
}

// TestSearchManyResults: a first page that does not show every match says
// "more than" a page at once, and its count URL counts them: past
// db.SearchCountBound, "more than" that many, in English and Spanish.
// "Every result" still acts on all of them.
func TestSearchManyResults(t *testing.T) {
	app := newApp(t)
	ana := app.addUser("ana", "correct horse", db.RoleMember)
	home := app.addAccount(ana.ID, "Home")
	batch := make([]db.NewMessage, db.SearchCountBound+1)
	for i := range batch {
		batch[i] = db.NewMessage{AccountID: home.ID, UserID: ana.ID, Raw: []byte("x"), SHA256: []byte{1},
			SortAt: time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC), Subject: "Factura"}
	}
	if _, err := app.db.StoreMessages(context.Background(), batch); err != nil {
		t.Fatal(err)
	}
	c := app.login("ana", "correct horse")
	for lang, want := range map[string][4]string{
		"en": {"More than 50 results", "(more than 50)", "More than 1,000 results", "(more than 1,000)"},
		"es": {"Más de 50 resultados", "(más de 50)", "Más de 1.000 resultados", "(más de 1.000)"},
	} {
		c.header.Set("Accept-Language", lang)
		doc := c.get("/search?q=factura").doc(t)
		total := one(t, doc, "search-total")
		if s := strings.TrimSpace(text(total)); s != want[0] {
			t.Errorf("%s: total %q, want %q", lang, s, want[0])
		}
		if s := text(one(t, doc, "all-results-label")); !strings.Contains(s, want[1]) {
			t.Errorf("%s: %q, want %q in it", lang, s, want[1])
		}
		countURL := attr(total, "data-count-url")
		if countURL != "/search/count?q=factura" {
			t.Fatalf("%s: count URL %q", lang, countURL)
		}
		r := c.get(countURL)
		wantStatus(t, r, http.StatusOK)
		var counted struct{ Total, All string }
		if err := json.Unmarshal([]byte(r.body), &counted); err != nil || counted.Total != want[2] || !strings.Contains(counted.All, want[3]) {
			t.Errorf("%s: count %s (%v)", lang, r.body, err)
		}
	}
	// Counting a malformed query says why; a later page counts itself,
	// and a page showing every match needs no count.
	c.header.Set("Accept-Language", "en")
	r := c.get("/search/count?q=" + url.QueryEscape(`"sin cerrar`))
	wantStatus(t, r, http.StatusBadRequest)
	if !strings.Contains(r.body, `"error":"A quotation mark is not closed`) {
		t.Errorf("malformed count: %s", r.body)
	}
	older := attr(one(t, c.get("/search?q=factura").doc(t), "page-older"), "href")
	doc := c.get(older).doc(t)
	if total := one(t, doc, "search-total"); text(total) != "More than 1,000 results" || attr(total, "data-count-url") != "" {
		t.Errorf("second page: %q, count URL %q", text(total), attr(total, "data-count-url"))
	}
	if total := one(t, c.get("/search?q=nada").doc(t), "search-total"); attr(total, "data-count-url") != "" {
		t.Error("a page with every match asks for a count")
	}
	anon := app.client()
	if r := anon.get("/search/count?q=factura"); r.StatusCode == http.StatusOK {
		t.Error("counted for nobody")
	}
	wantUndoable(t, c.post("/search/actions", url.Values{"action": {"read"}, "q": {"factura"}, "all": {"1"}}),
		"/search?q=factura")
	if n := unread(t, app, ana.ID); n != -1 {
		t.Errorf("%d unread after marking every result read", n+1)
	}
}
