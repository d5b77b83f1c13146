package i18n

import (
	"fmt"

	"golang.org/x/text/language"
)

// The Spanish catalog: English key → Spanish text, in one file per area
// (es_*.go). A key's %-verbs must appear in its translation in the same
// order. English needs no table: the key is the text.
var spanishParts = []map[string]string{esCore, esSetup, esHelp, esDiscover, esExport, esRetention, esSync, esCalendar, esRemote, esSecurity}

// Spanish returns every Spanish translation, merged (for tests and tools).
func Spanish() map[string]string {
	out := make(map[string]string)
	for _, part := range spanishParts {
		for k, v := range part {
			out[k] = v
		}
	}
	return out
}

// loadCatalog fills the catalog builder. It runs once, from the package
// variable initialisation in i18n.go; a key translated twice differently is
// a programming error caught by the catalog test.
func loadCatalog() error {
	for k, v := range Spanish() {
		if err := cat.SetString(language.Spanish, k, v); err != nil {
			return fmt.Errorf("i18n: %q: %w", k, err)
		}
	}
	return nil
}
