package store

import (
	"database/sql"
	"errors"
)

// The statements the writer runs for every row, prepared once per store.
const (
	stRecord = iota
	stAttempt
	stOwed
	stFinish
	stSavepoint
	stRollbackTo
	stRelease
	nStmts
)

var writeSQL = [nStmts]string{
	stRecord:     insertSQL,
	stAttempt:    attemptSQL,
	stOwed:       owedSQL,
	stFinish:     finishSQL,
	stSavepoint:  `SAVEPOINT owed`,
	stRollbackTo: `ROLLBACK TO owed`,
	stRelease:    `RELEASE owed`,
}

type writeStmts [nStmts]*sql.Stmt

func (w *writeStmts) prepare(db *sql.DB) error {
	for i, q := range writeSQL {
		st, err := db.Prepare(q)
		if err != nil {
			w.close()
			return err
		}
		w[i] = st
	}
	return nil
}

func (w *writeStmts) close() error {
	var errs []error
	for i, st := range w {
		if st != nil {
			errs = append(errs, st.Close())
			w[i] = nil
		}
	}
	return errors.Join(errs...)
}

// txStmts binds the prepared statements to one transaction as they are
// first used: most commits need two or three of them.
type txStmts struct {
	tx    *sql.Tx
	w     *writeStmts
	bound [nStmts]*sql.Stmt
}

func (w *writeStmts) in(tx *sql.Tx) *txStmts { return &txStmts{tx: tx, w: w} }

func (t *txStmts) stmt(i int) *sql.Stmt {
	if t.bound[i] == nil {
		t.bound[i] = t.tx.Stmt(t.w[i])
	}
	return t.bound[i]
}

// prepared returns q prepared on the readers, preparing it the first time.
// Only for the few queries whose text is one of a handful (Due's, one per
// set of sinks a worker names).
func (s *Store) prepared(q string) (*sql.Stmt, error) {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	if st, ok := s.reads[q]; ok {
		return st, nil
	}
	st, err := s.r.Prepare(q)
	if err != nil {
		return nil, err
	}
	if s.reads == nil {
		s.reads = make(map[string]*sql.Stmt)
	}
	s.reads[q] = st
	return st, nil
}

func (s *Store) closeReads() {
	s.readMu.Lock()
	defer s.readMu.Unlock()
	for q, st := range s.reads {
		st.Close()
		delete(s.reads, q)
	}
}
