package store

import (
	"errors"
	"fmt"
	"os"

	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// The store's file can change under a running process: deleted, renamed,
// replaced by a restored backup, or made read-only. SQLite keeps writing to
// the file it opened, so commits to a deleted file would "succeed" into an
// inode nobody can read back, and a connection opened read-only stays so
// after the file becomes writable. The writer guards against both.

// ErrReplaced is a store file deleted or replaced under a running process.
var ErrReplaced = errors.New("the store file was replaced")

// rememberFile notes which file the store opened, to notice its path
// later naming another file or none.
func (s *Store) rememberFile() {
	if fi, err := os.Stat(s.path); err == nil {
		s.opened = fi
	}
}

// sameFile reports, before a commit, whether the path still names the file
// this process opened. While it does not, nothing is acknowledged: the
// rows would go to a file the user no longer has. If the file comes back
// (renamed back), commits resume.
func (s *Store) sameFile() error {
	if s.opened == nil {
		return nil
	}
	fi, err := os.Stat(s.path)
	if err == nil && os.SameFile(fi, s.opened) {
		return nil
	}
	what := "replaced by another file"
	if errors.Is(err, os.ErrNotExist) {
		what = "deleted or moved"
	}
	return replacedError(fmt.Sprintf("the store file %s was %s while hookscope ran, so nothing more is stored in the old one: restart hookscope to use the file at that path", s.path, what))
}

type replacedError string

func (e replacedError) Error() string { return string(e) }

func (e replacedError) Is(target error) bool { return target == ErrReplaced }

// isReadOnly reports a write refused because the file or its file system
// is read-only (to this process).
func isReadOnly(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_READONLY
}

// afterFailure runs after a commit failed with err. A connection that
// found the file read-only stays read-only, even once the file is writable:
// drop it, so the next commit opens the file afresh (the writer's prepared
// statements prepare themselves again on the new connection).
func (s *Store) afterFailure(err error) {
	if isReadOnly(err) {
		s.w.SetMaxIdleConns(0)
		s.w.SetMaxIdleConns(1)
	}
}
