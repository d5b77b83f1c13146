package handlers

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/apartado/apartado/db"
)

// retentionCase is one combination of the account form's retention
// choices, what is stored for it and what the edit form shows back.
type retentionCase struct {
	name string
	form []string // form fields on top of accountForm's
	// Stored.
	deleteNow bool
	days      int
	when      db.DeleteWhenDeleted
	phrase    string // on the settings page
}

var retentionCases = []retentionCase{
	{"keep", []string{"retention", "keep"}, false, 0, db.DeleteNever, "A copy of your mail stays on the server."},
	{"keep, old form", []string{"retention", "keep", "when_deleted", ""}, false, 0, db.DeleteNever, "A copy of your mail stays on the server."},
	{"keep, days", []string{"retention", "keep", "after_days_on", "1", "after_days", "30"}, false, 30, db.DeleteNever, "A copy stays on the server, deleted there 30 days after downloading it."},
	{"keep, days unticked", []string{"retention", "keep", "after_days", "30"}, false, 0, db.DeleteNever, "A copy of your mail stays on the server."},
	{"keep, trash", []string{"retention", "keep", "when_deleted", "trash_emptied"}, false, 0, db.DeleteTrashEmptied, "A copy stays on the server, deleted there when it leaves the trash here."},
	{"keep, at once", []string{"retention", "keep", "when_deleted", "immediately"}, false, 0, db.DeleteImmediately, "A copy stays on the server, deleted there when you delete it here."},
	{"keep, days and trash", []string{"retention", "keep", "after_days_on", "1", "after_days", " 1 ", "when_deleted", "trash_emptied"}, false, 1, db.DeleteTrashEmptied, "A copy stays on the server, deleted there 1 day after downloading it or when it leaves the trash here, whichever comes first."},
	{"keep, days and at once", []string{"retention", "keep", "after_days_on", "1", "after_days", "3650", "when_deleted", "immediately"}, false, 3650, db.DeleteImmediately, "A copy stays on the server, deleted there 3,650 days after downloading it or when you delete it here, whichever comes first."},
	{"delete", []string{"retention", "delete"}, true, 0, db.DeleteNever, "Mail is deleted from the server once stored here."},
	// With "delete" the additions do not apply and are not stored.
	{"delete, additions ignored", []string{"retention", "delete", "after_days_on", "1", "after_days", "0", "when_deleted", "bogus"}, true, 0, db.DeleteNever, "Mail is deleted from the server once stored here."},
}

