// Package store is hookscope's durable SQLite store, shared by every
// hookscope process on the machine: listen writes captures through a single
// group-commit writer, while list, show and replay read (and record replay
// attempts) from other processes at the same time. WAL mode makes that safe.
// It knows nothing of HTTP or terminals.
package store

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hookscope/hookscope/inspect"
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
	// MaxBatchBytes caps the large rows one transaction carries
	// (default maxBatchBytes; see batchPlan).
	MaxBatchBytes int
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
	maxBytes int
	once     sync.Once
	ids      IDGen

	statMu  sync.Mutex
	commits int64
	rows    int64

	checkMu  sync.Mutex
	checked  bool  // the file passed Check in this process, or had a stamp
	verified bool  // the file passed quick_check here, or matched a stamp that did
	damaged  error // set for good once the file is known to be damaged

	// arriving counts requests a capture handler is working on that have
	// not reached Insert yet: while there are some, the writer lingers a
	// moment so they share its commit instead of paying for their own.
	arriving atomic.Int64
	writes   writeStmts // on the writer connection
	getStmt  *sql.Stmt  // on the readers: Get
	readMu   sync.Mutex
	reads    map[string]*sql.Stmt // on the readers, by query text
	dups     dupIndex             // writer goroutine only
	dirty    atomic.Bool
	// commitMu is held by the writer for each commit, and by the
	// checkpointer to finish a checkpoint between two commits.
	commitMu sync.Mutex
	// restartFrames and finishFrames, as fields so a test can shrink them.
	ckRestart, ckFinish int
	ckDone              chan struct{}
	// opened is the file the store opened (see sameFile).
	opened os.FileInfo
	// inTx, when set by a test, runs inside each transaction before it commits.
	inTx func()
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
	owed []inspect.Owed // with rec: its outbox rows
	att  *inspect.Attempt
	fins []*finish // outbox rows' attempts and new states, all or none
	hash int64     // rec's body hash, computed by the caller off the writer
	tail uint64    // the next 64 bits of the same SHA-256 (see dupEntry)
	err  chan error
	// fresh is set when the store chose rec.ID, so it may choose another.
	fresh bool
	// queued: nobody waits for this row's commit (QueueAttempt).
	queued bool
	// state is claimed once, by the writer (the row goes into a
	// transaction and its waiter waits for the outcome) or by a waiter
	// giving up first (the row is never written), so a 503 is only ever
	// given for a row that is not stored.
	state atomic.Int32
}

const (
	jobQueued int32 = iota
	jobTaken
	jobAbandoned
)

// take claims j for a transaction; false means its waiter already gave up.
func (j *job) take() bool { return j.state.CompareAndSwap(jobQueued, jobTaken) }

// abandon claims j for a waiter that stops waiting; false means the writer
// has it in a transaction already and the outcome is still to come.
func (j *job) abandon() bool { return j.state.CompareAndSwap(jobQueued, jobAbandoned) }

// size is what j adds to a transaction, for the batch's byte cap.
func (j *job) size() int {
	if j.rec != nil {
		n := len(j.rec.Body)
		for _, h := range j.rec.Headers {
			n += len(h.Name) + len(h.Value)
		}
		return n
	}
	if j.fins != nil {
		n := 0
		for _, f := range j.fins {
			if f.att != nil {
				n += len(f.att.RespBody)
			}
		}
		return n
	}
	return len(j.att.RespBody)
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
	if opt.MaxBatchBytes <= 0 {
		opt.MaxBatchBytes = maxBatchBytes
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
	} else if !errors.Is(err, os.ErrPermission) && !errors.Is(err, syscall.EROFS) {
		// A read-only file or file system is opened all the same: listen
		// answers 503 until it is writable, then recovers (see reopenWriter).
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
		maxBytes: opt.MaxBatchBytes, ckRestart: restartFrames, ckFinish: finishFrames}
	if err := s.migrate(); err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	s.rememberFile()
	// Prepared once: preparing per transaction cost 5% of capture's CPU,
	// and parsing the outbox's statements per row a tenth of the relay's.
	if err = s.writes.prepare(w); err == nil {
		s.getStmt, err = r.Prepare(getSQL)
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

// Path is the file the store lives in.
func (s *Store) Path() string { return s.path }

// Close stops the writer after it has committed everything queued.
func (s *Store) Close() error {
	s.once.Do(func() { close(s.quit) })
	<-s.done
	<-s.ckDone
	// Statements left open keep SQLite from really closing the connection,
	// and with it from folding the WAL back into the file on the way out.
	s.writes.close()
	s.getStmt.Close()
	s.closeReads()
	err := s.w.Close()
	if e := s.r.Close(); err == nil {
		err = e
	}
	// This process checked the file before writing and wrote only through
	// SQLite: vouch for it, so the next process can skip the check as long
	// as nobody touches the file meanwhile. Only for the very file it
	// checked: not one found through an older stamp, nor another file now
	// at the path.
	s.checkMu.Lock()
	vouch := s.verified && s.damaged == nil && s.sameFile() == nil
	s.checkMu.Unlock()
	if vouch && err == nil {
		writeStamp(s.path, fileState(s.path))
	}
	return err
}
