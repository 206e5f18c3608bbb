// Package store is hookscope's durable SQLite store, shared by every
// hookscope process on the machine: listen writes captures through a single
// group-commit writer, while list, show and replay read (and record replay
// attempts) from other processes at the same time. WAL mode makes that safe.
// It knows nothing of HTTP or terminals.
package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// appID marks a SQLite file as hookscope's ("hksc"), so a foreign database
// given as --db is refused instead of being migrated into.
const appID = 0x686b7363

// BusyTimeout bounds how long a write waits for another process's lock.
// VideoNest gives up after 10 s; a capture must be answered well before.
const BusyTimeout = 2500 * time.Millisecond

var (
	ErrNotFound  = errors.New("not found")
	ErrAmbiguous = errors.New("ambiguous id")
	// ErrUnavailable wraps every failure to commit a capture: locked, full,
	// read-only. The capture handler turns it into a 503.
	ErrUnavailable = errors.New("store unavailable")
	// ErrLocked is another process holding the write lock past BusyTimeout.
	ErrLocked = fmt.Errorf("the database is locked by another process (waited %s)", BusyTimeout)
	// ErrDamaged is a store file SQLite finds damaged: never written to.
	ErrDamaged = errors.New("the database file is damaged")
)

// Options tune Open.
type Options struct {
	// MaxBatch caps how many captures share one transaction.
	MaxBatch int
}

// Store is an open hookscope database.
type Store struct {
	path string
	w    *sql.DB // one connection: the group-commit writer and attempt writes
	r    *sql.DB // readers

	jobs     chan *job
	quit     chan struct{}
	done     chan struct{}
	maxBatch int
	once     sync.Once
	ids      IDGen

	statMu  sync.Mutex
	commits int64
	rows    int64

	checkMu sync.Mutex
	checked bool  // the file passed Check in this process
	damaged error // set for good once the file is known to be damaged

	// arriving counts requests a capture handler is working on that have
	// not reached Insert yet: while there are some, the writer lingers a
	// moment so they share its commit instead of paying for their own.
	arriving atomic.Int64
	insStmt  *sql.Stmt
	attStmt  *sql.Stmt
	dups     dupIndex // writer goroutine only
	dirty    atomic.Bool
	// commitMu is held by the writer for each commit, and by the
	// checkpointer to finish a checkpoint between two commits.
	commitMu sync.Mutex
	// restartFrames and finishFrames, as fields so a test can shrink them.
	ckRestart, ckFinish int
	ckDone              chan struct{}
}

// Stats counts the writer's transactions and rows, to show group commit at work.
type Stats struct{ Commits, Rows int64 }

func (s *Store) Stats() Stats {
	s.statMu.Lock()
	defer s.statMu.Unlock()
	return Stats{s.commits, s.rows}
}

// job is one row for the writer: a capture or an attempt.
type job struct {
	rec  *inspect.Record
	att  *inspect.Attempt
	hash int64 // rec's body hash, computed by the caller off the writer
	err  chan error
	// ctx is the waiter's: once it is done the sender has had its 503, and
	// committing the row then would only make the provider's retry a
	// duplicate (after a lock clears, every queued capture would).
	ctx context.Context
}

// DefaultPath is $XDG_DATA_HOME/hookscope/hookscope.db (~/.local/share when unset).
func DefaultPath() (string, error) {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find a home directory for the store: %w; pass --db", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "hookscope", "hookscope.db"), nil
}

func dsn(path string, txlock string, extra ...string) string {
	q := []string{
		"_pragma=busy_timeout(" + fmt.Sprint(BusyTimeout.Milliseconds()) + ")",
		"_pragma=journal_mode(WAL)",
		// NORMAL in WAL mode: a commit is in the WAL file (the OS has it) when
		// Exec returns, so a killed process loses nothing acknowledged; only
		// power loss could cost the last transactions.
		"_pragma=synchronous(NORMAL)",
		"_pragma=foreign_keys(1)",
		"_txlock=" + txlock,
	}
	q = append(q, extra...)
	return "file:" + path + "?" + strings.Join(q, "&")
}

