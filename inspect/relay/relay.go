// Package relay is the team relay on NATS JetStream: a sink that publishes
// this hookscope's captures from the store's outbox (a row counts as sent
// only once the server acknowledged it), and a source that stores other
// hookscopes' captures under their publisher's id, judged with this
// machine's own secrets, and owes them to the local handlers.
//
// It owns the NATS connection, the stream and the durable consumer. It
// must not touch HTTP, terminals or flags, nor send anything secret: no
// secret and no verdict ever crosses the wire. Replays stay local.
package relay

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
)

// Defaults for the stream a relay creates when it is missing.
const (
	DefaultStream   = "HOOKSCOPE"
	DefaultChannel  = "videonest"
	DefaultMaxAge   = 7 * 24 * time.Hour
	DefaultMaxBytes = 1 << 30
	// MaxReplicas is JetStream's own limit.
	MaxReplicas = 5
)

// Options configure a Relay. URL is as nats.Connect takes it: several
// comma-separated for a cluster, user:pass@, tls://.
type Options struct {
	URL      string
	Creds    string // JWT credentials file
	Stream   string
	Channel  string
	MaxAge   time.Duration // of a stream this relay creates
	MaxBytes int64         // of a stream this relay creates
	Replicas int           // of a stream this relay creates (0: 1)
	Publish  bool
	// Subscribe with a durable consumer; Since is where a new one starts
	// (0: everything the stream holds).
	Subscribe bool
	Consumer  string
	Since     time.Duration

	Instance string // this hookscope's id: its own messages are skipped
	Store    *store.Store
	Bus      *inspect.Bus // Captured and Team events; may be nil

	// How a relayed capture is judged and what it is owed locally.
	Schemes  []signature.Scheme
	Provider string
	Secrets  []string
	Owed     func(rec *inspect.Record) []inspect.Owed
	Wake     func() // rows were owed
}

// Info is what the ready line says about the relay.
type Info struct {
	Role     string `json:"role"`
	URL      string `json:"url"` // masked
	Stream   string `json:"stream"`
	Consumer string `json:"consumer,omitempty"`
}

// Relay is one process's link to the team's stream.
type Relay struct {
	o    Options
	wake chan struct{}

	hotMu    sync.Mutex
	hot      map[string]hotRec // committed, not yet published
	hotBytes int
	hotSwept time.Time

	mu       sync.Mutex
	state    inspect.TeamState
	lastErr  string
	setupErr string             // connected, but NATS refused the stream or consumer
	cons     jetstream.Consumer // the subscription's, while it runs
	tooLarge int                // captures given up as too large to publish
	ready    bool               // the stream (and consumer) were found or made
	pubErr   string             // the last publish failed while connected
	nc       *nats.Conn         // set once Run has connected
	changed  chan struct{}
}

// Check says what is wrong with options before anything runs.
func Check(o Options) error {
	_, err := New(o)
	return err
}

// SetBus is where Captured and Team events go. Call before Run.
func (r *Relay) SetBus(b *inspect.Bus) { r.o.Bus = b }

