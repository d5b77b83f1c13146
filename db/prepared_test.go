package db

import (
	"fmt"
	"testing"
)

// TestPreparedBound: the statements kept prepared stop at maxPrepared;
// past it a query still runs (prepared for its one use), in and out of a
// transaction, and the same query again reuses its statement.
func TestPreparedBound(t *testing.T) {
	d := openTest(t)
	for i := range maxPrepared + 5 {
		var n int
		if err := d.queryRow(ctx, fmt.Sprintf(`SELECT %d`, i)).Scan(&n); err != nil || n != i {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	if len(d.stmts.m) != maxPrepared {
		t.Fatalf("%d statements kept, want %d", len(d.stmts.m), maxPrepared)
	}
	first, err := d.prepared(ctx, `SELECT 0`)
	if err != nil || first == nil || first != d.stmts.m[`SELECT 0`] {
		t.Fatalf("a kept query prepared again: %v", err)
	}
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	st, err := d.txStmt(ctx, tx, `SELECT 'past the bound'`)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := st.QueryRowContext(ctx).Scan(&s); err != nil || s != "past the bound" {
		t.Fatalf("in a transaction past the bound: %q, %v", s, err)
	}
}
