package poller

import (
	"context"
	"fmt"

	"github.com/apartado/apartado/app"
	"github.com/apartado/apartado/db"
)

// rules reads the rules of the account's user when a session is about to
// download messages (n of them), so a poll that finds nothing new reads
// none.
func (p *Poller) rules(ctx context.Context, acc db.Account, n int) (*app.RuleSet, error) {
	if n == 0 {
		return nil, nil
	}
	rules, err := p.DB.Rules(ctx, acc.UserID)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	return app.NewRuleSet(rules), nil
}

// placeByRules records where the user's rules put a downloaded message
// and the flags they set; the store puts it there in the transaction that
// stores it, so it never shows in the inbox first.
func placeByRules(rs *app.RuleSet, d *db.Downloaded) {
	if rs.Empty() {
		return
	}
	o := rs.Apply(app.RuleMessage{AccountID: d.AccountID, FromName: d.FromName, FromAddr: d.FromAddr, To: d.To, Cc: d.Cc,
		Subject: d.Subject, ListID: d.ListID, HasAttachments: d.HasAttachments})
	d.MailboxID, d.Flags = o.MailboxID, o.Add
}
