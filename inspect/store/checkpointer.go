package store

import (
	"context"
	"database/sql"
	"time"
)

// checkpointer copies the WAL back into the database file in the
// background, so no capture waits for a checkpoint's fsync.
//
// SQLite starts the WAL over only after a checkpoint that reached its end,
// which a background checkpoint never does under continuous load: frames
// keep arriving while it copies. Left to the writer's automatic checkpoint,
// the whole copy and two fsyncs happened between two commits, and every
// capture in flight waited for them (bench/README.md has the stalls). So
// once the WAL is big, the checkpointer copies in passes until little is
// left, then holds the writer only for that remainder.
func (s *Store) checkpointer() {
	defer close(s.ckDone)
	// Each pass's fsyncs hold up the writer's WAL writes for a moment, the
	// longer the more a pass copies: frequent short passes keep capture's
	// tail latency down for the same throughput (bench/README.md).
	t := time.NewTicker(100 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			// A new reader connection would open whatever file is at
			// the path now: never checkpoint into a replacement.
			if s.dirty.Swap(false) && s.sameFile() == nil {
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
	// keeps the tail short for the same throughput (bench/README.md has
	// the p99 at each length tried).
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
