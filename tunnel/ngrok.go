package tunnel

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.ngrok.com/ngrok/v2"
)

const (
	// DefaultConnectTimeout bounds Ngrok when Options.ConnectTimeout is 0.
	DefaultConnectTimeout = 20 * time.Second
	// MaxConnectTimeout caps Options.ConnectTimeout so that `hookscope
	// listen` always answers within 30 s, cleanup included.
	MaxConnectTimeout = 25 * time.Second

	defaultServer = "connect.ngrok-agent.com:443"

	// maxConnectAttempts is how many retryable failures (refused, DNS,
	// dropped handshake) Ngrok tolerates before giving up. ngrok-go would
	// retry forever; three attempts span about 1.5 s of its backoff, enough
	// to ride out a network that is still coming up.
	maxConnectAttempts = 3

	// cleanupGrace bounds each wait for ngrok-go to wind down, which it
	// should do at once; past it, cleanup finishes in the background.
	cleanupGrace = 2 * time.Second

	eventBuffer = 32
)

// Dialer opens the TCP connection to the ngrok service; *net.Dialer is one.
type Dialer interface {
	Dial(network, address string) (net.Conn, error)
	DialContext(ctx context.Context, network, address string) (net.Conn, error)
}

// Options configures Ngrok. Only Authtoken is required.
type Options struct {
	// Authtoken authenticates to ngrok. It is never logged or shown.
	Authtoken string
	// Domain is a reserved domain, as "example.ngrok.app" or
	// "https://example.ngrok.app". Empty gets a random URL.
	Domain string
	// TrafficPolicy is the contents of a traffic policy file (YAML or JSON).
	TrafficPolicy string
	// ConnectURL overrides ngrok's agent connect address, as "host:port"
	// (a scheme is ignored, the port defaults to 443).
	ConnectURL string
	// ConnectCAs replaces ngrok's CA for the connection to ConnectURL, for
	// networks whose proxy re-signs TLS.
	ConnectCAs *x509.CertPool
	// Dialer, if set, opens the connection to the ngrok service.
	Dialer Dialer
	// ConnectTimeout bounds Ngrok, which may add up to 2 s to wind ngrok-go
	// down: 0 means DefaultConnectTimeout, and it is capped at
	// MaxConnectTimeout.
	ConnectTimeout time.Duration
	// Logger receives ngrok-go's logs. nil discards them; they are never
	// written to the terminal.
	Logger *slog.Logger
	// Description labels the endpoint in the ngrok dashboard ("hookscope"
	// if empty); Metadata is attached to it as-is.
	Description string
	Metadata    string
}

func (o Options) normalize() (Options, *Error) {
	o.Authtoken = strings.TrimSpace(o.Authtoken)
	if o.Authtoken == "" {
		return o, &Error{Kind: ErrNoAuthtoken, msg: noAuthtokenMsg, definite: true}
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	o.ConnectTimeout = min(o.ConnectTimeout, MaxConnectTimeout)
	if o.Description == "" {
		o.Description = "hookscope"
	}
	var err *Error
	if o.Domain, err = normalizeDomain(o.Domain); err != nil {
		return o, err
	}
	if o.ConnectURL, err = normalizeConnect(o.ConnectURL); err != nil {
		return o, err
	}
	return o, nil
}

func normalizeDomain(s string) (string, *Error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	raw := s
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", &Error{Kind: ErrConfig, definite: true,
			msg: fmt.Sprintf("ngrok: invalid domain %q; give a reserved domain such as example.ngrok.app or https://example.ngrok.app", raw)}
	}
	return strings.ToLower(u.Host), nil
}

func normalizeConnect(s string) (string, *Error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	raw := s
	if i := strings.Index(s, "://"); i >= 0 {
		s = s[i+3:]
	}
	s = strings.TrimRight(s, "/")
	if _, _, err := net.SplitHostPort(s); err != nil {
		s = net.JoinHostPort(s, "443")
	}
	if host, _, err := net.SplitHostPort(s); err != nil || host == "" {
		return "", &Error{Kind: ErrConfig, definite: true,
			msg: fmt.Sprintf("ngrok: invalid connect address %q; use host:port", raw)}
	}
	return s, nil
}

