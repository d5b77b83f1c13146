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
