package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/jsonview"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/relay"
	"github.com/hookscope/hookscope/tunnel"
)

// readyInfo is what the first output line announces.
type readyInfo struct {
	LocalURL     string
	PublicURL    string
	Port         int
	DB           string
	Secrets      int
	SecretSource string
	ForwardTo    []string
	Path         string
	RegisterURL  string // public URL plus --path: what to paste into VideoNest
	WebURL       string // the web inspector; "" with --web off
	Team         *relay.Info
}

// printer is the headless front end: plain lines for people, NDJSON for
// scripts. It runs off the request path, fed by the engine's bus.
type printer struct {
	errOut io.Writer     // status lines and notes for people: stdout stays data
	w      *bufio.Writer // flushed after each batch: one write for a burst
	line   []byte        // reused for each plain line
	json   bool
	enc    *json.Encoder
}

func newPrinter(io *IOStreams, asJSON bool) *printer {
	p := &printer{w: bufio.NewWriterSize(io.Out, 64<<10), json: asJSON, errOut: io.ErrOut}
	p.enc = jsonview.NewEncoder(p.w)
	return p
}

func (p *printer) ready(r readyInfo) {
	defer p.w.Flush()
	if p.json {
		var pub any
		if r.PublicURL != "" {
			pub = r.PublicURL
		}
		fwd := r.ForwardTo
		if fwd == nil {
			fwd = []string{}
		}
		var reg any
		if r.RegisterURL != "" {
			reg = r.RegisterURL
		}
		m := map[string]any{"type": "ready", "local_url": r.LocalURL, "public_url": pub, "register_url": reg,
			"port": r.Port, "db": r.DB, "secrets": r.Secrets, "forward_to": fwd, "version": version, "web_url": nil, "path": nil}
		if r.Path != "" {
			m["path"] = r.Path
		}
		if r.WebURL != "" {
			m["web_url"] = r.WebURL
		}
		if r.Team != nil {
			m["team"] = r.Team
		}
		p.enc.Encode(m)
		return
	}
	fmt.Fprintf(p.w, "hookscope %s ready: %s", version, r.LocalURL)
	if r.PublicURL != "" {
		fmt.Fprintf(p.w, "  public: %s", r.PublicURL)
	}
	if len(r.ForwardTo) > 0 {
		fmt.Fprintf(p.w, "  → %s", strings.Join(r.ForwardTo, ", "))
	}
	fmt.Fprintf(p.w, "  (store %s)\n", r.DB)
	if t := r.Team; t != nil {
		fmt.Fprintf(p.w, "Team relay: %s %s, stream %s", t.Role, t.URL, t.Stream)
		if t.Consumer != "" {
			fmt.Fprintf(p.w, ", consumer %s", t.Consumer)
		}
		fmt.Fprintln(p.w)
	}
	switch {
	case r.RegisterURL != "":
		fmt.Fprintf(p.w, "Register in VideoNest (Settings → Webhooks → Add Endpoint): %s\n", r.RegisterURL)
	case r.Path != "":
		// No public URL yet: --path still names where to send (every path is captured).
		fmt.Fprintf(p.w, "Send webhooks to: %s%s\n", r.LocalURL, r.Path)
	}
}

// printBatch is how long the printer lets events gather before it writes:
// under a burst one wake-up and one write serve hundreds of lines instead
// of costing a wake-up and a syscall per request; nobody reads faster.
const printBatch = 5 * time.Millisecond

// run prints events until ctx ends, then what is still queued.
func (p *printer) run(ctx context.Context, sub *inspect.Sub, tunnelEvents <-chan tunnel.Event) error {
	for {
		select {
		case <-sub.Ready():
			select {
			case <-time.After(printBatch):
			case <-ctx.Done():
			}
			p.events(sub.Drain())
			p.dropped(sub.Dropped())
		case ev, ok := <-tunnelEvents:
			if !ok {
				tunnelEvents = nil
				continue
			}
			p.tunnel(ev)
		case <-ctx.Done():
			p.events(sub.Drain())
			p.dropped(sub.Dropped())
			return nil
		}
	}
}

// dropped says how many events the output fell too far behind to print:
// the requests are stored all the same, and list shows them.
func (p *printer) dropped(n int) {
	if n == 0 {
		return
	}
	if p.json {
		p.enc.Encode(jsonview.DroppedEvent(n))
		p.w.Flush()
	}
	fmt.Fprintf(p.errOut, "%d events not printed: the output fell behind (they are stored; `hookscope list` shows them)\n", n)
}

