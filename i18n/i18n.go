// Package i18n is the one way user-facing text is produced: every string a
// page, an error or the help shows goes through T with an English message
// key, looked up in the catalog for the reader's language (golang.org/x/text
// message catalogs). It also formats dates and sizes for the locale. It
// knows nothing of HTTP beyond parsing an Accept-Language value.
//
// The translations are data, not Go: files in locales/<language>/, in
// x/text's gotext JSON format, embedded in the binary. A new Spanish
// sentence goes in the locales/es/ file of its area (locales/README.md
// lists them and the terminology); the catalog test fails while a key the
// source uses has none. A count that changes the words ("1 message",
// "2 messages") is one key with a %d argument, "%d messages", whose
// translations choose by the argument's plural form (CLDR rules, through
// x/text's feature/plural); English writes its plural forms in
// locales/en/. Never choose between two keys with n == 1 in Go.
package i18n

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Supported lists the interface languages, the default first.
var Supported = []language.Tag{language.English, language.Spanish}

var matcher = language.NewMatcher(Supported)

// cat holds the translations of locales/, and translations the messages
// as the files write them (for tests). English needs few: the key is the
// text, but for plural forms.
var cat, translations, catalogErr = loadCatalog(localeFiles, Supported)

// CatalogError reports a problem found while loading the catalogs.
func CatalogError() error { return catalogErr }

// Locale is a reader's language. There is one per supported language,
// shared by every request (New).
type Locale struct {
	Tag     language.Tag
	printer *message.Printer // immutable once made, so safe to share
	// plain holds the texts of keys translated without arguments, which
	// are most of a page's: formatting them again for every row was a
	// tenth of a message list's time. plainN bounds it (the keys are the
	// source's, a few hundred).
	plain  sync.Map // key → text
	plainN atomic.Int32
}

// maxPlain bounds the texts a Locale keeps.
const maxPlain = 4096

// locales are the Locales of Supported, made once.
var locales = sync.OnceValue(func() map[language.Tag]*Locale {
	m := make(map[language.Tag]*Locale, len(Supported))
	for _, t := range Supported {
		m[t] = &Locale{Tag: t, printer: message.NewPrinter(t, message.Catalog(cat))}
	}
	return m
})

// New returns the locale for tag (which must be one of Supported's bases).
func New(tag language.Tag) *Locale {
	base, _ := tag.Base()
	t := language.English
	for _, s := range Supported {
		if b, _ := s.Base(); b == base {
			t = s
		}
	}
	return locales()[t]
}

// Match picks the locale: the user's saved preference if set and
// supported, else the best match for the browser's Accept-Language.
func Match(preference, acceptLanguage string) *Locale {
	if preference != "" {
		if tag, err := language.Parse(preference); err == nil {
			if _, _, c := matcher.Match(tag); c >= language.High {
				return New(tag)
			}
		}
	}
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	tag, _, _ := matcher.Match(tags...)
	return New(tag)
}

// Code is the locale's language code ("en", "es"), for <html lang>.
func (l *Locale) Code() string {
	b, _ := l.Tag.Base()
	return b.String()
}

// T translates key, formatting args into it like fmt.Sprintf. Numbers
// given to %d are grouped for the locale ("12,345"; "12.345" in Spanish), and
// a key whose translation chooses by plural form needs its count as an
// integer, not as a formatted string. A Bytes argument, written %s in the
// key, is formatted as Size does.
func (l *Locale) T(key string, args ...any) string {
	if len(args) == 0 {
		if s, ok := l.plain.Load(key); ok {
			return s.(string)
		}
		s := l.printer.Sprintf(key)
		if l.plainN.Load() < maxPlain {
			if _, loaded := l.plain.LoadOrStore(key, s); !loaded {
				l.plainN.Add(1)
			}
		}
		return s
	}
	copied := false
	for i, a := range args {
		if b, ok := a.(Bytes); ok {
			if !copied { // never change the caller's slice
				args, copied = slices.Clone(args), true
			}
			args[i] = l.Size(int64(b))
		}
	}
	return l.printer.Sprintf(key, args...)
}

// Bytes is a size argument of T, formatted for the reader's locale ("31 MB",
// "4,2 MB"), so that a message key made far from any locale (an
// application rule's Problem) can carry a size.
type Bytes int64

// Date formats a time for a list or a header, in the reader's zone.
func (l *Locale) Date(t time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	t = t.In(loc)
	if l.Code() == "es" {
		return fmt.Sprintf("%d %s %d, %02d:%02d", t.Day(), monthsES[t.Month()-1], t.Year(), t.Hour(), t.Minute())
	}
	return t.Format("Jan 2, 2006, 15:04")
}

// Day formats a calendar day (a whole-day event), without a time.
func (l *Locale) Day(t time.Time) string {
	if l.Code() == "es" {
		return fmt.Sprintf("%d %s %d", t.Day(), monthsES[t.Month()-1], t.Year())
	}
	return t.Format("Jan 2, 2006")
}

// ShortDate formats a time for a message list: the time today, else the day.
func (l *Locale) ShortDate(t, now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	t, now = t.In(loc), now.In(loc)
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Year() == now.Year():
		if l.Code() == "es" {
			return fmt.Sprintf("%d %s", t.Day(), monthsES[t.Month()-1])
		}
		return t.Format("Jan 2")
	}
	if l.Code() == "es" {
		return t.Format("02/01/2006")
	}
	return t.Format("2006-01-02")
}

var monthsES = []string{"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"}

// Size formats a byte count: "812 B", "4.2 KB", "1.3 MB" (decimal comma in Spanish).
func (l *Locale) Size(n int64) string {
	units := []string{"B", "KB", "MB", "GB", "TB"}
	v := float64(n)
	i := 0
	for v >= 1000 && i < len(units)-1 {
		v /= 1000
		i++
	}
	var s string
	switch {
	case i == 0:
		s = fmt.Sprintf("%d", n)
	case v < 10:
		s = l.decimal(v)
	default:
		s = fmt.Sprintf("%.0f", v)
	}
	return s + "\u00a0" + units[i]
}

// Duration formats d with SI symbols, which read the same in every
// supported language: "350 ms", "4.2 s" ("4,2 s" in Spanish), "12 s",
// "2 min 5 s", "1 h 3 min".
func (l *Locale) Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%d\u00a0ms", d.Milliseconds())
	case d < 10*time.Second && d%time.Second != 0:
		return l.decimal(d.Seconds()) + "\u00a0s"
	case d < time.Minute:
		return fmt.Sprintf("%d\u00a0s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d\u00a0min %d\u00a0s", int(d.Minutes()), int(d.Seconds())%60)
	}
	return fmt.Sprintf("%d\u00a0h %d\u00a0min", int(d.Hours()), int(d.Minutes())%60)
}

// decimal formats v with one decimal, with the locale's decimal mark.
func (l *Locale) decimal(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	if l.Code() == "es" {
		s = strings.Replace(s, ".", ",", 1)
	}
	return s
}

// Number formats an integer with the locale's grouping.
func (l *Locale) Number(n int64) string { return l.printer.Sprint(n) }

type ctxKey struct{}

// WithLocale returns ctx carrying l.
func WithLocale(ctx context.Context, l *Locale) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// FromContext returns the locale in ctx, or English.
func FromContext(ctx context.Context) *Locale {
	if l, ok := ctx.Value(ctxKey{}).(*Locale); ok {
		return l
	}
	return New(language.English)
}

// T translates key for the locale in ctx.
func T(ctx context.Context, key string, args ...any) string {
	return FromContext(ctx).T(key, args...)
}
