package web

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/language"

	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/message"
)

// TestCalendarEventsDays: whole-day events show days, not times, in the
// reader's language; a timed event in another zone shows on the reader's
// clock with the organizer's time beside it.
func TestCalendarEventsDays(t *testing.T) {
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Skip("no zone data:", err)
	}
	events := []message.Event{
		{Method: "REQUEST", Summary: "Holiday", AllDay: true,
			Start: time.Date(2026, 7, 4, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 7, 7, 0, 0, 0, 0, time.UTC)},
		{Method: "REQUEST", Summary: "Call", UTC: true,
			Start: time.Date(2026, 3, 16, 9, 0, 0, 0, time.UTC), End: time.Date(2026, 3, 16, 10, 0, 0, 0, time.UTC)},
	}
	for _, tc := range []struct {
		lang            language.Tag
		holiday, call   string
		organizerCallAt string
	}{
		{language.English, "Jul 4, 2026 – Jul 6, 2026", "Mar 16, 2026, 10:00 – 11:00", "09:00 – 10:00 (UTC)"},
		{language.Spanish, "4 jul 2026 – 6 jul 2026", "16 mar 2026, 10:00 – 11:00", "09:00 – 10:00 (UTC)"},
	} {
		var b bytes.Buffer
		ctx := i18n.WithLocale(context.Background(), i18n.New(tc.lang))
		if err := CalendarEvents(events, madrid).Render(ctx, &b); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		for _, want := range []string{tc.holiday, tc.call, "(Europe/Madrid)", tc.organizerCallAt} {
			if !strings.Contains(page, want) {
				t.Errorf("%v: %q not in\n%s", tc.lang, want, page)
			}
		}
	}
}
