package forward

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	neturl "net/url"
	"sync"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/store"
)

// VideoNestSchedule is VideoNest's own retry schedule: the waits before
// its second, third and fourth tries.
var VideoNestSchedule = []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute}

// Retry is when the outbox tries again and when it gives up.
type Retry struct {
	// Schedule holds the waits after the first, second… failed try; past
	// its end the last wait repeats. Empty: VideoNestSchedule.
	Schedule []time.Duration
	// MaxAttempts is how many tries a delivery gets before it is
	// undelivered; 0: one more than the schedule has waits.
	MaxAttempts int
}

func (r Retry) schedule() []time.Duration {
	if len(r.Schedule) == 0 {
		return VideoNestSchedule
	}
	return r.Schedule
}

// Max is how many tries a delivery gets.
func (r Retry) Max() int {
	if r.MaxAttempts > 0 {
		return r.MaxAttempts
	}
	return len(r.schedule()) + 1
}

// Wait is the pause after the tries-th failed try.
func (r Retry) Wait(tries int) time.Duration {
	s := r.schedule()
	if tries < 1 {
		tries = 1
	}
	if tries > len(s) {
		return s[len(s)-1]
	}
	return s[tries-1]
}

// SendFunc makes one try of a delivery to one sink and returns the attempt;
// a 2xx Status means delivered.
type SendFunc func(ctx context.Context, rec *inspect.Record, d inspect.Delivery) *inspect.Attempt

// ProbeFunc tells whether a target that gave no answer is back; nil error
// means it is worth trying again now.
type ProbeFunc func(ctx context.Context, target string) error

// Sink is one kind of outbox delivery.
type Sink struct {
	Send  SendFunc
	Probe ProbeFunc // nil: no early retry, the schedule alone
}

// DelivererOptions configure a Deliverer.
type DelivererOptions struct {
	Store *store.Store
	Bus   *inspect.Bus // Forwarded events; may be nil
	Sinks map[string]Sink
	Retry Retry
	// PerTarget bounds the tries in flight to one target; MaxInFlight the
	// tries (and so the bodies read from the store) in flight at all.
	PerTarget   int
	MaxInFlight int
	// ProbeEvery is how often a target that gave no answer is probed.
	ProbeEvery time.Duration
	Now        func() time.Time
	// Worker names this deliverer among the processes sharing the store:
	// only one of them works the outbox at a time.
	Worker string
}

// Deliverer works off the outbox: it reads each due row's body from the
// store when it sends, records every try with the row's new state in one
// commit, retries on the schedule, tries again at once when a down target's
// probe sees it come back, and gives up after Retry.Max tries. Rows left
// in flight when it stops are tried again on the next start: at least
// once, never lost. Of the processes sharing a store, one works the
// outbox at a time (LeaseOutbox).
type Deliverer struct {
	o     DelivererOptions
	wake  chan struct{}
	sinks []string // the sinks it runs: the only rows it looks at

	mu       sync.Mutex
	inflight map[int64]bool
	down     map[downKey]bool // targets whose last try got no answer
	sems     map[downKey]chan struct{}
}

type downKey struct{ sink, target string }

