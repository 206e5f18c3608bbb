package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/internal/proc"
)

// finish is one try of an outbox row: the attempt to record and the row's
// state after it, committed together so a crash never leaves a delivered
// row pending (nor an attempt without its row's count).
type finish struct {
	att *inspect.Attempt
	d   *inspect.Delivery
}

const owedSQL = `INSERT INTO outbox (request_id, sink, target, next_ns) VALUES (?,?,?,?)`

const finishSQL = `UPDATE outbox SET state = ?, tries = ?, next_ns = ?, last_status = ?, last_error = ?, done_ns = ?
 WHERE id = ?`

func insertOwed(tx *txStmts, key int64, at time.Time, owed []inspect.Owed) error {
	for _, o := range owed {
		if _, err := tx.stmt(stOwed).Exec(key, o.Sink, o.Target, at.UnixNano()); err != nil {
			return err
		}
	}
	return nil
}

func finishDelivery(tx *txStmts, f *finish) error {
	key, ok := idNumber(f.d.RequestID)
	if !ok {
		return fmt.Errorf("%q is not a request id", f.d.RequestID)
	}
	if f.att != nil {
		f.att.DeliveryID = f.d.ID
		res, err := tx.stmt(stAttempt).Exec(attemptArgs(key, f.att)...)
		if err != nil {
			return err
		}
		f.att.ID, _ = res.LastInsertId()
	}
	var next, done int64
	if f.d.State == inspect.Pending {
		next = f.d.NextAt.UnixNano()
	} else {
		done = f.d.DoneAt.UnixNano()
	}
	_, err := tx.stmt(stFinish).Exec(string(f.d.State), f.d.Tries, next, f.d.LastStatus, f.d.LastError, done, f.d.ID)
	return err
}

// finishDeliveries applies several finishes, all of them or none.
func finishDeliveries(tx *txStmts, fs []*finish) error {
	if len(fs) == 1 {
		return finishDelivery(tx, fs[0])
	}
	if _, err := tx.stmt(stSavepoint).Exec(); err != nil {
		return err
	}
	var err error
	for _, f := range fs {
		if err = finishDelivery(tx, f); err != nil {
			tx.stmt(stRollbackTo).Exec()
			break
		}
	}
	tx.stmt(stRelease).Exec()
	return err
}

// FinishDelivery records one try of an outbox row (a, which may be nil
// when nothing was sent) together with the row's new state in d, and
// returns once both are committed.
func (s *Store) FinishDelivery(ctx context.Context, d *inspect.Delivery, a *inspect.Attempt) error {
	return s.finish(ctx, []*finish{{att: a, d: d}})
}

// FinishDeliveries records the new states of outbox rows that were worked
// off without an attempt of their own (a batch of relay publishes), in
// one row of the writer's transaction: all of them or none.
func (s *Store) FinishDeliveries(ctx context.Context, ds []*inspect.Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	fs := make([]*finish, len(ds))
	for i, d := range ds {
		fs[i] = &finish{d: d}
	}
	return s.finish(ctx, fs)
}

func (s *Store) finish(ctx context.Context, fs []*finish) error {
	j := &job{fins: fs, err: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.quit:
		return errors.New("the store is closing")
	}
	// Not bounded by ctx: once queued the row's outcome must be known, or
	// a delivery that went out would be sent again for nothing.
	return <-j.err
}

const deliveryCols = `o.id, o.request_id, o.sink, o.target, o.state, o.tries, o.next_ns, o.last_status, o.last_error, o.done_ns`

func scanDelivery(sc scanner) (inspect.Delivery, error) {
	var d inspect.Delivery
	var key, next, done int64
	var state string
	if err := sc.Scan(&d.ID, &key, &d.Sink, &d.Target, &state, &d.Tries, &next, &d.LastStatus, &d.LastError, &done); err != nil {
		return d, err
	}
	d.RequestID = idString(key)
	d.State = inspect.DeliveryState(state)
	if d.State == inspect.Pending {
		d.NextAt = time.Unix(0, next)
	}
	if done != 0 {
		d.DoneAt = time.Unix(0, done)
	}
	return d, nil
}

