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
	if rec.ID == "" {
		rec.ID = s.ids.Next(rec.ReceivedAt)
	}
	j := &job{rec: rec, owed: owed, hash: BodyHash(rec.Body), err: make(chan error, 1), ctx: ctx}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return fmt.Errorf("%w: the store is not keeping up (%v)", ErrUnavailable, ctx.Err())
	case <-s.quit:
		return fmt.Errorf("%w: the store is closing", ErrUnavailable)
	}
	select {
	case err := <-j.err:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: no commit within the deadline (%v)", ErrUnavailable, ctx.Err())
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
	batch := make([]*job, 0, s.maxBatch)
	for {
		batch = batch[:0]
		select {
		case j := <-s.jobs:
			batch = append(batch, j)
		case <-s.quit:
			// Drain what was accepted before Close.
			for {
				select {
				case j := <-s.jobs:
					batch = append(batch, j)
					continue
				default:
				}
				break
			}
			if len(batch) > 0 {
				s.commitMu.Lock()
				s.commit(batch)
				s.commitMu.Unlock()
			}
			return
		}
		s.fill(&batch)
		s.commitMu.Lock()
		s.commit(batch)
		s.commitMu.Unlock()
	}
}

// maxLinger bounds how long the writer waits for requests still on their
// way to Insert. A commit costs far more than a row, so under load waiting
// a little makes many rows share one; idle, nobody is arriving and the
// writer commits at once.
const maxLinger = 200 * time.Microsecond

func (s *Store) fill(batch *[]*job) {
	var start time.Time
	idle := 0
	for len(*batch) < s.maxBatch {
		select {
		case j := <-s.jobs:
			*batch = append(*batch, j)
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
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		recStmt, attStmt := tx.Stmt(s.insStmt), tx.Stmt(s.attStmt)
		ok := 0
		for i, j := range batch {
			var res sql.Result
			var err error
			if j.ctx != nil && j.ctx.Err() != nil {
				errs[i] = j.ctx.Err() // answered 503 already: not stored
				continue
			}
			if j.rec != nil {
				key, ok := idNumber(j.rec.ID)
				if !ok {
					errs[i] = fmt.Errorf("%q is not a request id", j.rec.ID)
					continue
				}
				dupOf := s.dups.check(s, j.hash)
				_, err = recStmt.Exec(recordArgs(key, j.rec, j.hash, dupOf)...)
				if err == nil {
					s.dups.add(j.hash, key)
				}
				if err == nil && len(j.owed) > 0 {
					err = insertOwed(tx, key, j.rec.ReceivedAt, j.owed)
				}
			} else if j.fin != nil {
				err = finishDelivery(tx, attStmt, j.fin)
			} else {
				key, ok := idNumber(j.att.RequestID)
				if !ok {
					errs[i] = fmt.Errorf("%q is not a request id", j.att.RequestID)
					continue
				}
				res, err = attStmt.Exec(attemptArgs(key, j.att)...)
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
	j := &job{att: a, err: make(chan error, 1), ctx: ctx}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return fmt.Errorf("cannot record the attempt: %w", ctx.Err())
	case <-s.quit:
		return fmt.Errorf("cannot record the attempt: the store is closing")
	}
	select {
	case err := <-j.err:
		if err != nil {
			return fmt.Errorf("cannot record the attempt: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("cannot record the attempt: %w", ctx.Err())
	}
}

// QueueAttempt records an attempt without waiting for the commit: the live
// forward path answers the sender first. done, if not nil, gets the outcome.
func (s *Store) QueueAttempt(a *inspect.Attempt, done func(error)) {
	j := &job{att: a, err: make(chan error, 1)}
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
