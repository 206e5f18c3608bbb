// Package keep is the benchmark's durability anchors: the least a server
// can do to keep every request before it answers, with nothing of
// hookscope's in the way (no signature check, no header recovery, no
// payload decoding, no output). The bench runs bare net/http and the
// ReverseProxy with them, so hookscope's ratios can be read against what
// the same store costs on its own, in the same run:
//
//   - sqlite: one table, one prepared INSERT, group commit by one writer,
//     WAL with synchronous=NORMAL, SQLite's own checkpointing. Acknowledged
//     after COMMIT, as hookscope is. This is the ceiling of a SQLite store.
//   - store: hookscope's own store (inspect/store), fed by plain net/http.
//     Against sqlite it shows what the store costs over the ceiling, and
//     against hookscope listen what the rest of the capture path costs.
//   - log: an append-only file, one write(2) per batch, acknowledged after
//     the write. It survives a killed process, as WAL with NORMAL does, and
//     is what would beat SQLite.
package keep

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/inspect/wire"
)

// Keeper stores one captured request (or a handler's answer to one) and
// returns once it is kept.
type Keeper struct {
	jobs  chan *job
	flush func(batch []*job) error
	close func() error
	wg    sync.WaitGroup
	seq   int64        // owned by the writer
	st    *store.Store // store mode: no writer of our own
}

// Ref names a kept request, for its attempt.
type Ref struct {
	n  int64
	id string // store mode
}

type job struct {
	kind    byte // 'r' request, 'a' attempt
	ref     int64
	at      int64
	status  int
	method  string
	path    string
	headers []byte
	body    []byte
	done    chan error // nil: nobody waits
	id      int64
}

// Open parses "sqlite:PATH", "store:PATH" or "log:PATH".
func Open(spec string) (*Keeper, error) {
	mode, path, ok := strings.Cut(spec, ":")
	if !ok || path == "" {
		return nil, fmt.Errorf("-keep %q: want sqlite:PATH, store:PATH or log:PATH", spec)
	}
	k := &Keeper{jobs: make(chan *job, 4096)}
	var err error
	switch mode {
	case "sqlite":
		err = k.openSQLite(path)
	case "store":
		k.st, err = store.Open(path, store.Options{})
		return k, err
	case "log":
		err = k.openLog(path)
	default:
		err = fmt.Errorf("-keep %q: want sqlite:PATH, store:PATH or log:PATH", spec)
	}
	if err != nil {
		return nil, err
	}
	k.wg.Add(1)
	go k.writer()
	return k, nil
}

// Request keeps r (whose body has been read into body) and returns once
// it is kept.
func (k *Keeper) Request(r *http.Request, body []byte) (Ref, error) {
	if k.st != nil {
		rec := &inspect.Record{ReceivedAt: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery,
			Proto: r.Proto, Host: r.Host, RemoteAddr: r.RemoteAddr, Headers: wire.Fallback(r.Header), Body: body,
			Size: int64(len(body)), Signature: signature.Verdict{Status: signature.Unchecked, SecretIndex: -1}}
		err := k.st.Insert(r.Context(), rec)
		return Ref{id: rec.ID}, err
	}
	j := &job{kind: 'r', at: time.Now().UnixNano(), method: r.Method, path: r.URL.Path,
		headers: headerBlob(r.Header), body: body, done: make(chan error, 1)}
	k.jobs <- j
	err := <-j.done // the writer numbers the job before it answers
	return Ref{n: j.id}, err
}

// Attempt queues the handler's answer to request ref without waiting, as
// hookscope records a forward.
func (k *Keeper) Attempt(ref Ref, status int, h http.Header, body []byte) {
	if k.st != nil {
		k.st.QueueAttempt(&inspect.Attempt{RequestID: ref.id, At: time.Now(), Status: status,
			RespHeaders: wire.Fallback(h), RespBody: body}, nil)
		return
	}
	k.jobs <- &job{kind: 'a', ref: ref.n, at: time.Now().UnixNano(), status: status, headers: headerBlob(h), body: body}
}

// Close commits what is queued and closes the store.
func (k *Keeper) Close() error {
	if k.st != nil {
		return k.st.Close()
	}
	close(k.jobs)
	k.wg.Wait()
	return k.close()
}

