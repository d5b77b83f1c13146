package handlers

import (
	"net"
	"net/http"
	"strconv"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/diagnose"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/poller"
	"github.com/apartado/apartado/pop3client"
	"github.com/apartado/apartado/web"
)

// settings shows the accounts with their status and the user's own
// password and preference forms.
func (h *Handler) settings(w http.ResponseWriter, r *http.Request) {
	v, err := h.settingsView(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Notice = doneNotice(r)
	h.render(w, r, http.StatusOK, web.SettingsPage(v))
}

func (h *Handler) settingsView(r *http.Request) (web.SettingsView, error) {
	u := currentUser(r)
	accounts, err := h.db.Accounts(r.Context(), u.ID)
	if err != nil {
		return web.SettingsView{}, err
	}
	v := web.SettingsView{
		Chrome:      h.chrome(r, i18n.T(r.Context(), "Settings"), web.SectionSettings, 0, accounts),
		Preferences: h.preferencesForm(r, u.Locale, u.TimeZone, u.AfterAction, u.Shortcuts, u.Conversations),
	}
	for _, a := range accounts {
		v.Accounts = append(v.Accounts, h.accountStatus(r, a))
	}
	days, err := h.messages.EmptyAfterDays(r.Context(), u.ID)
	if err != nil {
		return web.SettingsView{}, err
	}
	v.Preferences.EmptyAfterDays = strconv.Itoa(days)
	if u.IsAdmin() {
		alerts, err := h.alertsForm(r, accounts)
		if err != nil {
			return web.SettingsView{}, err
		}
		v.Alerts = &alerts
	}
	if v.Notifications, err = h.notificationsView(r, accounts); err != nil {
		return web.SettingsView{}, err
	}
	return v, nil
}

// alertsForm offers the administrator's accounts that can send as the
// one alerts about failing accounts come from and to.
func (h *Handler) alertsForm(r *http.Request, accounts []db.Account) (web.AlertsForm, error) {
	ctx := r.Context()
	chosen, err := h.db.AlertAccount(ctx, currentUser(r).ID)
	if err != nil {
		return web.AlertsForm{}, err
	}
	f := web.AlertsForm{Options: []web.Option{{Value: "0", Label: i18n.T(ctx, "Do not send alerts"), Selected: chosen == 0}}}
	for _, a := range accounts {
		if a.Outgoing.Configured() {
			f.Options = append(f.Options, web.Option{Value: strconv.FormatInt(a.ID, 10),
				Label: i18n.T(ctx, "To me, at %s", a.Email), Selected: a.ID == chosen})
		}
	}
	return f, nil
}

// saveAlerts sets the account an administrator's alerts are sent from
// and to (0: none); only one with an outgoing server.
func (h *Handler) saveAlerts(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return
	}
	id, err := strconv.ParseInt(r.PostForm.Get("account"), 10, 64)
	if err != nil || id < 0 {
		h.badRequest(w, r)
		return
	}
	u := currentUser(r)
	if id != 0 {
		a, err := h.db.Account(ctx, u.ID, id)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		if !a.Outgoing.Configured() {
			h.badRequest(w, r)
			return
		}
	}
	if err := h.db.SetAlertAccount(ctx, u.ID, id); err != nil {
		h.fail(w, r, err)
		return
	}
	h.log.Info("alerts about failing accounts", "user", u.Name, "account", id)
	redirect(w, r, "/settings?done="+doneAlertsSaved)
}

// ---- account status ----

func (h *Handler) accountStatus(r *http.Request, a db.Account) web.AccountStatus {
	s := web.AccountStatus{
		ID:        a.ID,
		Name:      a.Name,
		Email:     a.Email,
		Server:    net.JoinHostPort(a.Host, strconv.Itoa(a.Port)),
		Security:  securityLabel(r, a.Security),
		Insecure:  app.ServerOf(a).Security == pop3client.SecurityNone,
		Messages:  a.MessageCount,
		Unread:    a.UnreadCount,
		EditURL:   accountURL(r, a.ID),
		CheckURL:  accountURL(r, a.ID) + "/check",
		Retention: retentionPhrase(r, a.AccountSettings),
		Progress:  h.syncProgress(r, a),
		Counts:    h.serverCounts(r, a),
	}
	s.ExpireWarning = expireWarning(r, a)
	if a.TrustedCert != "" {
		s.TrustedCert = diagnose.FormatFingerprint(a.TrustedCert)
	}
	h.accountHealth(r, a, &s)
	return s
}

// accountHealth sets how an account fares on s: its state, its last
// successful check, and when it fails, since when and why (the diagnosis).
// The settings page and the household page show it alike.
func (h *Handler) accountHealth(r *http.Request, a db.Account, s *web.AccountStatus) {
	ctx := r.Context()
	loc, tz := i18n.FromContext(ctx), state(r).tz
	if a.LastSuccess != nil {
		s.LastSuccess = loc.Date(*a.LastSuccess, tz)
	}
	switch {
	case !a.Enabled:
		s.State = "disabled"
	case a.LastErrorKind != "":
		s.State = "failing"
		d := h.lastFailure(a)
		dv := h.diagnosisView(r, d, func(f diagnose.Fix) web.FixView { return h.fixLink(r, a, f) })
		if a.FailingSince != nil {
			s.FailingSince = loc.Date(*a.FailingSince, tz)
			dv.FailingSince = s.FailingSince
		}
		s.Diagnosis = &dv
		if a.AuthFailures >= poller.MaxAuthFailures {
			s.State = "stopped"
			s.Error = i18n.T(ctx, "Checking has stopped so that your provider does not block you. Correct the password and save the account to start again.")
		}
	case a.LastSuccess == nil:
		s.State = "pending"
	default:
		s.State = "ok"
	}
}

// lastFailure explains the error an account's last check recorded.
func (h *Handler) lastFailure(a db.Account) diagnose.Diagnosis {
	return app.LastFailure(a, h.now())
}

func securityLabel(r *http.Request, security string) string {
	switch sec, _ := pop3client.ParseSecurity(security); sec {
	case pop3client.SecurityTLS:
		return i18n.T(r.Context(), "SSL/TLS")
	case pop3client.SecuritySTARTTLS:
		return i18n.T(r.Context(), "STARTTLS")
	}
	return i18n.T(r.Context(), "not encrypted")
}
