package inspect

import (
	"strconv"
	"sync"
)

// EventType names what happened.
type EventType string

const (
	Captured  EventType = "request"     // a request was committed to the store
	Forwarded EventType = "forward"     // a delivery to a handler finished
	StoreFail EventType = "store_error" // a request was answered 503: not stored
	Team      EventType = "team"        // the team relay's connection or backlog changed
)

// TeamState is where the team relay stands, as every front end shows it:
// "team: 12 waiting, NATS unreachable".
type TeamState struct {
	Role string // "publish", "subscribe" or "publish+subscribe"
	// "connecting", "connected", "unreachable", or "error": connected,
	// but the server refused the stream or consumer (see Detail)
	State   string
	Pending int // captures waiting to be published
	// Behind is, for a subscriber, how many of the stream's messages it
	// has not stored yet (what it missed while away, still coming in).
	Behind int
	// TooLarge counts captures this process gave up publishing because
	// the server or the stream refuses messages that large.
	TooLarge int
	Detail   string // one sentence when not connected: what failed, that it retries
}

// Summary is the relay's state in the words every front end uses: "team:
// 12 waiting to publish, NATS unreachable: …".
func (t TeamState) Summary() string {
	b := "team: "
	if t.Pending > 0 {
		b += strconv.Itoa(t.Pending) + " waiting to publish, "
	}
	switch t.State {
	case "connected":
		b += "NATS connected"
	case "unreachable", "error":
		b += "NATS " + t.State
		if t.Detail != "" {
			b += ": " + t.Detail
		}
	default:
		b += "connecting to NATS"
	}
	if t.Behind > 0 {
		b += ", " + strconv.Itoa(t.Behind) + " behind"
	}
	if t.TooLarge > 0 {
		b += ", " + strconv.Itoa(t.TooLarge) + " too large to publish (see show)"
	}
	return b
}

// Event is what the session tells its front ends (TUI, printers, web). It
// carries metadata only: a Record without its body and an Attempt without
// the handler's answer body, so a queue of events costs a bounded amount
// whatever the senders send. Front ends read bodies from the store.
type Event struct {
	Type    EventType
	Record  *Record  // Captured, Forwarded, StoreFail: the record, Body nil
	Attempt *Attempt // Forwarded: RespBody nil
	Err     string   // StoreFail: why the request got a 503
	Team    *TeamState
}

// DefaultQueue is how many events a subscriber may fall behind by before
// its live view starts losing rows.
const DefaultQueue = 4096

// Bus fans events out to subscribers without ever blocking the sender. Each
// subscriber has a bounded queue: one that falls behind (a stopped
// terminal, a pipe nobody reads) loses the events that do not fit, and is
// told how many, instead of growing memory or slowing capture.
type Bus struct {
	mu    sync.Mutex
	subs  map[*Sub]struct{}
	Queue int // per-subscriber capacity; 0 = DefaultQueue
}

// Sub is one subscriber's queue.
type Sub struct {
	bus     *Bus
	mu      sync.Mutex
	q       []Event
	cap     int
	dropped int
	ready   chan struct{}
}

func (b *Bus) Subscribe() *Sub {
	n := b.Queue
	if n <= 0 {
		n = DefaultQueue
	}
	s := &Sub{bus: b, cap: n, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*Sub]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

// Publish hands e to every subscriber, stripped of bodies.
func (b *Bus) Publish(e Event) {
	e = e.metadata()
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.mu.Lock()
		if len(s.q) < s.cap {
			s.q = append(s.q, e)
		} else {
			s.dropped++
		}
		s.mu.Unlock()
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
}

// metadata copies what it keeps, so a subscriber never shares the
// sender's record (whose body it must not hold on to).
func (e Event) metadata() Event {
	if e.Record != nil {
		r := *e.Record
		r.Body = nil
		e.Record = &r
	}
	if e.Attempt != nil {
		a := *e.Attempt
		a.RespBody = nil
		a.SentBody = nil
		e.Attempt = &a
	}
	return e
}

// Ready fires when events are waiting; Drain then takes them all, so a
// burst arrives as one batch.
func (s *Sub) Ready() <-chan struct{} { return s.ready }

// Drain takes the waiting events.
func (s *Sub) Drain() []Event {
	s.mu.Lock()
	q := s.q
	s.q = nil
	s.mu.Unlock()
	return q
}

// Dropped says how many events did not fit the queue since the last call:
// rows the live view lost, which the front end should say.
func (s *Sub) Dropped() int {
	s.mu.Lock()
	d := s.dropped
	s.dropped = 0
	s.mu.Unlock()
	return d
}

// Close unsubscribes; pending events are discarded.
func (s *Sub) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
}
