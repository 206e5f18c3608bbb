package inspect

import "time"

// TunnelState is the public ingress's connection state, as every front end
// shows it.
type TunnelState int

const (
	// TunnelConnecting: the first connection to the provider is being made.
	TunnelConnecting TunnelState = iota
	// TunnelOnline: the public URL accepts requests. An Online that follows
	// an Offline means the provider reconnected by itself.
	TunnelOnline
	// TunnelOffline: the public URL does not answer; Err says why and
	// Retrying whether hookscope is getting it back by itself. The local
	// endpoint keeps capturing either way.
	TunnelOffline
	// TunnelClosed: the tunnel was closed; no more events follow.
	TunnelClosed
)

func (s TunnelState) String() string {
	switch s {
	case TunnelConnecting:
		return "connecting"
	case TunnelOnline:
		return "online"
	case TunnelOffline:
		return "offline"
	case TunnelClosed:
		return "closed"
	}
	return "unknown"
}

// TunnelEvent is one change of the tunnel's state.
type TunnelEvent struct {
	At    time.Time
	State TunnelState
	// URL is the public URL, when known.
	URL string
	// Err is a short reason for Offline, such as "connection lost (EOF)".
	Err string
	// Retrying is true while an Offline tunnel reconnects by itself; false
	// once it has given up (the endpoint was stopped remotely, or the
	// service refused it) and only a restart brings it back.
	Retrying bool
	// Detail is the full sentence, with what to do, when the tunnel gave
	// up; "" otherwise.
	Detail string
}
