package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/i18n"
	"github.com/apartado/apartado/message"
)

// Rules: a user's ordered rules sort mail as it arrives (the poller places
// each new message where RuleSet says, in the transaction that stores it)
// and, on demand, the mail already in the inbox.

// Limits of a rule.
const (
	MaxRules       = 100 // per user
	MaxRuleName    = 100 // characters
	MaxRuleText    = 200 // characters of each text condition
	RuleApplyBatch = 500 // messages read and changed per transaction when applying rules on demand
)

// Input fields of a rule.
const (
	FieldRuleName    = "rule_name"
	FieldRuleAccount = "rule_account"
	FieldRuleSender  = "rule_sender"
	FieldRuleTo      = "rule_recipient"
	FieldRuleSubject = "rule_subject"
	FieldRuleListID  = "rule_list_id"
	FieldRuleMailbox = "rule_mailbox"
	FieldRuleActions = "rule_actions"
)

// RuleMessage is a message as the rules see it: its stored summary.
type RuleMessage struct {
	AccountID      int64
	FromName       string
	FromAddr       string
	To             string
	Cc             string
	Subject        string
	ListID         string
	HasAttachments bool
}

// RuleOutcome is what a user's rules do to a message: the mailbox to move
// it into (0: leave it where it arrives), the flags to add, and the rules
// that matched, by id, in order.
type RuleOutcome struct {
	MailboxID int64
	Add       db.Flag
	Matched   []int64
}

// RuleSet is a user's rules made ready to match many messages.
type RuleSet struct {
	rules []compiledRule
}

type compiledRule struct {
	db.Rule
	sender, recipient, subject, listID string // folded
}

// NewRuleSet prepares rules, in the order they apply.
func NewRuleSet(rules []db.Rule) *RuleSet {
	rs := &RuleSet{rules: make([]compiledRule, len(rules))}
	for i, r := range rules {
		rs.rules[i] = compiledRule{Rule: r, sender: fold(r.Sender), recipient: fold(r.Recipient),
			subject: fold(r.Subject), listID: fold(r.ListID)}
	}
	return rs
}

// Empty reports whether there are no rules.
func (rs *RuleSet) Empty() bool { return rs == nil || len(rs.rules) == 0 }

// UsesListID reports whether a rule has a List-Id condition.
func (rs *RuleSet) UsesListID() bool {
	for _, r := range rs.rules {
		if r.listID != "" {
			return true
		}
	}
	return false
}

// Apply runs the rules over a message, in order. Every condition of a rule
// must match; texts match when the message's field contains them,
// whatever the case and the accents. The first matching rule that moves
// decides the mailbox (a rule whose mailbox was deleted moves nothing);
// stars and marks read add up; a matching rule with Stop ends the list.
func (rs *RuleSet) Apply(m RuleMessage) RuleOutcome {
	var out RuleOutcome
	if rs.Empty() {
		return out
	}
	var from, to, subject, listID string
	var folded bool
	for _, r := range rs.rules {
		if r.AccountID != 0 && r.AccountID != m.AccountID {
			continue
		}
		if r.HasAttachment && !m.HasAttachments {
			continue
		}
		if !folded {
			from = fold(m.FromName) + "\x00" + fold(m.FromAddr)
			to = fold(m.To) + "\x00" + fold(m.Cc)
			subject, listID, folded = fold(m.Subject), fold(m.ListID), true
		}
		if !contains(from, r.sender) || !contains(to, r.recipient) || !contains(subject, r.subject) || !contains(listID, r.listID) {
			continue
		}
		out.Matched = append(out.Matched, r.ID)
		if r.Move && r.MailboxID != 0 && out.MailboxID == 0 {
			out.MailboxID = r.MailboxID
		}
		if r.Star {
			out.Add |= db.FlagFlagged
		}
		if r.MarkRead {
			out.Add |= db.FlagSeen
		}
		if r.Stop {
			break
		}
	}
	return out
}

// contains is strings.Contains with "" (no condition) matching anything.
func contains(field, cond string) bool {
	return cond == "" || strings.Contains(field, cond)
}

