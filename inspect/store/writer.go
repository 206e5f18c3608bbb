package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"time"

	"github.com/hookscope/hookscope/inspect"
)

// NewID returns a fresh request id.
func (s *Store) NewID(t time.Time) string { return s.ids.Next(t) }

// Insert queues rec for the group-commit writer and returns once its row is
// committed, or with an error wrapping ErrUnavailable. rec.ID is assigned
// when empty. The caller must not answer 2xx before this returns nil.
//
// owed are the deliveries the record is owed: outbox rows committed in the
// same transaction, or not at all.
func (s *Store) Insert(ctx context.Context, rec *inspect.Record, owed ...inspect.Owed) error {
	fresh := rec.ID == ""
	if fresh {
		rec.ID = s.ids.Next(rec.ReceivedAt)
	}
	h, tail := bodyHashes(rec.Body)
	j := &job{rec: rec, owed: owed, hash: h, tail: tail, err: make(chan error, 1), fresh: fresh}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return fmt.Errorf("%w: the store is not keeping up (%v)", ErrUnavailable, ctx.Err())
	case <-s.quit:
		return fmt.Errorf("%w: the store is closing", ErrUnavailable)
	}
	return s.wait(ctx, j, func(err error) error {
		return fmt.Errorf("%w: no commit within the deadline (%v)", ErrUnavailable, err)
	})
}

// wait returns j's outcome. When ctx ends first, the row is withdrawn if the
// writer has not taken it yet (gaveUp's error: it will never be written);
// if it has, the transaction's real outcome is the answer, however late,
// since "not stored" would then be a lie. maxBatchBytes bounds that wait.
func (s *Store) wait(ctx context.Context, j *job, gaveUp func(error) error) error {
	select {
	case err := <-j.err:
		return err
	case <-ctx.Done():
		if j.abandon() {
			return gaveUp(ctx.Err())
		}
		return <-j.err
	}
}

