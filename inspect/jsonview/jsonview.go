// Package jsonview owns the JSON shapes hookscope prints and serves: a
// `list --json` item, the `show --json` record, the NDJSON event lines of
// `listen --json`, the `export` line that import reads back, and the
// encoder every one of them goes through. cmd, the web inspector and the
// JSONL export all build their JSON here, so a script reading `hookscope
// list --json` and one reading GET /api/requests see the same keys, and an
// export says what `show --json` says. It formats records it is given; it
// reads no store and writes nowhere but the writer it is handed.
package jsonview

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"time"
	"unicode/utf8"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
)

// NewEncoder is the encoder for every JSON hookscope prints. JSON may
// carry C1 controls (U+009B is CSI to many terminals) and bidi overrides
// raw, and people do read `show --json` in a terminal: those are written as
// \u escapes instead, which mean exactly the same to a JSON reader.
func NewEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(terminalSafe{w})
	enc.SetEscapeHTML(false)
	return enc
}

// terminalSafe rewrites the encoder's output. json.Encoder hands over one
// whole value per Write, so no character is split across calls, and in
// JSON text these characters can only sit inside strings.
type terminalSafe struct{ w io.Writer }

func (t terminalSafe) Write(p []byte) (int, error) {
	if _, err := t.w.Write(payload.EscapeJSONText(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// Summary is one `list --json` item; the contract promises at least id,
// received_at, method, path, event, signature, size and forward_status.
func Summary(r *inspect.Record) map[string]any {
	m := map[string]any{
		"id": r.ID, "received_at": stamp(r.ReceivedAt), "method": r.Method,
		"path": r.Path, "query": r.Query, "event": r.Event, "signature": r.Signature.Status,
		"size": r.Size, "forward_status": nil, "duplicate": r.Duplicate,
	}
	if r.Forwarded {
		m["forward_status"] = r.ForwardStatus
		if r.ForwardError != "" {
			m["forward_error"] = r.ForwardError
		}
	}
	if r.Delivery != "" {
		m["delivery"] = r.Delivery
	} else {
		m["delivery"] = nil
	}
	if r.DuplicateOf != "" {
		m["duplicate_of"] = r.DuplicateOf
	}
	addQueryBase64(m, r.Query)
	if r.Refused != 0 {
		m["refused"] = r.Refused
	}
	if r.Answered != "" {
		m["answered"] = r.Answered
	}
	src, relay := source(r)
	m["source"] = src
	if relay != "" {
		m["relay"] = relay
	}
	return m
}

// addQueryBase64 adds the exact bytes of a query that is not UTF-8, which a
// JSON string cannot carry (the encoder would put U+FFFD in their place).
func addQueryBase64(m map[string]any, q string) {
	if !utf8.ValidString(q) {
		m["query_base64"] = base64.StdEncoding.EncodeToString([]byte(q))
	}
}

// Record is `show --json`: the whole record, exact (body base64), with its
// attempts and the outbox rows it is owed.
func Record(r *inspect.Record, atts []inspect.Attempt, dels []inspect.Delivery) map[string]any {
	m := Summary(r)
	m["proto"] = r.Proto
	m["host"] = r.Host
	m["remote_addr"] = r.RemoteAddr
	m["headers"] = Headers(r.Headers)
	m["body_base64"] = base64.StdEncoding.EncodeToString(r.Body)
	sig := map[string]any{"status": r.Signature.Status, "scheme": r.Signature.Scheme, "detail": r.Signature.Detail}
	if r.Signature.SecretIndex >= 0 {
		sig["secret_index"] = r.Signature.SecretIndex
	}
	m["signature"] = sig
	list := make([]map[string]any, len(atts))
	for i := range atts {
		list[i] = Attempt(&atts[i])
	}
	m["attempts"] = list
	m["deliveries"] = Deliveries(dels)
	return m
}

// Attempt is one delivery attempt as `show --json` lists it: the handler's
// answer in full.
func Attempt(a *inspect.Attempt) map[string]any {
	m := map[string]any{"at": stamp(a.At), "url": a.URL, "status": a.Status,
		"latency_ms": latencyMS(a.Latency), "error": a.Error, "replay": a.Replay,
		"response_headers": Headers(a.RespHeaders), "response_body_base64": base64.StdEncoding.EncodeToString(a.RespBody),
		"provider_timeout": a.TimedOutForProvider, "edited": a.Edited, "delivery_id": a.DeliveryID}
	if a.Edited {
		m["sent_body_base64"] = base64.StdEncoding.EncodeToString(a.SentBody)
	}
	return m
}

func latencyMS(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Deliveries are the outbox rows of one record.
func Deliveries(ds []inspect.Delivery) []map[string]any {
	out := make([]map[string]any, len(ds))
	for i, d := range ds {
		m := map[string]any{"id": d.ID, "sink": d.Sink, "target": d.Target, "state": d.State, "tries": d.Tries,
			"last_status": d.LastStatus, "last_error": d.LastError, "next_at": nil, "done_at": nil}
		if !d.NextAt.IsZero() {
			m["next_at"] = stamp(d.NextAt)
		}
		if !d.DoneAt.IsZero() {
			m["done_at"] = stamp(d.DoneAt)
		}
		out[i] = m
	}
	return out
}

// Headers lists header lines in arrival order; a value that is not UTF-8
// (legal on the wire) also comes as value_base64, since a JSON string
// cannot hold it exactly.
func Headers(hs []inspect.Header) []map[string]string {
	out := make([]map[string]string, len(hs))
	for i, h := range hs {
		out[i] = map[string]string{"name": h.Name, "value": h.Value}
		if !utf8.ValidString(h.Value) {
			out[i]["value_base64"] = base64.StdEncoding.EncodeToString([]byte(h.Value))
		}
	}
	return out
}

// The NDJSON event lines of `listen --json` (and the web inspector's
// Server-Sent Events, which carry the same objects).

// RequestEvent is a {"type":"request"} line: one captured request.
func RequestEvent(r *inspect.Record) map[string]any {
	m := map[string]any{"type": "request", "id": r.ID, "received_at": stamp(r.ReceivedAt),
		"method": r.Method, "path": r.Path, "query": r.Query, "event": r.Event,
		"signature": r.Signature.Status, "signature_detail": r.Signature.Detail, "scheme": r.Signature.Scheme,
		"size": r.Size, "duplicate": r.Duplicate}
	addQueryBase64(m, r.Query)
	if r.Refused != 0 {
		m["refused"] = r.Refused
	}
	src, relay := source(r)
	m["source"] = src
	if relay != "" {
		m["relay"] = relay
	}
	if r.DuplicateOf != "" {
		m["duplicate_of"] = r.DuplicateOf
	}
	if r.Answered != "" {
		m["answered"] = r.Answered
	}
	return m
}

// ForwardEvent is a {"type":"forward"} line: one finished attempt (a live
// forward, an outbox try or a replay).
func ForwardEvent(a *inspect.Attempt) map[string]any {
	m := map[string]any{"type": "forward", "id": a.RequestID, "url": a.URL, "status": a.Status,
		"latency_ms": latencyMS(a.Latency), "error": a.Error, "replay": a.Replay,
		"provider_timeout": a.TimedOutForProvider, "edited": a.Edited}
	if a.DeliveryID != 0 {
		m["delivery_id"] = a.DeliveryID
	}
	return m
}

// StoreErrorEvent is a {"type":"store_error"} line: a request answered 503.
func StoreErrorEvent(e inspect.Event) map[string]any {
	return map[string]any{"type": "store_error", "method": e.Record.Method, "path": e.Record.Path, "error": e.Err}
}

// TeamEvent is a {"type":"team"} line: where the team relay stands.
func TeamEvent(t *inspect.TeamState) map[string]any {
	m := map[string]any{"type": "team", "role": t.Role, "state": t.State, "pending": t.Pending, "summary": t.Summary()}
	if t.TooLarge > 0 {
		m["too_large"] = t.TooLarge
	}
	if t.Role != "publish" { // a subscriber
		m["behind"] = t.Behind
	}
	if t.Detail != "" {
		m["detail"] = t.Detail
	}
	return m
}

// DroppedEvent is a {"type":"dropped"} line: live events a slow reader lost.
func DroppedEvent(n int) map[string]any {
	return map[string]any{"type": "dropped", "count": n}
}

// TunnelEvent is a {"type":"tunnel"} line: the public tunnel's state
// (retrying is said while offline).
func TunnelEvent(ev inspect.TunnelEvent) map[string]any {
	m := map[string]any{"type": "tunnel", "state": ev.State.String(), "at": stamp(ev.At)}
	if ev.URL != "" {
		m["url"] = ev.URL
	}
	if ev.Err != "" {
		m["error"] = ev.Err
	}
	if ev.State == inspect.TunnelOffline {
		m["retrying"] = ev.Retrying
	}
	return m
}
