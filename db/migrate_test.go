package db

import (
	"strings"
	"testing"
)

// TestMigrationForeignKeys: a migration runs with foreign keys off, so a
// table rebuild keeps the rows that refer to it, but one that leaves a
// reference dangling is rolled back and not recorded, and the pool's
// connections have foreign keys on afterwards.
func TestMigrationForeignKeys(t *testing.T) {
	d := openTest(t)
	if _, err := d.sql.Exec(`CREATE TABLE parent (id INTEGER PRIMARY KEY);
		CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE);
		INSERT INTO parent VALUES (1), (2); INSERT INTO child VALUES (1), (2)`); err != nil {
		t.Fatal(err)
	}
	rebuild := `CREATE TABLE parent_new (id INTEGER PRIMARY KEY, note TEXT NOT NULL DEFAULT '');
		INSERT INTO parent_new (id) SELECT id FROM parent; DROP TABLE parent; ALTER TABLE parent_new RENAME TO parent`
	if err := d.applyMigration(ctx, 9001, "9001_rebuild.sql", rebuild); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := d.sql.QueryRow(`SELECT count(*) FROM child`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("the rebuild cascaded: %d children left (%v)", n, err)
	}
	err := d.applyMigration(ctx, 9002, "9002_dangling.sql", `DELETE FROM parent WHERE id = 2`)
	if err == nil || !strings.Contains(err.Error(), "refers to a missing row of parent") {
		t.Fatalf("a dangling reference was committed: %v", err)
	}
	if err := d.sql.QueryRow(`SELECT count(*) FROM parent`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("the failed migration was not rolled back: %d parents (%v)", n, err)
	}
	if err := d.sql.QueryRow(`SELECT count(*) FROM schema_migrations WHERE version = 9002`).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the failed migration was recorded (%v)", err)
	}
	// Every connection of the pool enforces foreign keys again.
	for range 4 {
		if _, err := d.sql.Exec(`INSERT INTO child VALUES (99)`); err == nil {
			t.Fatal("a connection left with foreign keys off")
		}
	}
}