// NewDeliverer builds a Deliverer; Run starts it.
func NewDeliverer(o DelivererOptions) *Deliverer {
	if o.PerTarget <= 0 {
		o.PerTarget = 8
	}
	if o.MaxInFlight <= 0 {
		o.MaxInFlight = 64
	}
	if o.ProbeEvery <= 0 {
		o.ProbeEvery = time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Worker == "" {
		var b [8]byte
		rand.Read(b[:])
		o.Worker = hex.EncodeToString(b[:])
	}
	sinks := []string{}
	for name := range o.Sinks {
		sinks = append(sinks, name)
	}
	if len(sinks) == 0 {
		sinks = []string{""} // runs none: no row is its
	}
	return &Deliverer{o: o, wake: make(chan struct{}, 1), sinks: sinks, inflight: map[int64]bool{},
		down: map[downKey]bool{}, sems: map[downKey]chan struct{}{}}
}

// Wake says rows were added: look for due ones now.
func (d *Deliverer) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the tries in flight to stop
// (a cancelled try is not recorded, so its row goes out on the next start).
func (d *Deliverer) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer d.o.Store.ReleaseOutbox(context.WithoutCancel(ctx), d.o.Worker)
	probe := time.NewTicker(d.o.ProbeEvery)
	defer probe.Stop()
	leading := false
	var beat time.Time
	for {
		// The lease is a write: renewed once per ProbeEvery, not on every
		// wake (each --ack capture wakes the loop).
		if now := d.o.Now(); beat.IsZero() || now.Sub(beat) >= d.o.ProbeEvery {
			lead, err := d.o.Store.LeaseOutbox(ctx, d.o.Worker, now, workerStale)
			if err == nil && lead && !leading {
				// Taking the outbox (a new start, or another process gone)
				// is the moment a user expects the backlog to flow: every
				// pending row is due now, whatever its schedule said.
				d.o.Store.DueNow(ctx, now)
			}
			leading, beat = err == nil && lead, now
		}
		if leading {
			d.dispatch(ctx, &wg)
		}
		wait := d.o.ProbeEvery
		if at, ok, err := d.o.Store.NextDue(ctx, d.sinks...); leading && err == nil && ok {
			if w := at.Sub(d.o.Now()); w > 0 && w < wait {
				wait = w
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-d.wake:
		case <-t.C:
		case <-probe.C:
			if leading {
				d.probeDown(ctx)
			}
		}
		t.Stop()
	}
}

// workerStale is how old the outbox worker's heartbeat may get before
// another process takes over; a worker beats every ProbeEvery.
const workerStale = 10 * time.Second

// dispatch starts a try for every due row not already in flight, up to
// MaxInFlight.
func (d *Deliverer) dispatch(ctx context.Context, wg *sync.WaitGroup) {
	d.mu.Lock()
	n := len(d.inflight)
	// A row in flight while Due reads may finish before the loop below
	// looks: Due's copy still says pending, and sending it again would
	// deliver it twice. Its finish wakes the next dispatch, which reads
	// its new state.
	busy := make(map[int64]bool, n)
	for id := range d.inflight {
		busy[id] = true
	}
	d.mu.Unlock()
	if n >= d.o.MaxInFlight {
		return
	}
	due, err := d.o.Store.Due(ctx, d.o.Now(), d.o.MaxInFlight+n, d.sinks...)
	if err != nil {
		return
	}
	for _, row := range due {
		d.mu.Lock()
		if busy[row.ID] || d.inflight[row.ID] || len(d.inflight) >= d.o.MaxInFlight {
			d.mu.Unlock()
			continue
		}
		d.inflight[row.ID] = true
		sem := d.sem(downKey{row.Sink, row.Target})
		d.mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				d.mu.Lock()
				delete(d.inflight, row.ID)
				d.mu.Unlock()
				d.Wake()
			}()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			defer func() { <-sem }()
			d.try(ctx, row)
		}()
	}
}

// sem is the target's in-flight bound. Call with mu held.
func (d *Deliverer) sem(k downKey) chan struct{} {
	s, ok := d.sems[k]
	if !ok {
		s = make(chan struct{}, d.o.PerTarget)
		d.sems[k] = s
	}
	return s
}

