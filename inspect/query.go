package inspect

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect/signature"
)

// Query selects records for list views, in every front end and command.
// Zero values mean "no filter".
type Query struct {
	Limit     int
	Before    string // only ids older than this (paging, newest first)
	After     string // only ids newer than this (tailing)
	Event     string // exact, or a glob with * (video.*)
	Signature signature.Status
	Since     time.Time
	// Text is found in the path, the event, a header's name or value (or
	// "Name: value" across both), or the body; or it is an id prefix. Case
	// is ignored for ASCII letters only: other bytes compare exactly (see
	// TextMatch).
	Text string
	// Status selects by the latest delivery attempt's answer or by the
	// outbox's state (see StatusFilter).
	Status StatusFilter
	Oldest bool // order oldest first (used with After)
}

// StatusKind says how a StatusFilter compares.
type StatusKind int

const (
	AnyStatus       StatusKind = iota
	ExactStatus                // 500
	ClassStatus                // 5xx
	NotForwarded               // none: no attempt was ever made
	NoAnswer                   // err: the latest attempt got no HTTP answer
	Failed                     // failed: the latest attempt got no 2xx (err included)
	OwedPending                // pending: an outbox delivery is still being tried
	OwedUndelivered            // undelivered: an outbox delivery was given up
	OwedDelivered              // delivered: every outbox delivery got its 2xx
)

// StatusFilter matches a record by its latest delivery attempt (the
// FORWARD column of list: the live forward, a retry or a replay, whichever
// came last), or by its outbox rows (Record.Delivery).
type StatusFilter struct {
	Kind StatusKind
	Code int // ExactStatus: the code; ClassStatus: 5 for 5xx
}

// Active reports whether the filter selects anything.
func (f StatusFilter) Active() bool { return f.Kind != AnyStatus }

// String is the filter as a user types it (ParseStatusFilter reads it back).
func (f StatusFilter) String() string {
	switch f.Kind {
	case ExactStatus:
		return strconv.Itoa(f.Code)
	case ClassStatus:
		return strconv.Itoa(f.Code) + "xx"
	case NotForwarded:
		return "none"
	case NoAnswer:
		return "err"
	case Failed:
		return "failed"
	case OwedPending:
		return string(Pending)
	case OwedUndelivered:
		return string(Undelivered)
	case OwedDelivered:
		return string(Delivered)
	}
	return ""
}

// StatusWords is the help text for every place a status filter is typed.
const StatusWords = "a code (500), a class (5xx), ok (2xx), failed (no 2xx), err (no answer), none (never sent), pending, undelivered or delivered"

// ParseStatusFilter reads "500", "5xx", "ok", "failed", "err", "none",
// "pending", "undelivered", "delivered" (any case).
func ParseStatusFilter(s string) (StatusFilter, error) {
	l := strings.ToLower(strings.TrimSpace(s))
	switch l {
	case "":
		return StatusFilter{}, nil
	case "none", "-", "–":
		return StatusFilter{Kind: NotForwarded}, nil
	case "err", "error":
		return StatusFilter{Kind: NoAnswer}, nil
	case "fail", "failed", "!2xx":
		return StatusFilter{Kind: Failed}, nil
	case "ok":
		return StatusFilter{Kind: ClassStatus, Code: 2}, nil
	case string(Pending):
		return StatusFilter{Kind: OwedPending}, nil
	case string(Undelivered):
		return StatusFilter{Kind: OwedUndelivered}, nil
	case string(Delivered):
		return StatusFilter{Kind: OwedDelivered}, nil
	}
	if len(l) == 3 && l[1:] == "xx" && l[0] >= '1' && l[0] <= '5' {
		return StatusFilter{Kind: ClassStatus, Code: int(l[0] - '0')}, nil
	}
	if n, err := strconv.Atoi(l); err == nil && n >= 100 && n <= 599 {
		return StatusFilter{Kind: ExactStatus, Code: n}, nil
	}
	return StatusFilter{}, fmt.Errorf("%q is not a status: use %s", s, StatusWords)
}