func (s *Store) deliveries(ctx context.Context, q string, args ...any) ([]inspect.Delivery, error) {
	return scanDeliveries(s.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM outbox o `+q, args...))
}

func scanDeliveries(rows *sql.Rows, err error) ([]inspect.Delivery, error) {
	if err != nil {
		return nil, fmt.Errorf("cannot read the outbox: %s", describe(err))
	}
	defer rows.Close()
	var out []inspect.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read the outbox: %s", describe(err))
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// Due returns pending deliveries to the given sinks (all when none) whose
// time has come, oldest first, at most limit of them. A worker names the
// sinks it runs: rows owed to another sink would fill its window forever.
func (s *Store) Due(ctx context.Context, now time.Time, limit int, sinks ...string) ([]inspect.Delivery, error) {
	in, args := sinkFilter(sinks)
	q := `SELECT ` + deliveryCols + ` FROM outbox o WHERE o.state = 'pending' AND o.next_ns <= ?` + in + ` ORDER BY o.id LIMIT ?`
	args = append(append([]any{now.UnixNano()}, args...), limit)
	// Workers ask after every batch: parse once per store, not per call.
	st, err := s.prepared(q)
	if err != nil {
		return nil, fmt.Errorf("cannot read the outbox: %s", describe(err))
	}
	rows, err := st.QueryContext(ctx, args...)
	return scanDeliveries(rows, err)
}

// sinkFilter is the `AND o.sink IN (…)` for a list of sinks, or nothing.
func sinkFilter(sinks []string) (string, []any) {
	if len(sinks) == 0 {
		return "", nil
	}
	args := make([]any, len(sinks))
	for i, s := range sinks {
		args[i] = s
	}
	return ` AND o.sink IN (?` + strings.Repeat(",?", len(sinks)-1) + `)`, args
}

// NextDue is when the earliest pending delivery to the given sinks (all
// when none) is due; ok is false when nothing is pending.
func (s *Store) NextDue(ctx context.Context, sinks ...string) (at time.Time, ok bool, err error) {
	var ns sql.NullInt64
	in, args := sinkFilter(sinks)
	err = s.r.QueryRowContext(ctx, `SELECT min(o.next_ns) FROM outbox o WHERE o.state = 'pending'`+in, args...).Scan(&ns)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("cannot read the outbox: %s", describe(err))
	}
	if !ns.Valid {
		return time.Time{}, false, nil
	}
	return time.Unix(0, ns.Int64), true, nil
}

// Delivery reads one outbox row as committed.
func (s *Store) Delivery(ctx context.Context, id int64) (inspect.Delivery, error) {
	d, err := scanDelivery(s.r.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM outbox o WHERE o.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("no outbox row %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("cannot read the outbox: %s", describe(err))
	}
	return d, nil
}

// Deliveries lists the outbox rows of one request, oldest first.
func (s *Store) Deliveries(ctx context.Context, id string) ([]inspect.Delivery, error) {
	key, ok := idNumber(id)
	if !ok {
		return nil, nil
	}
	return s.deliveries(ctx, `WHERE o.request_id = ? ORDER BY o.id`, key)
}

// Pending counts the pending deliveries to one sink ("" for all).
func (s *Store) Pending(ctx context.Context, sink string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM outbox WHERE state = 'pending' AND (? = '' OR sink = ?)`,
		sink, sink).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("cannot read the outbox: %s", describe(err))
	}
	return n, nil
}

// RetryAt moves pending deliveries to target that got no answer at all (the
// target was down) forward to at; it returns how many moved. at must be no
// later than their scheduled time: it only ever brings a try forward.
func (s *Store) RetryAt(ctx context.Context, sink, target string, at time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET next_ns = ? WHERE state = 'pending' AND sink = ? AND target = ?
 AND last_status = 0 AND next_ns > ?`, at.UnixNano(), sink, target, at.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("cannot update the outbox: %s", describe(err))
	}
	return res.RowsAffected()
}

// DueNow makes every pending delivery due at at (a new start), and returns
// how many it moved.
func (s *Store) DueNow(ctx context.Context, at time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `UPDATE outbox SET next_ns = ? WHERE state = 'pending' AND next_ns > ?`,
		at.UnixNano(), at.UnixNano())
	if err != nil {
		return 0, fmt.Errorf("cannot update the outbox: %s", describe(err))
	}
	return res.RowsAffected()
}

// LeaseOutbox makes the caller (token, this process) the one process that
// works the store's outbox, or keeps it so, and reports whether it is.
// Every listen on a store runs a deliverer; without one worker, two of
// them would send the same row. A worker is replaced once its heartbeat
// is older than stale or its process is gone (killed -9: at once).
func (s *Store) LeaseOutbox(ctx context.Context, token string, now time.Time, stale time.Duration) (bool, error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("cannot take the outbox: %s", describe(err))
	}
	defer tx.Rollback()
	var owner string
	var pid int
	var beat int64
	err = tx.QueryRowContext(ctx, `SELECT token, pid, beat_ns FROM outbox_worker WHERE id = 1`).Scan(&owner, &pid, &beat)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, fmt.Errorf("cannot take the outbox: %s", describe(err))
	case owner != token && now.Sub(time.Unix(0, beat)) < stale && proc.Alive(pid):
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO outbox_worker (id, token, pid, beat_ns) VALUES (1, ?, ?, ?)`,
		token, os.Getpid(), now.UnixNano()); err != nil {
		return false, fmt.Errorf("cannot take the outbox: %s", describe(err))
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("cannot take the outbox: %s", describe(err))
	}
	return true, nil
}

// ReleaseOutbox hands the outbox back, so another process takes it at once.
func (s *Store) ReleaseOutbox(ctx context.Context, token string) error {
	_, err := s.w.ExecContext(ctx, `DELETE FROM outbox_worker WHERE token = ?`, token)
	return err
}