func (p *printer) tunnel(ev tunnel.Event) {
	defer p.w.Flush()
	if p.json {
		p.enc.Encode(jsonview.TunnelEvent(ev))
		return
	}
	// A status line, for people: stderr, so stdout stays data.
	fmt.Fprintf(p.errOut, "%s  %s\n", ev.At.Local().Format("15:04:05.000"), tunnelLine(ev))
}

func (p *printer) events(evs []inspect.Event) {
	defer p.w.Flush()
	for _, e := range evs {
		switch e.Type {
		case inspect.Captured:
			p.request(e.Record)
		case inspect.Forwarded:
			p.forward(e.Record, e.Attempt)
		case inspect.StoreFail:
			p.storeFail(e)
		case inspect.Team:
			p.team(e.Team)
		}
	}
}

func (p *printer) request(r *inspect.Record) {
	if p.json {
		p.enc.Encode(jsonview.RequestEvent(r))
		return
	}
	ev := r.Event
	if ev == "" {
		ev = "-"
	}
	// Appended rather than fmt-formatted: one line per capture, and under a
	// burst the printer shares the CPU with the captures themselves.
	b := r.ReceivedAt.Local().AppendFormat(p.line[:0], "15:04:05.000")
	b = append(append(b, "  "...), r.ID...)
	b = appendPadded(append(b, "  "...), payload.SanitizeLine(r.Method), 6)
	b = append(append(b, ' '), payload.SanitizeLine(r.URI())...)
	b = append(append(b, "  "...), payload.SanitizeLine(ev)...)
	b = append(append(b, "  "...), r.Signature.Status.Label()...)
	b = append(append(b, "  "...), r.SizeLabel()...)
	if r.Refused != 0 {
		b = strconv.AppendInt(append(b, "  refused "...), int64(r.Refused), 10)
	}
	if r.Duplicate {
		b = append(append(b, "  ↻ "...), duplicateNote(r)...)
	}
	if r.Answered != "" {
		b = append(append(b, "  "...), r.Answered...)
	}
	if r.Relay != "" {
		b = append(append(b, "  via team from "...), payload.SanitizeLine(r.Relay)...)
	}
	p.line = append(b, '\n')
	p.w.Write(p.line)
}

// appendPadded appends s, then spaces up to width runes, as %-6s would.
func appendPadded(b []byte, s string, width int) []byte {
	b = append(b, s...)
	for n := utf8.RuneCountInString(s); n < width; n++ {
		b = append(b, ' ')
	}
	return b
}

func (p *printer) forward(r *inspect.Record, a *inspect.Attempt) {
	if p.json {
		p.enc.Encode(jsonview.ForwardEvent(a))
		return
	}
	b := a.At.Local().AppendFormat(p.line[:0], "15:04:05.000")
	b = append(append(b, "  "...), a.RequestID...)
	b = append(append(b, "  → "...), payload.SanitizeLine(a.URL)...)
	b = append(b, "  "...)
	if a.Error != "" {
		b = append(b, payload.SanitizeLine("error: "+a.Error)...)
	} else {
		b = strconv.AppendInt(b, int64(a.Status), 10)
	}
	b = append(append(b, "  "...), inspect.FormatLatency(a.Latency)...)
	if a.TimedOutForProvider {
		b = append(b, "  (VideoNest would have timed out after 10s)"...)
	}
	p.line = append(b, '\n')
	p.w.Write(p.line)
}

func (p *printer) storeFail(e inspect.Event) {
	if p.json {
		p.enc.Encode(jsonview.StoreErrorEvent(e))
		return
	}
	fmt.Fprintf(p.w, "%s  NOT STORED  %s %s  503: %s\n", e.Record.ReceivedAt.Local().Format("15:04:05.000"),
		payload.SanitizeLine(e.Record.Method), payload.SanitizeLine(e.Record.URI()), e.Err)
}

// team says where the team relay stands: NDJSON on stdout, a line for
// people on stderr (it is status, not data).
func (p *printer) team(t *inspect.TeamState) {
	if p.json {
		p.enc.Encode(jsonview.TeamEvent(t))
		return
	}
	fmt.Fprintln(p.errOut, teamLine(t))
}

// teamLine is the relay's state in a few words, made terminal-safe.
func teamLine(t *inspect.TeamState) string { return payload.SanitizeLine(t.Summary()) }
