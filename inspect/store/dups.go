package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
)

// VideoNest re-sends a delivery it thinks failed (after 1, 5 and 30 min),
// so a body seen before is worth flagging. The writer remembers the hashes
// of the last dupWindow captures in memory instead of keeping an index on
// disk: an index on a random hash dirtied one more page per row, the single
// biggest cost of a commit.
const dupWindow = 50000

// dupIndex maps body hashes to the first id that carried them, oldest
// evicted first. Only the writer goroutine touches it.
type dupIndex struct {
	loaded bool
	first  map[int64]dupEntry // body hash → the first row with it
	ring   []int64
	next   int
}

// BodyHash fingerprints a body so re-sent deliveries can be spotted: the
// first 64 bits of its SHA-256, to fit the store's integer column. The
// sender chooses the body, so a checksum (CRC-32 once) let anyone forge a
// "re-sent" mark; with SHA-256 a body matching a given capture's 64 bits
// takes about 2^64 tries. Two bodies crafted to match each other take only
// 2^32, so a match is also confirmed byte for byte (confirmed) before a row
// is marked: the mark is a fact, "same body as <id>".
func BodyHash(b []byte) int64 {
	h, _ := bodyHashes(b)
	return h
}

// dupEntry is a row in the window. tail is the next 64 bits of its body's
// SHA-256 when this process stored it (0 when it was loaded from the
// store, which keeps 64 bits only): a body matching all 128 bits is the
// same body without reading the original back (a forged match would take
// 2^64 work), so a burst of re-sent webhooks costs no query per row.
type dupEntry struct {
	key  int64
	tail uint64
}

// bodyHashes is BodyHash and the next 64 bits of the same SHA-256.
func bodyHashes(b []byte) (int64, uint64) {
	if len(b) == 0 {
		return 0, 0
	}
	sum := sha256.Sum256(b)
	h := int64(binary.BigEndian.Uint64(sum[:8]))
	if h == 0 {
		h = 1 // 0 means "no body"
	}
	tail := binary.BigEndian.Uint64(sum[8:16])
	if tail == 0 {
		tail = 1 // 0 means "not known"
	}
	return h, tail
}

// check returns the row key of an earlier request whose body is body (hash
// h), or 0. q reads inside the writer's transaction, which may hold it.
func (d *dupIndex) check(s *Store, q *sql.Tx, h int64, tail uint64, body []byte) int64 {
	if !d.loaded {
		d.load(s)
	}
	if h == 0 {
		return 0
	}
	e := d.first[h]
	switch {
	case e.key == 0:
		return 0
	case e.tail != 0 && tail != 0:
		if e.tail != tail {
			return 0
		}
	case !confirmed(q, e.key, body):
		return 0
	}
	return e.key
}

// confirmed reports whether row key holds exactly body. It runs only when
// the hashes match, that is for a re-sent delivery: one read of a body as
// long as the one being written.
func confirmed(q *sql.Tx, key int64, body []byte) bool {
	var same bool
	err := q.QueryRow(`SELECT body = ? FROM requests WHERE id = ?`, body, key).Scan(&same)
	return err == nil && same
}

func (d *dupIndex) add(h int64, tail uint64, key int64) {
	if h == 0 {
		return
	}
	if _, ok := d.first[h]; ok {
		return
	}
	if len(d.ring) < dupWindow {
		d.ring = append(d.ring, h)
	} else {
		delete(d.first, d.ring[d.next])
		d.ring[d.next] = h
		d.next = (d.next + 1) % dupWindow
	}
	d.first[h] = dupEntry{key, tail}
}

// load seeds the window from the newest stored rows, so a retry that
// arrives after a restart is still recognised.
func (d *dupIndex) load(s *Store) {
	d.loaded = true
	d.first = make(map[int64]dupEntry)
	// The reader pool: the writer's one connection is inside a transaction.
	rows, err := s.r.Query(`SELECT body_hash, id FROM requests WHERE body_hash != 0 ORDER BY id DESC LIMIT ?`, dupWindow)
	if err != nil {
		return
	}
	defer rows.Close()
	var hs, ids []int64
	for rows.Next() {
		var h, id int64
		if rows.Scan(&h, &id) == nil {
			hs, ids = append(hs, h), append(ids, id)
		}
	}
	// Oldest first, so first[] keeps the earliest id of each body.
	for i := len(hs) - 1; i >= 0; i-- {
		d.add(hs[i], 0, ids[i])
	}
}
