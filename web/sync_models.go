package web

import (
	"context"

	"github.com/apartado/apartado/i18n"
)

// SyncProgressView is the progress bar of an account's running (or
// requested) sync. The page script polls URL for the same figures as JSON
// (handlers' progressJSON) and updates the bar; without the script, a
// reload shows the same.
type SyncProgressView struct {
	URL     string // the JSON endpoint
	Running bool   // false: asked for, not started yet
	Value   int64  // bytes done
	Max     int64  // bytes to download; 0 while unknown
	Text    string // "12 of 400 messages · 3.1 MB of 52 MB · 2.4 MB/s · about 20 seconds left"
	// DoneText is said when it ends while something was typed on the page
	// (else the page reloads); "" for a sync's.
	DoneText string
}

// ServerCountsView is what the account's last successful sync saw on the
// server, and what its retention choices will delete there.
type ServerCountsView struct {
	OnServer string // "" when no sync has succeeded yet
	// Deleting says what will be deleted on the server and when; ""
	// when nothing is scheduled.
	Deleting []string
	// Kept counts messages kept on the server for good because their
	// transfer looked wrong; "" when none.
	Kept string
}

// SyncRecordView is one sync in the account's history.
type SyncRecordView struct {
	When     string
	Duration string
	New      string // "3 (1.2 MB)"
	Deleted  string
	OnServer string // "" when the sync failed
	Error    string // one sentence; "" when it worked
	Notes    []string
}

// doneText is what a progress bar says when it ends while something was
// typed on the page.
func doneText(ctx context.Context, p SyncProgressView) string {
	if p.DoneText != "" {
		return p.DoneText
	}
	return i18n.T(ctx, "The check has finished. Reload the page to see what it did.")
}