// Open opens (creating if needed) the store at path, checks that it is a
// hookscope store, and migrates it to the current schema.
func Open(path string, opt Options) (*Store, error) {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 512
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the store directory %s: %w", filepath.Dir(path), err)
	}
	if err := checkForeign(path); err != nil {
		return nil, err
	}
	// Create the file ourselves so it is 0600 from the first byte.
	if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600); err == nil {
		f.Close()
	} else if !errors.Is(err, os.ErrPermission) {
		return nil, fmt.Errorf("cannot open the store %s: %w", path, err)
	}
	// The checkpointer goroutine copies the WAL into the database in the
	// background, off the request path (see checkpointer). The writer's own
	// automatic checkpoint is only a backstop for a checkpointer that cannot
	// keep up; journal_size_limit trims the WAL file after a big burst.
	w, err := sql.Open("sqlite", dsn(path, "immediate", "_pragma=wal_autocheckpoint(32768)",
		"_pragma=journal_size_limit(67108864)"))
	if err != nil {
		return nil, fmt.Errorf("cannot open the store %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn(path, "deferred"))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("cannot open the store %s: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s := &Store{path: path, w: w, r: r, jobs: make(chan *job, 4096),
		quit: make(chan struct{}), done: make(chan struct{}), ckDone: make(chan struct{}), maxBatch: opt.MaxBatch,
		ckRestart: restartFrames, ckFinish: finishFrames}
	if err := s.migrate(); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	// Prepared once: preparing per transaction cost 5% of capture's CPU.
	if s.insStmt, err = w.Prepare(insertSQL); err == nil {
		s.attStmt, err = w.Prepare(attemptSQL)
	}
	if err != nil {
		w.Close()
		r.Close()
		return nil, fmt.Errorf("cannot prepare the store %s: %s", path, describe(err))
	}
	go s.writer()
	go s.checkpointer()
	return s, nil
}

// checkForeign refuses files that are not SQLite or are someone else's
// SQLite database, before SQLite gets a chance to write to them.
func checkForeign(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // missing (created later) or unreadable (SQLite reports it)
	}
	defer f.Close()
	hdr := make([]byte, 100)
	n, err := io.ReadFull(f, hdr)
	if n == 0 {
		return nil // empty file: a fresh store
	}
	if err != nil || string(hdr[:16]) != "SQLite format 3\x00" {
		return fmt.Errorf("%s is not a hookscope store (not a SQLite database); it was left untouched: pass another --db", path)
	}
	foreign := fmt.Errorf("%s is another program's SQLite database, not a hookscope store; it was left untouched: pass another --db", path)
	switch binary.BigEndian.Uint32(hdr[68:72]) {
	case appID:
		return nil
	case 0:
		// The header may predate a migration still in the WAL, and opening
		// the file normally would already switch someone else's database to
		// WAL: ask SQLite, read-only. Our first migration sets the id in the
		// same transaction that creates the tables, so tables without the id
		// are someone else's.
		db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
		if err != nil {
			return nil
		}
		defer db.Close()
		var id uint32
		var n int
		err = db.QueryRow(`PRAGMA application_id`).Scan(&id)
		if err == nil {
			err = db.QueryRow(`SELECT count(*) FROM sqlite_schema`).Scan(&n)
		}
		if err != nil {
			return fmt.Errorf("%s cannot be read as a hookscope store (%s); it was left untouched: pass another --db", path, describe(err))
		}
		if id == appID || n == 0 {
			return nil
		}
	}
	return foreign
}

// Check makes sure the file is sound before anything is written to it, once
// per process (SQLite's quick_check reads every page: about a tenth of a
// second per 200 MB). Writing to a damaged file would bury the damage under
// new pages, and a checkpoint truncates the file to the size a damaged header
// claims, so a damaged store is refused for good and left as it is. The
// writer calls Check before its first commit; listen calls it at start to
// say so at once.
func (s *Store) Check(ctx context.Context) error {
	s.checkMu.Lock()
	defer s.checkMu.Unlock()
	if s.damaged != nil {
		return s.damaged
	}
	if s.checked {
		return nil
	}
	if st := fileState(s.path); st != "" && readStamp(s.path) == st {
		// Unchanged since a hookscope process that had checked it closed
		// it: skip reading every page again (a replay pays 60 ms for it at
		// 100 000 captures).
		s.checked = true
		return nil
	}
	var problems []string
	rows, err := s.w.QueryContext(ctx, `PRAGMA quick_check(3)`)
	if err == nil {
		for rows.Next() {
			var p string
			if err = rows.Scan(&p); err != nil {
				break
			}
			problems = append(problems, p)
		}
		if err == nil {
			err = rows.Err()
		}
		rows.Close()
	}
	switch {
	case err != nil && isCorrupt(err):
		s.markDamaged(err)
		return s.damaged
	case err != nil:
		return fmt.Errorf("cannot check the store %s: %s", s.path, describe(err))
	case len(problems) != 1 || problems[0] != "ok":
		s.markDamaged(errors.New(strings.Join(problems, "; ")))
		return s.damaged
	}
	s.checked = true
	return nil
}

