package store

import (
	"fmt"
)

// migrations[i] brings the schema from user_version i to i+1. Append only:
// a released migration is never edited, since stores in the field ran it.
var migrations = []string{
	`CREATE TABLE requests (
		seq         INTEGER PRIMARY KEY,
		id          TEXT NOT NULL UNIQUE,
		received_ns INTEGER NOT NULL,
		method      TEXT NOT NULL,
		path        TEXT NOT NULL,
		query       TEXT NOT NULL DEFAULT '',
		proto       TEXT NOT NULL DEFAULT '',
		host        TEXT NOT NULL DEFAULT '',
		remote      TEXT NOT NULL DEFAULT '',
		headers     BLOB NOT NULL,
		body        BLOB NOT NULL,
		size        INTEGER NOT NULL,
		refused     INTEGER NOT NULL DEFAULT 0,
		event       TEXT NOT NULL DEFAULT '',
		sig_status  TEXT NOT NULL,
		sig_scheme  TEXT NOT NULL DEFAULT '',
		sig_detail  TEXT NOT NULL DEFAULT '',
		sig_secret  INTEGER NOT NULL DEFAULT -1,
		body_hash   INTEGER NOT NULL DEFAULT 0,
		dup_of      TEXT NOT NULL DEFAULT ''
	);
	CREATE TABLE attempts (
		id           INTEGER PRIMARY KEY,
		request_id   TEXT NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
		at_ns        INTEGER NOT NULL,
		url          TEXT NOT NULL,
		status       INTEGER NOT NULL DEFAULT 0,
		latency_ns   INTEGER NOT NULL DEFAULT 0,
		resp_headers BLOB NOT NULL,
		resp_body    BLOB NOT NULL,
		error        TEXT NOT NULL DEFAULT '',
		replay       INTEGER NOT NULL DEFAULT 0,
		late         INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX attempts_request ON attempts(request_id, id);`,
}

// SchemaVersion is the user_version this build writes.
var SchemaVersion = len(migrations)

func (s *Store) migrate() error {
	var version int
	if err := s.w.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("cannot read the store %s: %s", s.path, describe(err))
	}
	if version == len(migrations) {
		return nil // the common case, without taking the write lock
	}
	// Two processes may start on a fresh store at once: take the write lock,
	// then look again.
	tx, err := s.w.Begin()
	if err != nil {
		return fmt.Errorf("cannot migrate the store %s: %s", s.path, describe(err))
	}
	defer tx.Rollback()
	if err := tx.QueryRow(`PRAGMA user_version`).Scan(&version); err != nil {
		return fmt.Errorf("cannot read the store %s: %s", s.path, describe(err))
	}
	if version > len(migrations) {
		return fmt.Errorf("the store %s was written by a newer hookscope (schema %d, this one knows %d): upgrade hookscope or pass another --db", s.path, version, len(migrations))
	}
	if version == len(migrations) {
		return nil
	}
	if version == 0 {
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM sqlite_schema`).Scan(&n); err != nil {
			return fmt.Errorf("cannot read the store %s: %s", s.path, describe(err))
		}
		if n > 0 {
			return fmt.Errorf("%s is another program's SQLite database, not a hookscope store; it was left untouched: pass another --db", s.path)
		}
	}
	for v := version; v < len(migrations); v++ {
		if _, err := tx.Exec(migrations[v]); err != nil {
			return fmt.Errorf("cannot migrate the store %s to schema %d: %s", s.path, v+1, describe(err))
		}
	}
	if _, err := tx.Exec(fmt.Sprintf(`PRAGMA user_version = %d; PRAGMA application_id = %d`, len(migrations), appID)); err != nil {
		return fmt.Errorf("cannot migrate the store %s: %s", s.path, describe(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("cannot migrate the store %s: %s", s.path, describe(err))
	}
	return nil
}
