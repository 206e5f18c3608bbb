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
	"github.com/hookscope/hookscope/inspect/payload"
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
	p.enc = newJSONEncoder(p.w)
	return p
}

// newJSONEncoder is the encoder for every JSON hookscope prints. JSON may
// carry C1 controls (U+009B is CSI to many terminals) and bidi overrides
// raw, and people do read `show --json` in a terminal: those are written as
// \u escapes instead, which mean exactly the same to a JSON reader.
func newJSONEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(terminalSafeJSON{w})
	enc.SetEscapeHTML(false)
	return enc
}

// terminalSafeJSON rewrites the encoder's output. json.Encoder hands over
// one whole value per Write, so no character is split across calls, and in
// JSON text these characters can only sit inside strings.
type terminalSafeJSON struct{ w io.Writer }

func (t terminalSafeJSON) Write(p []byte) (int, error) {
	var out []byte
	last := 0
	for i := 0; i+1 < len(p); i++ {
		var r rune
		switch {
		case p[i] == 0xc2 && p[i+1] >= 0x80 && p[i+1] <= 0x9f: // C1 controls
			r = rune(p[i+1])
		case p[i] == 0xe2 && i+2 < len(p) && p[i+1] == 0x80 && p[i+2] >= 0xaa && p[i+2] <= 0xae: // U+202A–E
			r = 0x2000 | rune(p[i+2]&0x3f)
		case p[i] == 0xe2 && i+2 < len(p) && p[i+1] == 0x81 && p[i+2] >= 0xa6 && p[i+2] <= 0xa9: // U+2066–9
			r = 0x2040 | rune(p[i+2]&0x3f)
		default:
			continue
		}
		out = append(append(out, p[last:i]...), fmt.Sprintf(`\u%04x`, r)...)
		last = i + utf8.RuneLen(r)
		i = last - 1
	}
	if out == nil {
		return t.w.Write(p)
	}
	if _, err := t.w.Write(append(out, p[last:]...)); err != nil {
		return 0, err
	}
	return len(p), nil
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
		var path any
		if r.Path != "" {
			path = r.Path
		}
		p.enc.Encode(map[string]any{"type": "ready", "local_url": r.LocalURL, "public_url": pub, "register_url": reg,
			"path": path, "port": r.Port, "db": r.DB, "secrets": r.Secrets, "forward_to": fwd, "version": version})
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
		p.enc.Encode(map[string]any{"type": "dropped", "count": n})
		p.w.Flush()
	}
	fmt.Fprintf(p.errOut, "%d events not printed: the output fell behind (they are stored; `hookscope list` shows them)\n", n)
}

func (p *printer) tunnel(ev tunnel.Event) {
	defer p.w.Flush()
	if p.json {
		m := map[string]any{"type": "tunnel", "state": ev.State.String(), "at": ev.At.UTC().Format(time.RFC3339Nano)}
		if ev.URL != "" {
			m["url"] = ev.URL
		}
		if ev.Err != "" {
			m["error"] = ev.Err
		}
		if ev.State == tunnel.Offline {
			m["retrying"] = ev.Retrying
		}
		p.enc.Encode(m)
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
		}
	}
}

func (p *printer) request(r *inspect.Record) {
	if p.json {
		m := map[string]any{"type": "request", "id": r.ID, "received_at": r.ReceivedAt.UTC().Format(time.RFC3339Nano),
			"method": r.Method, "path": r.Path, "query": r.Query, "event": r.Event,
			"signature": r.Signature.Status, "signature_detail": r.Signature.Detail, "scheme": r.Signature.Scheme,
			"size": r.Size}
		addQueryBase64(m, r.Query)
		if r.Refused != 0 {
			m["refused"] = r.Refused
		}
		if r.Duplicate {
			m["duplicate"] = true
		}
		if r.Answered != "" {
			m["answered"] = r.Answered
		}
		p.enc.Encode(m)
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
		m := map[string]any{"type": "forward", "id": a.RequestID, "url": a.URL, "status": a.Status,
			"latency_ms": float64(a.Latency.Microseconds()) / 1000, "error": a.Error, "replay": a.Replay}
		if a.DeliveryID != 0 {
			m["delivery_id"] = a.DeliveryID
		}
		if a.TimedOutForProvider {
			m["provider_timeout"] = true
		}
		p.enc.Encode(m)
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
		p.enc.Encode(map[string]any{"type": "store_error", "method": e.Record.Method, "path": e.Record.Path, "error": e.Err})
		return
	}
	fmt.Fprintf(p.w, "%s  NOT STORED  %s %s  503: %s\n", e.Record.ReceivedAt.Local().Format("15:04:05.000"),
		payload.SanitizeLine(e.Record.Method), payload.SanitizeLine(e.Record.URI()), e.Err)
}