// markDamaged latches the store as damaged: no write reaches the file again
// in this process. Call with checkMu held.
func (s *Store) markDamaged(cause error) {
	if s.damaged == nil {
		s.damaged = damagedError(fmt.Sprintf("the store %s is damaged (SQLite: %s); hookscope will not write to it and left it as it is: move it aside and pass another --db (sqlite3's .recover may rescue its rows)",
			s.path, firstLine(cause.Error())))
	}
}

// damagedError is the sentence a user reads about a damaged store; it is ErrDamaged.
type damagedError string

func (e damagedError) Error() string        { return string(e) }
func (e damagedError) Is(target error) bool { return target == ErrDamaged }

func firstLine(s string) string {
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "***") {
			s = l
			break
		}
	}
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return strings.ReplaceAll(s, "\n", " ")
}

// latchCorrupt marks the store damaged when SQLite met damage while writing.
func (s *Store) latchCorrupt(err error) {
	if isCorrupt(err) {
		s.checkMu.Lock()
		s.markDamaged(err)
		s.checkMu.Unlock()
	}
}

// isBusy reports another process's lock outlasting BusyTimeout.
func isBusy(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
	}
	return false
}

// isCorrupt reports errors that mean the file itself is damaged.
func isCorrupt(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return true
		}
	}
	return false
}

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// Close stops the writer after it has committed everything queued.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	<-s.ckDone
	// Statements left open keep SQLite from really closing the connection,
	// and with it from folding the WAL back into the file on the way out.
	s.insStmt.Close()
	s.attStmt.Close()
	err := s.w.Close()
	if e := s.r.Close(); err == nil {
		err = e
	}
	// This process checked the file before writing and wrote only through
	// SQLite: vouch for it, so the next process can skip the check as long
	// as nobody touches the file meanwhile.
	s.checkMu.Lock()
	vouch := s.checked && s.damaged == nil
	s.checkMu.Unlock()
	if vouch && err == nil {
		writeStamp(s.path, fileState(s.path))
	}
	return err
}

// fileState identifies the store's bytes on disk without reading them:
// size and modification time of the file and of its WAL.
func fileState(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	state := fmt.Sprintf("db %d %d", st.Size(), st.ModTime().UnixNano())
	// An empty WAL is what merely opening the store leaves behind.
	if w, err := os.Stat(path + "-wal"); err == nil && w.Size() > 0 {
		state += fmt.Sprintf(" wal %d %d", w.Size(), w.ModTime().UnixNano())
	}
	return state
}

func stampPath(path string) string { return path + "-checked" }

