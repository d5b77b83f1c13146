package app

import (
	"context"
	"log/slog"
	"time"
)

// runBackfill runs a background job over the mail stored before it
// existed (indexing, threading), a step at a time, until step says it is
// done or ctx is done (the server stopping); after a failed step it waits
// a minute and tries again. done is logged once, with how many messages
// the run read, if any; failed with each failure.
func runBackfill(ctx context.Context, log *slog.Logger, done, failed string, step func(context.Context) (int, bool, error)) {
	total := 0
	for ctx.Err() == nil {
		n, finished, err := step(ctx)
		if finished {
			if total > 0 {
				log.Info(done, "messages", total)
			}
			return
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			log.Error(failed, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Minute):
			}
			continue
		}
		total += n
	}
}
