// Package tunnel owns hookscope's public ingress: choosing whether to open a
// tunnel (Resolve, Token), opening an ngrok endpoint through the embedded
// ngrok-go agent (Ngrok) or none at all (None), turning ngrok failures into
// one-sentence errors, and reporting connection state as Events.
//
// It hands the capture server a net.Listener and nothing else: it must not
// touch the capture server, the SQLite store, the TUI or the terminal. All
// diagnostics go to the *slog.Logger the caller passes in, never to stdout or
// stderr, because the TUI owns the terminal. The ngrok authtoken must never
// appear in an error, an Event or a log line.
package tunnel

import (
	"net"
	"strings"
	"sync"
	"time"

	"github.com/hookscope/hookscope/inspect"
)

// Provider names returned by Tunnel.Provider.
const (
	ProviderNgrok = "ngrok"
	ProviderNone  = "none"
)

// Tunnel is a public listener the capture server serves in addition to its
// always-on local listener.
type Tunnel interface {
	// Accept returns connections that arrived through the public URL. After
	// Close it returns an error that matches net.ErrClosed.
	net.Listener
	// PublicURL is the tunnel's public base URL, or "" when there is none.
	PublicURL() string
	// Provider is ProviderNgrok or ProviderNone.
	Provider() string
	// Current is the state now. When Ngrok has returned, it is Online or
	// (under KeepTrying) Offline; Events carries only what follows.
	Current() Event
	// Events reports state changes after the tunnel was returned. The
	// channel is closed after the Closed event. A consumer that falls
	// behind loses the oldest events, never the newest, so the last event
	// read is always the current state.
	Events() <-chan Event
}

// State and Event live in inspect, so front ends read the tunnel's state
// as a plain value without linking ngrok-go.
type (
	State = inspect.TunnelState
	Event = inspect.TunnelEvent
)

const (
	Connecting = inspect.TunnelConnecting
	Online     = inspect.TunnelOnline
	Offline    = inspect.TunnelOffline
	Closed     = inspect.TunnelClosed
)

// None returns a Tunnel with no public listener, for --tunnel none: Accept
// blocks until Close so the capture server can serve it like any other.
func None() Tunnel {
	return &noneTunnel{done: make(chan struct{}), events: make(chan Event, 1)}
}

type noneTunnel struct {
	once   sync.Once
	done   chan struct{}
	events chan Event
}

func (n *noneTunnel) Accept() (net.Conn, error) {
	<-n.done
	return nil, net.ErrClosed
}

func (n *noneTunnel) Close() error {
	n.once.Do(func() {
		close(n.done)
		n.events <- Event{At: time.Now(), State: Closed}
		close(n.events)
	})
	return nil
}

func (n *noneTunnel) Current() Event       { return Event{State: Closed} }
func (n *noneTunnel) Addr() net.Addr       { return noneAddr{} }
func (n *noneTunnel) PublicURL() string    { return "" }
func (n *noneTunnel) Provider() string     { return ProviderNone }
func (n *noneTunnel) Events() <-chan Event { return n.events }

type noneAddr struct{}

func (noneAddr) Network() string { return ProviderNone }
func (noneAddr) String() string  { return ProviderNone }

// EndpointURL is the URL to paste into VideoNest's webhook settings: the
// public URL joined with the optional --path. It returns "" when there is no
// public URL, since a local address is useless to VideoNest.
func EndpointURL(public, path string) string {
	public = strings.TrimRight(strings.TrimSpace(public), "/")
	if public == "" {
		return ""
	}
	path = strings.TrimSpace(path)
	switch {
	case path == "":
		return public
	case strings.HasPrefix(path, "?"), strings.HasPrefix(path, "#"):
		return public + "/" + path
	}
	// Keep a trailing slash: some webhook routes distinguish /hook from /hook/.
	return public + "/" + strings.TrimLeft(path, "/")
}
