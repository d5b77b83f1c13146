package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/web"
)

// The rules page, in Settings: the user's rules in order, with plain form
// posts to add, edit, delete, move up or down and apply one now.

const rulesPath = "/settings/rules"

// The outcomes of the rules page's forms (?done=).
const (
	doneRuleAdded   = "rule-added"
	doneRuleSaved   = "rule-saved"
	doneRuleDeleted = "rule-deleted"
	doneRuleApplied = "rule-applied"
)

var ruleNotices = map[string]string{
	doneRuleAdded:   i18n.Key("The rule was added. It sorts new mail from now on; “Apply” runs it on the inbox."),
	doneRuleSaved:   i18n.Key("The rule was saved."),
	doneRuleDeleted: i18n.Key("The rule was deleted."),
}

func (h *Handler) rulesService() *app.Rules { return app.NewRules(h.db) }

// rulesNotice is the sentence for the rules page's ?done= (and ?n=, how
// many messages applying changed).
func rulesNotice(r *http.Request) string {
	q := r.URL.Query()
	if q.Get("done") == doneRuleApplied {
		n, err := strconv.ParseInt(q.Get("n"), 10, 64)
		if err != nil || n < 0 {
			return ""
		}
		return i18n.T(r.Context(), "Applied to the inbox: %d messages changed.", n)
	}
	if key, ok := ruleNotices[q.Get("done")]; ok {
		return i18n.T(r.Context(), key)
	}
	return doneNotice(r) // after an Undo
}

// autoEmptyNotice says after how long the trash empties itself, or "".
func (h *Handler) autoEmptyNotice(r *http.Request) (string, error) {
	days, err := h.messages.EmptyAfterDays(r.Context(), currentUser(r).ID)
	if err != nil || days == 0 {
		return "", err
	}
	return i18n.T(r.Context(), "Messages in the trash for more than %d days are deleted automatically.", days), nil
}

// rules shows the user's rules and the form that adds one.
func (h *Handler) rules(w http.ResponseWriter, r *http.Request) {
	v, err := h.rulesView(r, app.RuleInput{}, nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v.Notice = rulesNotice(r)
	if v.Undo, err = h.undoNotice(r, currentUser(r).ID, rulesPath); err != nil {
		h.fail(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, web.RulesPage(v))
}

// editRuleForm shows one rule's form.
func (h *Handler) editRuleForm(w http.ResponseWriter, r *http.Request) {
	rule, ok := h.ruleOf(w, r)
	if !ok {
		return
	}
	v, err := h.ruleEditView(r, rule.ID, app.RuleInputOf(rule), nil)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if rule.MailboxGone() {
		v.Form.Errors.Mailbox = i18n.T(r.Context(), "The mailbox this rule moved mail into was deleted: it moves nothing until you choose another.")
	}
	h.render(w, r, http.StatusOK, web.RulesPage(v))
}

// createRule adds a rule from the form; a refused form comes back with
// what was typed and what is wrong.
func (h *Handler) createRule(w http.ResponseWriter, r *http.Request) {
	in, ok := h.ruleInput(w, r)
	if !ok {
		return
	}
	_, err := h.rulesService().Create(r.Context(), currentUser(r).ID, in)
	if inv, bad := app.AsInvalid(err); bad {
		v, err := h.rulesView(r, in, inv)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, web.RulesPage(v))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, rulesPath+"?done="+doneRuleAdded)
}

// updateRule saves a rule's form.
func (h *Handler) updateRule(w http.ResponseWriter, r *http.Request) {
	rule, ok := h.ruleOf(w, r)
	if !ok {
		return
	}
	in, ok := h.ruleInput(w, r)
	if !ok {
		return
	}
	err := h.rulesService().Update(r.Context(), currentUser(r).ID, rule.ID, in)
	if inv, bad := app.AsInvalid(err); bad {
		v, err := h.ruleEditView(r, rule.ID, in, inv)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, http.StatusUnprocessableEntity, web.RulesPage(v))
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, rulesPath+"?done="+doneRuleSaved)
}

// deleteRule deletes a rule.
func (h *Handler) deleteRule(w http.ResponseWriter, r *http.Request) {
	rule, ok := h.ruleOf(w, r)
	if !ok {
		return
	}
	if err := h.rulesService().Delete(r.Context(), currentUser(r).ID, rule.ID); err != nil {
		h.fail(w, r, err)
		return
	}
	redirect(w, r, rulesPath+"?done="+doneRuleDeleted)
}

// moveRule moves a rule one place up or down.
func (h *Handler) moveRule(up bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rule, ok := h.ruleOf(w, r)
		if !ok {
			return
		}
		if err := h.rulesService().Move(r.Context(), currentUser(r).ID, rule.ID, up); err != nil {
			h.fail(w, r, err)
			return
		}
		redirect(w, r, rulesPath+"#rule-"+strconv.FormatInt(rule.ID, 10))
	}
}

