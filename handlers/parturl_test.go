package handlers

import (
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// splitPartURL cuts a signed part URL into what comes before its token and
// the token's fields: user, session, expiry, signature.
func splitPartURL(t *testing.T, u string) (string, []string) {
	t.Helper()
	base, token, ok := strings.Cut(u, "?t=")
	fields := strings.Split(token, ".")
	if !ok || len(fields) != 4 {
		t.Fatalf("part URL %q: want ?t=user.session.expiry.signature", u)
	}
	return base + "?t=", fields
}

// TestInlineImageURLsEndWithTheSession: the signed URL of an inline image
// is only as good as the session that signed it. Logging out or changing
// the password ends it at once; it cannot be moved onto another session of
// the same user, nor made to name another user's session.
func TestInlineImageURLsEndWithTheSession(t *testing.T) {
	f := newMailFixture(t)
	anon := f.app.client() // the sandboxed body's image requests carry no cookie
	signed := func(c *client, msg int64) string {
		t.Helper()
		b := c.get(msgPath(msg, "/body"))
		wantStatus(t, b, http.StatusOK)
		u := partURLRe.FindString(b.body)
		if u == "" {
			t.Fatalf("no signed part URL in the body:\n%s", b.body)
		}
		return u
	}
	desk := signed(f.anaC, f.anaHTML)
	phone := f.app.login("ana", "correct horse")
	onPhone := signed(phone, f.anaHTML)
	wantStatus(t, anon.get(desk), http.StatusOK)
	wantStatus(t, anon.get(onPhone), http.StatusOK)

	base, fields := splitPartURL(t, desk)
	_, phoneFields := splitPartURL(t, onPhone)
	if fields[1] == phoneFields[1] {
		t.Fatalf("two sessions are named alike in their part URLs (%q)", fields[1])
	}
	// Short, and with nothing of the session's secret: not the hash the
	// database keeps, let alone the token.
	if token := desk[len(base):]; len(token) > 64 {
		t.Errorf("part token of %d characters: %q", len(token), token)
	}
	rows, err := f.app.db.SQL().Query(`SELECT token_hash FROM sessions`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var hash []byte
		if err := rows.Scan(&hash); err != nil {
			t.Fatal(err)
		}
		for _, enc := range []*base64.Encoding{base64.RawURLEncoding, base64.RawStdEncoding} {
			if s := enc.EncodeToString(hash[:6]); strings.Contains(desk, s) || strings.Contains(onPhone, s) {
				t.Errorf("a part URL carries the session's token hash (%s)", s)
			}
		}
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}

	// The session id altered: to ana's other session, to one made up, to
	// none. The signature no longer matches.
	for _, sid := range []string{phoneFields[1], "AAAAAAAAAAAA", ""} {
		altered := base + strings.Join([]string{fields[0], sid, fields[2], fields[3]}, ".")
		wantRedirect(t, anon.get(altered), "/login?next="+url.QueryEscape(altered))
	}

	// A genuine signature naming ana as the user and bea's live session:
	// the session is not one of ana's, so nothing opens.
	beaHTML := f.app.addMessage(f.beaAcc, htmlMessage, f.app.clock.Now())
	_, beaFields := splitPartURL(t, signed(f.beaC, beaHTML))
	path, _, _ := strings.Cut(desk, "?")
	partID := path[strings.LastIndex(path, "/")+1:]
	exp, err := strconv.ParseInt(fields[2], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	crossed := path + "?t=" + f.app.handler.partToken(f.ana.ID, beaFields[1], f.anaHTML, partID, exp)
	wantStatus(t, anon.get(crossed), http.StatusNotFound)
	// And the other way round: bea's user id on ana's session's signature.
	moved := base + strings.Join([]string{strconv.FormatInt(f.bea.ID, 10), fields[1], fields[2], fields[3]}, ".")
	if anon.get(moved).StatusCode == http.StatusOK {
		t.Error("ana's part URL worked with bea's user id")
	}

	// Logging out on the desk ends the desk's URLs at once, not the phone's.
	wantRedirect(t, f.anaC.post("/logout", nil), "/login?done=signed-out")
	wantStatus(t, anon.get(desk), http.StatusNotFound)
	wantStatus(t, anon.get(onPhone), http.StatusOK)

	// Changing the password on the phone ends every older session's URLs;
	// the phone's new session signs URLs that work.
	r := phone.post("/settings/password", url.Values{"current": {"correct horse"}, "new": {"battery staple"}, "confirm": {"battery staple"}})
	wantRedirect(t, r, "/settings?done="+donePasswordChanged)
	wantStatus(t, anon.get(onPhone), http.StatusNotFound)
	wantStatus(t, anon.get(signed(phone, f.anaHTML)), http.StatusOK)
}
