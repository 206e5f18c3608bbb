package web

import (
	"bufio"
	"context"
	"net/http"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/jsonview"
)

const (
	// eventBatch lets a burst gather into one write, as the printer does;
	// far below what a person can notice.
	eventBatch = 5 * time.Millisecond
	// healthEvery is how often the handler is probed while a page watches.
	healthEvery = 2 * time.Second
	// keepAlive keeps idle proxies and the browser from closing the stream.
	keepAlive = 15 * time.Second
	// writeWait drops a page that stopped reading: its bus queue is bounded
	// anyway, so all it could hold is a connection.
	writeWait = 10 * time.Second
)

// events is GET /api/events: Server-Sent Events carrying listen --json's
// lines (request, forward, store_error, dropped, tunnel, team) and the handler's
// health ({"type":"health","state":"up"|"down"|"none"}). Each stream has
// its own bounded queue on the session's bus: a page that falls behind is
// told how many events it lost (dropped) and reloads from the store.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.sse >= maxStreams {
		s.mu.Unlock()
		apiError(w, http.StatusServiceUnavailable, "too many event streams open; close some inspector tabs")
		return
	}
	s.sse++
	s.mu.Unlock()
	defer func() { s.mu.Lock(); s.sse--; s.mu.Unlock() }()

	sub := s.o.Session.Subscribe()
	defer sub.Close()
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := jsonview.NewEncoder(bw)
	send := func(event string, v any) {
		bw.WriteString("event: " + event + "\ndata: ")
		enc.Encode(v) // one line: the encoder escapes every newline
		bw.WriteString("\n")
	}
	flush := func() bool {
		rc.SetWriteDeadline(time.Now().Add(writeWait))
		if bw.Flush() != nil {
			return false
		}
		return rc.Flush() == nil
	}
	ctx := r.Context()
	bw.WriteString("retry: 1000\n\n")
	tun, tunChanged := s.tunnelState()
	if tun != nil {
		send("tunnel", jsonview.TunnelEvent(*tun))
	}
	if team := s.o.Session.Team(); team != nil {
		// The relay says only what changes: a page opened later starts
		// from where it stands now.
		send("team", jsonview.TeamEvent(team))
	}
	health := s.health(ctx)
	send("health", health)
	if !flush() {
		return
	}
	healthTick := time.NewTicker(healthEvery)
	defer healthTick.Stop()
	idle := time.NewTimer(keepAlive)
	defer idle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sub.Ready():
			select {
			case <-time.After(eventBatch):
			case <-ctx.Done():
				return
			}
			for _, e := range sub.Drain() {
				switch e.Type {
				case inspect.Captured:
					send("request", jsonview.RequestEvent(e.Record))
				case inspect.Forwarded:
					send("forward", jsonview.ForwardEvent(e.Attempt))
				case inspect.StoreFail:
					send("store_error", jsonview.StoreErrorEvent(e))
				case inspect.Team:
					send("team", jsonview.TeamEvent(e.Team))
				}
			}
			if n := sub.Dropped(); n > 0 {
				send("dropped", jsonview.DroppedEvent(n))
			}
		case <-tunChanged:
			tun, tunChanged = s.tunnelState()
			send("tunnel", jsonview.TunnelEvent(*tun))
		case <-healthTick.C:
			if !s.o.Session.Forwarding() {
				healthTick.Stop()
				continue
			}
			now := s.health(ctx)
			if now["state"] == health["state"] && now["error"] == health["error"] {
				continue
			}
			health = now
			send("health", health)
		case <-idle.C:
			bw.WriteString(": keep-alive\n\n")
		}
		if !flush() {
			return
		}
		idle.Reset(keepAlive)
	}
}

// health says whether the forward target accepts connections.
func (s *Server) health(ctx context.Context) map[string]any {
	m := map[string]any{"type": "health", "state": "none"}
	if !s.o.Session.Forwarding() {
		return m
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.o.Session.Health(pctx); err != nil {
		m["state"], m["error"] = "down", err.Error()
	} else {
		m["state"] = "up"
	}
	return m
}
