package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
)

// TestDamagedStoreIsNeverWritten: a store with a damaged page opens (list
// and show may still read what they can), but Check refuses it and no
// capture or attempt is written: the file keeps its bytes.
func TestDamagedStoreIsNeverWritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var first string
	for i := 0; i < 200; i++ {
		r := rec("/seed", strings.Repeat("b", 3000))
		if err := s.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
		if first == "" {
			first = r.ID
		}
	}
	s.Close()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(b[16])<<8 | int(b[17]) // the header's page size (1 means 65536)
	if pageSize == 1 {
		pageSize = 65536
	}
	mid := len(b) / pageSize / 2
	copy(b[mid*pageSize:(mid+1)*pageSize], bytes.Repeat([]byte{0xde, 0xad}, pageSize/2))
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	s, err = Open(path, Options{})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	err = s.Check(ctx)
	if !errors.Is(err, ErrDamaged) || !strings.Contains(err.Error(), path) || strings.Contains(err.Error(), "\n") {
		t.Errorf("Check: %v; want ErrDamaged, one line naming the file", err)
	}
	err = s.Insert(ctx, rec("/after", "x"))
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("Insert into a damaged store: %v", err)
	}
	err = s.AddAttempt(ctx, &inspect.Attempt{RequestID: first, At: time.Now(), URL: "http://x", Status: 200})
	if err == nil || !strings.Contains(err.Error(), "damaged") {
		t.Errorf("AddAttempt to a damaged store: %v", err)
	}
	s.Close()
	if got, _ := os.ReadFile(path); !bytes.Equal(got, b) {
		t.Error("the damaged file was written to")
	}
}

// TestAttemptOutwaitsALock: a replay's attempt waits for another process's
// write lock longer than a capture would, instead of failing with "locked".
func TestAttemptOutwaitsALock(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r := rec("/a", "x")
	if err := s.Insert(ctx, r); err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", "file:"+s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(BusyTimeout+time.Second, func() { conn.ExecContext(ctx, "ROLLBACK"); conn.Close() })

	// A capture gives up after BusyTimeout and says why.
	err = s.Insert(ctx, rec("/locked", "y"))
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "locked by another process") {
		t.Errorf("Insert under a held lock: %v", err)
	}
	// An attempt started now outlasts the lock.
	if err := s.AddAttempt(ctx, &inspect.Attempt{RequestID: r.ID, At: time.Now(), URL: "http://x", Status: 200, Replay: true}); err != nil {
		t.Fatalf("AddAttempt: %v", err)
	}
	if atts, _ := s.Attempts(ctx, r.ID); len(atts) != 1 {
		t.Errorf("%d attempts recorded", len(atts))
	}
}

// TestCheckStamp: a store closed by a process that checked it is not read
// page by page again, but any change to the file since brings the check
// back, and a damaged file is still refused.
func TestCheckStamp(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		s.Insert(ctx, rec("/seed", strings.Repeat("c", 3000)))
	}
	s.Close()
	if readStamp(path) == "" || readStamp(path) != fileState(path) {
		t.Fatalf("no stamp after a clean close: %q vs %q", readStamp(path), fileState(path))
	}
	// Same bytes: Check trusts the stamp, reading no page.
	s, _ = Open(path, Options{})
	if st := fileState(path); st != readStamp(path) {
		t.Errorf("opening changed the file state: %q vs stamp %q", st, readStamp(path))
	}
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Damage it: the stamp no longer matches, the check runs and refuses.
	b, _ := os.ReadFile(path)
	pageSize := int(b[16])<<8 | int(b[17])
	mid := len(b) / pageSize / 2
	copy(b[mid*pageSize:(mid+1)*pageSize], bytes.Repeat([]byte{0xde, 0xad}, pageSize/2))
	os.WriteFile(path, b, 0o600)
	s, _ = Open(path, Options{})
	defer s.Close()
	if err := s.Check(ctx); !errors.Is(err, ErrDamaged) {
		t.Errorf("damaged after the stamp: Check = %v", err)
	}
}

// TestStampBindsToContent damages the last page of a stamped store and
// puts its size and mtime back: the stamp no longer matches, so the check
// runs and refuses the file.
func TestStampBindsToContent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := 0; i < 50; i++ {
		s.Insert(ctx, rec("/seed", strings.Repeat("c", 3000)))
	}
	s.Close()
	if readStamp(path) != fileState(path) {
		t.Fatal("no stamp after a clean close")
	}
	fi, _ := os.Stat(path)
	b, _ := os.ReadFile(path)
	pageSize := int(b[16])<<8 | int(b[17])
	copy(b[len(b)-pageSize:], bytes.Repeat([]byte{0xde, 0xad}, pageSize/2))
	os.WriteFile(path, b, 0o600)
	os.Chtimes(path, fi.ModTime(), fi.ModTime())
	s, _ = Open(path, Options{})
	defer s.Close()
	if err := s.Check(ctx); !errors.Is(err, ErrDamaged) {
		t.Errorf("damaged under a stamp, size and mtime kept: Check = %v", err)
	}
}

// TestStampPassesOnForTheSameFile: a process that trusted a stamp and
// wrote through SQLite passes the stamp on, so replays in a row do not take
// turns reading every page; a file swapped in under it gets no stamp.
func TestStampPassesOnForTheSameFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "h.db")
	ctx := context.Background()
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Insert(ctx, rec("/first", "{}"))
	s.Close()
	s, _ = Open(path, Options{})
	if err := s.Insert(ctx, rec("/trusting", "{}")); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if st := readStamp(path); st != fileState(path) {
		t.Fatal("a process that trusted a stamp and wrote did not pass it on")
	}

	// Swapped: another store file moved into place while a process that
	// trusted the stamp runs. It must not vouch for a file it never saw.
	other := filepath.Join(dir, "other.db")
	o, _ := Open(other, Options{})
	o.Insert(ctx, rec("/other", "{}"))
	o.Close()
	s, _ = Open(path, Options{})
	if err := s.Check(ctx); err != nil {
		t.Fatal(err)
	}
	os.Rename(other, path)
	s.Close()
	if st := readStamp(path); st == fileState(path) && st != "" {
		t.Error("a process vouched for a file swapped in under it")
	}
}
