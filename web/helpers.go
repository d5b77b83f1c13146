package web

import (
	"context"
	"strconv"
	"strings"

	"github.com/apartado/apartado/i18n"
)

// appName is the product's name; it is not translated.
const appName = "Apartado"

// pageTitle is the document title: the page's, then the product's.
func pageTitle(ctx context.Context, title string) string {
	if title == "" {
		return appName
	}
	return i18n.T(ctx, "%s – Apartado", title)
}

// fieldErrorID is the id of a form field's error message, for
// aria-describedby.
func fieldErrorID(field string) string { return "error-" + field }

func inputType(t string) string {
	if t == "" {
		return "text"
	}
	return t
}

// shortFingerprint is the start of a formatted certificate fingerprint
// (AB:CD:…), enough to recognise it in a list; the whole one is shown
// beside it on demand.
func shortFingerprint(fp string) string {
	const keep = 5*3 - 1 // five pairs and their colons
	if len(fp) <= keep {
		return fp
	}
	return fp[:keep] + "…"
}

// addressParts cuts an e-mail address where a line may break if it does
// not fit: after the @ and before each dot, so that a narrow screen shows
// "maximiliano.fernandez@" above "example.com" rather than breaking a
// word.
func addressParts(addr string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(addr); i++ {
		switch {
		case addr[i] == '@' && i+1 < len(addr):
			parts = append(parts, addr[start:i+1])
			start = i + 1
		case addr[i] == '.' && i > start:
			parts = append(parts, addr[start:i])
			start = i
		}
	}
	return append(parts, addr[start:])
}

// joinComma lists names for a sentence.
func joinComma(names []string) string { return strings.Join(names, ", ") }

// draftValue is a draft's id for a form field: "" for none.
func draftValue(id int64) string {
	if id == 0 {
		return ""
	}
	return strconv.FormatInt(id, 10)
}

// boolText is a bool for an attribute.
func boolText(b bool) string { return strconv.FormatBool(b) }
