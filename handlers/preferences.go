package handlers

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// Interface languages offered, by code; "" follows the browser.
var languages = []string{"", "en", "es"}

func (h *Handler) preferencesForm(r *http.Request, locale, timeZone string, after db.AfterAction, shortcuts, conversations bool) web.PreferencesForm {
	ctx := r.Context()
	f := web.PreferencesForm{TimeZone: timeZone, TimeZones: timeZoneSuggestions, ServerZone: serverZone(h.now()), Shortcuts: shortcuts,
		Conversations: conversations}
	f.AfterAction = []web.Option{
		{Value: string(db.AfterNext), Label: i18n.T(ctx, "Open the next message"), Selected: after != db.AfterList},
		{Value: string(db.AfterList), Label: i18n.T(ctx, "Go back to the list"), Selected: after == db.AfterList},
	}
	for _, code := range languages {
		var label string
		switch code {
		case "":
			label = i18n.T(ctx, "Automatic (the browser's language)")
		case "en":
			label = i18n.T(ctx, "English")
		case "es":
			label = i18n.T(ctx, "Español")
		}
		f.Languages = append(f.Languages, web.Option{Value: code, Label: label, Selected: code == locale})
	}
	return f
}

func (h *Handler) savePreferences(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u := currentUser(r)
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	locale := r.PostForm.Get("locale")
	// A form without the field (an older page) keeps the saved choice.
	after := u.AfterAction
	if s, ok := r.PostForm["after"]; ok {
		after = db.AfterAction(s[0])
		if after != db.AfterNext && after != db.AfterList {
			h.badRequest(w, r)
			return
		}
	}
	shortcuts, ok := onOff(r.PostForm, "shortcuts", u.Shortcuts)
	if !ok {
		h.badRequest(w, r)
		return
	}
	conversations, ok := onOff(r.PostForm, "conversations", u.Conversations)
	if !ok {
		h.badRequest(w, r)
		return
	}
	tz := strings.TrimSpace(r.PostForm.Get("timezone"))
	known := false
	for _, l := range languages {
		known = known || l == locale
	}
	if !known {
		h.badRequest(w, r)
		return
	}
	days := strings.TrimSpace(r.PostForm.Get(app.FieldEmptyAfterDays))
	refuse := func(edit func(*web.PreferencesForm)) {
		v, err := h.settingsView(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Preferences = h.preferencesForm(r, locale, tz, after, shortcuts, conversations)
		v.Preferences.EmptyAfterDays = days
		edit(&v.Preferences)
		h.render(w, r, http.StatusUnprocessableEntity, web.SettingsPage(v))
	}
	if tz != "" {
		if !knownZone(tz) {
			refuse(func(f *web.PreferencesForm) {
				f.TimeZoneError = i18n.T(ctx, "This time zone is not known. Use a name such as Europe/Madrid.")
			})
			return
		}
	}
	// A form without the field (an older page) leaves the setting alone.
	if r.PostForm.Has(app.FieldEmptyAfterDays) {
		n, err := strconv.Atoi(days)
		if err != nil {
			n = -1
		}
		if err := h.messages.SetEmptyAfterDays(ctx, u.ID, n); err != nil {
			if inv, ok := app.AsInvalid(err); ok {
				refuse(func(f *web.PreferencesForm) { f.EmptyAfterDaysError = problemOn(ctx, inv, app.FieldEmptyAfterDays) })
				return
			}
			h.fail(w, r, err)
			return
		}
	}
	if err := h.db.SetUserPreferences(ctx, u.ID, locale, tz); err != nil {
		h.fail(w, r, err)
		return
	}
	if after != u.AfterAction {
		if err := h.db.SetAfterAction(ctx, u.ID, after); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if shortcuts != u.Shortcuts {
		if err := h.db.SetShortcuts(ctx, u.ID, shortcuts); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	if conversations != u.Conversations {
		if err := h.db.SetConversations(ctx, u.ID, conversations); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	redirect(w, r, "/settings?done="+donePrefsSaved)
}

// onOff reads a checkbox sent after a hidden field of the same name: the
// form sends "off" from the hidden field and then "on" from the checkbox
// when it is ticked, and the last one counts. A form without the field
// (an older page) keeps the saved choice; ok is false for anything else.
func onOff(f url.Values, name string, saved bool) (on, ok bool) {
	s, sent := f[name]
	if !sent || len(s) == 0 {
		return saved, true
	}
	switch s[len(s)-1] {
	case "on":
		return true, true
	case "off":
		return false, true
	}
	return saved, false
}

// knownZone says whether tz is an IANA time zone name the server knows.
func knownZone(tz string) bool {
	if tz == "" || tz == "Local" || len(tz) > 64 {
		return false
	}
	_, err := time.LoadLocation(tz)
	return err == nil
}

// adoptBrowserZone gives a user who has no time zone of their own the
// browser's, which the sign-in and set-up pages send (field tz, from
// Intl); the server's is seldom the family's (a container's is UTC).
// Settings can change it; emptied there, the next sign-in sets it again.
func (h *Handler) adoptBrowserZone(ctx context.Context, u db.User, tz string) {
	if u.TimeZone != "" || !knownZone(tz) {
		return
	}
	if err := h.db.SetUserPreferences(ctx, u.ID, u.Locale, tz); err != nil {
		h.log.Warn("saving the browser's time zone", "user", u.ID, "err", err)
	}
}

// serverZone names the server's time zone for people: the TZ variable's
// IANA name when set, else the zone's abbreviation, with its offset now.
func serverZone(now time.Time) string {
	if tz := os.Getenv("TZ"); tz != "" && !strings.HasPrefix(tz, ":") && !strings.HasPrefix(tz, "/") {
		if loc, err := time.LoadLocation(tz); err == nil {
			return zoneLabel(tz, now.In(loc))
		}
	}
	name, _ := now.In(time.Local).Zone()
	return zoneLabel(name, now.In(time.Local))
}

// zoneLabel is a zone's name and its offset at t, said once: "UTC",
// "Europe/Madrid (UTC+01:00)", "CET (UTC+01:00)", and "UTC+03:00" for a
// zone whose abbreviation is only its offset ("+03").
func zoneLabel(name string, t time.Time) string {
	_, secs := t.Zone()
	offset := t.Format("UTC-07:00")
	switch {
	case secs == 0 && (name == "UTC" || name == "GMT" || name == "Etc/UTC" || name == "Etc/GMT"):
		return "UTC"
	case name == "" || strings.HasPrefix(name, "+") || strings.HasPrefix(name, "-"):
		return offset
	}
	return name + " (" + offset + ")"
}

// timeZoneSuggestions are offered in the time zone field; any IANA name
// the server knows is accepted.
var timeZoneSuggestions = []string{
	"UTC",
	"Europe/Madrid", "Europe/Lisbon", "Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin",
	"Europe/Rome", "Europe/Amsterdam", "Europe/Brussels", "Europe/Zurich", "Europe/Vienna", "Europe/Stockholm",
	"Europe/Warsaw", "Europe/Athens", "Europe/Helsinki", "Europe/Istanbul", "Europe/Moscow",
	"Atlantic/Canary", "Africa/Casablanca", "Africa/Lagos", "Africa/Cairo", "Africa/Johannesburg", "Africa/Nairobi",
	"America/Mexico_City", "America/Bogota", "America/Lima", "America/Caracas", "America/Santiago",
	"America/Argentina/Buenos_Aires", "America/Montevideo", "America/Sao_Paulo", "America/Havana",
	"America/Santo_Domingo", "America/Puerto_Rico", "America/Guatemala", "America/Costa_Rica", "America/Panama",
	"America/New_York", "America/Chicago", "America/Denver", "America/Phoenix", "America/Los_Angeles",
	"America/Anchorage", "America/Toronto", "America/Vancouver", "Pacific/Honolulu",
	"Asia/Dubai", "Asia/Kolkata", "Asia/Bangkok", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore",
	"Asia/Manila", "Asia/Tokyo", "Asia/Seoul", "Australia/Perth", "Australia/Sydney", "Pacific/Auckland",
}
