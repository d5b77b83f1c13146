package message

import (
	"strconv"
	"strings"
	"time"
)

// Calendar invitations (iMIP, RFC 6047) arrive as text/calendar parts
// holding an iCalendar object (RFC 5545). The page shows a summary of each
// event: what, when, where, who organises it, and what the sender asks.
//
// This is a small reader for the part of RFC 5545 that the summary needs
// (line unfolding, parameters, text escapes, DATE and DATE-TIME values,
// and VTIMEZONE definitions) rather than github.com/arran4/golang-ical
// (v0.3.4, the one that can be had): that library refuses a whole calendar
// for one line it cannot parse, places floating times in the server's own
// zone, and resolves TZID only through time.LoadLocation, so the Windows
// zone names Outlook and Teams send ("FLE Standard Time") fail although
// the calendar defines them in its VTIMEZONE; it also brings net/http
// into the message package. github.com/emersion/go-ical has no release.

// Event is one event (VEVENT) of a calendar part, summarised.
type Event struct {
	PartID string // the text/calendar part, for downloading the .ics
	// Method is what the sender asks (the calendar's METHOD, upper case):
	// "REQUEST" an invitation or update, "CANCEL", "REPLY" an answer,
	// "PUBLISH" an event to add, "COUNTER", …; "" when absent.
	Method   string
	Summary  string // SUMMARY, "" when absent
	Location string // LOCATION
	// Start and End (End is zero when absent). A time with a TZID is in
	// that zone (from the calendar's VTIMEZONE or the IANA database), a
	// UTC time in UTC, and a floating time (no zone) in UTC with TZID "".
	Start, End time.Time
	// AllDay says Start and End are dates (midnight UTC); End is then
	// the day after the last one (RFC 5545 section 3.6.1).
	AllDay bool
	// TZID is the zone name the times were given in, as sent, for
	// display ("W. Europe Standard Time", "Europe/Madrid"); "" for UTC
	// and floating times.
	TZID          string
	UTC           bool   // the start was given in UTC
	OrganizerName string // ORGANIZER's CN
	OrganizerAddr string // ORGANIZER's address, without "mailto:"
	Recurring     bool   // RRULE or RDATE: a series
	Exception     bool   // RECURRENCE-ID: one changed occurrence of a series
	Cancelled     bool   // STATUS:CANCELLED

	key string // identifies the event while parts are read
}

// Limits on calendar parts.
const (
	maxCalendarBytes = 1 << 20 // larger calendar parts are not summarised
	maxEvents        = 50      // per message
)

// isCalendarPart says whether a leaf holds an iCalendar object.
func isCalendarPart(p *part) bool {
	switch p.mediaType {
	case "text/calendar", "application/ics", "text/x-vcalendar":
		return true
	}
	name := strings.ToLower(p.dispParams["filename"])
	if name == "" {
		name = strings.ToLower(p.params["name"])
	}
	return strings.HasSuffix(name, ".ics") && (p.mediaType == "application/octet-stream" || strings.HasPrefix(p.mediaType, "text/"))
}

// calendarEvents summarises the events of every calendar part. An event
// sent twice (Google sends the invitation inline and as invite.ics) is
// summarised once.
func calendarEvents(root *part) []Event {
	var events []Event
	seen := map[string]bool{}
	root.walkLeaves(func(p *part) {
		if len(events) >= maxEvents || !isCalendarPart(p) || len(p.body) > 4*maxCalendarBytes {
			return
		}
		text := decodeTextPart(p, 0)
		if len(text) > maxCalendarBytes {
			return
		}
		for _, e := range parseCalendar(text) {
			if len(events) >= maxEvents {
				break
			}
			if seen[e.key] {
				continue
			}
			seen[e.key] = true
			e.key = ""
			e.PartID = p.id
			events = append(events, e)
		}
	})
	return events
}

// icalProp is one content line: NAME;PARAM=VALUE:VALUE (RFC 5545 section
// 3.1). Names and parameter names are upper case.
type icalProp struct {
	name   string
	params map[string]string
	value  string
}

// icalComp is a component (VEVENT, VTIMEZONE, STANDARD, …) with its
// properties, and its subcomponents.
type icalComp struct {
	name  string
	props []icalProp
	subs  []*icalComp
}

func (c *icalComp) get(name string) (icalProp, bool) {
	for _, p := range c.props {
		if p.name == name {
			return p, true
		}
	}
	return icalProp{}, false
}

func (c *icalComp) value(name string) string {
	p, _ := c.get(name)
	return p.value
}