// applyRule runs one rule on the inbox now.
func (h *Handler) applyRule(w http.ResponseWriter, r *http.Request) {
	rule, ok := h.ruleOf(w, r)
	if !ok {
		return
	}
	h.applyRules(w, r, rule.ID)
}

// applyAllRules runs every rule on the inbox now.
func (h *Handler) applyAllRules(w http.ResponseWriter, r *http.Request) { h.applyRules(w, r, 0) }

func (h *Handler) applyRules(w http.ResponseWriter, r *http.Request, ruleID int64) {
	out, err := h.rulesService().ApplyNow(r.Context(), currentUser(r).ID, ruleID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if out.Undo != "" {
		redirect(w, r, rulesPath+"?undo="+url.QueryEscape(out.Undo))
		return
	}
	redirect(w, r, rulesPath+"?done="+doneRuleApplied+"&n="+strconv.FormatInt(out.Count, 10))
}

// ruleOf returns the user's rule the URL names, or answers 404.
func (h *Handler) ruleOf(w http.ResponseWriter, r *http.Request) (db.Rule, bool) {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		h.notFound(w, r)
		return db.Rule{}, false
	}
	rule, err := h.rulesService().Get(r.Context(), currentUser(r).ID, id)
	if errors.Is(err, db.ErrNotFound) {
		h.notFound(w, r)
		return db.Rule{}, false
	}
	if err != nil {
		h.fail(w, r, err)
		return db.Rule{}, false
	}
	return rule, true
}

// ruleInput reads a rule's form. A select's value that is not a number is
// a forged form: 400.
func (h *Handler) ruleInput(w http.ResponseWriter, r *http.Request) (app.RuleInput, bool) {
	if err := r.ParseForm(); err != nil {
		h.badRequest(w, r)
		return app.RuleInput{}, false
	}
	f := r.PostForm
	in := app.RuleInput{Name: f.Get("name"), Sender: f.Get("sender"), Recipient: f.Get("recipient"), Subject: f.Get("subject"),
		ListID: f.Get("list_id"), HasAttachment: f.Get("has_attachment") == "1", Star: f.Get("star") == "1",
		MarkRead: f.Get("mark_read") == "1", Stop: f.Get("stop") == "1"}
	for _, sel := range []struct {
		name string
		out  *int64
	}{{"account", &in.AccountID}, {"mailbox", &in.MailboxID}} {
		if s := f.Get(sel.name); s != "" {
			id, err := strconv.ParseInt(s, 10, 64)
			if err != nil || id < 0 {
				h.badRequest(w, r)
				return app.RuleInput{}, false
			}
			*sel.out = id
		}
	}
	return in, true
}

// rulesView is the rules page with the new rule's form filled with in and
// marked with inv's problems.
func (h *Handler) rulesView(r *http.Request, in app.RuleInput, inv *app.Invalid) (web.RulesView, error) {
	ctx := r.Context()
	u := currentUser(r)
	chrome, err := h.userChrome(r, i18n.T(ctx, "Rules"), web.SectionSettings)
	if err != nil {
		return web.RulesView{}, err
	}
	v := web.RulesView{Chrome: chrome}
	rules, err := h.rulesService().List(ctx, u.ID)
	if err != nil {
		return v, err
	}
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		return v, err
	}
	boxes, err := h.db.Mailboxes(ctx, u.ID)
	if err != nil {
		return v, err
	}
	for i, rule := range rules {
		v.Rules = append(v.Rules, ruleRow(ctx, rule, accounts, boxes, i == 0, i == len(rules)-1))
	}
	v.Form = ruleForm(ctx, rulesPath, in, inv, accounts, boxes)
	return v, nil
}

// ruleEditView is the page of one rule, its form filled with in.
func (h *Handler) ruleEditView(r *http.Request, id int64, in app.RuleInput, inv *app.Invalid) (web.RulesView, error) {
	ctx := r.Context()
	u := currentUser(r)
	chrome, err := h.userChrome(r, i18n.T(ctx, "Edit the rule"), web.SectionSettings)
	if err != nil {
		return web.RulesView{}, err
	}
	accounts, err := h.db.Accounts(ctx, u.ID)
	if err != nil {
		return web.RulesView{}, err
	}
	boxes, err := h.db.Mailboxes(ctx, u.ID)
	if err != nil {
		return web.RulesView{}, err
	}
	return web.RulesView{Chrome: chrome, Editing: true,
		Form: ruleForm(ctx, rulePath(id), in, inv, accounts, boxes)}, nil
}