func readStamp(path string) string {
	b, err := os.ReadFile(stampPath(path))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// writeStamp replaces the stamp atomically; failing to write it only costs
// the next process a check.
func writeStamp(path, state string) {
	if state == "" {
		return
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hookscope-checked-*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(state + "\n")
	if cerr := tmp.Close(); werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return
	}
	if os.Rename(tmp.Name(), stampPath(path)) != nil {
		os.Remove(tmp.Name())
	}
}

// NewID returns a fresh request id.
func (s *Store) NewID(t time.Time) string { return s.ids.Next(t) }

// Insert queues rec for the group-commit writer and returns once its row is
// committed, or with an error wrapping ErrUnavailable. rec.ID is assigned
// when empty. The caller must not answer 2xx before this returns nil.
func (s *Store) Insert(ctx context.Context, rec *inspect.Record) error {
	if rec.ID == "" {
		rec.ID = s.ids.Next(rec.ReceivedAt)
	}
	j := &job{rec: rec, hash: BodyHash(rec.Body), err: make(chan error, 1), ctx: ctx}
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
 headers, body, size, refused, event, sig_status, sig_scheme, sig_detail, sig_secret, body_hash, dup_of)
 VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`

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

// checkpointer copies the WAL back into the database file in the
// background, so no capture waits for a checkpoint's fsync.
//
// SQLite starts the WAL over only after a checkpoint that reached its end,
// which a background checkpoint never does under continuous load: frames
// keep arriving while it copies. Left to the writer's automatic checkpoint,
// the whole copy and two fsyncs happened between two commits, and every
// capture in flight waited for them: 25 stalls of about 18 ms in 5 s at
// 31 000 captures/s, 9% of the time. So once the WAL is big, the
// checkpointer copies in passes until little is left, then holds the
// writer only for that remainder.
func (s *Store) checkpointer() {
	defer close(s.ckDone)
	// Each pass's fsyncs hold up the writer's WAL writes for a moment, the
	// longer the more a pass copies: at 100 ms rather than 250 ms, capture's
	// p99 under a 16-connection burst was 21 ms instead of 30 ms (with a
	// 64 MiB WAL; see restartFrames), for the same throughput.
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if s.dirty.Swap(false) {
				s.checkpoint()
			}
		case <-s.done:
			if s.dirty.Load() {
				passive(s.r)
			}
			return
		}
	}
}

const (
	// A WAL this long (8 MiB of 4 KiB pages) is started over. A short WAL
	// keeps the tail short: under a 16-connection burst, capture's p99 was
	// 6.4–7.4 ms at 1024–2048 frames, 9–10 ms at 4096, 20 ms at 16384 and
	// 40–51 ms at 65536, for the same throughput (forward's p99: 4.4 ms at
	// 2048, 12 ms at 16384).
	restartFrames = 2048
	finishFrames  = 256 // what is left for the last pass, with the writer held
)

func (s *Store) checkpoint() {
	// One connection for every pass, taken before the writer is held: the
	// held pass must not wait for a reader connection the TUI is using.
	conn, err := s.r.Conn(context.Background())
	if err != nil {
		return
	}
	defer conn.Close()
	log, done, ok := passive(conn)
	for i := 0; ok && log >= s.ckRestart && log-done > s.ckFinish && i < 8; i++ {
		log, done, ok = passive(conn)
	}
	// Holding the writer is worth it only for a short last pass: if the
	// passes did not catch up (a reader in another process pins old frames,
	// say), the writer's backstop checkpoint gets its turn instead.
	if !ok || log < s.ckRestart || log-done > 4*s.ckFinish {
		return
	}
	s.commitMu.Lock()
	passive(conn)
	s.commitMu.Unlock()
}

// passive runs one PASSIVE checkpoint and returns the WAL's length and how
// much of it is now in the database file, in frames.
func passive(q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (log, done int, ok bool) {
	var busy int
	err := q.QueryRowContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &log, &done)
	return log, done, err == nil && busy == 0
}

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

// isFatal tells errors that doom the whole transaction from those that only
// reject one row.
func isFatal(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()&0xff != sqlite3.SQLITE_CONSTRAINT
	}
	return true
}

// describe turns a SQLite error into words a user can act on.
func describe(err error) string {
	if errors.Is(err, ErrDamaged) {
		return "the database file is damaged; hookscope will not write to it"
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Sprintf("the database is locked by another process (waited %s)", BusyTimeout)
		case sqlite3.SQLITE_FULL:
			return "the disk is full"
		case sqlite3.SQLITE_READONLY:
			return "the database is read-only"
		case sqlite3.SQLITE_IOERR:
			return "disk I/O error (is the disk full, read-only or failing?)"
		case sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB:
			return "the database file is damaged"
		case sqlite3.SQLITE_CONSTRAINT:
			return "a request with this id is already stored"
		}
	}
	return err.Error()
}

func recordArgs(key int64, r *inspect.Record, hash int64, dupOf int64) []any {
	body := r.Body
	if body == nil {
		body = []byte{}
	}
	return []any{key, r.ReceivedAt.UnixNano(), r.Method, r.Path, r.Query, r.Proto, r.Host, r.RemoteAddr,
		EncodeHeaders(r.Headers), body, r.Size, r.Refused, r.Event,
		string(r.Signature.Status), r.Signature.Scheme, r.Signature.Detail, r.Signature.SecretIndex, hash, dupOf}
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
 resp_headers, resp_body, error, replay, late) VALUES (?,?,?,?,?,?,?,?,?,?)`

func attemptArgs(key int64, a *inspect.Attempt) []any {
	return []any{key, a.At.UnixNano(), a.URL, a.Status, int64(a.Latency), EncodeHeaders(a.RespHeaders),
		nonNil(a.RespBody), a.Error, a.Replay, a.TimedOutForProvider}
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

// Resolve turns a user-typed id or unique prefix into a full id.
func (s *Store) Resolve(ctx context.Context, prefix string) (string, error) {
	p, err := NormalizePrefix(prefix)
	if err != nil {
		return "", fmt.Errorf("%q is not a request id (ids use 0-9 and a-z without i, l, o, u): %w", prefix, ErrNotFound)
	}
	lo, hi := prefixRange(p)
	rows, err := s.r.QueryContext(ctx, `SELECT id FROM requests WHERE id >= ? AND id < ? ORDER BY id LIMIT 6`, lo, hi)
	if err != nil {
		return "", fmt.Errorf("cannot read the store: %s", describe(err))
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var key int64
		if err := rows.Scan(&key); err != nil {
			return "", err
		}
		ids = append(ids, idString(key))
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("cannot read the store: %s", describe(err))
	}
	switch {
	case len(ids) == 0:
		return "", fmt.Errorf("no request with id %q: %w (run `hookscope list` to see ids)", prefix, ErrNotFound)
	case len(ids) == 1:
		return ids[0], nil
	}
	for _, id := range ids {
		if id == p {
			return id, nil
		}
	}
	more := ""
	if len(ids) > 5 {
		ids, more = ids[:5], ", …"
	}
	return "", fmt.Errorf("id prefix %q is ambiguous: it matches %s%s; type more characters: %w", prefix, strings.Join(ids, ", "), more, ErrAmbiguous)
}

const recordCols = `r.id, r.received_ns, r.method, r.path, r.query, r.proto, r.host, r.remote, r.size, r.refused,
 r.event, r.sig_status, r.sig_scheme, r.sig_detail, r.sig_secret,
 (SELECT a.status FROM attempts a WHERE a.request_id = r.id ORDER BY a.id DESC LIMIT 1),
 (SELECT a.error FROM attempts a WHERE a.request_id = r.id ORDER BY a.id DESC LIMIT 1),
 r.dup_of != 0`

type scanner interface{ Scan(...any) error }

func scanRecord(sc scanner, extra ...any) (inspect.Record, error) {
	var rec inspect.Record
	var key, ns int64
	var status, scheme string
	var fwdStatus sql.NullInt64
	var fwdErr sql.NullString
	dest := []any{&key, &ns, &rec.Method, &rec.Path, &rec.Query, &rec.Proto, &rec.Host, &rec.RemoteAddr,
		&rec.Size, &rec.Refused, &rec.Event, &status, &scheme, &rec.Signature.Detail, &rec.Signature.SecretIndex,
		&fwdStatus, &fwdErr, &rec.Duplicate}
	if err := sc.Scan(append(dest, extra...)...); err != nil {
		return rec, err
	}
	rec.ID = idString(key)
	rec.ReceivedAt = time.Unix(0, ns)
	rec.Signature.Status = signature.Status(status)
	rec.Signature.Scheme = scheme
	rec.ForwardStatus = int(fwdStatus.Int64)
	rec.ForwardError = fwdErr.String
	rec.Forwarded = fwdStatus.Valid
	return rec, nil
}

// Get returns the whole record, body and headers included.
func (s *Store) Get(ctx context.Context, id string) (*inspect.Record, error) {
	key, ok := idNumber(id)
	if !ok {
		return nil, fmt.Errorf("no request with id %q: %w", id, ErrNotFound)
	}
	row := s.r.QueryRowContext(ctx, `SELECT `+recordCols+`, r.headers, r.body FROM requests r WHERE r.id = ?`, key)
	var hdr, body []byte
	rec, err := scanRecord(row, &hdr, &body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("no request with id %q: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read request %s: %s", id, describe(err))
	}
	rec.Headers, err = DecodeHeaders(hdr)
	if err != nil {
		return nil, fmt.Errorf("request %s: %w", id, err)
	}
	rec.Body = body
	return &rec, nil
}

// Query selects records for list views. Zero values mean "no filter".
type Query struct {
	Limit     int
	Before    string // only ids older than this (paging, newest first)
	After     string // only ids newer than this (tailing)
	Event     string // exact, or a glob with * (video.*)
	Signature signature.Status
	Since     time.Time
	Text      string // substring of path, event or id
	Oldest    bool   // order oldest first (used with After)
}

func (q Query) where() (string, []any) {
	var conds []string
	var args []any
	// Paging bounds compare as ids do; one that is not a full id (a
	// prefix) bounds by its range, so paging never skips or repeats a row.
	if q.Before != "" {
		conds = append(conds, "r.id < ?")
		args = append(args, boundKey(q.Before, false))
	}
	if q.After != "" {
		conds = append(conds, "r.id > ?")
		args = append(args, boundKey(q.After, true))
	}
	if q.Event != "" {
		if strings.ContainsAny(q.Event, "*?") {
			conds = append(conds, "r.event GLOB ?")
		} else {
			conds = append(conds, "r.event = ?")
		}
		args = append(args, q.Event)
	}
	if q.Signature != "" {
		conds = append(conds, "r.sig_status = ?")
		args = append(args, string(q.Signature))
	}
	if !q.Since.IsZero() {
		conds = append(conds, "r.received_ns >= ?")
		args = append(args, q.Since.UnixNano())
	}
	if q.Text != "" {
		if p, err := NormalizePrefix(q.Text); err == nil {
			lo, hi := prefixRange(p)
			conds = append(conds, "(instr(r.path, ?) > 0 OR instr(r.event, ?) > 0 OR (r.id >= ? AND r.id < ?))")
			args = append(args, q.Text, q.Text, lo, hi)
		} else {
			conds = append(conds, "(instr(r.path, ?) > 0 OR instr(r.event, ?) > 0)")
			args = append(args, q.Text, q.Text)
		}
	}
	if len(conds) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args
}

// List returns records without bodies, newest first unless q.Oldest.
func (s *Store) List(ctx context.Context, q Query) ([]inspect.Record, error) {
	where, args := q.where()
	order := " ORDER BY r.id DESC"
	if q.Oldest {
		order = " ORDER BY r.id ASC"
	}
	lim := ""
	if q.Limit > 0 {
		lim = fmt.Sprintf(" LIMIT %d", q.Limit)
	}
	rows, err := s.r.QueryContext(ctx, `SELECT `+recordCols+` FROM requests r`+where+order+lim, args...)
	if err != nil {
		return nil, fmt.Errorf("cannot read the store: %s", describe(err))
	}
	defer rows.Close()
	var out []inspect.Record
	for rows.Next() {
		rec, err := scanRecord(rows)
		if err != nil {
			return nil, fmt.Errorf("cannot read the store: %s", describe(err))
		}
		out = append(out, rec)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cannot read the store: %s", describe(err))
	}
	return out, nil
}

// Count counts the records matching q (Limit and paging ignored).
func (s *Store) Count(ctx context.Context, q Query) (int, error) {
	q.Before, q.After, q.Limit = "", "", 0
	where, args := q.where()
	var n int
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM requests r`+where, args...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("cannot read the store: %s", describe(err))
	}
	return n, nil
}

// Attempts lists the deliveries of one request, oldest first.
func (s *Store) Attempts(ctx context.Context, id string) ([]inspect.Attempt, error) {
	key, ok := idNumber(id)
	if !ok {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, at_ns, url, status, latency_ns, resp_headers, resp_body,
 error, replay, late FROM attempts WHERE request_id = ? ORDER BY id`, key)
	if err != nil {
		return nil, fmt.Errorf("cannot read the store: %s", describe(err))
	}
	defer rows.Close()
	var out []inspect.Attempt
	for rows.Next() {
		var a inspect.Attempt
		var at, lat int64
		var hdr []byte
		a.RequestID = idString(key)
		if err := rows.Scan(&a.ID, &at, &a.URL, &a.Status, &lat, &hdr, &a.RespBody, &a.Error,
			&a.Replay, &a.TimedOutForProvider); err != nil {
			return nil, fmt.Errorf("cannot read the store: %s", describe(err))
		}
		a.At, a.Latency = time.Unix(0, at), time.Duration(lat)
		a.RespHeaders, _ = DecodeHeaders(hdr)
		out = append(out, a)
	}
	return out, rows.Err()
}

// LastTarget is the URL the request was last forwarded to ("" if never).
func (s *Store) LastTarget(ctx context.Context, id string) (string, error) {
	key, ok := idNumber(id)
	if !ok {
		return "", nil
	}
	var u string
	err := s.r.QueryRowContext(ctx, `SELECT url FROM attempts WHERE request_id = ? ORDER BY id DESC LIMIT 1`, key).Scan(&u)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the store: %s", describe(err))
	}
	return u, nil
}

// boundKey turns a paging bound into a row key, keeping the text ids'
// order: a full id is itself, and a prefix sorts just before the ids that
// start with it.
func boundKey(id string, after bool) int64 {
	if k, ok := idNumber(id); ok {
		return k
	}
	p, err := NormalizePrefix(id)
	if err != nil {
		if after {
			return math.MaxInt64
		}
		return -1
	}
	lo, _ := prefixRange(p)
	if after {
		return lo - 1
	}
	return lo
}