func (tc retentionCase) check(t *testing.T, app *testApp, c *client, userID, id int64) {
	t.Helper()
	a, err := app.db.Account(context.Background(), userID, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.DeleteAfterDownload != tc.deleteNow || a.DeleteAfterDays != tc.days || a.DeleteWhenDeleted != tc.when {
		t.Fatalf("stored delete=%v days=%d when=%q, want %v %d %q", a.DeleteAfterDownload, a.DeleteAfterDays, a.DeleteWhenDeleted, tc.deleteNow, tc.days, tc.when)
	}
	// The edit form shows the stored choices back.
	r := c.get("/settings/accounts/" + strconv.FormatInt(id, 10))
	wantStatus(t, r, http.StatusOK)
	doc := r.doc(t)
	wantRetention := map[bool]string{false: "keep", true: "delete"}[tc.deleteNow]
	if got := checkedRadio(doc, "retention"); got != wantRetention {
		t.Errorf("edit form: retention %q, want %q", got, wantRetention)
	}
	on, days := checkedRadio(doc, "after_days_on") == "1", ""
	if tc.days > 0 {
		days = strconv.Itoa(tc.days)
	}
	if v, found, _ := inputValue(doc, "after_days"); !found || v != days || on != (tc.days > 0) {
		t.Errorf("edit form: days box %v, field %q (found %v), want %d", on, v, found, tc.days)
	}
	if got := selectedOption(doc, "when_deleted"); got != string(tc.when) {
		t.Errorf("edit form: when deleted %q, want %q", got, tc.when)
	}
	// The settings page sums it up in the account's row.
	found := false
	for _, acc := range byTestID(c.get("/settings").doc(t), "account") {
		if attr(acc, "data-account-id") == strconv.FormatInt(id, 10) {
			found = true
			if got := text(one(t, acc, "account-retention")); got != tc.phrase {
				t.Errorf("settings page: %q, want %q", got, tc.phrase)
			}
		}
	}
	if !found {
		t.Error("the account is not on the settings page")
	}
}

func TestAccountRetentionChoices(t *testing.T) {
	app := newApp(t)
	ctx := context.Background()
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")

	// A new form offers keep, nothing more, and every "when deleted here" choice.
	doc := c.get("/settings/accounts/new?manual=1").doc(t)
	if checkedRadio(doc, "retention") != "keep" || checkedRadio(doc, "after_days_on") != "" || selectedOption(doc, "when_deleted") != "never" {
		t.Error("new form: not keep-only by default")
	}
	one(t, doc, "retention-more")

	for i, tc := range retentionCases {
		t.Run(tc.name, func(t *testing.T) {
			r := c.post("/settings/accounts/new", accountForm(append(tc.form, "force", "1")...))
			wantRedirect(t, r, "/settings?done="+doneAccountAdded)
			accs, err := app.db.Accounts(ctx, u.ID)
			if err != nil || len(accs) != i+1 {
				t.Fatalf("accounts %d, %v", len(accs), err)
			}
			var id int64
			for _, a := range accs {
				id = max(id, a.ID)
			}
			tc.check(t, app, c, u.ID, id)

			// Editing replaces every choice: switch to the next case.
			next := retentionCases[(i+1)%len(retentionCases)]
			r = c.post("/settings/accounts/"+strconv.FormatInt(id, 10), accountForm(append(next.form, "password", "", "force", "1")...))
			wantRedirect(t, r, "/settings?done="+doneAccountSaved)
			next.check(t, app, c, u.ID, id)
		})
	}
}

func TestAccountRetentionValidation(t *testing.T) {
	app := newApp(t)
	u := app.addUser("ana", "correct horse", db.RoleMember)
	c := app.login("ana", "correct horse")
	for _, tc := range []struct {
		field string
		form  []string
	}{
		{"error-after_days", []string{"after_days_on", "1", "after_days", ""}},
		{"error-after_days", []string{"after_days_on", "1", "after_days", "0"}},
		{"error-after_days", []string{"after_days_on", "1", "after_days", "3651"}},
		{"error-after_days", []string{"after_days_on", "1", "after_days", "-5"}},
		{"error-after_days", []string{"after_days_on", "1", "after_days", "ten"}},
		{"error-when_deleted", []string{"when_deleted", "sometimes"}},
	} {
		form := accountForm(append(tc.form, "when_deleted", "trash_emptied", "force", "1")...)
		if tc.field == "error-when_deleted" {
			form = accountForm(append(tc.form, "force", "1")...)
		}
		r := c.post("/settings/accounts/new", form)
		wantStatus(t, r, http.StatusUnprocessableEntity)
		doc := r.doc(t)
		one(t, doc, tc.field)
		one(t, doc, "form-error")
		// The input is kept.
		if checkedRadio(doc, "retention") != "keep" {
			t.Errorf("%v: retention not kept", tc.form)
		}
		if tc.field == "error-after_days" {
			if v, _, _ := inputValue(doc, "after_days"); v != form.Get("after_days") || checkedRadio(doc, "after_days_on") != "1" {
				t.Errorf("%v: days input not kept: %q", tc.form, v)
			}
			if selectedOption(doc, "when_deleted") != "trash_emptied" {
				t.Errorf("%v: when-deleted choice not kept", tc.form)
			}
		}
	}
	if accs, _ := app.db.Accounts(context.Background(), u.ID); len(accs) != 0 {
		t.Fatal("an invalid account was stored")
	}
}

// A connection test keeps the retention choices in the form it shows
// again and in the fix forms it offers.
func TestConnectionTestKeepsRetention(t *testing.T) {
	app := newApp(t)
	app.addUser("ana", "correct horse", db.RoleAdmin) // members may not connect to loopback (dialguard.go)
	c := app.login("ana", "correct horse")
	port := closedLoopbackPort(t)
	r := c.post("/settings/accounts/test", testForm("port", port, "after_days_on", "1", "after_days", "14", "when_deleted", "immediately"))
	doc := r.doc(t)
	one(t, doc, "account-form")
	if v, _, _ := inputValue(doc, "after_days"); v != "14" || checkedRadio(doc, "after_days_on") != "1" || selectedOption(doc, "when_deleted") != "immediately" {
		t.Errorf("the form lost the retention choices: days %q", v)
	}
	fix := findFix(t, doc, "127.0.0.1", "110", "starttls")
	for field, want := range map[string]string{"retention": "keep", "after_days_on": "1", "after_days": "14", "when_deleted": "immediately"} {
		if got := fix.fields.Get(field); got != want {
			t.Errorf("fix field %s = %q, want %q", field, got, want)
		}
	}
}
