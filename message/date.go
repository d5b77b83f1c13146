package message

import (
	"strconv"
	"strings"
	"time"
)

var monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}

var dayNames = []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"}

// zoneOffsets are the RFC 5322 obsolete zones and other abbreviations seen
// in Date fields, in seconds east of UTC. Unknown ones mean UTC.
var zoneOffsets = map[string]int{
	"ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0,
	"est": -5 * 3600, "edt": -4 * 3600, "cst": -6 * 3600, "cdt": -5 * 3600,
	"mst": -7 * 3600, "mdt": -6 * 3600, "pst": -8 * 3600, "pdt": -7 * 3600,
	"akst": -9 * 3600, "akdt": -8 * 3600, "hst": -10 * 3600,
	"bst": 1 * 3600, "west": 1 * 3600, "cet": 1 * 3600, "met": 1 * 3600, "mez": 1 * 3600,
	"cest": 2 * 3600, "mest": 2 * 3600, "mesz": 2 * 3600, "eet": 2 * 3600, "eest": 3 * 3600,
	"msk": 3 * 3600, "ist": 5*3600 + 1800, "hkt": 8 * 3600, "awst": 8 * 3600,
	"jst": 9 * 3600, "kst": 9 * 3600, "aest": 10 * 3600, "aedt": 11 * 3600,
	"nzst": 12 * 3600, "nzdt": 13 * 3600,
}

// parseDate parses a Date field value. Besides RFC 5322 it accepts the
// malformed forms mail programs write: no day of week, one-digit days, two-
// or three-digit years, missing seconds, zone names or no zone at all,
// comments, dashes ("1-Apr-2019"), ISO 8601, and fields in any order. It
// returns the zero time when no date can be found.
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t
	}
	// Remove comments.
	var sb strings.Builder
	depth := 0
	for _, r := range s {
		switch {
		case r == '(':
			depth++
			sb.WriteByte(' ')
		case r == ')' && depth > 0:
			depth--
		case depth > 0:
		case r == ',' || r < ' ':
			sb.WriteByte(' ')
		default:
			sb.WriteRune(r)
		}
	}
	var fields []string
	for _, f := range strings.Fields(sb.String()) {
		// "2019-04-01T07:55:00": split off the time.
		if i := strings.IndexByte(f, 'T'); i == 10 && strings.Count(f[:i], "-") == 2 {
			fields = append(fields, numericDate(f[:i], "-")...)
			fields = append(fields, f[i+1:])
			continue
		}
		switch {
		case strings.Count(f, "-") == 2 && f[0] != '-' && !strings.Contains(f, ":"):
			// "1-Apr-2019" or "2019-04-01", but not a zone like "-0500".
			fields = append(fields, numericDate(f, "-")...)
		case strings.Count(f, "/") == 2:
			fields = append(fields, numericDate(f, "/")...)
		default:
			fields = append(fields, f)
		}
	}

	day, month, year := -1, -1, -1
	hour, minute, sec := 0, 0, 0
	haveTime, haveZone := false, false
	offset := 0
	for _, f := range fields {
		if f == "" {
			continue
		}
		lf := strings.ToLower(f)
		switch {
		case isAlpha(lf):
			if len(lf) >= 3 {
				if m := prefixIndex(monthNames, lf[:3]); m >= 0 && month < 0 {
					month = m + 1
					continue
				}
				if prefixIndex(dayNames, lf[:3]) >= 0 {
					continue
				}
			}
			if off, ok := zoneOffsets[strings.Trim(lf, ".")]; ok && !haveZone {
				offset, haveZone = off, true
			}
		case strings.Contains(lf, ":") && !haveTime:
			t := lf
			// A zone glued to the time: "07:55:00+0800", "07:55:00z".
			if i := strings.IndexAny(t, "+-"); i > 0 {
				if off, ok := parseNumericZone(t[i:]); ok && !haveZone {
					offset, haveZone = off, true
				}
				t = t[:i]
			} else if strings.HasSuffix(t, "z") {
				t = strings.TrimSuffix(t, "z")
				if !haveZone {
					offset, haveZone = 0, true
				}
			}
			parts := strings.Split(t, ":")
			if len(parts) < 2 || len(parts) > 3 {
				continue
			}
			h, err1 := strconv.Atoi(parts[0])
			m, err2 := strconv.Atoi(parts[1])
			sc := 0
			var err3 error
			if len(parts) == 3 {
				p := parts[2]
				if i := strings.IndexByte(p, '.'); i >= 0 {
					p = p[:i]
				}
				sc, err3 = strconv.Atoi(p)
			}
			if err1 != nil || err2 != nil || err3 != nil || h < 0 || h > 23 || m < 0 || m > 59 || sc < 0 || sc > 60 {
				continue
			}
			if sc == 60 {
				sc = 59
			}
			hour, minute, sec, haveTime = h, m, sc, true
		case (lf[0] == '+' || lf[0] == '-') && len(lf) > 1:
			if off, ok := parseNumericZone(lf); ok && !haveZone {
				offset, haveZone = off, true
			}
		case isDigits(lf):
			if len(lf) > 4 {
				continue
			}
			n, err := strconv.Atoi(lf)
			if err != nil {
				continue
			}
			switch {
			case len(lf) >= 3 && year < 0:
				year = n
				if len(lf) == 3 {
					year += 1900
				}
			case day < 0 && n >= 1 && n <= 31:
				day = n
			case year < 0:
				year = n
				if year < 50 {
					year += 2000
				} else {
					year += 1900
				}
			}
		}
	}
	if day < 1 || month < 1 || month > 12 || year < 1000 || year > 9999 {
		return time.Time{}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, 0, time.FixedZone("", offset))
	if t.Day() != day {
		return time.Time{} // e.g. 31 February
	}
	return t
}

// numericDate turns "2019-04-01", "1-Apr-2019" and "4/1/2019" (month
// first, as US programs write it) into day, month and year fields.
func numericDate(f, sep string) []string {
	p := strings.Split(f, sep)
	if len(p) != 3 || !isDigits(p[0]) {
		return p
	}
	month := func(m string) string {
		n, err := strconv.Atoi(m)
		if !isDigits(m) || err != nil || n < 1 || n > 12 {
			return m
		}
		return monthNames[n-1]
	}
	if len(p[0]) == 4 { // year first
		return []string{p[2], month(p[1]), p[0]}
	}
	if sep == "/" {
		return []string{p[1], month(p[0]), p[2]}
	}
	return []string{p[0], month(p[1]), p[2]}
}

func parseNumericZone(z string) (int, bool) {
	sign := 1
	switch z[0] {
	case '-':
		sign = -1
	case '+':
	default:
		return 0, false
	}
	z = strings.ReplaceAll(z[1:], ":", "")
	if !isDigits(z) || (len(z) != 4 && len(z) != 2) {
		return 0, false
	}
	n, _ := strconv.Atoi(z)
	h, m := n, 0
	if len(z) == 4 {
		h, m = n/100, n%100
	}
	if h > 14 || m > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60), true
}

func prefixIndex(list []string, p string) int {
	for i, s := range list {
		if s == p {
			return i
		}
	}
	return -1
}

func isAlpha(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < 'a' || c > 'z') && c != '.' {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
