package message

import (
	"strings"
	"testing"
	"time"
)

func TestCalendarInvitations(t *testing.T) {
	const dir = "thunderbird/calendar/test/browser/invitations/data/"
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		path string
		want Event
	}{
		{dir + "single-event.eml", Event{PartID: "1.2", Method: "REQUEST", Summary: "Single Event", Location: "Somewhere",
			Start: utc("2022-03-16 11:00"), End: utc("2022-03-16 11:30"), UTC: true, OrganizerName: "Sender", OrganizerAddr: "sender@example.com"}},
		{dir + "cancel-single-event.eml", Event{PartID: "1.2", Method: "CANCEL", Summary: "Single Event", Location: "Somewhere",
			Start: utc("2022-03-16 11:00"), End: utc("2022-03-16 11:30"), UTC: true, OrganizerName: "Sender", OrganizerAddr: "sender@example.com", Cancelled: true}},
		// DTSTART is missing on purpose in this one.
		{dir + "cancel-repeat-event.eml", Event{PartID: "1.1", Method: "CANCEL", Summary: "Repeat Event", Location: "Somewhere",
			End: utc("2022-03-16 11:30"), OrganizerName: "Sender", OrganizerAddr: "sender@example.com", Recurring: true, Cancelled: true}},
		{dir + "repeat-event.eml", Event{PartID: "1.1", Method: "REQUEST", Summary: "Repeat Event", Location: "Somewhere",
			Start: utc("2022-03-16 11:00"), End: utc("2022-03-16 11:30"), UTC: true, OrganizerName: "Sender", OrganizerAddr: "sender@example.com", Recurring: true}},
		{dir + "exception-minor.eml", Event{PartID: "1.1", Method: "REQUEST", Summary: "Exception title", Location: "Exception location",
			Start: utc("2022-03-17 11:00"), End: utc("2022-03-17 11:30"), UTC: true, OrganizerName: "Sender", OrganizerAddr: "sender@example.com", Exception: true}},
		{dir + "message-containing-event.eml", Event{PartID: "2", Method: "PUBLISH", Summary: "Haircut", Location: "Somewhere",
			Start: utc("2016-09-01 06:25"), End: utc("2016-09-01 06:50"), UTC: true, OrganizerAddr: "someone@example.com"}},
		// Outlook: a Windows zone name, defined in the VTIMEZONE (EET,
		// UTC+2 in November).
		{dir + "outlook-test-invite.eml", Event{PartID: "3", Method: "REQUEST", Summary: "Testaus",
			Start: utc("2021-11-27 07:00"), End: utc("2021-11-27 07:30"), TZID: "FLE Standard Time", OrganizerName: "Marge", OrganizerAddr: "marge@example.org"}},
		{dir + "teams-meeting-invite.eml", Event{PartID: "3", Method: "REQUEST", Summary: "Teams meeting",
			Start: utc("2020-12-02 17:00"), End: utc("2020-12-02 19:00"), TZID: "FLE Standard Time", OrganizerName: "Marge", OrganizerAddr: "marge@example.com"}},
		// An escaped comma; an IANA zone defined in the VTIMEZONE too.
		{dir + "message-non-invite.eml", Event{PartID: "2", Method: "PUBLISH", Summary: "Party at John's house, Helsinki",
			Start: utc("2021-11-29 08:55"), End: utc("2021-11-29 09:00"), TZID: "Europe/Helsinki", OrganizerName: "JANE", OrganizerAddr: "noreply@example.com"}},
	}
	for _, tt := range tests {
		v := Render(readCorpus(t, tt.path), RenderOptions{})
		if len(v.Events) != 1 {
			t.Errorf("%s: %d events: %+v", tt.path, len(v.Events), v.Events)
			continue
		}
		got := v.Events[0]
		if !got.Start.Equal(tt.want.Start) || !got.End.Equal(tt.want.End) {
			t.Errorf("%s: %s – %s, want %s – %s", tt.path, got.Start, got.End, tt.want.Start, tt.want.End)
		}
		got.Start, got.End, tt.want.Start, tt.want.End = time.Time{}, time.Time{}, time.Time{}, time.Time{}
		if got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.path, got, tt.want)
		}
	}

	// The zone's own wall-clock time is kept for display.
	v := Render(readCorpus(t, dir+"outlook-test-invite.eml"), RenderOptions{})
	if s := v.Events[0].Start.Format("15:04 -0700"); s != "09:00 +0200" {
		t.Errorf("outlook start = %s", s)
	}

	// Google sends the invitation inline and as invite.ics: one event.
	v = Render(readCorpus(t, dir+"meet-meeting-invite.eml"), RenderOptions{})
	if len(v.Events) != 1 || v.Events[0].Summary != "Meeeeet me HTML" || v.Events[0].OrganizerAddr != "example@gmail.com" {
		t.Errorf("meet: %+v", v.Events)
	}

	// A TZID that is defined nowhere keeps its wall-clock time and name.
	v = Render(readCorpus(t, "thunderbird/mail/components/extensions/test/xpcshell/messages/invite.eml"), RenderOptions{})
	if len(v.Events) != 1 || v.Events[0].TZID != "FLE" || v.Events[0].Start.Format("2006-01-02 15:04") != "2021-10-26 09:00" {
		t.Errorf("invite.eml: %+v", v.Events)
	}

	if v := Render(readCorpus(t, dir+"message-non-invite.eml"), RenderOptions{}); len(v.Attachments) == 0 {
		t.Errorf("the .ics is no longer listed")
	}
}

