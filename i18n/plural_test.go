package i18n

import (
	"testing"

	"golang.org/x/text/language"
)

// Counts choose the words by the language's plural rules, in English as in
// Spanish, whatever argument the count is.
func TestPluralForms(t *testing.T) {
	en, es := New(language.English), New(language.Spanish)
	counts := []int{0, 1, 2, 5, 21}
	for _, tc := range []struct {
		key    string
		args   func(n int) []any
		en, es []string // for each of counts
	}{
		{
			key:  "%d messages",
			args: func(n int) []any { return []any{int64(n)} },
			en:   []string{"0 messages", "1 message", "2 messages", "5 messages", "21 messages"},
			es:   []string{"0 mensajes", "1 mensaje", "2 mensajes", "5 mensajes", "21 mensajes"},
		},
		{
			key:  "%d messages stored, %d unread",
			args: func(n int) []any { return []any{int64(n), int64(1)} },
			en: []string{"0 messages stored, 1 unread", "1 message stored, 1 unread", "2 messages stored, 1 unread",
				"5 messages stored, 1 unread", "21 messages stored, 1 unread"},
			es: []string{"0 mensajes guardados, 1 sin leer", "1 mensaje guardado, 1 sin leer", "2 mensajes guardados, 1 sin leer",
				"5 mensajes guardados, 1 sin leer", "21 mensajes guardados, 1 sin leer"},
		},
		{
			// The second argument chooses.
			key:  "%d of %d messages",
			args: func(n int) []any { return []any{0, n} },
			en:   []string{"0 of 0 messages", "0 of 1 message", "0 of 2 messages", "0 of 5 messages", "0 of 21 messages"},
			es:   []string{"0 de 0 mensajes", "0 de 1 mensaje", "0 de 2 mensajes", "0 de 5 mensajes", "0 de 21 mensajes"},
		},
		{
			// The singular may leave the number out.
			key:  "Every %d minutes",
			args: func(n int) []any { return []any{n} },
			en:   []string{"Every 0 minutes", "Every minute", "Every 2 minutes", "Every 5 minutes", "Every 21 minutes"},
			es:   []string{"Cada 0 minutos", "Cada minuto", "Cada 2 minutos", "Cada 5 minutos", "Cada 21 minutos"},
		},
		{
			key:  "Every %d hours",
			args: func(n int) []any { return []any{n} },
			en:   []string{"Every 0 hours", "Every hour", "Every 2 hours", "Every 5 hours", "Every 21 hours"},
			es:   []string{"Cada 0 horas", "Cada hora", "Cada 2 horas", "Cada 5 horas", "Cada 21 horas"},
		},
		{
			key:  "%d days after downloading it",
			args: func(n int) []any { return []any{n} },
			en: []string{"0 days after downloading it", "1 day after downloading it", "2 days after downloading it",
				"5 days after downloading it", "21 days after downloading it"},
			es: []string{"0 días después de descargarlo", "un día después de descargarlo", "2 días después de descargarlo",
				"5 días después de descargarlo", "21 días después de descargarlo"},
		},
		{
			key:  "Minimum time between logins (LOGIN-DELAY): %d minutes.",
			args: func(n int) []any { return []any{n} },
			en: []string{"Minimum time between logins (LOGIN-DELAY): 0 minutes.", "Minimum time between logins (LOGIN-DELAY): 1 minute.",
				"Minimum time between logins (LOGIN-DELAY): 2 minutes.", "Minimum time between logins (LOGIN-DELAY): 5 minutes.",
				"Minimum time between logins (LOGIN-DELAY): 21 minutes."},
			es: []string{"Tiempo mínimo entre inicios de sesión (LOGIN-DELAY): 0 minutos.", "Tiempo mínimo entre inicios de sesión (LOGIN-DELAY): 1 minuto.",
				"Tiempo mínimo entre inicios de sesión (LOGIN-DELAY): 2 minutos.", "Tiempo mínimo entre inicios de sesión (LOGIN-DELAY): 5 minutos.",
				"Tiempo mínimo entre inicios de sesión (LOGIN-DELAY): 21 minutos."},
		},
	} {
		for i, n := range counts {
			if got := en.T(tc.key, tc.args(n)...); got != tc.en[i] {
				t.Errorf("en %q with %d = %q, want %q", tc.key, n, got, tc.en[i])
			}
			if got := es.T(tc.key, tc.args(n)...); got != tc.es[i] {
				t.Errorf("es %q with %d = %q, want %q", tc.key, n, got, tc.es[i])
			}
		}
	}
	// Counts are grouped for the locale.
	if got, got2 := en.T("%d messages", int64(12345)), es.T("%d messages", int64(12345)); got != "12,345 messages" || got2 != "12.345 mensajes" {
		t.Errorf("grouped: %q, %q", got, got2)
	}
}