// Match reports whether r passes; r carries what store queries fill in
// (Forwarded, ForwardStatus, Delivery).
func (f StatusFilter) Match(r *Record) bool {
	switch f.Kind {
	case ExactStatus:
		return r.Forwarded && r.ForwardStatus == f.Code
	case ClassStatus:
		return r.Forwarded && r.ForwardStatus/100 == f.Code
	case NotForwarded:
		return !r.Forwarded
	case NoAnswer:
		return r.Forwarded && r.ForwardStatus == 0
	case Failed:
		return r.Forwarded && (r.ForwardStatus < 200 || r.ForwardStatus > 299)
	case OwedPending:
		return r.Delivery == Pending
	case OwedUndelivered:
		return r.Delivery == Undelivered
	case OwedDelivered:
		return r.Delivery == Delivered
	}
	return true
}

// FoldText turns a typed search text into TextMatch's needle: ASCII
// letters lower-cased, every other byte kept.
func FoldText(s string) string {
	b := []byte(s) // bytes, not runes: invalid UTF-8 stays as typed
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// TextMatch reports whether needle (from FoldText) is in the path, the
// event, a header or the body. The store's search runs this very function
// over every row, so a live view and a store query always agree.
func TextMatch(needle string, path, event string, headers []Header, body []byte) bool {
	if ContainsFold(path, needle) || ContainsFold(event, needle) || ContainsFold(string(body), needle) {
		return true
	}
	for _, h := range headers {
		if HeaderMatch(h.Name, h.Value, needle) {
			return true
		}
	}
	return false
}

// HeaderMatch reports whether needle is in the header's name or value,
// or spans both as "name: value" (the way a request shows it): the part
// before the colon ends the name and the part after it starts the value.
func HeaderMatch(name, value, needle string) bool {
	if ContainsFold(name, needle) || ContainsFold(value, needle) {
		return true
	}
	n, v, ok := strings.Cut(needle, ":")
	if !ok {
		return false
	}
	v = strings.TrimLeft(v, " \t")
	return len(name) >= len(n) && equalFold(name[len(name)-len(n):], n) &&
		len(value) >= len(v) && equalFold(value[:len(v)], v)
}

// ContainsFold reports whether needle (ASCII lower case, from FoldText)
// occurs in h with ASCII letters compared regardless of case. It never
// allocates: the store calls it on every row it scans.
func ContainsFold(h, needle string) bool {
	if len(needle) == 0 {
		return true
	}
	c0 := needle[0]
	c1 := c0 // the first byte's other case, if it has one
	if 'a' <= c0 && c0 <= 'z' {
		c1 = c0 - ('a' - 'A')
	}
	// Positions of the next c0 and c1 at or after i (past last: none),
	// found with the vectorised IndexByte and kept until passed, so a byte
	// that is rare or absent costs one scan, not one per candidate.
	last := len(h) - len(needle)
	n0, n1 := -1, -1
	if c1 == c0 {
		n1 = last + 1
	}
	for i := 0; i <= last; {
		if n0 < i {
			n0 = indexByte(h, i, last, c0)
		}
		if c1 != c0 && n1 < i {
			n1 = indexByte(h, i, last, c1)
		}
		next := min(n0, n1)
		if next > last {
			return false
		}
		if equalFold(h[next:next+len(needle)], needle) {
			return true
		}
		i = next + 1
	}
	return false
}

// indexByte is the first position p of c with from <= p <= last, or
// last+1 when there is none.
func indexByte(h string, from, last int, c byte) int {
	j := strings.IndexByte(h[from:last+1], c)
	if j < 0 {
		return last + 1
	}
	return from + j
}

// equalFold compares s with lower (ASCII lower case), folding s's ASCII
// letters.
func equalFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}