const insertSQL = `INSERT INTO requests (id, received_ns, method, path, query, proto, host, remote,
 headers, body, size, refused, event, sig_status, sig_scheme, sig_detail, sig_secret, body_hash, dup_of, relay)
 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

// writer is the single goroutine that commits captures. It takes whatever
// has queued up since the last commit, up to maxBatch, and commits it in one
// transaction: under load many requests share one commit, idle it commits
// each request at once.
func (s *Store) writer() {
	defer close(s.done)
	p := &batchPlan{jobs: make([]*job, 0, s.maxBatch), maxBytes: s.maxBytes}
	for {
		p.start()
		if len(p.jobs) == 0 {
			select {
			case j := <-s.jobs:
				p.add(j)
			case <-s.quit:
				s.drain(p)
				return
			}
		}
		s.fill(p)
		if s.onlyQueued(p) {
			// Nobody waits on these rows (the live forward's attempts,
			// recorded after the sender has its answer). A commit of their
			// own would sit in front of the next capture's; wait a moment
			// for that capture and share its commit instead.
			t := time.NewTimer(attemptLinger)
			select {
			case j := <-s.jobs:
				p.add(j)
				s.fill(p)
			case <-t.C:
			case <-s.quit:
			}
			t.Stop()
		}
		s.commitMu.Lock()
		s.commit(p.jobs)
		s.commitMu.Unlock()
	}
}

// attemptLinger bounds how long a queued attempt waits for a capture to
// share a commit with.
const attemptLinger = 2 * time.Millisecond

// onlyQueued reports a batch of rows nobody waits for.
func (s *Store) onlyQueued(p *batchPlan) bool {
	for _, j := range p.jobs {
		if !j.queued {
			return false
		}
	}
	return len(p.jobs) > 0
}

// drain commits what was accepted before Close, in batches as usual.
func (s *Store) drain(p *batchPlan) {
	for {
		select {
		case j := <-s.jobs:
			p.held = append(p.held, j)
			continue
		default:
		}
		break
	}
	for {
		p.start()
		if len(p.jobs) == 0 {
			return
		}
		s.commitMu.Lock()
		s.commit(p.jobs)
		s.commitMu.Unlock()
	}
}

// maxLinger bounds how long the writer waits for requests still on their
// way to Insert. A commit costs far more than a row, so under load waiting
// a little makes many rows share one; idle, nobody is arriving and the
// writer commits at once.
const maxLinger = 200 * time.Microsecond

func (s *Store) fill(p *batchPlan) {
	var start time.Time
	idle := 0
	for !p.full(s.maxBatch) {
		select {
		case j := <-s.jobs:
			p.add(j)
			idle = 0
			continue
		default:
		}
		// Nothing queued. Requests on their way (Arrive), or goroutines
		// that a yield lets run and that then queue, are worth waiting
		// for; two yields that bring nothing mean nobody is coming.
		if s.arriving.Load() <= 0 {
			if idle >= 2 {
				return
			}
			idle++
		}
		if start.IsZero() {
			start = time.Now()
		} else if time.Since(start) > maxLinger {
			return
		}
		// Yield rather than sleep: the goroutines about to insert need
		// this CPU, and a timer would oversleep by far more than maxLinger.
		runtime.Gosched()
	}
}

// Arrive tells the writer a capture is on its way; Depart that it reached
// Insert or gave up. They only shape batching, never correctness.
func (s *Store) Arrive() { s.arriving.Add(1) }

func (s *Store) Depart() { s.arriving.Add(-1) }

// errGaveUp is the outcome of a row whose waiter stopped waiting before the
// writer took it; nobody reads it.
var errGaveUp = errors.New("withdrawn before its transaction")

func (s *Store) commit(batch []*job) {
	errs := make([]error, len(batch))
	err := func() error {
		ctx := context.Background()
		// Once per process, before its first write: a damaged store must
		// never be written, even by a replay recording one attempt. It
		// reads every page (about 0.1 s per 100 000 captures); listen pays
		// it at start.
		if err := s.Check(ctx); err != nil {
			return err
		}
		if err := s.sameFile(); err != nil {
			return err
		}
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		st := s.writes.in(tx)
		ok := 0
		for i, j := range batch {
			var res sql.Result
			var err error
			if !j.take() {
				errs[i] = errGaveUp // answered 503 already: never stored
				continue
			}
			if j.rec != nil {
				key, ok := idNumber(j.rec.ID)
				if !ok {
					errs[i] = fmt.Errorf("%q is not a request id", j.rec.ID)
					continue
				}
				dupOf := s.dups.check(s, tx, j.hash, j.tail, j.rec.Body)
				if len(j.owed) > 0 {
					// The record and its outbox rows go in together or not at
					// all: a record whose deliveries were lost would be
					// acknowledged and never delivered.
					if _, err = st.stmt(stSavepoint).Exec(); err != nil {
						tx.Rollback()
						return err
					}
				}
				key, err = s.execRecord(st.stmt(stRecord), j, key, dupOf)
				if err == nil && len(j.owed) > 0 {
					err = insertOwed(st, key, j.rec.ReceivedAt, j.owed)
				}
				if len(j.owed) > 0 {
					if err != nil {
						st.stmt(stRollbackTo).Exec()
					}
					st.stmt(stRelease).Exec()
				}
				if err == nil {
					s.dups.add(j.hash, j.tail, key)
					if dupOf != 0 {
						// Live front ends say "same body as …" as list does.
						j.rec.Duplicate, j.rec.DuplicateOf = true, idString(dupOf)
					}
				}
			} else if j.fins != nil {
				err = finishDeliveries(st, j.fins)
			} else {
				key, ok := idNumber(j.att.RequestID)
				if !ok {
					errs[i] = fmt.Errorf("%q is not a request id", j.att.RequestID)
					continue
				}
				res, err = st.stmt(stAttempt).Exec(attemptArgs(key, j.att)...)
				if err == nil {
					j.att.ID, _ = res.LastInsertId()
				}
			}
			if err != nil {
				if isFatal(err) {
					tx.Rollback()
					s.latchCorrupt(err)
					return err
				}
				errs[i] = err // e.g. a duplicate id: this row only
				continue
			}
			ok++
		}
		if ok == 0 {
			return tx.Rollback()
		}
		if s.inTx != nil {
			s.inTx()
		}
		if err := tx.Commit(); err != nil {
			s.latchCorrupt(err)
			return err
		}
		s.dirty.Store(true)
		s.statMu.Lock()
		s.commits++
		s.rows += int64(ok)
		s.statMu.Unlock()
		return nil
	}()
	if err != nil {
		s.afterFailure(err)
	}
	for i, j := range batch {
		e := errs[i]
		if err != nil {
			e = err
		}
		switch {
		case e != nil && isBusy(e):
			e = fmt.Errorf("%w: %w", ErrUnavailable, ErrLocked)
		case e != nil:
			e = fmt.Errorf("%w: %s", ErrUnavailable, describe(e))
		}
		j.err <- e
	}
}

// idRetries bounds the fresh ids tried for one row when they clash with
// ids another process sharing the store took in the same millisecond.
const idRetries = 8

// execRecord inserts j's row. An id this store made up that another process
// has taken meanwhile is replaced by a later one (rec.ID changes before the
// caller reads it): a clash of ids is never a reason to refuse a webhook.
func (s *Store) execRecord(stmt *sql.Stmt, j *job, key, dupOf int64) (int64, error) {
	for try := 0; ; try++ {
		_, err := stmt.Exec(recordArgs(key, j.rec, j.hash, dupOf)...)
		if err == nil || !j.fresh || try == idRetries || !isIDClash(err) {
			return key, err
		}
		j.rec.ID = s.ids.Skip(j.rec.ReceivedAt)
		key, _ = idNumber(j.rec.ID)
	}
}

func recordArgs(key int64, r *inspect.Record, hash int64, dupOf int64) []any {
	body := r.Body
	if body == nil {
		body = []byte{}
	}
	return []any{key, r.ReceivedAt.UnixNano(), r.Method, r.Path, r.Query, r.Proto, r.Host, r.RemoteAddr,
		EncodeHeaders(r.Headers), body, r.Size, r.Refused, r.Event,
		string(r.Signature.Status), r.Signature.Scheme, r.Signature.Detail, r.Signature.SecretIndex, hash, dupOf, r.Relay}
}

// EncodeHeaders packs header lines as length-prefixed name/value pairs:
// compact, order-preserving, and lossless whatever bytes a value holds.
func EncodeHeaders(hs []inspect.Header) []byte {
	n := 0
	for _, h := range hs {
		n += len(h.Name) + len(h.Value) + 4
	}
	b := make([]byte, 0, n)
	for _, h := range hs {
		b = binary.AppendUvarint(b, uint64(len(h.Name)))
		b = append(b, h.Name...)
		b = binary.AppendUvarint(b, uint64(len(h.Value)))
		b = append(b, h.Value...)
	}
	return b
}

// DecodeHeaders reverses EncodeHeaders.
func DecodeHeaders(b []byte) ([]inspect.Header, error) {
	var out []inspect.Header
	next := func() (string, error) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return "", errors.New("corrupt header encoding")
		}
		s := string(b[n : n+int(l)])
		b = b[n+int(l):]
		return s, nil
	}
	for len(b) > 0 {
		name, err := next()
		if err != nil {
			return out, err
		}
		val, err := next()
		if err != nil {
			return out, err
		}
		out = append(out, inspect.Header{Name: name, Value: val})
	}
	return out, nil
}

const attemptSQL = `INSERT INTO attempts (request_id, at_ns, url, status, latency_ns,
 resp_headers, resp_body, error, replay, late, edited, sent_body, outbox_id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`

func attemptArgs(key int64, a *inspect.Attempt) []any {
	var sent any // NULL: the captured body was sent
	if a.Edited {
		sent = nonNil(a.SentBody)
	}
	return []any{key, a.At.UnixNano(), a.URL, a.Status, int64(a.Latency), EncodeHeaders(a.RespHeaders),
		nonNil(a.RespBody), a.Error, a.Replay, a.TimedOutForProvider, a.Edited, sent, a.DeliveryID}
}

// AttemptPatience bounds how long AddAttempt outwaits another process's
// write lock. A replay is not on VideoNest's clock, so unlike a capture (503
// after BusyTimeout) it keeps trying rather than tell the user "locked".
const AttemptPatience = 15 * time.Second

// AddAttempt records one delivery of a captured request to a handler and
// returns once it is committed. Attempts share the capture writer's
// transactions, so recording them never competes with captures for the lock.
// A store locked by another process is retried for up to AttemptPatience.
func (s *Store) AddAttempt(ctx context.Context, a *inspect.Attempt) error {
	giveUp := time.Now().Add(AttemptPatience)
	for {
		err := s.addAttempt(ctx, a)
		if err == nil || !errors.Is(err, ErrLocked) || ctx.Err() != nil || time.Now().After(giveUp) {
			return err
		}
	}
}

func (s *Store) addAttempt(ctx context.Context, a *inspect.Attempt) error {
	j := &job{att: a, err: make(chan error, 1)}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return fmt.Errorf("cannot record the attempt: %w", ctx.Err())
	case <-s.quit:
		return fmt.Errorf("cannot record the attempt: the store is closing")
	}
	err := s.wait(ctx, j, func(err error) error { return err })
	if err != nil {
		return fmt.Errorf("cannot record the attempt: %w", err)
	}
	return nil
}

// QueueAttempt records an attempt without waiting for the commit: the live
// forward path answers the sender first. done, if not nil, gets the outcome.
func (s *Store) QueueAttempt(a *inspect.Attempt, done func(error)) {
	j := &job{att: a, err: make(chan error, 1), queued: done == nil}
	select {
	case s.jobs <- j:
	case <-s.quit:
		if done != nil {
			done(fmt.Errorf("cannot record the attempt: the store is closing"))
		}
		return
	}
	if done != nil {
		go func() { done(<-j.err) }()
	}
}

func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