// try makes one try of row and records it with the row's new state.
func (d *Deliverer) try(ctx context.Context, row inspect.Delivery) {
	sink, ok := d.o.Sinks[row.Sink]
	if !ok {
		// Owed to a sink this process does not run (a relay publish
		// without --publish): it waits for a process that does.
		return
	}
	// The row as committed now: the try before this one may have finished
	// between the query that listed it as due and this goroutine's start.
	row, err := d.o.Store.Delivery(ctx, row.ID)
	if err != nil || row.State != inspect.Pending || row.NextAt.After(d.o.Now()) {
		return
	}
	rec, err := d.o.Store.Get(ctx, row.RequestID)
	if errors.Is(err, store.ErrNotFound) {
		row.State, row.DoneAt, row.LastError = inspect.Undelivered, d.o.Now(), "the request was deleted from the store"
		d.o.Store.FinishDelivery(context.WithoutCancel(ctx), &row, nil)
		return
	}
	if err != nil {
		return // the store will say so elsewhere; the row stays due
	}
	a := sink.Send(ctx, rec, row)
	if ctx.Err() != nil {
		return // stopped mid-try: not recorded, tried again on the next start
	}
	now := d.o.Now()
	row.Tries++
	row.LastStatus, row.LastError = a.Status, a.Error
	switch {
	case a.Status >= 200 && a.Status <= 299:
		row.State, row.DoneAt = inspect.Delivered, now
	case row.Tries >= d.o.Retry.Max():
		row.State, row.DoneAt = inspect.Undelivered, now
	default:
		row.State, row.NextAt = inspect.Pending, now.Add(d.o.Retry.Wait(row.Tries))
	}
	if err := d.o.Store.FinishDelivery(context.WithoutCancel(ctx), &row, a); err != nil {
		return
	}
	// Marked down only once the row's next try is committed, so a probe
	// that sees the target back always finds the row to bring forward.
	if a.Status == 0 && row.State == inspect.Pending && sink.Probe != nil {
		d.markIfDown(ctx, sink, downKey{row.Sink, row.Target})
	}
	if d.o.Bus != nil {
		d.o.Bus.Publish(inspect.Event{Type: inspect.Forwarded, Record: rec, Attempt: a})
	}
}

// markIfDown marks k down when its probe fails now. A target that got no
// answer but still accepts connections (a hung handler, one that drops the
// request) is not down: the probe would call it back at once, every
// second, and spend its tries in seconds instead of on the schedule.
func (d *Deliverer) markIfDown(ctx context.Context, sink Sink, k downKey) {
	d.mu.Lock()
	down := d.down[k]
	d.mu.Unlock()
	if down {
		return
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	err := sink.Probe(pctx, k.target)
	cancel()
	if err == nil {
		return
	}
	d.mu.Lock()
	d.down[k] = true
	d.mu.Unlock()
}

// probeDown asks each down target whether it is back, and brings its
// waiting rows forward when it is: the handler restarted after a fix
// should not wait the minutes VideoNest's schedule would.
func (d *Deliverer) probeDown(ctx context.Context) {
	d.mu.Lock()
	var keys []downKey
	for k := range d.down {
		keys = append(keys, k)
	}
	d.mu.Unlock()
	for _, k := range keys {
		sink := d.o.Sinks[k.sink]
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		err := sink.Probe(pctx, k.target)
		cancel()
		if err != nil {
			continue
		}
		d.mu.Lock()
		delete(d.down, k)
		d.mu.Unlock()
		if n, err := d.o.Store.RetryAt(ctx, k.sink, k.target, d.o.Now()); err == nil && n > 0 {
			d.Wake()
		}
	}
}

// ForwardSink delivers outbox rows to handler URLs through f, probing a
// down handler with a TCP connect.
func ForwardSink(f *Forwarder) Sink {
	return Sink{
		Send: func(ctx context.Context, rec *inspect.Record, d inspect.Delivery) *inspect.Attempt {
			return f.Send(ctx, rec, d.Target, false).Attempt
		},
		Probe: DialProbe,
	}
}

// DialProbe reports whether something accepts connections at a URL's host.
func DialProbe(ctx context.Context, target string) error {
	addr, err := DialAddr(target)
	if err != nil {
		return err
	}
	var dl net.Dialer
	c, err := dl.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// DialAddr is the host:port a URL's requests connect to.
func DialAddr(target string) (string, error) {
	u, err := neturl.Parse(target)
	if err != nil {
		return "", fmt.Errorf("bad target %q: %v", target, err)
	}
	return hostPort(u), nil
}
