package handlers

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/apartado/apartado/db"
)

// ruleNamesOnPage lists the rules page's rules by name, in order.
func ruleNamesOnPage(t *testing.T, c *client) []string {
	t.Helper()
	r := c.get(rulesPath)
	wantStatus(t, r, http.StatusOK)
	var names []string
	for _, n := range byTestID(r.doc(t), "rule-name") {
		names = append(names, text(n))
	}
	return names
}

func TestRulesPageWithoutJavaScript(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Casa")
	box, err := app.db.CreateMailbox(ctx, u.ID, "Listas", 0)
	if err != nil {
		t.Fatal(err)
	}
	news := app.addMessage(acc, "From: Boletín <news@example.org>\nList-Id: Noticias <noticias.example.org>\nSubject: Número 1\n\nHola\n", app.clock.Now())
	other := app.addMessage(acc, "From: José <jose@example.com>\nSubject: Cena\n\nHola\n", app.clock.Now())
	c := app.login("ana", "correct horse")

	r := c.get(rulesPath)
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	one(t, doc, "no-rules")
	// The form offers the user's account and the mailboxes rules may
	// move into, not the inbox, Sent or Drafts.
	form := one(t, doc, "rule-form")
	var boxes []string
	walk(form, func(n *html.Node) {
		if n.Data == "option" && attr(n.Parent, "name") == "mailbox" {
			boxes = append(boxes, text(n))
		}
	})
	if got := strings.Join(boxes, "|"); got != "Do not move|Archive|Junk|Trash|Listas" {
		t.Errorf("mailboxes offered: %s", got)
	}

	// No condition: refused, what was typed kept, the error in words.
	r = c.post(rulesPath, url.Values{"name": {"Todo"}, "star": {"1"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc = r.doc(t)
	if got := text(one(t, doc, "form-error")); !strings.Contains(got, "at least one condition") {
		t.Errorf("error: %q", got)
	}
	if v, _, _ := inputValue(doc, "name"); v != "Todo" {
		t.Errorf("name kept as %q", v)
	}
	// A mailbox that is not the user's, or a forged select.
	r = c.post(rulesPath, url.Values{"name": {"x"}, "sender": {"a"}, "mailbox": {"99999"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := text(one(t, r.doc(t), "error-rule_mailbox")); !strings.Contains(got, "That mailbox is gone") {
		t.Errorf("mailbox error: %q", got)
	}
	wantStatus(t, c.post(rulesPath, url.Values{"name": {"x"}, "sender": {"a"}, "mailbox": {"Listas"}}), http.StatusBadRequest)

	mailbox := strconv.FormatInt(box.ID, 10)
	for _, f := range []url.Values{
		{"name": {"Listas"}, "list_id": {"NOTICIAS"}, "mailbox": {mailbox}, "mark_read": {"1"}},
		{"name": {"José"}, "sender": {"jose"}, "account": {strconv.FormatInt(acc.ID, 10)}, "star": {"1"}, "stop": {"1"}},
	} {
		wantRedirect(t, c.post(rulesPath, f), rulesPath+"?done="+doneRuleAdded)
	}
	r = c.get(rulesPath + "?done=" + doneRuleAdded)
	doc = r.doc(t)
	one(t, doc, "notice")
	rules := byTestID(doc, "rule")
	if len(rules) != 2 {
		t.Fatalf("%d rules listed", len(rules))
	}
	if got := text(byTestID(rules[0], "rule-conditions")[0]); got != "the list contains “NOTICIAS”" {
		t.Errorf("conditions: %q", got)
	}
	if got := text(byTestID(rules[0], "rule-actions")[0]); got != "move it to Listas and mark it read" {
		t.Errorf("actions: %q", got)
	}
	if got := text(byTestID(rules[1], "rule-conditions")[0]); got != "it came to Casa and the sender contains “jose”" {
		t.Errorf("conditions: %q", got)
	}
	// The first has no Up, the last no Down.
	none(t, rules[0], "rule-up")
	none(t, rules[1], "rule-down")
	ids := make([]string, 2)
	for i, n := range rules {
		ids[i] = attr(n, "data-rule-id")
	}
	wantRedirect(t, c.post(rulesPath+"/"+ids[1]+"/up", nil), rulesPath+"#rule-"+ids[1])
	if got := strings.Join(ruleNamesOnPage(t, c), ","); got != "José,Listas" {
		t.Fatalf("after Up: %s", got)
	}
	wantRedirect(t, c.post(rulesPath+"/"+ids[1]+"/down", nil), rulesPath+"#rule-"+ids[1])
	if got := strings.Join(ruleNamesOnPage(t, c), ","); got != "Listas,José" {
		t.Fatalf("after Down: %s", got)
	}

	// Apply one now: it says how many messages changed, and can be undone.
	for round := range 2 {
		undo := wantUndoable(t, c.post(rulesPath+"/"+ids[0]+"/apply", nil), rulesPath)
		doc := c.get(rulesPath + "?undo=" + undo).doc(t)
		if got := text(one(t, doc, "notice-text")); got != "Applied to the inbox: 1 message changed." {
			t.Errorf("notice: %q", got)
		}
		if m, _ := app.db.Message(ctx, u.ID, news); m.MailboxID != box.ID || !m.Flags.Has(db.FlagSeen) {
			t.Errorf("the list message after applying: %+v", m)
		}
		if round == 1 {
			break
		}
		wantRedirect(t, c.post(undoPath, url.Values{"undo": {undo}, "return": {rulesPath + "?undo=" + undo}}),
			rulesPath+"?done="+doneUndone)
		if m, _ := app.db.Message(ctx, u.ID, news); m.MailboxID == box.ID || m.Flags.Has(db.FlagSeen) {
			t.Errorf("the list message after Undo: %+v", m)
		}
		if got := text(one(t, c.get(rulesPath+"?done="+doneUndone).doc(t), "notice")); got != "Undone: the messages are back as they were." {
			t.Errorf("notice after Undo: %q", got)
		}
	}
	wantUndoable(t, c.post(rulesPath+"/apply", nil), rulesPath)
	if m, _ := app.db.Message(ctx, u.ID, other); !m.Flags.Has(db.FlagFlagged) {
		t.Errorf("José's message after applying all: %+v", m)
	}

	// Edit: the form comes back filled; a bad edit is refused and kept.
	r = c.get(rulesPath + "/" + ids[1])
	wantStatus(t, r, http.StatusOK)
	doc = r.doc(t)
	if v, _, _ := inputValue(doc, "sender"); v != "jose" {
		t.Errorf("edit form's sender: %q", v)
	}
	if got := selectedOption(doc, "account"); got != strconv.FormatInt(acc.ID, 10) {
		t.Errorf("edit form's account: %q", got)
	}
	r = c.post(rulesPath+"/"+ids[1], url.Values{"name": {"José"}, "sender": {"jose"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	one(t, r.doc(t), "error-rule_actions")
	wantRedirect(t, c.post(rulesPath+"/"+ids[1], url.Values{"name": {"Pepe"}, "sender": {"pepe"}, "mark_read": {"1"}}),
		rulesPath+"?done="+doneRuleSaved)
	if got := strings.Join(ruleNamesOnPage(t, c), ","); got != "Listas,Pepe" {
		t.Fatalf("after editing: %s", got)
	}

	// The mailbox goes: the rule says so, on the list and on its form.
	if _, err := app.db.MoveMessages(ctx, u.ID, []int64{news}, func() int64 {
		b, _ := app.db.MailboxByRole(ctx, u.ID, db.MailboxInbox)
		return b.ID
	}()); err != nil {
		t.Fatal(err)
	}
	if err := app.db.DeleteMailbox(ctx, u.ID, box.ID); err != nil {
		t.Fatal(err)
	}
	r = c.get(rulesPath)
	one(t, r.doc(t), "rule-mailbox-gone")
	r = c.get(rulesPath + "/" + ids[0])
	one(t, r.doc(t), "error-rule_mailbox")

	// Someone else's rule is not found; delete.
	app.addUser("bea", "correct horse", db.RoleMember)
	cb := app.login("bea", "correct horse")
	wantStatus(t, cb.get(rulesPath+"/"+ids[0]), http.StatusNotFound)
	wantStatus(t, cb.post(rulesPath+"/"+ids[0]+"/delete", nil), http.StatusNotFound)
	wantRedirect(t, c.post(rulesPath+"/"+ids[0]+"/delete", nil), rulesPath+"?done="+doneRuleDeleted)
	if got := strings.Join(ruleNamesOnPage(t, c), ","); got != "Pepe" {
		t.Fatalf("after deleting: %s", got)
	}
}

func TestRulesPageSpanish(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	app.addAccount(u.ID, "Casa")
	c := app.login("ana", "correct horse")
	c.header.Set("Accept-Language", "es")
	r := c.get(rulesPath)
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	if got := text(one(t, doc, "no-rules")); got != "Aún no hay reglas. Añade una abajo." {
		t.Errorf("empty list: %q", got)
	}
	if got := text(one(t, doc, "rule-submit")); got != "Añadir la regla" {
		t.Errorf("button: %q", got)
	}
	r = c.post(rulesPath, url.Values{"name": {"Todo"}, "star": {"1"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	if got := text(one(t, r.doc(t), "form-error")); !strings.HasPrefix(got, "Dale a la regla al menos una condición") {
		t.Errorf("error: %q", got)
	}
	wantRedirect(t, c.post(rulesPath, url.Values{"name": {"Canción"}, "subject": {"cancion"}, "star": {"1"}}), rulesPath+"?done="+doneRuleAdded)
	r = c.get(rulesPath + "?done=" + doneRuleApplied + "&n=3")
	doc = r.doc(t)
	if got := text(one(t, doc, "notice")); got != "Aplicado a la bandeja de entrada: cambiaron 3 mensajes." {
		t.Errorf("notice: %q", got)
	}
	if got := text(one(t, doc, "rule-actions")); got != "destacarlo" {
		t.Errorf("actions: %q", got)
	}
}

func TestTrashEmptiesItselfSetting(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	acc := app.addAccount(u.ID, "Casa")
	app.addMessage(acc, "Subject: x\n\nx\n", time.Now())
	c := app.login("ana", "correct horse")
	for lang, want := range map[string]string{
		"en": "Messages in the trash for more than 30 days are deleted automatically.",
		"es": "Los mensajes que llevan más de 30 días en la papelera se eliminan automáticamente.",
	} {
		c.header.Set("Accept-Language", lang)
		r := c.get(trashPath)
		wantStatus(t, r, http.StatusOK)
		if got := text(one(t, r.doc(t), "auto-empty")); got != want {
			t.Errorf("%s: %q", lang, got)
		}
	}
	c.header.Set("Accept-Language", "en")
	r := c.get("/settings")
	if v, _, _ := inputValue(r.doc(t), "empty_after_days"); v != "30" {
		t.Errorf("setting shown as %q", v)
	}
	// A bad number is refused with the other fields kept.
	r = c.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {"Europe/Madrid"}, "empty_after_days": {"-3"}})
	wantStatus(t, r, http.StatusUnprocessableEntity)
	doc := r.doc(t)
	if got := text(one(t, doc, "error-empty_after_days")); !strings.Contains(got, "from 0 (never) to 3,650") {
		t.Errorf("error: %q", got)
	}
	if v, _, _ := inputValue(doc, "timezone"); v != "Europe/Madrid" {
		t.Errorf("time zone kept as %q", v)
	}
	wantRedirect(t, c.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {""}, "empty_after_days": {"0"}}),
		"/settings?done="+donePrefsSaved)
	none(t, c.get(trashPath).doc(t), "auto-empty")
	// A form without the field leaves it alone.
	wantRedirect(t, c.post("/settings/preferences", url.Values{"locale": {""}, "timezone": {""}}), "/settings?done="+donePrefsSaved)
	if days, err := app.db.EmptyAfterDays(context.Background(), u.ID); err != nil || days != 0 {
		t.Fatalf("days %d, %v", days, err)
	}
}
