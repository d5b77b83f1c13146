package db

import (
	"context"
	"database/sql"
	"errors"
	"sync"
)

// maxPrepared bounds the statements a DB keeps prepared. The queries of
// the pages are built from fixed pieces, a few dozen shapes; a search's
// depend on its operators, which a user chooses, so past the bound a
// query is prepared for its one use, as every query used to be.
const maxPrepared = 256

// preparedStmts keeps the statements of the queries every page runs
// prepared: SQLite compiled each one again on every request, and parsing
// and planning was a third of an inbox page's time (the rows themselves
// a sixth). database/sql prepares a Stmt on each pooled connection the
// first time it runs there, and keeps it.
type preparedStmts struct {
	mu     sync.Mutex
	m      map[string]*sql.Stmt
	closed bool
}

// prepared returns the statement of query, prepared once; nil when the
// cache is full (the caller runs the query unprepared).
func (d *DB) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	p := &d.stmts
	p.mu.Lock()
	defer p.mu.Unlock()
	if st, ok := p.m[query]; ok {
		return st, nil
	}
	if p.closed || len(p.m) >= maxPrepared {
		return nil, nil
	}
	st, err := d.sql.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if p.m == nil {
		p.m = map[string]*sql.Stmt{}
	}
	p.m[query] = st
	return st, nil
}

// query runs a query of rows through its prepared statement.
func (d *DB) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := d.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return d.sql.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// queryRow runs a query of one row through its prepared statement.
func (d *DB) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := d.prepared(ctx, query)
	if err != nil || st == nil {
		// An error preparing is the query's error: let QueryRow report it.
		return d.sql.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// close closes the prepared statements; later queries run unprepared.
func (p *preparedStmts) close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for _, st := range p.m {
		errs = append(errs, st.Close())
	}
	p.m, p.closed = nil, true
	return errors.Join(errs...)
}

// txStmt returns the statement of query for a transaction: its prepared
// statement, or one prepared for the transaction (closed with it) when
// the cache is full.
func (d *DB) txStmt(ctx context.Context, tx *sql.Tx, query string) (*sql.Stmt, error) {
	st, err := d.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return tx.PrepareContext(ctx, query)
	}
	return tx.StmtContext(ctx, st), nil
}
