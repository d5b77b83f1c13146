package app

import (
	"crypto/sha256"
	"time"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/message"
)

// StoredMessage is raw mail made ready to store for an account's user,
// received at now: parsed once for what the lists, the search and
// conversations need (message.Analyze), hashed, sorted by its Date unless
// that is in the future or before e-mail existed (when the time it arrived
// misplaces it less), and its raw bytes and search text compressed as
// store keeps them (PackRaw, PrepareSearch), so that the caller's goroutine
// does that work rather than the transaction that stores it: a first
// sync's bottleneck is the committer. The poller and imports store mail
// alike.
func StoredMessage(store *db.DB, userID, accountID int64, raw []byte, now time.Time) db.NewMessage {
	sum := sha256.Sum256(raw)
	s, st := message.Analyze(raw)
	sortAt := now
	if !s.Date.IsZero() && s.Date.Before(now.Add(48*time.Hour)) && s.Date.Year() >= 1980 {
		sortAt = s.Date
	}
	m := db.NewMessage{
		AccountID: accountID, UserID: userID, Raw: raw, SHA256: sum[:], ReceivedAt: now, SortAt: sortAt,
		FromName: s.FromName, FromAddr: s.FromAddr, To: s.To, Cc: s.Cc, Subject: s.Subject,
		MessageID: s.MessageID, Snippet: s.Snippet, HasAttachments: s.HasAttachments, ParseError: s.ParseError,
		SearchBody: st.Body, SearchAttachments: st.Attachments,
		ListID:     message.ListID(raw),
		References: s.References, ThreadSubject: message.ThreadSubject(s.Subject), SubjectAnswers: message.AnswersSubject(s.Subject),
	}
	if len(raw) <= db.PackAhead { // a larger one is packed piece by piece as it is stored
		m.Packed = store.PackRaw(raw)
	}
	m.Search = store.PrepareSearch(st.Body, st.Attachments)
	return m
}
