package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

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
		// Unchanged since a hookscope process that had checked it (or
		// trusted such a stamp in turn) closed it: skip reading every page
		// again (a replay pays 60 ms for it at 100 000 captures). The stamp
		// passes on at Close only for this very file (sameFile): one
		// swapped in meanwhile gets none.
		s.checked, s.verified = true, true
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
	s.checked, s.verified = true, true
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

func (e damagedError) Error() string { return string(e) }

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

// isIDClash reports an insert refused because its id is taken.
func isIDClash(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
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

// fileState identifies the store's bytes on disk without reading them all:
// size and modification time of the file and of its WAL, and a SHA-256 of
// the pages most likely to change (the header page, which names the
// database's size and schema, and the tail, where new rows land). A
// damaged or rewritten file whose owner restored its size and mtime still
// fails to match, unless every byte changed lies between the two.
func fileState(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	state := fmt.Sprintf("db %d %d %s", st.Size(), st.ModTime().UnixNano(), edges(path, st.Size()))
	// An empty WAL is what merely opening the store leaves behind.
	if w, err := os.Stat(path + "-wal"); err == nil && w.Size() > 0 {
		state += fmt.Sprintf(" wal %d %d %s", w.Size(), w.ModTime().UnixNano(), edges(path+"-wal", w.Size()))
	}
	return state
}

// edgeBytes is how much of each end of a file fileState hashes.
const edgeBytes = 64 << 10

// edges hashes the first and last edgeBytes of a file of the given size.
func edges(path string, size int64) string {
	f, err := os.Open(path)
	if err != nil {
		return "unreadable"
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, edgeBytes)
	for _, off := range []int64{0, max(size-edgeBytes, 0)} {
		n, _ := f.ReadAt(buf, off)
		h.Write(buf[:n])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
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