func TestCalendarParsing(t *testing.T) {
	ics := strings.Join([]string{
		"BEGIN:VCALENDAR",
		"METHOD:reply",
		"BEGIN:VTIMEZONE",
		"TZID:Custom Zone",
		"BEGIN:STANDARD",
		"DTSTART:16011104T020000",
		"RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11",
		"TZOFFSETFROM:-0400",
		"TZOFFSETTO:-0500",
		"END:STANDARD",
		"BEGIN:DAYLIGHT",
		"DTSTART:16010311T020000",
		"RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3",
		"TZOFFSETFROM:-0500",
		"TZOFFSETTO:-0400",
		"END:DAYLIGHT",
		"END:VTIMEZONE",
		"BEGIN:VEVENT",
		"SUMMARY;LANGUAGE=en:Lunch\\; then\\, a walk\\nand",
		"  talk",
		`ORGANIZER;CN="Doe, Jane";SENT-BY="mailto:x@example.com":MAILTO:jane@example.com`,
		"DTSTART;VALUE=DATE:20240704",
		"DTEND;VALUE=DATE:20240705",
		"RDATE;VALUE=DATE:20250704",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"SUMMARY:Summer",
		"DTSTART;TZID=Custom Zone:20240710T090000",
		"DURATION:PT1H30M",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"SUMMARY:Winter",
		"DTSTART;TZID=\"Custom Zone\":20240110T090000",
		"END:VEVENT",
		"BEGIN:VEVENT",
		"SUMMARY:Floating",
		"DTSTART:20240110T090000",
		"this line is broken",
		"END:VEVENT",
		"END:VCALENDAR",
	}, "\r\n")
	events := parseCalendar(normalizeNewlines(ics))
	if len(events) != 4 {
		t.Fatalf("%d events: %+v", len(events), events)
	}
	e := events[0]
	if e.Method != "REPLY" || e.Summary != "Lunch; then, a walk and talk" || e.OrganizerName != "Doe, Jane" || e.OrganizerAddr != "jane@example.com" ||
		!e.AllDay || !e.Recurring || e.Start.Format("2006-01-02") != "2024-07-04" || e.End.Format("2006-01-02") != "2024-07-05" {
		t.Errorf("all-day event = %+v", e)
	}
	if e := events[1]; e.Start.Format("15:04 -0700") != "09:00 -0400" || e.End.Sub(e.Start) != 90*time.Minute || e.TZID != "Custom Zone" {
		t.Errorf("summer event = %+v (%s)", e, e.Start)
	}
	if e := events[2]; e.Start.Format("15:04 -0700") != "09:00 -0500" || e.TZID != "Custom Zone" {
		t.Errorf("winter event = %+v (%s)", e, e.Start)
	}
	if e := events[3]; e.Start.Format("15:04") != "09:00" || e.TZID != "" || e.UTC || e.Summary != "Floating" {
		t.Errorf("floating event = %+v", e)
	}

	for _, tt := range []struct {
		y    int
		m    time.Month
		by   string
		want int
	}{
		{2024, time.March, "2SU", 10}, {2024, time.November, "1SU", 3}, {2024, time.October, "-1SU", 27},
		{2021, time.March, "-1SU", 28}, {2024, time.February, "5TH", 29}, {2023, time.February, "5TH", 23},
	} {
		if d, ok := ruleDay(tt.y, tt.m, map[string]string{"BYDAY": tt.by}, time.Time{}); !ok || d != tt.want {
			t.Errorf("ruleDay(%d, %s, %s) = %d, want %d", tt.y, tt.m, tt.by, d, tt.want)
		}
	}
}

func FuzzCalendar(f *testing.F) {
	f.Add("BEGIN:VCALENDAR\nMETHOD:REQUEST\nBEGIN:VEVENT\nDTSTART;TZID=\"a\":20240101T100000\nSUMMARY:x\\,y\nEND:VEVENT\nEND:VCALENDAR\n")
	f.Add("BEGIN:VTIMEZONE\nTZID:a\nBEGIN:STANDARD\nDTSTART:16010101T000000\nRRULE:FREQ=YEARLY;BYDAY=-5SU;BYMONTH=2;UNTIL=20200101\nTZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nDTSTART;TZID=a:20240101T100000\nDURATION:-P1W2DT3H\nEND:VEVENT\n")
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range parseCalendar(s) {
			_ = e.Start.String()
		}
	})
}
