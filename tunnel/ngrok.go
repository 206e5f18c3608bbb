package tunnel

import (
	"context"
	"crypto/x509"
	"errors"
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
	// ClientVersion is hookscope's version, sent to ngrok as the client
	// info ("hookscope/VERSION") so the dashboard names the agent.
	ClientVersion string
	// Proxy is the proxy for the connection to ngrok: http:// or https://
	// (CONNECT) or socks5://. ngrok-go reads no environment itself.
	Proxy string
	// TokenSource says where Authtoken came from, so a rejected token's
	// remedy names the place to fix.
	TokenSource TokenSource
	// KeepTrying is for --tunnel auto: when the start fails for a reason
	// that may pass (no network, DNS, a timeout), Ngrok returns a Tunnel
	// that is Offline and keeps trying in the background instead of an
	// error. A definite refusal (token, domain, policy) is still an error.
	KeepTrying bool
	// HeartbeatInterval and HeartbeatTolerance tune how soon a silent
	// connection counts as lost; 0 keeps ngrok's 10 s and 15 s.
	HeartbeatInterval, HeartbeatTolerance time.Duration
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
	if o.Proxy, err = normalizeProxy(o.Proxy); err != nil {
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
// that is Online, an *Error, or (with KeepTrying, after a failure that may
// pass) a Tunnel that is Offline and keeps trying. ctx bounds only the
// connection attempt; once Ngrok returns, the tunnel lives until Close.
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
		cls:    classifier{server: server, domain: o.Domain, secret: o.Authtoken, source: o.TokenSource, proxy: redactProxy(o.Proxy)},
		log:    newLogger(o.Logger, o.Authtoken),
		fatal:  make(chan *Error, 1),
		events: make(chan Event, eventBuffer),
		conns:  make(chan net.Conn),
		closed: make(chan struct{}),
		bgDone: make(chan struct{}),
	}

	agentOpts := []ngrok.AgentOption{
		ngrok.WithAuthtoken(o.Authtoken),
		ngrok.WithLogger(t.log),
		ngrok.WithEventHandler(t.handle),
	}
	if o.ClientVersion != "" {
		agentOpts = append(agentOpts, ngrok.WithClientInfo("hookscope", o.ClientVersion))
	}
	if o.ConnectURL != "" {
		agentOpts = append(agentOpts, ngrok.WithAgentConnectURL(o.ConnectURL))
	}
	if o.ConnectCAs != nil {
		agentOpts = append(agentOpts, ngrok.WithAgentConnectCAs(o.ConnectCAs))
	}
	if o.HeartbeatInterval > 0 {
		agentOpts = append(agentOpts, ngrok.WithHeartbeatInterval(o.HeartbeatInterval))
	}
	if o.HeartbeatTolerance > 0 {
		agentOpts = append(agentOpts, ngrok.WithHeartbeatTolerance(o.HeartbeatTolerance))
	}
	dialer := o.Dialer
	if o.Proxy != "" {
		u, _ := url.Parse(o.Proxy) // normalize checked it
		if u.Scheme == "http" || u.Scheme == "https" {
			// ngrok-go's WithProxyURL knows only SOCKS5; corporate proxies
			// mostly speak HTTP CONNECT.
			dialer = connectDialer{proxy: u, base: dialer}
		} else {
			agentOpts = append(agentOpts, ngrok.WithProxyURL(o.Proxy))
		}
	}
	if dialer != nil {
		agentOpts = append(agentOpts, ngrok.WithDialer(dialer))
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
	t.agent, t.cancel = agent, cancel
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
			close(t.bgDone)
			t.start(r.l)
			t.log.Info("ngrok endpoint online", "url", t.url, "after", time.Since(start).Round(time.Millisecond))
			return t.returned(), nil
		}
		fail, res = t.listenFailed(r.err), &r
	case fail = <-t.fatal:
	case <-timer.C:
		fail = t.timedOut(o.ConnectTimeout)
	case <-ctx.Done():
		fail = canceled()
	}

	// A timeout ends the wait, not the hope: the network may come back.
	if o.KeepTrying && res == nil && (!fail.definite || errors.Is(fail, ErrTimeout)) {
		t.log.Warn("ngrok tunnel not up yet, retrying in the background", "kind", fail.Kind.Error(), "reason", fail.Reason,
			"after", time.Since(start).Round(time.Millisecond))
		t.mu.Lock()
		t.retrying = true
		t.reason = fail.Reason
		t.emitLocked(Event{State: Offline, Err: fail.Reason, Retrying: true})
		t.mu.Unlock()
		go t.background(done)
		return t.returned(), nil
	}
	close(t.bgDone)

	// Cancelling the session context unblocks every stage, including the
	// TLS handshake and the auth and bind RPCs, which have no deadline of
	// their own: ngrok-go closes the session when that context ends.
	cancel()
	if res != nil {
		t.cleanup(*res)
	} else {
		select {
		case r := <-done:
			t.cleanup(r)
		case <-time.After(cleanupGrace):
			go func() { t.cleanup(<-done) }()
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
	// fatal carries failures that end the start: a definite one, or the
	// last of maxConnectAttempts retryable ones.
	fatal chan *Error
	conns chan net.Conn
	// closed is closed by Close; bgDone when no start is pending.
	closed chan struct{}
	bgDone chan struct{}

	agent  ngrok.Agent
	cancel context.CancelFunc

	mu        sync.Mutex
	running   bool // the endpoint is bound
	retrying  bool // Ngrok returned before the endpoint was bound
	closing   bool
	stopped   bool   // the endpoint ended for good (remote stop, refusal)
	connected bool   // ngrok-go's session is up
	current   Event  // last emitted
	reason    string // last Offline reason
	failures  int    // retryable failures while starting
	last      *Error // most telling failure while starting
	url       string
	events    chan Event
	listener  ngrok.EndpointListener
	ended     bool // events is closed

	closeOnce sync.Once
}

// returned drops the events that led up to Ngrok's return: the caller
// learns that state from the return itself (and Current), and a stale
// "connecting" after the ready line would only mislead.
func (t *ngrokTunnel) returned() *ngrokTunnel {
	t.mu.Lock()
	defer t.mu.Unlock()
	for {
		select {
		case <-t.events:
		default:
			return t
		}
	}
}

// background waits out a start that Ngrok stopped waiting for.
func (t *ngrokTunnel) background(done <-chan listenResult) {
	defer close(t.bgDone)
	for {
		select {
		case r := <-done:
			t.mu.Lock()
			closing := t.closing
			t.mu.Unlock()
			if closing {
				t.cleanup(r)
				return
			}
			if r.err == nil {
				t.start(r.l)
				t.log.Info("ngrok endpoint online after retrying", "url", t.url)
				return
			}
			t.giveUp(t.listenFailed(r.err))
			t.cleanup(r)
			return
		case e := <-t.fatal:
			if !e.definite {
				continue // only Ngrok's own wait counts attempts
			}
			t.giveUp(e)
			t.cleanup(<-done)
			return
		case <-t.closed:
			t.cleanup(<-done)
			return
		}
	}
}

// giveUp ends a background start that cannot succeed by retrying.
func (t *ngrokTunnel) giveUp(e *Error) {
	t.cancel()
	t.log.Warn("ngrok tunnel failed, not retrying", "kind", e.Kind.Error(), "code", e.Code, "reason", e.Reason)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closing {
		return
	}
	t.stopped, t.reason = true, e.Reason
	t.emitLocked(Event{State: Offline, Err: e.Reason, Detail: e.Error()})
}

func (t *ngrokTunnel) cleanup(r listenResult) {
	if r.l != nil {
		_ = r.l.Close()
	}
	_ = t.agent.Disconnect()
}

// handle receives ngrok-go's events on its own goroutines; ngrok-go requires
// it not to block.
func (t *ngrokTunnel) handle(ev ngrok.Event) {
	switch ev := ev.(type) {
	case *ngrok.EventAgentConnectSucceeded:
		t.mu.Lock()
		defer t.mu.Unlock()
		t.connected = true
		if t.running && !t.closing && !t.stopped && t.current.State != Online {
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
		if t.closing || t.stopped {
			return
		}
		t.connected = false
		if !t.running {
			e := t.cls.classify(ev.Error, phaseConnect)
			t.startFailed(e)
			if t.retrying && !e.definite && t.reason != e.Reason {
				t.reason = e.Reason
				t.emitLocked(Event{State: Offline, Err: e.Reason, Retrying: true})
			}
			return
		}
		e := t.cls.classify(ev.Error, phaseRunning)
		if t.current.State != Offline || t.reason != e.Reason {
			t.reason = e.Reason
			t.emitLocked(Event{State: Offline, URL: t.url, Err: e.Reason, Retrying: true})
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

func (t *ngrokTunnel) start(l ngrok.EndpointListener) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.listener = l
	t.url = l.URL().String()
	t.running = true
	go t.pump(l)
	// The session may already have dropped again between Listen returning
	// and now; report whichever state it is in.
	if t.connected {
		t.reason = ""
		t.emitLocked(Event{State: Online, URL: t.url})
		return
	}
	t.reason = "connection lost"
	if t.last != nil {
		t.reason = t.last.Reason
	}
	t.emitLocked(Event{State: Offline, URL: t.url, Err: t.reason, Retrying: true})
}

// pump hands the endpoint's connections to Accept. An endpoint that ends
// without Close (stopped from the dashboard or API) is a state, not an
// error for the capture server: its local listener must keep serving.
func (t *ngrokTunnel) pump(l ngrok.EndpointListener) {
	for {
		c, err := l.Accept()
		if err != nil {
			t.mu.Lock()
			defer t.mu.Unlock()
			if t.closing {
				return
			}
			e := t.cls.stopped(err)
			t.stopped, t.reason = true, e.Reason
			t.log.Warn("ngrok endpoint stopped", "code", e.Code, "reason", e.Reason)
			t.emitLocked(Event{State: Offline, URL: t.url, Err: e.Reason, Detail: e.Error()})
			return
		}
		select {
		case t.conns <- c:
		case <-t.closed:
			_ = c.Close()
			return
		}
	}
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
	ev.Detail = t.cls.scrub(ev.Detail)
	t.current = ev
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

// Accept returns the next connection through the public URL. It blocks
// while the endpoint is offline, not yet up or stopped, and fails only
// after Close, so the capture server never stops because of the tunnel.
func (t *ngrokTunnel) Accept() (net.Conn, error) {
	select {
	case c := <-t.conns:
		return c, nil
	case <-t.closed:
		return nil, net.ErrClosed
	}
}

// Close ends the endpoint and the ngrok session. It is safe to call more
// than once and never waits on the network for long.
func (t *ngrokTunnel) Close() error {
	t.closeOnce.Do(func() {
		t.mu.Lock()
		t.closing = true
		l := t.listener
		t.mu.Unlock()
		close(t.closed)

		// Closing the endpoint asks the service to unbind it, an RPC with no
		// deadline: on a stalled connection, ending the session unblocks it.
		if l != nil {
			unbound := make(chan struct{})
			go func() {
				_ = l.Close()
				close(unbound)
			}()
			select {
			case <-unbound:
			case <-time.After(cleanupGrace):
			}
		}
		t.cancel()
		_ = t.agent.Disconnect()
		select {
		case <-t.bgDone:
		case <-time.After(cleanupGrace):
		}

		t.mu.Lock()
		t.emitLocked(Event{State: Closed, URL: t.url})
		close(t.events)
		t.ended = true
		t.mu.Unlock()
	})
	return nil
}

// Addr is the endpoint's address once it is up, else the connect server's.
func (t *ngrokTunnel) Addr() net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.listener != nil {
		return t.listener.Addr()
	}
	return pendingAddr(t.cls.server)
}

func (t *ngrokTunnel) PublicURL() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.url
}

func (t *ngrokTunnel) Current() Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.current
}

func (t *ngrokTunnel) Provider() string     { return ProviderNgrok }
func (t *ngrokTunnel) Events() <-chan Event { return t.events }

type pendingAddr string

func (pendingAddr) Network() string  { return ProviderNgrok }
func (a pendingAddr) String() string { return string(a) }

var _ Tunnel = (*ngrokTunnel)(nil)
