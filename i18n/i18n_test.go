package i18n

import (
	"context"
	"testing"
	"time"
)

func TestMatch(t *testing.T) {
	for _, tc := range []struct{ pref, accept, want string }{
		{"", "es-ES,es;q=0.9,en;q=0.8", "es"},
		{"", "es-MX", "es"},
		{"", "fr-FR,de;q=0.5", "en"},
		{"", "", "en"},
		{"en", "es", "en"},
		{"es", "en-US", "es"},
		{"xx", "es", "es"},
	} {
		if got := Match(tc.pref, tc.accept).Code(); got != tc.want {
			t.Errorf("Match(%q, %q) = %s, want %s", tc.pref, tc.accept, got, tc.want)
		}
	}
}

func TestFormat(t *testing.T) {
	en, es := New(Supported[0]), New(Supported[1])
	if got := en.T("%d new messages", 3); got != "3 new messages" {
		t.Errorf("T = %q", got)
	}
	if got := T(context.Background(), "Inbox"); got != "Inbox" {
		t.Errorf("T without locale = %q", got)
	}
	if got := T(WithLocale(context.Background(), es), "Inbox"); got == "" {
		t.Error("empty translation")
	}
	if en.Size(812) != "812\u00a0B" || en.Size(4200) != "4.2\u00a0KB" || es.Size(1_300_000) != "1,3\u00a0MB" || en.Size(45_000) != "45\u00a0KB" {
		t.Errorf("sizes: %q %q %q %q", en.Size(812), en.Size(4200), es.Size(1_300_000), en.Size(45_000))
	}
	args := []any{Bytes(31_000_000)}
	if got := es.T("%s", args...); got != "31\u00a0MB" || args[0] != Bytes(31_000_000) {
		t.Errorf("a Bytes argument: %q (arguments now %v)", got, args)
	}
	madrid, _ := time.LoadLocation("Europe/Madrid")
	ts := time.Date(2026, 3, 5, 23, 30, 0, 0, time.UTC)
	if got := es.Date(ts, madrid); got != "6 mar 2026, 00:30" {
		t.Errorf("es date in Madrid = %q", got)
	}
	for d, want := range map[time.Duration][2]string{
		350 * time.Millisecond:                    {"350\u00a0ms", "350\u00a0ms"},
		4200 * time.Millisecond:                   {"4.2\u00a0s", "4,2\u00a0s"},
		7 * time.Second:                           {"7\u00a0s", "7\u00a0s"},
		125 * time.Second:                         {"2\u00a0min 5\u00a0s", "2\u00a0min 5\u00a0s"},
		time.Hour + 3*time.Minute + 9*time.Second: {"1\u00a0h 3\u00a0min", "1\u00a0h 3\u00a0min"},
	} {
		if got, got2 := en.Duration(d), es.Duration(d); got != want[0] || got2 != want[1] {
			t.Errorf("Duration(%v) = %q, %q, want %q", d, got, got2, want)
		}
	}
	if got, got2 := en.Day(ts), es.Day(ts); got != "Mar 5, 2026" || got2 != "5 mar 2026" {
		t.Errorf("Day = %q, %q", got, got2)
	}
	if got := en.Date(ts, time.UTC); got != "Mar 5, 2026, 23:30" {
		t.Errorf("en date = %q", got)
	}
	now := ts.Add(10 * time.Minute)
	if got := en.ShortDate(ts, now, time.UTC); got != "23:30" {
		t.Errorf("today = %q", got)
	}
	if got := en.ShortDate(ts, now.AddDate(1, 0, 0), time.UTC); got != "2026-03-05" {
		t.Errorf("last year = %q", got)
	}
	if got := en.Number(100000); got != "100,000" {
		t.Errorf("Number = %q", got)
	}
}
