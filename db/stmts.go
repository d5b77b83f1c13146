package db

import (
	"context"
	"database/sql"
)

// txStmts prepares each statement of a transaction once and reuses it. A
// batch of stored messages runs the same few inserts for every message,
// and preparing them again each time (the triggers of each table compiled
// into every one) was a fifth of a first sync. The statements close with
// the transaction.
type txStmts struct {
	tx *sql.Tx
	m  map[string]*sql.Stmt
}

func newTxStmts(tx *sql.Tx) *txStmts { return &txStmts{tx: tx, m: map[string]*sql.Stmt{}} }

// stmt returns the transaction's statement for query, prepared on first use.
func (s *txStmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := s.m[query]; ok {
		return st, nil
	}
	st, err := s.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s.m[query] = st
	return st, nil
}

// exec runs query with args.
func (s *txStmts) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

// scan runs a query of one row and scans it into dest; sql.ErrNoRows
// when there is none.
func (s *txStmts) scan(ctx context.Context, query string, args []any, dest ...any) error {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return err
	}
	return st.QueryRowContext(ctx, args...).Scan(dest...)
}

// query runs a query of rows.
func (s *txStmts) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := s.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}
