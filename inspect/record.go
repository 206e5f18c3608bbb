// Package inspect is hookscope's domain: the captured-request model, the
// capture engine (capture → verify → store → emit), forwarding and replay.
// It owns no terminal and no command-line parsing; front ends (cmd, tui)
// consume the events it emits.
package inspect

import (
	"fmt"
	"net/http"
	"time"

	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
)

// Record is one captured request.
type Record struct {
	ID         string
	ReceivedAt time.Time // nanosecond precision
	Method     string
	Path       string // path only, as sent (escaped form)
	Query      string // raw query without '?'
	Proto      string
	Host       string
	RemoteAddr string
	Headers    []Header
	Body       []byte
	Size       int64 // body size in bytes as announced/received, even when the body was refused

	// Refused is the error status hookscope answered with instead of
	// passing the request on: 413 (too large), 400 (ambiguous framing)
	// and 505 (an h2c preface) are decided before the body is read, so no
	// body is kept; 401
	// (--verify-only) and 508 (a forward loop) keep the body as it came.
	// BodyKept tells which.
	Refused int

	Event string // see EventOf: where the judging scheme's provider puts it

	Signature signature.Verdict

	// Relay names the hookscope (its instance id) that captured this
	// request when the team relay brought it here; "" for a capture of
	// this store's own. A relayed record keeps its publisher's ID.
	Relay string

	// Filled by store queries: the latest live forward or replay (else
	// the latest outbox delivery), and whether
	// an earlier request carried the same body (VideoNest re-sent it).
	Forwarded     bool
	ForwardStatus int // 0 with Forwarded: no answer (see ForwardError)
	ForwardError  string
	Duplicate     bool
	// Answered says what hookscope answered the sender itself, when it
	// did rather than store-and-200 or relay the handler's answer
	// (listen --respond, VideoNest's endpoint check with the handler down).
	Answered string
	// Delivery sums up the record's outbox rows: "" when it owes none,
	// else the least finished of pending, undelivered, delivered.
	Delivery    DeliveryState
	DuplicateOf string // the id of the earlier request with the same body
}

// Attempt is one delivery of a captured request to a handler: the live
// forward or a replay.
type Attempt struct {
	ID          int64
	RequestID   string
	At          time.Time
	URL         string
	Status      int // 0 when no answer (see Error)
	Latency     time.Duration
	RespHeaders []Header
	RespBody    []byte // capped
	Error       string
	Replay      bool
	// TimedOutForProvider is set when the handler answered, but later than
	// VideoNest's 10 s limit: VideoNest would have retried.
	TimedOutForProvider bool
	// Edited marks a replay whose body or signature was changed before it
	// was sent; SentBody is then what the handler received (the record's
	// body is what was captured).
	Edited   bool
	SentBody []byte
	// DeliveryID is the outbox row this attempt worked off (0: the live
	// forward answered to the sender, or a replay).
	DeliveryID int64
}

// BodyKept reports whether the record holds the request's body as sent:
// true unless hookscope refused the request before reading it.
func (r *Record) BodyKept() bool {
	switch r.Refused {
	case http.StatusRequestEntityTooLarge, http.StatusBadRequest, http.StatusHTTPVersionNotSupported:
		return false
	}
	return true
}

// SizeLabel is the body's size as every view shows it: "171 B"; for a
// body refused unread, the size its sender announced, and "–" when it
// announced none (chunked).
func (r *Record) SizeLabel() string {
	switch {
	case r.BodyKept():
		return payload.HumanSize(r.Size)
	case r.Size < 0:
		return "–"
	}
	return payload.HumanSize(r.Size) + " announced"
}

// URI returns path plus query as it was requested.
func (r *Record) URI() string {
	if r.Query == "" {
		return r.Path
	}
	return r.Path + "?" + r.Query
}

// FormatLatency writes a delivery's latency the way every hookscope view
// shows it: µs under a millisecond, one decimal in ms, two in seconds.
func FormatLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2fs", d.Seconds())
}