// New checks the options and builds a relay; Run connects it.
func New(o Options) (*Relay, error) {
	if o.Stream == "" {
		o.Stream = DefaultStream
	}
	if o.Channel == "" {
		o.Channel = DefaultChannel
	}
	if o.MaxAge <= 0 {
		o.MaxAge = DefaultMaxAge
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Replicas <= 0 {
		o.Replicas = 1
	}
	if o.Replicas > MaxReplicas {
		return nil, fmt.Errorf("%d stream replicas: JetStream keeps at most %d", o.Replicas, MaxReplicas)
	}
	if !o.Publish && !o.Subscribe {
		return nil, errors.New("the relay neither publishes nor subscribes")
	}
	if token(o.Channel) != o.Channel {
		// Mapped instead, prod.eu and prod_eu would share a subject.
		return nil, fmt.Errorf("channel name %q: use letters, digits, '-' and '_' only, at most 64", o.Channel)
	}
	if token(o.Stream) != o.Stream {
		return nil, fmt.Errorf("stream name %q: use letters, digits, '-' and '_' only", o.Stream)
	}
	if o.Subscribe {
		if o.Consumer == "" {
			return nil, errors.New("a subscription needs a consumer name")
		}
		if token(o.Consumer) != o.Consumer {
			return nil, fmt.Errorf("consumer name %q: use letters, digits, '-' and '_' only", o.Consumer)
		}
	}
	if _, err := parseURLs(o.URL); err != nil {
		return nil, err
	}
	r := &Relay{o: o, wake: make(chan struct{}, 1), changed: make(chan struct{}, 1)}
	r.state = inspect.TeamState{Role: r.role(), State: "connecting"}
	return r, nil
}

func (r *Relay) role() string {
	switch {
	case r.o.Publish && r.o.Subscribe:
		return "publish+subscribe"
	case r.o.Publish:
		return "publish"
	}
	return "subscribe"
}

// Info names the relay for the ready line, with credentials masked.
func (r *Relay) Info() Info {
	i := Info{Role: r.role(), URL: Mask(r.o.URL), Stream: r.o.Stream}
	if r.o.Subscribe {
		i.Consumer = r.o.Consumer
	}
	return i
}

// Target is what outbox rows owed to this relay name: the masked URL, so
// no password is ever written to the store.
func (r *Relay) Target() string { return Mask(r.o.URL) }

// Committed says rec, owed a publish, is committed. While NATS takes
// publishes, the relay keeps a small one in memory until it is published,
// so the publish needs no read of the store; anything not kept is read
// from the store as usual.
func (r *Relay) Committed(rec *inspect.Record) {
	if r.o.Publish && len(rec.Body) <= hotBody && r.flowing() {
		now := time.Now()
		r.hotMu.Lock()
		if now.Sub(r.hotSwept) > hotAge {
			// Rows the loop read from the store before their Committed
			// came, or deleted before their turn: never asked for again.
			for id, h := range r.hot {
				if now.Sub(h.at) > hotAge {
					delete(r.hot, id)
					r.hotBytes -= len(h.rec.Body)
				}
			}
			r.hotSwept = now
		}
		if len(r.hot) >= hotRows || r.hotBytes+len(rec.Body) > hotBytes {
			clear(r.hot)
			r.hotBytes = 0
		}
		if r.hot == nil {
			r.hot = make(map[string]hotRec)
		}
		r.hot[rec.ID] = hotRec{rec, now}
		r.hotBytes += len(rec.Body)
		r.hotMu.Unlock()
	}
	r.Wake()
}

type hotRec struct {
	rec *inspect.Record
	at  time.Time
}

// What Committed keeps: bodies of webhook size, four publish windows'
// worth, at most 1 MiB of bodies, for at most hotAge.
const (
	hotBody  = 64 << 10
	hotRows  = 4 * publishWindow
	hotBytes = 1 << 20
	hotAge   = 10 * time.Second
)

// flowing reports that publishes go out: connected, set up, the last one
// acknowledged. Otherwise captures wait in the outbox, not in memory.
func (r *Relay) flowing() bool {
	r.mu.Lock()
	ok, nc := r.ready && r.pubErr == "", r.nc
	r.mu.Unlock()
	return ok && nc != nil && nc.IsConnected() // nc's own lock, not under r.mu
}

// committed takes the record Committed kept for id, nil when none.
func (r *Relay) committed(id string) *inspect.Record {
	r.hotMu.Lock()
	defer r.hotMu.Unlock()
	h, ok := r.hot[id]
	if !ok {
		return nil
	}
	delete(r.hot, id)
	r.hotBytes -= len(h.rec.Body)
	return h.rec
}

// Wake says publish rows were added.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// State is the relay's state now.
func (r *Relay) State() inspect.TeamState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state
}

// Run connects, reconnecting forever, and publishes and subscribes until
// ctx ends. It returns an error only for what retrying cannot fix.
func (r *Relay) Run(ctx context.Context) error {
	opts := []nats.Option{
		nats.Name("hookscope " + r.o.Instance),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		// A server that stops answering (frozen, a dead link) is noticed
		// in seconds rather than the client's default minutes.
		nats.PingInterval(5 * time.Second),
		nats.MaxPingsOutstanding(3),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			return min(100*time.Millisecond<<min(attempts, 5), 2*time.Second)
		}),
		// A publish while disconnected fails at once instead of waiting in
		// a client buffer the outbox already is.
		nats.ReconnectBufSize(-1),
		nats.ConnectHandler(func(*nats.Conn) { r.connected() }),
		nats.ReconnectHandler(func(*nats.Conn) { r.connected() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { r.unreachable(err) }),
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) { r.unreachable(err) }),
	}
	if r.o.Creds != "" {
		opts = append(opts, nats.UserCredentials(r.o.Creds))
	}
	nc, err := nats.Connect(r.o.URL, opts...)
	if err != nil {
		return fmt.Errorf("cannot connect to NATS at %s: %s", Mask(r.o.URL), r.scrub(err))
	}
	defer nc.Close()
	r.mu.Lock()
	r.nc = nc
	r.mu.Unlock()
	if nc.IsConnected() {
		r.connected()
	} else {
		r.unreachable(nc.LastError())
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(publishWindow),
		jetstream.WithPublishAsyncTimeout(5*time.Second))
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); r.report(ctx, nc) }()
	if r.o.Publish {
		wg.Add(1)
		go func() { defer wg.Done(); r.publishLoop(ctx, nc, js) }()
	}
	if r.o.Subscribe {
		wg.Add(1)
		go func() { defer wg.Done(); r.subscribeLoop(ctx, nc, js) }()
	}
	wg.Wait()
	return nil
}

