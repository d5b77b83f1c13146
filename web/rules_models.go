package web

import (
	"context"
	"strings"

	"github.com/apartado/apartado/i18n"
)

// RulesView is the rules page: the user's rules in order, and the form
// that adds one (or, on a rule's own page, edits it).
type RulesView struct {
	Chrome
	Notice  string
	Undo    *UndoNotice // rules applied now: what changed, and its Undo
	Rules   []RuleRow
	Form    RuleForm
	Editing bool // the page of one rule: its form alone
}

// RuleRow is one rule in the list, its conditions and actions in words.
type RuleRow struct {
	ID          int64
	Name        string
	Conditions  []string
	Actions     []string
	MailboxGone bool // it moved into a mailbox that was deleted: it moves nothing until edited
	First, Last bool // no Up button on the first, no Down on the last
	URL         string
}

// RuleForm is the form of a rule; the *Error fields say what is wrong.
type RuleForm struct {
	Action        string // where it posts
	Name          string
	Accounts      []Option // the first is "any account"
	Sender        string
	Recipient     string
	Subject       string
	ListID        string
	HasAttachment bool
	Mailboxes     []Option // the first is "do not move"
	Star          bool
	MarkRead      bool
	Stop          bool
	Errors        RuleFormErrors
}

// RuleFormErrors are a rule form's errors, translated.
type RuleFormErrors struct {
	Form, Name, Account, Sender, Recipient, Subject, ListID, Mailbox, Actions string
}

// joinWords joins a rule's conditions or actions with "and", translated.
func joinWords(ctx context.Context, words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return i18n.T(ctx, "%s and %s", strings.Join(words[:len(words)-1], ", "), words[len(words)-1])
}
