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
	// 2: rows keyed by the id's number (see idNumber). The UNIQUE index on
	// the text id cost one more B-tree page written per commit; the integer
	// key is the table's own B-tree, and ids still append at its end.
	`CREATE TABLE requests2 (
		id          INTEGER PRIMARY KEY,
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
		dup_of      INTEGER NOT NULL DEFAULT 0
	);
	INSERT INTO requests2 SELECT ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,1,1))-1) << 55) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,2,1))-1) << 50) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,3,1))-1) << 45) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,4,1))-1) << 40) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,5,1))-1) << 35) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,6,1))-1) << 30) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,7,1))-1) << 25) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,8,1))-1) << 20) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,9,1))-1) << 15) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,10,1))-1) << 10) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,11,1))-1) << 5) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(id,12,1))-1) << 0),
		received_ns, method, path, query, proto, host, remote, headers, body, size, refused, event,
		sig_status, sig_scheme, sig_detail, sig_secret, body_hash,
		CASE WHEN dup_of = '' THEN 0 ELSE ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,1,1))-1) << 55) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,2,1))-1) << 50) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,3,1))-1) << 45) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,4,1))-1) << 40) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,5,1))-1) << 35) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,6,1))-1) << 30) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,7,1))-1) << 25) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,8,1))-1) << 20) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,9,1))-1) << 15) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,10,1))-1) << 10) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,11,1))-1) << 5) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(dup_of,12,1))-1) << 0) END
	FROM requests ORDER BY seq;
	CREATE TABLE attempts2 (
		id           INTEGER PRIMARY KEY,
		request_id   INTEGER NOT NULL REFERENCES requests2(id) ON DELETE CASCADE,
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
	INSERT INTO attempts2 SELECT id, ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,1,1))-1) << 55) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,2,1))-1) << 50) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,3,1))-1) << 45) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,4,1))-1) << 40) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,5,1))-1) << 35) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,6,1))-1) << 30) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,7,1))-1) << 25) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,8,1))-1) << 20) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,9,1))-1) << 15) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,10,1))-1) << 10) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,11,1))-1) << 5) | ((instr('0123456789abcdefghjkmnpqrstvwxyz', substr(request_id,12,1))-1) << 0),
		at_ns, url, status, latency_ns, resp_headers, resp_body, error, replay, late
	FROM attempts ORDER BY id;
	DROP TABLE attempts;
	DROP TABLE requests;
	ALTER TABLE requests2 RENAME TO requests;
	ALTER TABLE attempts2 RENAME TO attempts;
	CREATE INDEX attempts_request ON attempts(request_id, id);`,
	// 3: the outbox. Every delivery a record is owed (a handler under
	// --ack, a fan-out copy, a relay publish) is a row written in the
	// capture's own transaction, so a crash between the 200 and the
	// delivery loses nothing. Attempts say which row they worked off, and
	// an edited replay keeps the body it sent.
	`CREATE TABLE outbox (
		id          INTEGER PRIMARY KEY,
		request_id  INTEGER NOT NULL REFERENCES requests(id) ON DELETE CASCADE,
		sink        TEXT NOT NULL,
		target      TEXT NOT NULL,
		state       TEXT NOT NULL DEFAULT 'pending',
		tries       INTEGER NOT NULL DEFAULT 0,
		next_ns     INTEGER NOT NULL,
		last_status INTEGER NOT NULL DEFAULT 0,
		last_error  TEXT NOT NULL DEFAULT '',
		done_ns     INTEGER NOT NULL DEFAULT 0
	);
	CREATE INDEX outbox_request ON outbox(request_id);
	CREATE INDEX outbox_due ON outbox(next_ns) WHERE state = 'pending';
	ALTER TABLE attempts ADD COLUMN edited INTEGER NOT NULL DEFAULT 0;
	ALTER TABLE attempts ADD COLUMN sent_body BLOB;
	ALTER TABLE attempts ADD COLUMN outbox_id INTEGER NOT NULL DEFAULT 0;
	CREATE TABLE outbox_worker (
		id      INTEGER PRIMARY KEY CHECK (id = 1),
		token   TEXT NOT NULL,
		pid     INTEGER NOT NULL,
		beat_ns INTEGER NOT NULL
	);`,
	// 4: a record the team relay brought in names the hookscope that
	// captured it (its instance id); '' for a capture of this machine's own.
	`ALTER TABLE requests ADD COLUMN relay TEXT NOT NULL DEFAULT '';`,
	// 5: what hookscope answered itself, when it did (listen --respond, or
	// VideoNest's endpoint check while the handler is down); '' otherwise.
	`ALTER TABLE requests ADD COLUMN answered TEXT NOT NULL DEFAULT '';`,
	// 6: the due query walks pending rows in arrival order. Without this
	// index SQLite walked the whole outbox, every row ever delivered, on
	// each call.
	`CREATE INDEX outbox_pending ON outbox(id) WHERE state = 'pending';`,
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