// refused records what NATS said when the stream or consumer could not be
// set up ("" once it could): connected is not working.
func (r *Relay) refused(err error) {
	r.mu.Lock()
	old := r.setupErr
	r.setupErr = ""
	if err != nil {
		r.setupErr = r.scrub(err)
	} else if !r.ready {
		r.ready = true
		defer r.poke()
	}
	changed := old != r.setupErr
	r.mu.Unlock()
	if changed {
		r.poke()
	}
}

func (r *Relay) connected() {
	r.mu.Lock()
	r.lastErr, r.pubErr = "", ""
	r.mu.Unlock()
	r.poke()
	r.Wake()
}

func (r *Relay) unreachable(err error) {
	if err != nil {
		r.mu.Lock()
		// "no servers available" only repeats that the dial failed, and
		// "outbound buffer limit exceeded" that a publish found no
		// connection: keep the dial's own reason.
		if r.lastErr == "" || !errors.Is(err, nats.ErrNoServers) && !errors.Is(err, nats.ErrReconnectBufExceeded) {
			r.lastErr = r.scrub(err)
		}
		r.mu.Unlock()
	}
	r.poke()
}

func (r *Relay) poke() {
	select {
	case r.changed <- struct{}{}:
	default:
	}
}

// scrub is an error's text without any credential the URL carried.
func (r *Relay) scrub(err error) string {
	s := err.Error()
	for _, u := range strings.Split(r.o.URL, ",") {
		pu, perr := url.Parse(strings.TrimSpace(u))
		if perr != nil || pu.User == nil {
			continue
		}
		if p, ok := pu.User.Password(); ok && p != "" {
			s = strings.ReplaceAll(s, p, "xxxxx")
		}
		if n := pu.User.Username(); n != "" {
			if _, ok := pu.User.Password(); !ok {
				s = strings.ReplaceAll(s, n, "xxxxx") // a token
			}
		}
	}
	return s
}

// report keeps State current and tells the bus when it changes: the
// connection, and while NATS is away, how many captures wait for it.
func (r *Relay) report(ctx context.Context, nc *nats.Conn) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var last inspect.TeamState
	var lastNews time.Time
	var lagging, waiting int // consecutive readings with messages outstanding, captures unpublished
	first := true
	for {
		st := inspect.TeamState{Role: r.role(), State: "connected"}
		r.mu.Lock()
		setupErr, ready, pubErr := r.setupErr, r.ready, r.pubErr
		st.TooLarge = r.tooLarge
		r.mu.Unlock()
		switch {
		case !nc.IsConnected():
			st.State = "unreachable"
			r.mu.Lock()
			why := r.lastErr
			r.mu.Unlock()
			if why == "" {
				why = "no answer"
			}
			st.Detail = fmt.Sprintf("cannot reach NATS at %s (%s); retrying", Mask(r.o.URL), why)
		case setupErr != "":
			st.State = "error"
			st.Detail = fmt.Sprintf("NATS at %s refused the team stream %s: %s; retrying", Mask(r.o.URL), r.o.Stream, setupErr)
		case pubErr != "":
			st.State = "error"
			st.Detail = fmt.Sprintf("NATS at %s does not acknowledge publishes (%s); retrying", Mask(r.o.URL), pubErr)
		case !ready:
			st.State = "connecting" // connected, the stream not yet found or made
		}
		if r.o.Publish {
			if n, err := r.o.Store.Pending(ctx, inspect.SinkPublish); err == nil {
				// Publishing as they come, a few always wait for their
				// PubAck: while connected, only a backlog that lasts, or
				// more than one window, is waiting.
				if n > 0 {
					waiting++
				} else {
					waiting = 0
				}
				if st.State != "connected" || n >= publishWindow || waiting >= lagSeconds {
					st.Pending = n
				}
			}
		}
		if st.State == "connected" && r.o.Subscribe {
			// A subscriber keeping up holds a few messages while it stores
			// them: only a count that lasts, or more than it ever holds at
			// once, is being behind.
			n := r.behind(ctx, last.Behind)
			if n > 0 {
				lagging++
			} else {
				lagging = 0
			}
			if n >= storing || lagging >= lagSeconds {
				st.Behind = n
			}
		}
		r.mu.Lock()
		r.state = st
		r.mu.Unlock()
		// Counts are news when they start or empty, and at most every few
		// seconds between: a count per second under load or through an
		// outage would drown the lines people read.
		news := first || st.State != last.State || (st.State == "error" && st.Detail != last.Detail) ||
			(st.Pending == 0) != (last.Pending == 0) || (st.Behind == 0) != (last.Behind == 0) ||
			st.TooLarge != last.TooLarge ||
			(st.Pending != last.Pending || st.Behind != last.Behind) && time.Since(lastNews) >= countEvery
		if news && r.o.Bus != nil {
			s := st
			r.o.Bus.Publish(inspect.Event{Type: inspect.Team, Team: &s})
		}
		if news {
			last, first, lastNews = st, false, time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-r.changed:
		}
	}
}