// parseCalendar reads the events of an iCalendar text (LF line ends).
// Lines it cannot read are skipped.
func parseCalendar(text string) []Event {
	root := &icalComp{}
	stack := []*icalComp{root}
	for _, line := range unfoldICal(text) {
		p, ok := parseICalLine(line)
		if !ok {
			continue
		}
		top := stack[len(stack)-1]
		switch p.name {
		case "BEGIN":
			if len(stack) > maxDepth {
				continue
			}
			c := &icalComp{name: strings.ToUpper(strings.TrimSpace(p.value))}
			top.subs = append(top.subs, c)
			stack = append(stack, c)
		case "END":
			// Close up to the matching component, tolerating a missing
			// END for an inner one.
			name := strings.ToUpper(strings.TrimSpace(p.value))
			for i := len(stack) - 1; i > 0; i-- {
				if stack[i].name == name {
					stack = stack[:i]
					break
				}
			}
		default:
			if len(top.props) < 1000 {
				top.props = append(top.props, p)
			}
		}
	}
	var events []Event
	var walk func(c *icalComp, cal *icalComp)
	walk = func(c *icalComp, cal *icalComp) {
		for _, s := range c.subs {
			switch s.name {
			case "VCALENDAR":
				walk(s, s)
			case "VEVENT":
				if cal == nil {
					cal = c // a VEVENT without VCALENDAR
				}
				events = append(events, makeEvent(s, cal))
			}
		}
	}
	walk(root, nil)
	return events
}

// unfoldICal splits text into content lines, joining folded ones (a line
// that starts with a space or a tab continues the one before; RFC 5545
// section 3.1).
func unfoldICal(text string) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimRight(l, "\r")
		if (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) && len(lines) > 0 {
			lines[len(lines)-1] += l[1:]
			continue
		}
		if strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// parseICalLine reads NAME *(";" PARAM "=" VALUE *("," VALUE)) ":" VALUE.
// Quoted parameter values may hold ":", ";" and ",".
func parseICalLine(line string) (icalProp, bool) {
	i := strings.IndexAny(line, ";:")
	if i <= 0 {
		return icalProp{}, false
	}
	p := icalProp{name: strings.ToUpper(strings.TrimSpace(line[:i]))}
	rest := line[i:]
	for strings.HasPrefix(rest, ";") {
		rest = rest[1:]
		eq := strings.IndexAny(rest, "=;:")
		if eq < 0 {
			return icalProp{}, false
		}
		if rest[eq] != '=' { // a parameter without a value
			rest = rest[eq:]
			continue
		}
		name := strings.ToUpper(strings.TrimSpace(rest[:eq]))
		rest = rest[eq+1:]
		var val strings.Builder
		for {
			if strings.HasPrefix(rest, `"`) {
				end := strings.IndexByte(rest[1:], '"')
				if end < 0 {
					return icalProp{}, false
				}
				val.WriteString(rest[1 : end+1])
				rest = rest[end+2:]
			} else {
				end := strings.IndexAny(rest, ",;:")
				if end < 0 {
					return icalProp{}, false
				}
				val.WriteString(rest[:end])
				rest = rest[end:]
			}
			if !strings.HasPrefix(rest, ",") {
				break
			}
			val.WriteByte(',')
			rest = rest[1:]
		}
		if p.params == nil {
			p.params = map[string]string{}
		}
		if _, dup := p.params[name]; !dup {
			p.params[name] = val.String()
		}
	}
	if !strings.HasPrefix(rest, ":") {
		return icalProp{}, false
	}
	p.value = rest[1:]
	return p, true
}

