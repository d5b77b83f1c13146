// Package backup keeps the automatic backups of the database: one a day
// in a folder of the data folder, the last few kept. A backup is a single
// file that db.RestoreBackup (apartado restore) puts back; see db.Backup.
package backup

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/apartado/apartado/db"
)

// Every is how often a backup is made.
const Every = 24 * time.Hour

// prefix and suffix frame the name of an automatic backup, with the time
// it was made (UTC) between them: apartado-20261207-181500.db.
const (
	prefix = "apartado-"
	suffix = ".db"
	stamp  = "20060102-150405"
)

// Daily makes a backup of DB in Dir when the newest there is a day old
// (or there is none), and removes all but the newest Keep.
type Daily struct {
	DB        *db.DB
	Dir       string
	Keep      int
	SecretKey string
	Log       *slog.Logger
	Now       func() time.Time
}

// Run makes backups until ctx ends, checking every hour whether one is
// due (so that a server that sleeps or restarts still makes one a day).
func (d *Daily) Run(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if _, err := d.Once(ctx); err != nil && ctx.Err() == nil {
			d.Log.Error("automatic backup failed", "dir", d.Dir, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once makes a backup if one is due, then removes the oldest past Keep;
// it returns the path of the backup made ("" when none was due).
func (d *Daily) Once(ctx context.Context) (string, error) {
	if err := os.MkdirAll(d.Dir, 0o700); err != nil {
		return "", err
	}
	now := d.Now().UTC()
	made, err := d.list()
	if err != nil {
		return "", err
	}
	path := ""
	if len(made) == 0 || now.Sub(made[len(made)-1].at) >= Every {
		path = filepath.Join(d.Dir, prefix+now.Format(stamp)+suffix)
		info, err := d.DB.Backup(ctx, path, d.SecretKey)
		if err != nil {
			return "", err
		}
		d.Log.Info("backup made", "path", path, "messages", info.Messages, "bytes", info.Size)
		if made, err = d.list(); err != nil {
			return path, err
		}
	}
	for len(made) > max(d.Keep, 1) {
		if err := os.Remove(made[0].path); err != nil {
			return path, fmt.Errorf("removing an old backup: %w", err)
		}
		made = made[1:]
	}
	return path, nil
}

type made struct {
	path string
	at   time.Time
}

// list returns the automatic backups in Dir, oldest first. Files of other
// names (a backup copied there by hand, a partial one) are left alone.
func (d *Daily) list() ([]made, error) {
	entries, err := os.ReadDir(d.Dir)
	if err != nil {
		return nil, err
	}
	var out []made
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) {
			continue
		}
		at, err := time.Parse(stamp, strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix))
		if err != nil {
			continue
		}
		out = append(out, made{path: filepath.Join(d.Dir, name), at: at})
	}
	slices.SortFunc(out, func(a, b made) int { return a.at.Compare(b.at) })
	return out, nil
}
