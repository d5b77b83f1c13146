package app

import (
	"context"
	"log/slog"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/message"
)

// Conversations puts the mail stored before conversations existed into
// its conversations (mail stored since is threaded as it is stored: see
// db/threads.go for the rule).
type Conversations struct {
	db    *db.DB
	batch int // messages threaded per transaction by ThreadSome
}

// NewConversations returns the conversations service.
func NewConversations(store *db.DB) *Conversations {
	return &Conversations{db: store, batch: threadBatch}
}

// How much one step of the threading job reads: a transaction of at most
// this many messages and bytes of raw mail (only their headers are read).
const (
	threadBatch      = 200
	threadBatchBytes = 16 << 20
)

// ThreadSome threads one batch of the mail stored before conversations,
// newest first, from its raw mail, and returns how many messages it read;
// done is true when nothing is left. Each batch is one transaction that
// also moves the job's cursor, so a stop loses at most the batch under
// way. Until the job reaches a message, it is a conversation of its own.
func (c *Conversations) ThreadSome(ctx context.Context) (n int, done bool, err error) {
	batch, done, err := c.db.UnthreadedBatch(ctx, c.batch, threadBatchBytes)
	if err != nil || done {
		return 0, done, err
	}
	out := make([]db.Threaded, len(batch))
	for i, m := range batch {
		out[i] = db.Threaded{ID: m.ID, References: message.References(m.Raw), ThreadSubject: message.ThreadSubject(m.Subject),
			SubjectAnswers: message.AnswersSubject(m.Subject)}
	}
	if err := c.db.StoreThreaded(ctx, out); err != nil {
		return 0, false, err
	}
	return len(batch), false, nil
}

// RunThreader threads the older mail until all of it is in its
// conversations or ctx is done (the server stopping), pausing after a
// failure.
func (c *Conversations) RunThreader(ctx context.Context, log *slog.Logger) {
	runBackfill(ctx, log, "conversations: older mail threaded", "conversations: threading older mail", c.ThreadSome)
}