func rulePath(id int64) string { return rulesPath + "/" + strconv.FormatInt(id, 10) }

// mailboxPath is how the rules page names a mailbox: by its label (a
// system one's translated), one inside another after its parent.
func mailboxPath(ctx context.Context, b db.Mailbox, boxes []db.Mailbox) string {
	if b.ParentID != 0 {
		for _, p := range boxes {
			if p.ID == b.ParentID {
				return mailboxLabel(ctx, p) + " / " + b.Name
			}
		}
	}
	return mailboxLabel(ctx, b)
}

// ruleRow puts a rule in words.
func ruleRow(ctx context.Context, rule db.Rule, accounts []db.Account, boxes []db.Mailbox, first, last bool) web.RuleRow {
	row := web.RuleRow{ID: rule.ID, Name: rule.Name, MailboxGone: rule.MailboxGone(), First: first, Last: last, URL: rulePath(rule.ID)}
	if rule.AccountID != 0 {
		for _, a := range accounts {
			if a.ID == rule.AccountID {
				row.Conditions = append(row.Conditions, i18n.T(ctx, "it came to %s", a.Name))
			}
		}
	}
	for _, c := range []struct{ key, text string }{
		{i18n.Key("the sender contains “%s”"), rule.Sender},
		{i18n.Key("To or Cc contains “%s”"), rule.Recipient},
		{i18n.Key("the subject contains “%s”"), rule.Subject},
		{i18n.Key("the list contains “%s”"), rule.ListID},
	} {
		if c.text != "" {
			row.Conditions = append(row.Conditions, i18n.T(ctx, c.key, c.text))
		}
	}
	if rule.HasAttachment {
		row.Conditions = append(row.Conditions, i18n.T(ctx, "it has an attachment"))
	}
	if rule.Move && rule.MailboxID != 0 {
		for _, b := range boxes {
			if b.ID == rule.MailboxID {
				row.Actions = append(row.Actions, i18n.T(ctx, "move it to %s", mailboxPath(ctx, b, boxes)))
			}
		}
	}
	if rule.Star {
		row.Actions = append(row.Actions, i18n.T(ctx, "star it"))
	}
	if rule.MarkRead {
		row.Actions = append(row.Actions, i18n.T(ctx, "mark it read"))
	}
	if rule.Stop {
		row.Actions = append(row.Actions, i18n.T(ctx, "apply no later rule"))
	}
	return row
}

// ruleForm fills a rule's form with in, offering the user's accounts and
// the mailboxes rules may move into, with inv's problems translated.
func ruleForm(ctx context.Context, action string, in app.RuleInput, inv *app.Invalid, accounts []db.Account, boxes []db.Mailbox) web.RuleForm {
	f := web.RuleForm{Action: action, Name: in.Name, Sender: in.Sender, Recipient: in.Recipient, Subject: in.Subject,
		ListID: in.ListID, HasAttachment: in.HasAttachment, Star: in.Star, MarkRead: in.MarkRead, Stop: in.Stop}
	f.Accounts = append(f.Accounts, web.Option{Value: "", Label: i18n.T(ctx, "Any account"), Selected: in.AccountID == 0})
	for _, a := range accounts {
		f.Accounts = append(f.Accounts, web.Option{Value: strconv.FormatInt(a.ID, 10), Label: a.Name, Selected: a.ID == in.AccountID})
	}
	f.Mailboxes = append(f.Mailboxes, web.Option{Value: "", Label: i18n.T(ctx, "Do not move"), Selected: in.MailboxID == 0})
	for _, b := range boxes {
		if app.RuleTarget(b) {
			f.Mailboxes = append(f.Mailboxes, web.Option{Value: strconv.FormatInt(b.ID, 10), Label: mailboxPath(ctx, b, boxes),
				Selected: b.ID == in.MailboxID})
		}
	}
	if inv != nil {
		e := &f.Errors
		e.Name, e.Account = problemOn(ctx, inv, app.FieldRuleName), problemOn(ctx, inv, app.FieldRuleAccount)
		e.Sender, e.Recipient = problemOn(ctx, inv, app.FieldRuleSender), problemOn(ctx, inv, app.FieldRuleTo)
		e.Subject, e.ListID = problemOn(ctx, inv, app.FieldRuleSubject), problemOn(ctx, inv, app.FieldRuleListID)
		e.Mailbox, e.Actions = problemOn(ctx, inv, app.FieldRuleMailbox), problemOn(ctx, inv, app.FieldRuleActions)
		e.Form = problemOn(ctx, inv, "")
		if e.Form == "" && len(inv.Fields()) > 0 {
			e.Form = i18n.T(ctx, "The rule was not saved. Check the fields marked below.")
		}
	}
	return f
}
