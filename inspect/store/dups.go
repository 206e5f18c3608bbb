package store

import (
	"hash/crc32"
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
	first  map[int64]int64 // body hash → row key
	ring   []int64
	next   int
}

// BodyHash fingerprints a body so re-sent deliveries can be spotted. Two
// CRC-32s (both done in hardware) make 64 bits: a spotted duplicate is a
// hint on the screen, not a security decision, and this runs per capture
// at a tenth of SHA-256's cost.
func BodyHash(b []byte) int64 {
	if len(b) == 0 {
		return 0
	}
	return int64(uint64(crc32.Checksum(b, castagnoli))<<32 | uint64(crc32.ChecksumIEEE(b)))
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// check returns the row key of an earlier request whose body hashed to h,
// or 0.
func (d *dupIndex) check(s *Store, h int64) int64 {
	if !d.loaded {
		d.load(s)
	}
	if h == 0 {
		return 0
	}
	return d.first[h]
}

func (d *dupIndex) add(h int64, key int64) {
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
	d.first[h] = key
}

// load seeds the window from the newest stored rows, so a retry that
// arrives after a restart is still recognised.
func (d *dupIndex) load(s *Store) {
	d.loaded = true
	d.first = make(map[int64]int64)
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
		d.add(hs[i], ids[i])
	}
}
