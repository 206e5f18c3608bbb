package capture

import (
	"sync"

	"github.com/hookscope/hookscope/inspect"
)

// EventType names what happened.
type EventType string

const (
	Captured  EventType = "request" // a request was committed to the store
	Forwarded EventType = "forward" // a delivery to a handler finished
	StoreFail EventType = "store_error"
)

// Event is what the engine tells its front ends (TUI, plain or JSON printer).
type Event struct {
	Type    EventType
	Record  *inspect.Record  // Captured, Forwarded: the one record, body included
	Attempt *inspect.Attempt // Forwarded
	Err     string           // StoreFail: why the request got a 503
}

// Bus fans events out to subscribers without ever blocking the request
// path: each subscriber has its own unbounded queue, so a slow terminal
// costs memory, not latency, and no JSON line is ever dropped.
type Bus struct {
	mu   sync.Mutex
	subs map[*Sub]struct{}
}

// Sub is one subscriber's queue.
type Sub struct {
	bus   *Bus
	mu    sync.Mutex
	q     []Event
	ready chan struct{}
}

func (b *Bus) Subscribe() *Sub {
	s := &Sub{bus: b, ready: make(chan struct{}, 1)}
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[*Sub]struct{}{}
	}
	b.subs[s] = struct{}{}
	b.mu.Unlock()
	return s
}

func (b *Bus) Publish(e Event) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		s.mu.Lock()
		s.q = append(s.q, e)
		s.mu.Unlock()
		select {
		case s.ready <- struct{}{}:
		default:
		}
	}
}

// Ready fires when events are waiting; Drain then takes them all, so a
// burst arrives as one batch.
func (s *Sub) Ready() <-chan struct{} { return s.ready }

func (s *Sub) Drain() []Event {
	s.mu.Lock()
	q := s.q
	s.q = nil
	s.mu.Unlock()
	return q
}

// Close unsubscribes; pending events are discarded.
func (s *Sub) Close() {
	s.bus.mu.Lock()
	delete(s.bus.subs, s)
	s.bus.mu.Unlock()
}
