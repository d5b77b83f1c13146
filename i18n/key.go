package i18n

// Key marks an English message key that reaches T through a variable, so the
// catalog test sees it. It returns s unchanged: a function that returns a
// sentence for a caller to translate later writes
//
//	return i18n.Key("Use at least 8 characters.")
//
// and the caller's T(ctx, msg) finds the translation as usual. Only string
// literals are recognised.
func Key(s string) string { return s }
