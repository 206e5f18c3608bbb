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
	first  map[int64]string
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

// check returns the id of an earlier request whose body hashed to h, or "".
func (d *dupIndex) check(s *Store, h int64) string {
	if !d.loaded {
		d.load(s)
	}
	if h == 0 {
		return ""
	}
	return d.first[h]
}

func (d *dupIndex) add(h int64, id string) {
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
	d.first[h] = id
}

// load seeds the window from the newest stored rows, so a retry that
// arrives after a restart is still recognised.
func (d *dupIndex) load(s *Store) {
	d.loaded = true
	d.first = make(map[int64]string)
	// The reader pool: the writer's one connection is inside a transaction.
	rows, err := s.r.Query(`SELECT body_hash, id FROM requests WHERE body_hash != 0 ORDER BY seq DESC LIMIT ?`, dupWindow)
	if err != nil {
		return
	}
	defer rows.Close()
	var hs []int64
	var ids []string
	for rows.Next() {
		var h int64
		var id string
		if rows.Scan(&h, &id) == nil {
			hs, ids = append(hs, h), append(ids, id)
		}
	}
	// Oldest first, so first[] keeps the earliest id of each body.
	for i := len(hs) - 1; i >= 0; i-- {
		d.add(hs[i], ids[i])
	}
}
