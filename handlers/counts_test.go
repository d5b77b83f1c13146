package handlers

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/poller"
	"golang.org/x/text/language"
)

// Counts in the sync's progress and in the EXPIRE warning agree with their
// number, in English and in Spanish.
func TestCountsAgreeWithTheirNumber(t *testing.T) {
	for _, tc := range []struct {
		tag          language.Tag
		done, of     int
		progress     string
		expire       string
		expireResult string
	}{
		{language.English, 0, 1, "0 of 1 message · 0\u00a0B of 2.5\u00a0KB", "1", "after 1 day (it announces EXPIRE 1)"},
		{language.English, 1, 2, "1 of 2 messages · 0\u00a0B of 2.5\u00a0KB", "2", "after 2 days (it announces EXPIRE 2)"},
		{language.Spanish, 0, 1, "0 de 1 mensaje · 0\u00a0B de 2,5\u00a0KB", "1", "al cabo de 1 día (anuncia EXPIRE 1)"},
		{language.Spanish, 1, 2, "1 de 2 mensajes · 0\u00a0B de 2,5\u00a0KB", "21", "al cabo de 21 días (anuncia EXPIRE 21)"},
	} {
		ctx := i18n.WithLocale(context.Background(), i18n.New(tc.tag))
		p := poller.Progress{Phase: poller.PhaseDownloading, Messages: tc.of, MessagesDone: tc.done, Bytes: 2500}
		if got := ProgressText(ctx, p); got != tc.progress {
			t.Errorf("%s: progress %q, want %q", tc.tag, got, tc.progress)
		}
		r := httptest.NewRequest("GET", "/settings", nil).WithContext(ctx)
		if got := expireWarning(r, db.Account{ServerExpire: tc.expire}); !strings.Contains(got, tc.expireResult) {
			t.Errorf("%s: EXPIRE %s: %q, want it to say %q", tc.tag, tc.expire, got, tc.expireResult)
		}
	}
}
