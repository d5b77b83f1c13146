package backup

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/apartado/apartado/db"
)

// TestDailyKeepsTheLastN: a backup is made at once, then not again until
// a day has passed; only the newest Keep stay, and files of other names in
// the folder are left alone.
func TestDailyKeepsTheLastN(t *testing.T) {
	ctx := context.Background()
	d, err := db.Open(ctx, filepath.Join(t.TempDir(), "apartado.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.CreateUser(ctx, "ana", "h", db.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "backups")
	now := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)
	daily := &Daily{DB: d, Dir: dir, Keep: 3, SecretKey: "k", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return now }}
	mine := filepath.Join(dir, "by-hand.db") // written once the folder exists
	var made []string
	for hour := 0; hour < 24*5; hour++ {
		path, err := daily.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if path != "" {
			made = append(made, filepath.Base(path))
			if _, err := db.ReadBackup(ctx, path); err != nil {
				t.Fatal(err)
			}
		}
		if hour == 0 {
			if err := os.WriteFile(mine, []byte("mine"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		now = now.Add(time.Hour)
	}
	want := []string{"apartado-20261207-030000.db", "apartado-20261208-030000.db", "apartado-20261209-030000.db",
		"apartado-20261210-030000.db", "apartado-20261211-030000.db"}
	if !slices.Equal(made, want) {
		t.Errorf("made %v, want %v", made, want)
	}
	entries, _ := os.ReadDir(dir)
	var left []string
	for _, e := range entries {
		left = append(left, e.Name())
	}
	if !slices.Equal(left, append(want[2:], "by-hand.db")) {
		t.Errorf("left %v", left)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Error("a file of another name was removed")
	}
}
