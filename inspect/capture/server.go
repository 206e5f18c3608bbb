package capture

import (
	"net/http"
	"time"

	"github.com/hookscope/hookscope/inspect/wire"
)

// NewServer wraps h in an http.Server whose timeouts make stalled clients
// cost nothing: a connection that never finishes its headers is dropped
// after ReadHeaderTimeout; the Engine drops one whose body stops arriving
// after BodyIdleTimeout (ReadTimeout is only the backstop for other
// handlers). writeTimeout must cover the handler's forward timeout (0 = none).
func NewServer(h http.Handler, writeTimeout time.Duration) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    wire.MaxHeaderBytes,
		// OPTIONS * is a request like any other here: captured, not
		// answered by net/http behind the capture's back.
		DisableGeneralOptionsHandler: true,
		ConnContext:                  wire.ConnContext,
	}
}
