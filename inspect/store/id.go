package store

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/hookscope/hookscope/inspect"
)

// IDs are 12 lower-case Crockford base32 characters: 9 for the milliseconds
// since 2020-01-01 (good for a thousand years) and 3 for a counter. They sort
// by arrival as plain strings, carry no ambiguous letters (no i, l, o, u), and
// any unique prefix selects one, like a git hash.
const (
	idAlphabet = inspect.IDAlphabet
	idLen      = inspect.IDLen
	idTimeLen  = 9
	idSeqBits  = 15
)

var idEpoch = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// IDGen hands out monotonically increasing IDs. The counter starts at a
// random point each millisecond so that two processes writing one store
// (two listens, or listen and import) rarely collide; when they do, the
// primary key refuses the second and the writer retries with Skip, so a
// clash is never the sender's problem.
type IDGen struct {
	mu     sync.Mutex
	lastMS int64
	seq    uint32
}

func (g *IDGen) Next(t time.Time) string {
	ms := t.Sub(idEpoch).Milliseconds()
	if ms < 0 {
		ms = 0
	}
	g.mu.Lock()
	if ms <= g.lastMS {
		ms = g.lastMS
		g.seq++
		if g.seq >= 1<<idSeqBits {
			ms++
			g.seq = randSeq()
		}
	} else {
		g.seq = randSeq()
	}
	g.lastMS = ms
	seq := g.seq
	g.mu.Unlock()
	return encodeID(ms, seq)
}

// Skip returns an id after t's that jumps a random stretch of the counter:
// the id before it clashed with one another process took, and that process
// may be counting up through the very same values.
func (g *IDGen) Skip(t time.Time) string {
	g.mu.Lock()
	g.seq += randSeq() % 1024
	g.mu.Unlock()
	return g.Next(t)
}

func randSeq() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:])
	// Leave the upper half of the counter space for bursts within one ms.
	return binary.LittleEndian.Uint32(b[:]) % (1 << (idSeqBits - 1))
}

func encodeID(ms int64, seq uint32) string {
	var b [idLen]byte
	for i := idTimeLen - 1; i >= 0; i-- {
		b[i] = idAlphabet[ms&31]
		ms >>= 5
	}
	for i := idLen - 1; i >= idTimeLen; i-- {
		b[i] = idAlphabet[seq&31]
		seq >>= 5
	}
	return string(b[:])
}

// IDTime returns the arrival millisecond encoded in an ID.
func IDTime(id string) (time.Time, bool) {
	if len(id) != idLen {
		return time.Time{}, false
	}
	var ms int64
	for i := 0; i < idTimeLen; i++ {
		v := strings.IndexByte(idAlphabet, id[i])
		if v < 0 {
			return time.Time{}, false
		}
		ms = ms<<5 | int64(v)
	}
	return idEpoch.Add(time.Duration(ms) * time.Millisecond), true
}

// ErrBadID is returned for an id prefix with characters no id contains.
var ErrBadID = errors.New("not an id")

// NormalizePrefix is inspect.NormalizeIDPrefix, with ErrBadID for text no
// id starts with.
func NormalizePrefix(p string) (string, error) {
	n, ok := inspect.NormalizeIDPrefix(p)
	if !ok {
		return "", ErrBadID
	}
	return n, nil
}

// The store keys rows by the id's number: 12 base32 characters are 60 bits,
// and since ids sort by arrival both as text and as numbers, the row's
// INTEGER PRIMARY KEY is the id itself. A separate index on a text id made
// every commit write one more B-tree page.

// idNumber decodes a full id. ok is false for anything that is not one.
func idNumber(id string) (n int64, ok bool) {
	if len(id) != idLen {
		return 0, false
	}
	for i := 0; i < idLen; i++ {
		v := strings.IndexByte(idAlphabet, id[i])
		if v < 0 {
			return 0, false
		}
		n = n<<5 | int64(v)
	}
	return n, true
}

// idString encodes a row key back into the id users see.
func idString(n int64) string {
	var b [idLen]byte
	for i := idLen - 1; i >= 0; i-- {
		b[i] = idAlphabet[n&31]
		n >>= 5
	}
	return string(b[:])
}

// prefixRange is the half-open range of row keys whose ids start with the
// normalized prefix p.
func prefixRange(p string) (lo, hi int64) {
	for i := 0; i < idLen; i++ {
		lo <<= 5
		if i < len(p) {
			lo |= int64(strings.IndexByte(idAlphabet, p[i]))
		}
	}
	return lo, lo + int64(1)<<(5*(idLen-len(p)))
}