// Ngrok opens an ngrok HTTPS endpoint whose connections Accept returns, so
// webhooks go through hookscope's capture server (ngrok's Forward would
// bypass it). It returns within opts.ConnectTimeout with either a Tunnel
// that is Online or an *Error. ctx bounds only the connection attempt; once
// Ngrok returns, the tunnel lives until Close.
func Ngrok(ctx context.Context, opts Options) (Tunnel, error) {
	o, cfgErr := opts.normalize()
	if cfgErr != nil {
		return nil, cfgErr
	}
	server := o.ConnectURL
	if server == "" {
		server = defaultServer
	}
	t := &ngrokTunnel{
		cls:    classifier{server: server, domain: o.Domain, secret: o.Authtoken},
		log:    newLogger(o.Logger, o.Authtoken),
		fatal:  make(chan *Error, 1),
		events: make(chan Event, eventBuffer),
	}

	agentOpts := []ngrok.AgentOption{
		ngrok.WithAuthtoken(o.Authtoken),
		ngrok.WithLogger(t.log),
		ngrok.WithEventHandler(t.handle),
	}
	if o.ConnectURL != "" {
		agentOpts = append(agentOpts, ngrok.WithAgentConnectURL(o.ConnectURL))
	}
	if o.ConnectCAs != nil {
		agentOpts = append(agentOpts, ngrok.WithAgentConnectCAs(o.ConnectCAs))
	}
	if o.Dialer != nil {
		agentOpts = append(agentOpts, ngrok.WithDialer(o.Dialer))
	}
	agent, err := ngrok.NewAgent(agentOpts...)
	if err != nil {
		return nil, t.cls.newError(ErrConfig, "", err.Error(), "ngrok: could not set up the ngrok agent ("+err.Error()+"); use --tunnel none", true)
	}

	endpointOpts := []ngrok.EndpointOption{ngrok.WithDescription(o.Description)}
	if o.Metadata != "" {
		endpointOpts = append(endpointOpts, ngrok.WithMetadata(o.Metadata))
	}
	if o.Domain != "" {
		endpointOpts = append(endpointOpts, ngrok.WithURL("https://"+o.Domain))
	}
	if o.TrafficPolicy != "" {
		endpointOpts = append(endpointOpts, ngrok.WithTrafficPolicy(o.TrafficPolicy))
	}

	// ngrok-go keeps the context it connects with for the whole session
	// (redials and heartbeats use it, and it closes the session when it
	// ends), so it gets a context of its own that only Close or a failed
	// start cancels; the connect deadline is a timer instead.
	life, cancel := context.WithCancel(context.WithoutCancel(ctx))
	t.emit(Event{State: Connecting})
	start := time.Now()

	done := make(chan listenResult, 1)
	go func() {
		l, err := agent.Listen(life, endpointOpts...)
		done <- listenResult{l, err}
	}()
	timer := time.NewTimer(o.ConnectTimeout)
	defer timer.Stop()

	var fail *Error
	var res *listenResult
	select {
	case r := <-done:
		if r.err == nil {
			t.start(agent, r.l, cancel)
			t.log.Info("ngrok endpoint online", "url", t.url, "after", time.Since(start).Round(time.Millisecond))
			return t, nil
		}
		fail, res = t.listenFailed(r.err), &r
	case fail = <-t.fatal:
	case <-timer.C:
		fail = t.timedOut(o.ConnectTimeout)
	case <-ctx.Done():
		fail = canceled()
	}

	// Cancelling the session context unblocks every stage, including the
	// TLS handshake and the auth and bind RPCs, which have no deadline of
	// their own: ngrok-go closes the session when that context ends.
	cancel()
	cleanup := func(r listenResult) {
		if r.l != nil {
			_ = r.l.Close()
		}
		_ = agent.Disconnect()
	}
	if res != nil {
		cleanup(*res)
	} else {
		select {
		case r := <-done:
			cleanup(r)
		case <-time.After(cleanupGrace):
			go func() { cleanup(<-done) }()
		}
	}
	t.log.Warn("ngrok tunnel failed", "kind", fail.Kind.Error(), "code", fail.Code, "reason", fail.Reason,
		"after", time.Since(start).Round(time.Millisecond))
	return nil, fail
}

type listenResult struct {
	l   ngrok.EndpointListener
	err error
}

type ngrokTunnel struct {
	cls classifier
	log *slog.Logger
	// fatal carries the first failure that ends the start: a definite one,
	// or the last of maxConnectAttempts retryable ones.
	fatal chan *Error

	mu        sync.Mutex
	running   bool // Ngrok returned this tunnel
	closing   bool
	connected bool   // ngrok-go's session is up
	state     State  // last emitted
	reason    string // last Offline reason
	failures  int    // retryable failures while starting
	last      *Error // most telling failure while starting
	url       string
	events    chan Event
	agent     ngrok.Agent
	listener  ngrok.EndpointListener
	cancel    context.CancelFunc
	ended     bool // events is closed

	closeOnce sync.Once
}