// unescapeText undoes TEXT escapes (RFC 5545 section 3.3.11).
func unescapeText(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		i++
		switch s[i] {
		case 'n', 'N':
			b.WriteByte('\n')
		default: // \\ \; \, and anything else: the character itself
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

func makeEvent(ev, cal *icalComp) Event {
	e := Event{
		Method:   strings.ToUpper(strings.TrimSpace(cal.value("METHOD"))),
		Summary:  cleanText(unescapeText(ev.value("SUMMARY"))),
		Location: cleanText(unescapeText(ev.value("LOCATION"))),
	}
	if p, ok := ev.get("DTSTART"); ok {
		e.Start, e.AllDay, e.UTC = icalTime(p, cal)
		e.TZID = tzidName(p)
	}
	if p, ok := ev.get("DTEND"); ok {
		e.End, _, _ = icalTime(p, cal)
	} else if p, ok := ev.get("DURATION"); ok && !e.Start.IsZero() {
		if d, ok := parseICalDuration(p.value); ok {
			e.End = e.Start.Add(d)
		}
	}
	if e.UTC {
		e.TZID = ""
	}
	if p, ok := ev.get("ORGANIZER"); ok {
		e.OrganizerName = cleanText(p.params["CN"])
		addr := strings.TrimSpace(p.value)
		if len(addr) >= 7 && strings.EqualFold(addr[:7], "mailto:") {
			addr = addr[7:]
		}
		e.OrganizerAddr = cleanText(addr)
	}
	_, rrule := ev.get("RRULE")
	_, rdate := ev.get("RDATE")
	_, recID := ev.get("RECURRENCE-ID")
	e.Recurring = rrule || rdate
	e.Exception = recID
	e.Cancelled = strings.EqualFold(strings.TrimSpace(ev.value("STATUS")), "CANCELLED")
	e.key = strings.Join([]string{e.Method, ev.value("UID"), ev.value("RECURRENCE-ID"), ev.value("SEQUENCE"),
		ev.value("DTSTART"), e.Summary, e.Location}, "\x00")
	return e
}

// tzidName is the TZID of a property, without quotes.
func tzidName(p icalProp) string {
	return cleanText(strings.Trim(p.params["TZID"], `"`))
}

// icalTime reads a DATE or DATE-TIME value (RFC 5545 sections 3.3.4 and
// 3.3.5): a date (all day), a UTC time ("Z"), or a local time in the
// property's TZID, or floating.
func icalTime(p icalProp, cal *icalComp) (t time.Time, allDay, utc bool) {
	v := strings.TrimSpace(p.value)
	if i := strings.IndexByte(v, ','); i >= 0 {
		v = v[:i] // a list: the first
	}
	if len(v) == 8 || strings.EqualFold(p.params["VALUE"], "DATE") {
		d, err := time.Parse("20060102", v[:min(len(v), 8)])
		if err != nil {
			return time.Time{}, false, false
		}
		return d, true, false
	}
	if strings.HasSuffix(v, "Z") || strings.HasSuffix(v, "z") {
		t, err := time.Parse("20060102T150405", v[:len(v)-1])
		if err != nil {
			return time.Time{}, false, false
		}
		return t, false, true
	}
	wall, err := time.Parse("20060102T150405", v)
	if err != nil {
		return time.Time{}, false, false
	}
	tzid := tzidName(p)
	if tzid == "" {
		return wall, false, false // floating
	}
	return inZone(wall, tzid, cal), false, false
}

// inZone places a wall-clock time in the zone tzid: as the calendar's
// VTIMEZONE defines it, else as the IANA database does, else as UTC (the
// TZID is still shown).
func inZone(wall time.Time, tzid string, cal *icalComp) time.Time {
	for _, c := range cal.subs {
		if c.name == "VTIMEZONE" && strings.Trim(c.value("TZID"), `"`) == tzid {
			if off, ok := vtimezoneOffset(c, wall); ok {
				return wallIn(wall, time.FixedZone(tzid, off))
			}
		}
	}
	name := strings.TrimPrefix(tzid, "/")
	if loc, err := time.LoadLocation(name); err == nil && name != "" && name != "Local" {
		return wallIn(wall, loc)
	}
	return wall
}

func wallIn(w time.Time, loc *time.Location) time.Time {
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, loc)
}

// vtimezoneOffset finds the UTC offset of a wall-clock time in a
// VTIMEZONE: the observance (STANDARD or DAYLIGHT) whose latest onset is
// not after it. Onsets are DTSTART and, for the yearly rules every zone
// uses (BYMONTH with BYDAY such as "-1SU" or "2SU", or BYMONTHDAY), their
// yearly repetitions; other rules count only their DTSTART.
func vtimezoneOffset(tz *icalComp, wall time.Time) (int, bool) {
	var best time.Time
	bestOff, found := 0, false
	var earliest time.Time
	earliestFrom := 0
	for _, ob := range tz.subs {
		if ob.name != "STANDARD" && ob.name != "DAYLIGHT" {
			continue
		}
		to, ok1 := parseUTCOffset(ob.value("TZOFFSETTO"))
		from, ok2 := parseUTCOffset(ob.value("TZOFFSETFROM"))
		start, err := time.Parse("20060102T150405", strings.TrimSuffix(strings.TrimSpace(ob.value("DTSTART")), "Z"))
		if !ok1 || err != nil {
			continue
		}
		if !ok2 {
			from = to
		}
		if earliest.IsZero() || start.Before(earliest) {
			earliest, earliestFrom = start, from
		}
		onset, ok := latestOnset(start, ob.value("RRULE"), wall)
		if ok && (!found || onset.After(best)) {
			best, bestOff, found = onset, to, true
		}
	}
	if found {
		return bestOff, true
	}
	if !earliest.IsZero() {
		return earliestFrom, true // before every onset
	}
	return 0, false
}

// latestOnset is the last onset of an observance at or before wall.
func latestOnset(start time.Time, rrule string, wall time.Time) (time.Time, bool) {
	if start.After(wall) {
		return time.Time{}, false
	}
	rule := map[string]string{}
	for _, kv := range strings.Split(strings.ToUpper(rrule), ";") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			rule[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	if rule["FREQ"] != "YEARLY" {
		return start, true
	}
	month, err := strconv.Atoi(rule["BYMONTH"])
	if err != nil || month < 1 || month > 12 {
		month = int(start.Month())
	}
	until := time.Time{}
	if u := strings.TrimSuffix(rule["UNTIL"], "Z"); u != "" {
		if t, err := time.Parse("20060102T150405", u); err == nil {
			until = t
		} else if t, err := time.Parse("20060102", u); err == nil {
			until = t.Add(24*time.Hour - time.Second)
		}
	}
	for y := wall.Year(); y >= wall.Year()-1 && y >= start.Year(); y-- {
		day, ok := ruleDay(y, time.Month(month), rule, start)
		if !ok {
			return start, true
		}
		onset := time.Date(y, time.Month(month), day, start.Hour(), start.Minute(), start.Second(), 0, time.UTC)
		if onset.After(wall) || onset.Before(start) {
			continue
		}
		if !until.IsZero() && onset.After(until) {
			// The rule ended: its last onset is the one at or before
			// until (where this branch cannot be taken again).
			return latestOnset(start, rrule, until)
		}
		return onset, true
	}
	return start, true
}

// ruleDay is the day of the month a yearly rule picks in year y.
func ruleDay(y int, m time.Month, rule map[string]string, start time.Time) (int, bool) {
	if md := rule["BYMONTHDAY"]; md != "" {
		d, err := strconv.Atoi(md)
		if err != nil || d < 1 || d > 31 {
			return 0, false
		}
		return d, true
	}
	by := rule["BYDAY"]
	if by == "" {
		return start.Day(), true
	}
	if len(by) < 3 {
		return 0, false
	}
	days := map[string]time.Weekday{"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday, "TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday}
	wd, ok := days[by[len(by)-2:]]
	if !ok {
		return 0, false
	}
	n := 1
	if num := by[:len(by)-2]; num != "" {
		var err error
		if n, err = strconv.Atoi(num); err != nil || n == 0 || n < -5 || n > 5 {
			return 0, false
		}
	}
	last := time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
	if n > 0 {
		first := time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).Weekday()
		d := 1 + (int(wd)-int(first)+7)%7 + (n-1)*7
		if d > last {
			d -= 7
		}
		return d, true
	}
	lastWd := time.Date(y, m, last, 0, 0, 0, 0, time.UTC).Weekday()
	d := last - (int(lastWd)-int(wd)+7)%7 + (n+1)*7
	if d < 1 {
		d += 7
	}
	return d, true
}

// parseUTCOffset reads "+0200", "-0500" or "+053000" into seconds.
func parseUTCOffset(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 || (s[0] != '+' && s[0] != '-') {
		return 0, false
	}
	n := 0
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[3:5])
	n = h*3600 + m*60
	if len(s) == 7 {
		sec, _ := strconv.Atoi(s[5:7])
		n += sec
	}
	if s[0] == '-' {
		n = -n
	}
	return n, true
}

// parseICalDuration reads a DURATION such as "PT1H30M" or "P1D" (RFC 5545
// section 3.3.6).
func parseICalDuration(s string) (time.Duration, bool) {
	s = strings.ToUpper(strings.TrimSpace(s))
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimLeft(s, "+-")
	if !strings.HasPrefix(s, "P") {
		return 0, false
	}
	var d time.Duration
	num := 0
	seen := false
	for _, c := range s[1:] {
		switch {
		case c >= '0' && c <= '9':
			if num > 1e6 {
				return 0, false
			}
			num = num*10 + int(c-'0')
			seen = true
			continue
		case c == 'T':
			continue
		case c == 'W':
			d += time.Duration(num) * 7 * 24 * time.Hour
		case c == 'D':
			d += time.Duration(num) * 24 * time.Hour
		case c == 'H':
			d += time.Duration(num) * time.Hour
		case c == 'M':
			d += time.Duration(num) * time.Minute
		case c == 'S':
			d += time.Duration(num) * time.Second
		default:
			return 0, false
		}
		num = 0
	}
	if !seen {
		return 0, false
	}
	if neg {
		d = -d
	}
	return d, true
}
