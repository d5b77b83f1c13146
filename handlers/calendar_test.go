package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

const inviteMessage = `From: Organiser <boss@example.com>
To: ana@example.com
Subject: Invitation: Budget review
Date: Mon, 09 Mar 2026 08:00:00 +0000
Message-ID: <invite-1@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

You are invited to the budget review.
--b
Content-Type: text/calendar; charset=utf-8; method=REQUEST

BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Example//EN
METHOD:REQUEST
BEGIN:VEVENT
UID:budget-1@example.com
DTSTAMP:20260309T080000Z
DTSTART:20260316T090000Z
DTEND:20260316T100000Z
SUMMARY:Budget review
LOCATION:Room 4\, second floor
ORGANIZER;CN=Big Boss:mailto:boss@example.com
END:VEVENT
END:VCALENDAR
--b--
`

// TestMessageCalendar: an invitation is summarised above the body.
func TestMessageCalendar(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Home")
	id := app.addMessage(acc, inviteMessage, time.Date(2026, 3, 9, 8, 0, 0, 0, time.UTC))
	c := app.login("ana", "correct horse")
	r := c.get("/mail/" + strconv.FormatInt(id, 10))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	ev := one(t, doc, "calendar-event")
	for tid, want := range map[string]string{
		"calendar-summary":   "Budget review",
		"calendar-location":  "Room 4, second floor",
		"calendar-organizer": "Big Boss",
		"calendar-when":      "2026",
	} {
		if s := text(one(t, ev, tid)); !strings.Contains(s, want) {
			t.Errorf("%s: %q, want %q in it", tid, s, want)
		}
	}
	one(t, doc, "message-body-text")

	// A reader in Madrid sees the time on her own clock, and the
	// organizer's beside it.
	if err := app.db.SetUserPreferences(context.Background(), u.ID, "", "Europe/Madrid"); err != nil {
		t.Fatal(err)
	}
	ev = one(t, c.get("/mail/"+strconv.FormatInt(id, 10)).doc(t), "calendar-event")
	if s := text(one(t, ev, "calendar-when")); !strings.Contains(s, "10:00") || !strings.Contains(s, "Europe/Madrid") {
		t.Errorf("in Madrid: %q", s)
	}
	if s := text(one(t, ev, "calendar-sender-time")); !strings.Contains(s, "09:00") || !strings.Contains(s, "UTC") {
		t.Errorf("the organizer's time: %q", s)
	}
}
