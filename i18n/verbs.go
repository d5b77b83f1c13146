package i18n

import "regexp"

// verbRE matches a fmt verb: flags, an argument index, width and precision,
// then the verb's letter ("%%" included, and dropped by verbs).
var verbRE = regexp.MustCompile(`%[-+# 0]*(?:\[\d+\])?(?:\*|\d+)?(?:\.(?:\[\d+\])?(?:\*|\d+)?)?(?:\[\d+\])?(?:[a-zA-Z%]|$)`)

// verbs returns s's formatting verbs in order, without "%%".
func verbs(s string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(s, -1) {
		if v != "%%" {
			out = append(out, v)
		}
	}
	return out
}
