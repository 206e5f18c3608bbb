package capture

import "github.com/hookscope/hookscope/inspect"

// The event types live in inspect, so front ends need not link the capture
// path (and with it SQLite) to read them.
type (
	EventType = inspect.EventType
	Event     = inspect.Event
	Bus       = inspect.Bus
	Sub       = inspect.Sub
)

const (
	Captured  = inspect.Captured
	Forwarded = inspect.Forwarded
	StoreFail = inspect.StoreFail
)
