package main

import (
	"context"
	"database/sql/driver"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"modernc.org/sqlite"

	"github.com/apartado/apartado/db"
	"github.com/apartado/apartado/internal/secret"
	"github.com/apartado/apartado/poller"
)

// conns are the SQLite connections this process opened, for their
// counters (sqlite3_db_status: pages found in the cache, read from the
// file, written).
var conns struct {
	sync.Mutex
	all []sqlite.DBStatus
}

func init() {
	sqlite.RegisterConnectionHook(func(c sqlite.ExecQuerierContext, _ string) error {
		if s, ok := c.(sqlite.DBStatus); ok {
			conns.Lock()
			conns.all = append(conns.all, s)
			conns.Unlock()
		}
		return nil
	})
}

// pageCounts sums the counters of every connection opened since the last
// call, and resets them.
func pageCounts() (hit, miss, write int, err error) {
	conns.Lock()
	defer conns.Unlock()
	live := conns.all[:0]
	for _, c := range conns.all {
		if v, ok := c.(driver.Validator); ok && !v.IsValid() {
			continue // closed: its counters went with it
		}
		live = append(live, c)
		for op, dst := range map[sqlite.DBStatusOp]*int{sqlite.DBStatusCacheHit: &hit, sqlite.DBStatusCacheMiss: &miss,
			sqlite.DBStatusCacheWrite: &write} {
			v, _, err := c.Status(op, true)
			if err != nil {
				return 0, 0, 0, err
			}
			*dst += v
		}
	}
	conns.all = live
	return hit, miss, write, nil
}

// pollCost is what one poll of every account, finding nothing new, cost.
type pollCost struct {
	wall            time.Duration
	hit, miss, wrte int   // database pages: found in SQLite's cache, read from the file, written
	walBytes        int64 // the WAL's growth
	onServer        int
}

// idlePoll opens the database in this process (cold: a fresh page cache,
// as after a restart) and syncs every account once with the poller, as
// the server does every few minutes; nothing is new. It returns what that
// cost the database.
func (b *bench) idlePoll(ctx context.Context) (pollCost, error) {
	var c pollCost
	key, _, err := secret.Load(filepath.Join(b.dataDir, "secret.key"))
	if err != nil {
		return c, err
	}
	d, err := db.Open(ctx, b.dbPath)
	if err != nil {
		return c, err
	}
	defer d.Close()
	// An empty WAL first, so that its size afterwards is what the polls wrote.
	if _, err := d.SQL().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		return c, err
	}
	u, err := d.UserByName(ctx, benchUser)
	if err != nil {
		return c, err
	}
	ids, err := d.AccountIDs(ctx, u.ID)
	if err != nil {
		return c, err
	}
	p := &poller.Poller{DB: d, Key: key, ExtraRootCAs: b.roots, Timeout: time.Minute,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, _, _, err := pageCounts(); err != nil {
		return c, err
	}
	t0 := time.Now()
	for _, id := range ids {
		res, err := p.SyncAccount(ctx, id)
		if err == nil {
			err = res.Err
		}
		if err != nil {
			return c, fmt.Errorf("poll of account %d: %w", id, err)
		}
		if res.New != 0 || res.Deleted != 0 {
			return c, fmt.Errorf("poll of account %d found %d new and deleted %d; want nothing", id, res.New, res.Deleted)
		}
		c.onServer += res.ServerCount
	}
	c.wall = time.Since(t0)
	if c.hit, c.miss, c.wrte, err = pageCounts(); err != nil {
		return c, err
	}
	if fi, err := os.Stat(b.dbPath + "-wal"); err == nil {
		c.walBytes = fi.Size()
	}
	if c.onServer != b.cfg.n {
		return c, fmt.Errorf("the polls saw %d messages on the servers, want %d", c.onServer, b.cfg.n)
	}
	return c, nil
}