// lagSeconds is how long a count must last, while connected, before a
// subscriber says it is behind or a publisher that captures wait;
// countEvery is how often a changing count is news.
const (
	lagSeconds = 5
	countEvery = 5 * time.Second
)

// published records how the last publish went: an error while connected
// is the relay's state until a publish succeeds.
func (r *Relay) published(err error) {
	if errors.Is(err, nats.ErrDisconnected) || errors.Is(err, nats.ErrReconnectBufExceeded) ||
		errors.Is(err, nats.ErrConnectionClosed) {
		return // the connection's state, which says it already
	}
	why := ""
	if err != nil {
		why = r.scrub(err)
	}
	r.mu.Lock()
	changed := r.pubErr != why
	r.pubErr = why
	r.mu.Unlock()
	if changed {
		r.poke()
	}
}

// behind asks the server how many messages the subscription has not
// stored yet: not delivered, or delivered and not acknowledged. It keeps
// the last count when the server does not answer in time.
func (r *Relay) behind(ctx context.Context, last int) int {
	r.mu.Lock()
	c := r.cons
	r.mu.Unlock()
	if c == nil {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	info, err := c.Info(ctx)
	if err != nil {
		return last
	}
	return int(info.NumPending) + info.NumAckPending
}

func (r *Relay) setConsumer(c jetstream.Consumer) {
	r.mu.Lock()
	r.cons = c
	r.mu.Unlock()
}

// ensureStream opens the stream, creating it when missing; an existing
// stream is used as it is, never reconfigured.
func (r *Relay) ensureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	s, err := js.Stream(ctx, r.o.Stream)
	if err == nil {
		return s, nil
	}
	if !errors.Is(err, jetstream.ErrStreamNotFound) {
		return nil, err
	}
	s, err = js.CreateStream(ctx, jetstream.StreamConfig{
		Name:        r.o.Stream,
		Description: "hookscope team relay: captured webhooks",
		Subjects:    []string{"hookscope.>"},
		Storage:     jetstream.FileStorage,
		MaxAge:      r.o.MaxAge,
		MaxBytes:    r.o.MaxBytes,
		Replicas:    r.o.Replicas,
		Discard:     jetstream.DiscardOld,
		// NATS refuses a duplicates window longer than the stream keeps
		// messages.
		Duplicates: min(2*time.Minute, r.o.MaxAge),
	})
	if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
		return js.Stream(ctx, r.o.Stream) // another hookscope created it first
	}
	var api *jetstream.APIError
	if errors.As(err, &api) && api.ErrorCode == errSubjectsOverlap {
		if other, oerr := js.StreamNameBySubject(ctx, "hookscope.>"); oerr == nil && other != "" {
			return nil, fmt.Errorf("the stream %s already holds hookscope's subjects on this server: pass --stream %s (teams on one server share a stream and keep apart by --channel)", other, other)
		}
	}
	return s, err
}

// errSubjectsOverlap is JetStream's code for a stream whose subjects
// another stream already holds.
const errSubjectsOverlap jetstream.ErrorCode = 10065

// Mask hides passwords and tokens in NATS URLs (comma-separated).
func Mask(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			if at := strings.LastIndex(p, "@"); at >= 0 {
				p = "xxxxx" + p[at:]
			}
			parts[i] = p
			continue
		}
		if u.User != nil {
			if _, ok := u.User.Password(); ok {
				u.User = url.UserPassword(u.User.Username(), "xxxxx")
			} else {
				u.User = url.User("xxxxx")
			}
		}
		parts[i] = u.String()
	}
	return strings.Join(parts, ",")
}

func parseURLs(urls string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(urls, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !strings.Contains(p, "://") {
			p = "nats://" + p
		}
		u, err := url.Parse(p)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("%q is not a NATS URL (nats://host:4222, tls://…, user:pass@host)", Mask(p))
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return nil, fmt.Errorf("%q is not a NATS URL: the scheme must be nats, tls, ws or wss", Mask(p))
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("no NATS URL given")
	}
	return out, nil
}
