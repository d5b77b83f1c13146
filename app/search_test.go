package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/internal/corpus"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/message"
	"github.com/apartado/apartado/search"
)

// analyzed is a stored message built the way the poller builds it.
func analyzed(acc db.Account, raw []byte, uidl string) db.NewMessage {
	s, st := message.Analyze(raw)
	sum := sha256.Sum256(raw)
	sortAt := s.Date
	if sortAt.IsZero() {
		sortAt = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	return db.NewMessage{AccountID: acc.ID, UserID: acc.UserID, UIDL: uidl, ServerSize: int64(len(raw)), Raw: raw,
		SHA256: sum[:], ReceivedAt: sortAt, SortAt: sortAt, FromName: s.FromName, FromAddr: s.FromAddr, To: s.To, Cc: s.Cc,
		Subject: s.Subject, MessageID: s.MessageID, Snippet: s.Snippet, HasAttachments: s.HasAttachments,
		ParseError: s.ParseError, SearchBody: st.Body, SearchAttachments: st.Attachments}
}

// searchFixture is a user with two accounts holding the written messages
// below and a few of the corpus, and another user with one, by name.
type searchFixture struct {
	d     *db.DB
	user  db.User
	other db.User
	ids   map[string]int64
	names map[int64]string
}

var searchMessages = []struct{ name, account, raw string }{
	{"cancion", "casa", "From: =?utf-8?q?Zo=C3=AB_Mart=C3=ADn?= <zoe@example.net>\r\nTo: Ana <ana@example.net>\r\n" +
		"Subject: =?utf-8?q?La_canci=C3=B3n_del_verano?=\r\nDate: Tue, 10 Jun 2025 10:00:00 +0000\r\nMessage-ID: <c1@example.net>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nTe envío la letra.\r\n"},
	{"tokyo", "trabajo", "From: tanaka@example.jp\r\nTo: ana@example.net\r\nSubject: =?utf-8?b?5p2x5Lqs6YO95bqB44Gu6KaL5a2m?=\r\n" +
		"Date: Sat, 01 Mar 2025 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n東京タワーにも行きます\r\n"},
	{"acta", "casa", "From: Luis <luis@example.org>\r\nTo: ana@example.net\r\nSubject: =?utf-8?q?Acta_final_de_la_reuni=C3=B3n?=\r\n" +
		"Date: Tue, 31 Dec 2024 18:00:00 +0000\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nEl acta final, aprobada. Va el borrador.\r\n" +
		"--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"presupuesto-2025.pdf\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n"},
	{"factura", "casa", "From: Iberdrola <facturas@luz.es>\r\nTo: ana@example.net\r\nCc: Luis <luis@example.org>\r\n" +
		"Subject: Factura de la luz\r\nDate: Wed, 15 Jan 2025 08:00:00 +0000\r\n\r\n" + strings.Repeat("Consumo del mes. ", 1200) + "\r\n"},
	{"recibo", "casa", "From: agua@example.es\r\nSubject: Recibo del agua\r\nDate: Thu, 16 Jan 2025 08:00:00 +0000\r\n\r\nPague el recibo.\r\n"},
	{"html", "trabajo", "From: =?iso-8859-1?q?Pe=F1a?= <pena@example.es>\r\nSubject: Propuesta\r\nDate: Mon, 02 Jun 2025 08:00:00 +0000\r\n" +
		"Content-Type: text/html; charset=iso-8859-1\r\n\r\n<html><head><style>.x{}</style></head><body><p>Reuni\xf3n &amp; <b>cami\xf3n</b> " +
		"en Espa\xf1a</p><script>alert(1)</script></body></html>\r\n"},
}

var searchCorpus = map[string]string{
	"ukr":     "mimekit/tnef/ukr.eml",
	"torture": "thunderbird/mailnews/test/data/mime-torture",
}

func newSearchFixture(t *testing.T) *searchFixture {
	t.Helper()
	ctx := context.Background()
	d := openDB(t)
	f := &searchFixture{d: d, ids: map[string]int64{}, names: map[int64]string{}}
	users := NewUsers(d, nil, fastParams)
	var err error
	if f.user, err = users.Create(ctx, NewUser{Name: "ana", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	if f.other, err = users.Create(ctx, NewUser{Name: "bea", Password: "correct horse"}); err != nil {
		t.Fatal(err)
	}
	key, _ := secret.Generate()
	accs := map[string]db.Account{}
	for _, a := range []struct {
		user          db.User
		name, address string
	}{{f.user, "casa", "casa@isp.es"}, {f.user, "trabajo", "ana@trabajo.es"}, {f.other, "bea", "bea@isp.es"}} {
		in := goodAccount()
		in.Name, in.Email = a.name, a.address
		if accs[a.name], err = NewAccounts(d, key).Create(ctx, a.user.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	store := func(name string, acc db.Account, raw []byte) {
		ids, err := d.StoreMessages(ctx, []db.NewMessage{analyzed(acc, raw, name)})
		if err != nil {
			t.Fatal(err)
		}
		f.ids[name], f.names[ids[0]] = ids[0], name
	}
	for _, m := range searchMessages {
		store(m.name, accs[m.account], []byte(m.raw))
	}
	for name, path := range searchCorpus {
		store(name, accs["casa"], corpus.File(t, path))
	}
	// Someone else's song, never found by ana.
	store("bea", accs["bea"], []byte(searchMessages[0].raw))

	if _, err := d.SetFlags(ctx, f.user.ID, []int64{f.ids["factura"]}, db.FlagSeen|db.FlagFlagged, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.TrashMessages(ctx, f.user.ID, []int64{f.ids["recibo"]}); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *searchFixture) find(t *testing.T, query, locale string) ([]string, error) {
	t.Helper()
	var got []string
	err := NewSearch(f.d).Each(context.Background(), f.user.ID, SearchRequest{Query: query, Locale: locale, Loc: time.UTC},
		func(h db.SearchHit) error {
			got = append(got, f.names[h.ID])
			return nil
		})
	return got, err
}

// TestSearchQueries: each operator, accents, CJK, phrases, negation and
// OR, over written messages and some of the corpus, with the expected set.
func TestSearchQueries(t *testing.T) {
	f := newSearchFixture(t)
	tests := []struct {
		q, locale string
		want      []string
	}{
		{"cancion", "es", []string{"cancion"}},
		{"CANCIÓN", "es", []string{"cancion"}},
		{"canci", "es", []string{"cancion"}}, // the word being typed
		{"canci ", "es", nil},                // a finished word is whole
		{"verano cancion", "es", []string{"cancion"}},
		{`"acta final"`, "es", []string{"acta"}},
		{`"final acta"`, "es", nil},
		{"reunion", "es", []string{"html", "acta"}}, // subject and HTML body
		{"camion espana", "es", []string{"html"}},   // ISO-8859-1 HTML, accents
		{"alert", "es", nil},                        // script is not text
		{"東京", "es", []string{"tokyo"}},
		{"京都", "es", []string{"tokyo"}}, // inside 東京都庁
		{"タワー", "es", []string{"tokyo"}},
		{"大阪", "es", nil},
		{"шостий", "es", []string{"ukr"}},         // KOI8-R HTML in TNEF
		{"misfeature", "es", []string{"torture"}}, // an attached message's name
		{"presupuesto", "es", []string{"acta"}},   // an attachment's name
		{"from:zoe", "es", []string{"cancion"}},
		{"from:martin", "es", []string{"cancion"}},
		{"from:zoe@example.net", "es", []string{"cancion"}},
		{"from:pena", "es", []string{"html"}},
		{"to:luis", "es", []string{"factura"}},
		{"subject:acta", "es", []string{"acta"}},
		{"subject:luz", "es", []string{"factura"}},
		{"luz -subject:luz", "es", nil},
		{"borrador has:attachment", "es", []string{"acta"}},
		{"borrador -has:attachment", "es", nil},
		{"is:starred", "es", []string{"factura"}},
		{"is:read", "es", []string{"factura"}},
		{"is:unread luz", "es", nil},
		{"agua", "es", nil}, // the trash is left out
		{"agua in:papelera", "es", []string{"recibo"}},
		{"agua in:trash", "en", []string{"recibo"}},
		{"in:inbox cancion", "en", []string{"cancion"}},
		{"in:sent cancion", "en", nil},
		{"account:trabajo", "es", []string{"html", "tokyo"}},
		{"account:casa@isp.es cancion", "es", []string{"cancion"}},
		{"-account:casa after:2025-01-01", "es", []string{"html", "tokyo"}},
		{"after:01/01/2025 before:01/04/2025", "es", []string{"tokyo", "factura"}},
		{"after:01/01/2025 before:04/01/2025", "en", []string{"tokyo", "factura"}},
		{"before:2025-01-01 acta", "es", []string{"acta"}},
		{"after:2025-01-01 acta", "es", nil},
		{"larger:10K luz", "es", []string{"factura"}},
		{"smaller:10K luz", "es", nil},
		{"factura OR cancion", "es", []string{"cancion", "factura"}},
		{"cancion OR is:starred", "es", []string{"cancion", "factura"}},
		{"cancion -verano", "es", nil},
		{`reunion -"acta final"`, "es", []string{"html"}},
	}
	for _, tt := range tests {
		got, err := f.find(t, tt.q, tt.locale)
		if err != nil {
			t.Errorf("%q: %v", tt.q, err)
			continue
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%q = %q, want %q", tt.q, got, tt.want)
		}
	}
}

// TestSearchMalformed: a query that cannot be run is a *search.Error with
// a sentence in both languages, never a database error.
func TestSearchMalformed(t *testing.T) {
	f := newSearchFixture(t)
	es := i18n.New(language.Spanish)
	for _, q := range []string{"", `"sin cerrar`, "color:rojo", "before:31/02/2025", "larger:mucho", "-todo", "OR"} {
		_, err := f.find(t, q, "es")
		var pe *search.Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: %v", q, err)
			continue
		}
		msg, ok := QueryError(es, err)
		if !ok || msg == "" || msg == pe.Key && len(pe.Args) == 0 {
			t.Errorf("%q: not translated: %q", q, msg)
		}
	}
}

// TestSearchHighlight: matched words are marked in the subject and the
// snippet, accents and CJK included.
func TestSearchHighlight(t *testing.T) {
	f := newSearchFixture(t)
	s := NewSearch(f.d)
	for _, tt := range []struct{ q, subject, snippet string }{
		{"cancion", "La " + db.MarkStart + "canción" + db.MarkEnd + " del verano", ""},
		{"京都", "東" + db.MarkStart + "京都" + db.MarkEnd + "庁の見学", ""},
		{"letra", "", "Te envío la " + db.MarkStart + "letra" + db.MarkEnd + "."},
	} {
		res, err := s.Find(context.Background(), f.user.ID, SearchRequest{Query: tt.q, Locale: "es"})
		if err != nil || len(res.Hits) != 1 {
			t.Fatalf("%q: %v %v", tt.q, res.Hits, err)
		}
		h := res.Hits[0]
		if tt.subject != "" && h.MarkedSubject != tt.subject {
			t.Errorf("%q: subject %q, want %q", tt.q, h.MarkedSubject, tt.subject)
		}
		if tt.snippet != "" && h.MarkedSnippet != tt.snippet {
			t.Errorf("%q: snippet %q, want %q", tt.q, h.MarkedSnippet, tt.snippet)
		}
	}
}

// TestSearchApplyToAll: an action on every result reaches the matches
// beyond the first page, and only them, with one record that undoes it
// all; deleting for good is not offered.
func TestSearchApplyToAll(t *testing.T) {
	ctx := context.Background()
	d := openDB(t)
	ana, _ := storeMessages(t, d, "ana", 120)
	s := NewSearch(d)
	res, err := s.Find(ctx, ana.ID, SearchRequest{Query: "subject:ana", Locale: "en", Limit: 50})
	if err != nil || res.Total != 120 || len(res.Hits) != 50 {
		t.Fatalf("find: %d of %d, %v", len(res.Hits), res.Total, err)
	}
	out, err := s.ApplyToAll(ctx, ana.ID, Request{Action: ActionRead}, SearchRequest{Query: "subject:ana", Locale: "en"})
	if err != nil || out.Count != 120 || out.Undo == "" {
		t.Fatalf("apply: %+v %v", out, err)
	}
	if res, _ := s.Find(ctx, ana.ID, SearchRequest{Query: "is:unread subject:ana", Locale: "en"}); res.Total != 0 {
		t.Errorf("%d still unread", res.Total)
	}
	if _, err := NewMessages(d).Undo(ctx, ana.ID, out.Undo); err != nil {
		t.Fatalf("undo: %v", err)
	}
	if res, _ := s.Find(ctx, ana.ID, SearchRequest{Query: "is:unread subject:ana", Locale: "en"}); res.Total != 120 {
		t.Errorf("after Undo, %d of 120 unread", res.Total)
	}
	out, err = s.ApplyToAll(ctx, ana.ID, Request{Action: ActionArchive}, SearchRequest{Query: "subject:ana", Locale: "en"})
	if err != nil || out.Count != 120 {
		t.Fatalf("archive: %+v %v", out, err)
	}
	if res, _ := s.Find(ctx, ana.ID, SearchRequest{Query: "in:archive subject:ana", Locale: "en"}); res.Total != 120 {
		t.Errorf("%d of 120 archived", res.Total)
	}
	if _, err := s.ApplyToAll(ctx, ana.ID, Request{Action: ActionRead}, SearchRequest{Query: "nothing-like-it", Locale: "en"}); !errors.Is(err, ErrNoneSelected) {
		t.Errorf("no match: %v", err)
	}
	for _, a := range []MessageAction{ActionDelete, ActionEmptyTrash, ActionMarkAllRead} {
		if _, err := s.ApplyToAll(ctx, ana.ID, Request{Action: a}, SearchRequest{Query: "subject:ana", Locale: "en"}); !errors.Is(err, ErrUnknownAction) {
			t.Errorf("%s on every result: %v", a, err)
		}
	}
}

// TestSearchApplyBound: more matches than MaxActOnResults is refused
// whole.
func TestSearchApplyBound(t *testing.T) {
	if testing.Short() {
		t.Skip("stores 10,001 messages")
	}
	ctx := context.Background()
	d := openDB(t)
	ana, _ := storeMessages(t, d, "ana", MaxActOnResults+1)
	_, err := NewSearch(d).ApplyToAll(ctx, ana.ID, Request{Action: ActionTrash}, SearchRequest{Query: "ana", Locale: "en"})
	if !errors.Is(err, ErrTooManyResults) {
		t.Fatalf("apply: %v", err)
	}
	if res, _ := NewSearch(d).Find(ctx, ana.ID, SearchRequest{Query: "in:trash ana", Locale: "en"}); res.Total != 0 {
		t.Errorf("%d trashed", res.Total)
	}
}