// handle receives ngrok-go's events on its own goroutines; ngrok-go requires
// it not to block.
func (t *ngrokTunnel) handle(ev ngrok.Event) {
	switch ev := ev.(type) {
	case *ngrok.EventAgentConnectSucceeded:
		t.mu.Lock()
		defer t.mu.Unlock()
		t.connected = true
		if t.running && !t.closing && t.state != Online {
			t.reason = ""
			t.emitLocked(Event{State: Online, URL: t.url})
		}
	case *ngrok.EventAgentDisconnected:
		// nil means the session stopped for good, which only Close does.
		if ev.Error == nil || isOwnCancel(ev.Error) {
			return
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.closing {
			return
		}
		t.connected = false
		if !t.running {
			t.startFailed(t.cls.classify(ev.Error, phaseConnect))
			return
		}
		e := t.cls.classify(ev.Error, phaseRunning)
		if t.state != Offline || t.reason != e.Reason {
			t.reason = e.Reason
			t.emitLocked(Event{State: Offline, URL: t.url, Err: e.Reason})
		}
	}
}

// startFailed records a failed attempt and ends the start once retrying is
// pointless; ngrok-go itself would keep retrying until its context ends.
func (t *ngrokTunnel) startFailed(e *Error) {
	if !e.definite {
		t.failures++
	}
	// A definite failure explains more than a retryable one (a garbage
	// reply can also show up as "session closed"), so it is kept.
	if t.last == nil || e.definite || !t.last.definite {
		t.last = e
	}
	if e.definite || t.failures >= maxConnectAttempts {
		select {
		case t.fatal <- t.last:
		default:
		}
	}
}

// listenFailed classifies an error returned by agent.Listen itself, which
// in practice is the bind step refusing the endpoint.
func (t *ngrokTunnel) listenFailed(err error) *Error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, remote := asRemote(err); remote || t.connected {
		return t.cls.classify(err, phaseBind)
	}
	if t.last != nil {
		return t.last
	}
	return t.cls.classify(err, phaseConnect)
}

func (t *ngrokTunnel) timedOut(after time.Duration) *Error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.last != nil {
		return t.last
	}
	if t.connected {
		return t.cls.timeout(after, phaseBind)
	}
	return t.cls.timeout(after, phaseConnect)
}

func (t *ngrokTunnel) start(agent ngrok.Agent, l ngrok.EndpointListener, cancel context.CancelFunc) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.agent, t.listener, t.cancel = agent, l, cancel
	t.url = l.URL().String()
	t.running = true
	// The session may already have dropped again between Listen returning
	// and now; report whichever state it is in.
	if t.connected {
		t.emitLocked(Event{State: Online, URL: t.url})
		return
	}
	t.reason = "connection lost"
	if t.last != nil {
		t.reason = t.last.Reason
	}
	t.emitLocked(Event{State: Offline, URL: t.url, Err: t.reason})
}

func (t *ngrokTunnel) emit(ev Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.emitLocked(ev)
}

// emitLocked never blocks: ngrok-go calls handle on its own goroutines. When
// the buffer is full the oldest event goes, so the newest state survives.
func (t *ngrokTunnel) emitLocked(ev Event) {
	if t.ended {
		return
	}
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	ev.Err = t.cls.scrub(ev.Err)
	t.state = ev.State
	for {
		select {
		case t.events <- ev:
			return
		default:
		}
		select {
		case <-t.events:
		default:
		}
	}
}

func (t *ngrokTunnel) Accept() (net.Conn, error) {
	c, err := t.listener.Accept()
	if err == nil {
		return c, nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return nil, net.ErrClosed
	}
	// The service stopped the endpoint (from the dashboard or API).
	e := t.cls.classify(err, phaseBind)
	if t.state != Offline || t.reason != e.Reason {
		t.reason = e.Reason
		t.emitLocked(Event{State: Offline, URL: t.url, Err: e.Reason})
	}
	return nil, e
}

// Close ends the endpoint and the ngrok session. It is safe to call more
// than once and never waits on the network for long.
func (t *ngrokTunnel) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closing = true
		t.mu.Unlock()

		// Closing the endpoint asks the service to unbind it, an RPC with no
		// deadline: on a stalled connection, ending the session unblocks it.
		unbound := make(chan struct{})
		go func() {
			_ = t.listener.Close()
			close(unbound)
		}()
		select {
		case <-unbound:
		case <-time.After(cleanupGrace):
		}
		t.cancel()
		_ = t.agent.Disconnect()

		t.mu.Lock()
		t.emitLocked(Event{State: Closed, URL: t.url})
		close(t.events)
		t.ended = true
		t.mu.Unlock()
	})
	return nil
}

func (t *ngrokTunnel) Addr() net.Addr       { return t.listener.Addr() }
func (t *ngrokTunnel) PublicURL() string    { return t.url }
func (t *ngrokTunnel) Provider() string     { return ProviderNgrok }
func (t *ngrokTunnel) Events() <-chan Event { return t.events }

var _ Tunnel = (*ngrokTunnel)(nil)