// ReadBody reads r's body in one allocation when its length is declared,
// as hookscope reads it.
func ReadBody(r *http.Request) ([]byte, error) {
	if r.ContentLength < 0 {
		return io.ReadAll(r.Body)
	}
	body := make([]byte, r.ContentLength)
	_, err := io.ReadFull(r.Body, body)
	return body, err
}

func headerBlob(h http.Header) []byte {
	var b []byte
	for name, vs := range h {
		for _, v := range vs {
			b = append(b, name...)
			b = append(b, ": "...)
			b = append(b, v...)
			b = append(b, '\n')
		}
	}
	return b
}

// writer takes whatever is queued, gives the goroutines about to queue a
// couple of yields to do so, and keeps the batch at once.
func (k *Keeper) writer() {
	defer k.wg.Done()
	batch := make([]*job, 0, 512)
	for j := range k.jobs {
		batch = append(batch[:0], j)
		open := true
		for idle := 0; idle < 2 && open && len(batch) < cap(batch); {
			select {
			case j, ok := <-k.jobs:
				if !ok {
					open = false
					break
				}
				batch = append(batch, j)
				idle = 0
			default:
				idle++
				runtime.Gosched()
			}
		}
		for _, j := range batch {
			if j.kind == 'r' {
				k.seq++
				j.id = k.seq
			}
		}
		err := k.flush(batch)
		for _, j := range batch {
			if j.done != nil {
				j.done <- err
			}
		}
		if !open {
			return
		}
	}
}

func (k *Keeper) openSQLite(path string) error {
	// Extra pragmas may follow the path ("sqlite:PATH?_pragma=page_size(8192)"),
	// to try what else SQLite offers.
	path, extra, _ := strings.Cut(path, "?")
	if extra != "" {
		extra = "&" + extra
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"+extra)
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1)
	db.SetConnMaxIdleTime(0)
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS requests (id INTEGER PRIMARY KEY, received_ns INTEGER NOT NULL,
		method TEXT NOT NULL, path TEXT NOT NULL, headers BLOB NOT NULL, body BLOB NOT NULL);
		CREATE TABLE IF NOT EXISTS attempts (id INTEGER PRIMARY KEY, request_id INTEGER NOT NULL, at_ns INTEGER NOT NULL,
		status INTEGER NOT NULL, resp_headers BLOB NOT NULL, resp_body BLOB NOT NULL)`); err != nil {
		db.Close()
		return err
	}
	var n sql.NullInt64
	if err := db.QueryRow(`SELECT max(id) FROM requests`).Scan(&n); err != nil {
		db.Close()
		return err
	}
	k.seq = n.Int64
	ins, err := db.Prepare(`INSERT INTO requests (id, received_ns, method, path, headers, body) VALUES (?,?,?,?,?,?)`)
	if err != nil {
		db.Close()
		return err
	}
	att, err := db.Prepare(`INSERT INTO attempts (request_id, at_ns, status, resp_headers, resp_body) VALUES (?,?,?,?,?)`)
	if err != nil {
		db.Close()
		return err
	}
	k.flush = func(batch []*job) error {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		ri, ai := tx.Stmt(ins), tx.Stmt(att)
		for _, j := range batch {
			if j.kind == 'r' {
				_, err = ri.Exec(j.id, j.at, j.method, j.path, j.headers, j.body)
			} else {
				_, err = ai.Exec(j.ref, j.at, j.status, j.headers, j.body)
			}
			if err != nil {
				tx.Rollback()
				return err
			}
		}
		return tx.Commit()
	}
	k.close = db.Close
	return nil
}

func (k *Keeper) openLog(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	var buf []byte
	k.flush = func(batch []*job) error {
		buf = buf[:0]
		for _, j := range batch {
			// kind, id or ref, time, status, then length-prefixed fields.
			buf = append(buf, j.kind)
			buf = binary.AppendUvarint(buf, uint64(j.id|j.ref))
			buf = binary.AppendVarint(buf, j.at)
			buf = binary.AppendUvarint(buf, uint64(j.status))
			buf = appendField(buf, j.method)
			buf = appendField(buf, j.path)
			buf = appendField(buf, j.headers)
			buf = appendField(buf, j.body)
		}
		_, err := f.Write(buf)
		return err
	}
	k.close = func() error { return errors.Join(f.Sync(), f.Close()) }
	return nil
}

func appendField[T string | []byte](buf []byte, field T) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(field)))
	return append(buf, field...)
}
