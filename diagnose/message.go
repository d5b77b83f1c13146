package diagnose

import (
	"time"

	"github.com/apartado/apartado/i18n"
)

// Message is a sentence to show: an English key of the i18n catalog and the
// arguments formatted into it. Keys are always literals wrapped in i18n.Key,
// so the catalog test sees them. Arguments may be Messages themselves (rendered
// first), time.Time (a date for the locale), Bytes or Count.
type Message struct {
	Key  string
	Args []any
}

// Bytes is a size argument, formatted for the locale ("1,3 MB").
type Bytes int64

// Count is a number argument, written %d in its key: grouped for the locale
// ("12.345"), it also chooses the key's plural form.
type Count int64

func msg(key string, args ...any) Message { return Message{Key: key, Args: args} }

// IsZero reports whether m is empty (no sentence).
func (m Message) IsZero() bool { return m.Key == "" }

// Text renders m for locale l; dates are shown in tz (nil: the server's zone).
func (m Message) Text(l *i18n.Locale, tz *time.Location) string {
	if m.Key == "" {
		return ""
	}
	if len(m.Args) == 0 {
		return l.T(m.Key)
	}
	args := make([]any, len(m.Args))
	for i, a := range m.Args {
		switch v := a.(type) {
		case Message:
			args[i] = v.Text(l, tz)
		case time.Time:
			args[i] = l.Date(v, tz)
		case Bytes:
			args[i] = l.Size(int64(v))
		case Count:
			args[i] = int64(v)
		default:
			args[i] = a
		}
	}
	return l.T(m.Key, args...)
}