// fold makes text comparable whatever its case and accents: "Canción"
// and "CANCION" both become "cancion". Letters decompose (NFD), their
// marks go, and what is left is lower-cased.
func fold(s string) string {
	if s == "" {
		return ""
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// RuleInput is a rule as a form or the command line gives it.
type RuleInput struct {
	Name          string
	AccountID     int64
	Sender        string
	Recipient     string
	Subject       string
	ListID        string
	HasAttachment bool
	MailboxID     int64 // 0: no move
	Star          bool
	MarkRead      bool
	Stop          bool
}

// RuleInputOf is the input that gives rule r again, for its edit form.
func RuleInputOf(r db.Rule) RuleInput {
	in := RuleInput{Name: r.Name, AccountID: r.AccountID, Sender: r.Sender, Recipient: r.Recipient, Subject: r.Subject,
		ListID: r.ListID, HasAttachment: r.HasAttachment, Star: r.Star, MarkRead: r.MarkRead, Stop: r.Stop}
	if r.Move {
		in.MailboxID = r.MailboxID
	}
	return in
}

// ErrTooManyRules: the user has MaxRules rules already.
var ErrTooManyRules = &Invalid{Problems: []Problem{{Key: i18n.Key("You have %d rules, the most there can be. Delete one to add another."), Args: []any{MaxRules}}}}

// Rules keeps a user's rules and applies them.
type Rules struct {
	db *db.DB
}

// NewRules returns the rules service.
func NewRules(store *db.DB) *Rules { return &Rules{db: store} }

// List returns the user's rules in the order they apply.
func (s *Rules) List(ctx context.Context, userID int64) ([]db.Rule, error) {
	return s.db.Rules(ctx, userID)
}

// Get returns one of the user's rules, or db.ErrNotFound.
func (s *Rules) Get(ctx context.Context, userID, id int64) (db.Rule, error) {
	return s.db.Rule(ctx, userID, id)
}

// check validates in for the user: names, lengths, that the account and
// the mailbox are the user's, that there is a condition and an action.
func (s *Rules) check(ctx context.Context, userID int64, in RuleInput) (db.Rule, error) {
	var ps problems
	r := db.Rule{UserID: userID, AccountID: in.AccountID, HasAttachment: in.HasAttachment,
		Star: in.Star, MarkRead: in.MarkRead, Stop: in.Stop}
	r.Name = strings.TrimSpace(in.Name)
	switch {
	case r.Name == "":
		ps.add(FieldRuleName, i18n.Key("Give the rule a name."))
	case !oneLine(r.Name, MaxRuleName):
		ps.add(FieldRuleName, i18n.Key("Use at most %d characters, on one line."), MaxRuleName)
	}
	for _, t := range []struct {
		field string
		in    string
		out   *string
	}{
		{FieldRuleSender, in.Sender, &r.Sender}, {FieldRuleTo, in.Recipient, &r.Recipient},
		{FieldRuleSubject, in.Subject, &r.Subject}, {FieldRuleListID, in.ListID, &r.ListID},
	} {
		*t.out = strings.TrimSpace(t.in)
		if !oneLine(*t.out, MaxRuleText) {
			ps.add(t.field, i18n.Key("Use at most %d characters, on one line."), MaxRuleText)
		}
	}
	if in.AccountID != 0 {
		if _, err := s.db.Account(ctx, userID, in.AccountID); errors.Is(err, db.ErrNotFound) {
			ps.add(FieldRuleAccount, i18n.Key("That account is gone. Choose another."))
		} else if err != nil {
			return db.Rule{}, err
		}
	}
	if in.MailboxID != 0 {
		box, err := s.db.Mailbox(ctx, userID, in.MailboxID)
		switch {
		case errors.Is(err, db.ErrNotFound):
			ps.add(FieldRuleMailbox, i18n.Key("That mailbox is gone. Choose another."))
		case err != nil:
			return db.Rule{}, err
		case !RuleTarget(box):
			ps.add(FieldRuleMailbox, i18n.Key("Rules cannot move mail there. Choose another mailbox."))
		default:
			r.Move, r.MailboxID = true, box.ID
		}
	}
	if r.AccountID == 0 && r.Sender == "" && r.Recipient == "" && r.Subject == "" && r.ListID == "" && !r.HasAttachment {
		ps.add("", i18n.Key("Give the rule at least one condition: an account, a sender, a recipient, a subject, a list or an attachment."))
	}
	if in.MailboxID == 0 && !r.Star && !r.MarkRead {
		ps.add(FieldRuleActions, i18n.Key("Choose what the rule does: move to a mailbox, star or mark read."))
	}
	return r, ps.err()
}

// RuleTarget reports whether rules may move mail into box: the user's own
// mailboxes, Archive, Junk and Trash (not the inbox mail arrives in, nor
// Sent or Drafts).
func RuleTarget(box db.Mailbox) bool {
	switch box.Role {
	case "", db.MailboxArchive, db.MailboxJunk, db.MailboxTrash:
		return true
	}
	return false
}

// oneLine reports whether s is valid text of at most max characters
// without line breaks.
func oneLine(s string, max int) bool {
	return utf8.ValidString(s) && utf8.RuneCountInString(s) <= max && !strings.ContainsAny(s, "\r\n\x00")
}

// Create adds a rule after the user's others.
func (s *Rules) Create(ctx context.Context, userID int64, in RuleInput) (db.Rule, error) {
	r, err := s.check(ctx, userID, in)
	if err != nil {
		return db.Rule{}, err
	}
	out, err := s.db.CreateRule(ctx, r, MaxRules)
	if errors.Is(err, db.ErrTooManyRules) {
		return db.Rule{}, ErrTooManyRules
	}
	return out, err
}

// Update replaces one of the user's rules, keeping its place.
func (s *Rules) Update(ctx context.Context, userID, id int64, in RuleInput) error {
	if _, err := s.db.Rule(ctx, userID, id); err != nil {
		return err
	}
	r, err := s.check(ctx, userID, in)
	if err != nil {
		return err
	}
	r.ID = id
	return s.db.UpdateRule(ctx, r)
}

// Delete deletes one of the user's rules.
func (s *Rules) Delete(ctx context.Context, userID, id int64) error {
	return s.db.DeleteRule(ctx, userID, id)
}

// Move moves one of the user's rules up or down one place.
func (s *Rules) Move(ctx context.Context, userID, id int64, up bool) error {
	return s.db.MoveRule(ctx, userID, id, up)
}

// ApplyNow runs the user's rules (all of them when ruleID is 0, else that
// one alone) over the messages in the user's inbox, RuleApplyBatch at a
// time, each batch in its own transaction. The outcome counts the
// messages changed and names the record that undoes it, as for the
// actions of Messages.Act (ActionApplyRules). Messages stored before
// List-Ids were get theirs read from the stored message on the way, when
// a rule asks for one, and kept.
func (s *Rules) ApplyNow(ctx context.Context, userID, ruleID int64) (Outcome, error) {
	out := Outcome{Action: ActionApplyRules}
	rules, err := s.db.Rules(ctx, userID)
	if err != nil {
		return out, err
	}
	if ruleID != 0 {
		var one []db.Rule
		for _, r := range rules {
			if r.ID == ruleID {
				one = append(one, r)
			}
		}
		if len(one) == 0 {
			return out, db.ErrNotFound
		}
		rules = one
	}
	rs := NewRuleSet(rules)
	if rs.Empty() {
		return out, nil
	}
	inbox, err := s.db.MailboxByRole(ctx, userID, db.MailboxInbox)
	if err != nil {
		return out, err
	}
	var states []db.MessageState // before the rules, for Undo
	var after int64
	for {
		batch, err := s.db.RuleCandidates(ctx, userID, db.MailboxInbox, after, RuleApplyBatch)
		if err != nil {
			return out, err
		}
		if len(batch) == 0 {
			break
		}
		after = batch[len(batch)-1].ID
		if rs.UsesListID() {
			if err := s.readListIDs(ctx, userID, batch); err != nil {
				return out, err
			}
		}
		var ps []db.Placement
		for _, c := range batch {
			o := rs.Apply(RuleMessage{AccountID: c.AccountID, FromName: c.FromName, FromAddr: c.FromAddr, To: c.To, Cc: c.Cc,
				Subject: c.Subject, ListID: c.ListID, HasAttachments: c.HasAttachments})
			if o.MailboxID != 0 || c.Flags|o.Add != c.Flags {
				ps = append(ps, db.Placement{ID: c.ID, MailboxID: o.MailboxID, Add: o.Add})
				states = append(states, db.MessageState{ID: c.ID, MailboxID: inbox.ID, Flags: c.Flags})
			}
		}
		if _, err := s.db.PlaceMessages(ctx, userID, db.MailboxInbox, ps); err != nil {
			// The batches before this one are done: they can be undone.
			if kept, kerr := keepUndo(ctx, s.db, userID, out, states[:len(states)-len(ps)]); kerr == nil {
				out = kept
			}
			return out, err
		}
		if len(batch) < RuleApplyBatch {
			break
		}
	}
	return keepUndo(ctx, s.db, userID, out, states)
}

// readListIDs fills in the List-Id of the batch's messages stored before
// List-Ids were, from their stored bytes, and records them.
func (s *Rules) readListIDs(ctx context.Context, userID int64, batch []db.RuleCandidate) error {
	found := make(map[int64]string)
	for i, c := range batch {
		if c.ListIDKnown {
			continue
		}
		raw, err := s.db.MessageRaw(ctx, userID, c.ID)
		if errors.Is(err, db.ErrNotFound) {
			continue // deleted meanwhile
		}
		if err != nil {
			return fmt.Errorf("read list id: %w", err)
		}
		batch[i].ListID = message.ListID(raw)
		found[c.ID] = batch[i].ListID
	}
	return s.db.SetListIDs(ctx, userID, found)
}
