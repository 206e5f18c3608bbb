// Package capture is the request path: read the body, judge the signature,
// commit to the store, answer, and tell the front ends. It answers 2xx only
// after the row is committed; whatever cannot be stored gets a 503 so the
// provider retries. It owns no terminal and no tunnel.
package capture

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/sample"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/inspect/wire"
)

// DefaultMaxBody is the largest body captured unless --max-body says otherwise.
const DefaultMaxBody = 10 << 20

// DefaultCommitTimeout bounds the wait for a commit. VideoNest gives up at
// 10 s; answering 503 well before lets it record a clean failure and retry.
const DefaultCommitTimeout = 5 * time.Second

// BodyIdleTimeout drops a request whose body stops arriving for this long.
// VideoNest sends the body at once and gives up after 10 s, so nobody waits
// on a body stalled that long; the server's ReadTimeout alone would hold the
// connection and its buffer for a minute. A body that keeps coming, however
// slowly, is read until BodyTimeout.
const BodyIdleTimeout = 10 * time.Second

// BodyTimeout bounds reading one body, however it trickles in.
const BodyTimeout = 60 * time.Second

// Config is what the engine needs; zero values get defaults.
type Config struct {
	Store    *store.Store
	Secrets  []string
	Schemes  []signature.Scheme
	Provider string // force one scheme by name
	MaxBody  int64
	// BodyBudget bounds body bytes in memory across all requests at once.
	BodyBudget    int64
	CommitTimeout time.Duration
	// VerifyOnly refuses (401, still recorded) requests whose signature is
	// not valid, so spoofed events never reach the handler.
	VerifyOnly bool
	Now        func() time.Time
	// Via is this hookscope's name in the Via header of what it forwards:
	// a request that carries it has looped back, and is not forwarded again.
	Via string
	// Publish, when set, owes every capture a team relay publish to this
	// target.
	Publish string
	// Respond, when set, is what hookscope answers every stored request
	// instead of 200, so a developer can watch the sender's retries.
	Respond *Respond
}

// Respond is listen --respond STATUS[,DELAY][,BODY].
type Respond struct {
	Status int
	Delay  time.Duration
	Body   []byte
}

// Note is how the record says what was answered.
func (r *Respond) Note() string {
	s := fmt.Sprintf("answered by hookscope: --respond %d", r.Status)
	if r.Delay > 0 {
		s += " after " + r.Delay.String()
	}
	return s
}

// EndpointCheckNote marks a request hookscope answered 200 itself because
// the handler was down and the request looked like VideoNest's check of a
// new endpoint (which would otherwise fail the registration).
const EndpointCheckNote = "answered by hookscope: handler down, looks like VideoNest's endpoint check"

// Engine is the capture http.Handler.
type Engine struct {
	cfg    Config
	bus    Bus
	budget *budget
	// fwd, when set, sends each capture to the handler: the first target's
	// answer goes back to the sender, the rest (all of them under --ack)
	// are owed to the outbox; owed is told after a commit that added rows,
	// with the committed record (read-only from then on).
	fwd  *forward.Forwarder
	owed func(*inspect.Record)
}

// SetForwarder installs the live forwarder. Call before serving.
func (e *Engine) SetForwarder(f *forward.Forwarder, owed func(*inspect.Record)) {
	e.fwd, e.owed = f, owed
}

func New(cfg Config) *Engine {
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.CommitTimeout <= 0 {
		cfg.CommitTimeout = DefaultCommitTimeout
	}
	if cfg.BodyBudget <= 0 {
		cfg.BodyBudget = DefaultBodyBudget
	}
	if cfg.Schemes == nil {
		cfg.Schemes = signature.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{cfg: cfg, budget: newBudget(cfg.BodyBudget)}
}

// Bus is where front ends subscribe to events.
func (e *Engine) Bus() *Bus { return &e.bus }

// Config returns the engine's configuration (defaults filled in).
func (e *Engine) Config() Config { return e.cfg }

func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// Tell the store's writer a row is coming, so under load it waits for
	// this one instead of committing without it.
	e.cfg.Store.Arrive()
	arriving := true
	defer func() {
		if arriving {
			e.cfg.Store.Depart()
		}
	}()
	depart := func() {
		if arriving {
			arriving = false
			e.cfg.Store.Depart()
		}
	}
	rec := &inspect.Record{
		ReceivedAt: e.cfg.Now(),
		Method:     r.Method,
		Path:       r.URL.EscapedPath(),
		Query:      r.URL.RawQuery,
		Proto:      r.Proto,
		Host:       r.Host,
		RemoteAddr: r.RemoteAddr,
	}
	if r.URL.Path == "" && r.URL.Opaque == "" {
		rec.Path = "/"
	}
	if hs, ok := wire.Headers(r); ok {
		rec.Headers = hs
	} else {
		rec.Headers = wire.Fallback(r.Header)
	}

	if reason, bad := wire.Ambiguous(r); bad {
		rec.Refused = http.StatusBadRequest
		rec.Size = r.ContentLength
		rec.Signature = signature.Verdict{Status: signature.Unchecked, SecretIndex: -1, Detail: "refused: " + reason}
		// The framing is in doubt, so the rest of the stream is too.
		w.Header().Set("Connection", "close")
		depart()
		e.refuse(w, r, rec, http.StatusBadRequest, "ambiguous request framing ("+reason+"); refused and not forwarded (recorded, body not kept)")
		return
	}

	if r.Method == "PRI" && r.RequestURI == "*" {
		// An HTTP/2 cleartext preface: the client waits for frames an
		// HTTP/1.1 answer is not. Say so, and record that it came.
		rec.Refused = http.StatusHTTPVersionNotSupported
		rec.Signature = signature.Verdict{Status: signature.Unchecked, SecretIndex: -1, Detail: "refused: HTTP/2 cleartext (h2c) preface"}
		w.Header().Set("Connection", "close")
		depart()
		e.refuse(w, r, rec, http.StatusHTTPVersionNotSupported, "hookscope captures HTTP/1.1; send webhooks over HTTP/1.1 (or HTTPS through the tunnel)")
		return
	}

	rc := http.NewResponseController(w)
	body, held, tooBig, err := e.readBody(r.Context(), &idleReader{r: r.Body, rc: rc, end: time.Now().Add(BodyTimeout)}, r.ContentLength, e.cfg.MaxBody)
	defer e.budget.release(held)
	if !tooBig && err == nil {
		// The body is in: no deadline while the handler stores and forwards
		// (net/http sets its own again before reading the next request).
		rc.SetReadDeadline(time.Time{})
	}
	if tooBig {
		rec.Refused = http.StatusRequestEntityTooLarge
		rec.Size = r.ContentLength
		if rec.Size < 0 {
			rec.Size = int64(len(body)) // at least this much: it kept coming
		}
		rec.Signature = signature.Verdict{Status: signature.Unchecked, SecretIndex: -1, Detail: "body not kept: over --max-body"}
		msg := fmt.Sprintf("body larger than the %s limit (--max-body); recorded, body not kept", payload.HumanSize(e.cfg.MaxBody))
		// The rest of the body is not read: tell net/http to drop the connection.
		w.Header().Set("Connection", "close")
		depart()
		e.refuse(w, r, rec, http.StatusRequestEntityTooLarge, msg)
		return
	}
	if errors.Is(err, errNoRoom) {
		// Not stored and not recorded: the sender must retry, and an
		// attacker filling the budget must not fill the store instead.
		msg := fmt.Sprintf("hookscope is reading too many large bodies at once (%s in flight, --body-budget); not stored, retry later", payload.HumanSize(e.cfg.BodyBudget))
		e.bus.Publish(Event{Type: StoreFail, Record: rec, Err: msg})
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": msg, "stored": false})
		// The sender is still uploading: closing now would reset the
		// connection and take the 503 with it. Read the rest into nothing
		// (no memory, the same deadlines) so the answer arrives.
		rc.Flush()
		io.Copy(io.Discard, io.LimitReader(&idleReader{r: r.Body, rc: rc, end: time.Now().Add(BodyTimeout)}, e.cfg.MaxBody))
		return
	}
	if err != nil {
		// The client went away or stalled mid-body: there is nobody to answer,
		// and the rest of its body is not worth waiting for.
		w.Header().Set("Connection", "close")
		http.Error(w, "could not read the request body", http.StatusBadRequest)
		return
	}
	rec.Body = body
	// Trailer fields (after a chunked body) are kept after the header
	// lines, rather than dropped: net/http gives them as a map, so they
	// come sorted by name.
	if len(r.Trailer) > 0 {
		for _, k := range slices.Sorted(maps.Keys(r.Trailer)) {
			for _, v := range r.Trailer[k] {
				rec.Headers = append(rec.Headers, inspect.Header{Name: k, Value: v})
			}
		}
	}
	rec.Size = int64(len(body))
	rec.Signature = signature.Judge(e.cfg.Schemes, e.cfg.Provider, r.Header, body, e.cfg.Secrets)
	rec.Event = inspect.EventOf(rec.Signature.Scheme, rec.Headers, body)

	var live string
	var owed []inspect.Owed
	refuse := e.cfg.VerifyOnly && rec.Signature.Status != signature.Valid
	if refuse {
		// Recorded as refused like a 413, but with its body: the bytes
		// are what was sent, only not proven to be VideoNest's.
		rec.Refused = http.StatusUnauthorized
	}
	loop := e.cfg.Via != "" && looped(r.Header["Via"], e.cfg.Via)
	if loop {
		rec.Refused = http.StatusLoopDetected
		refuse = true
	}
	if e.fwd != nil && !refuse {
		live, owed = e.fwd.Plan(rec)
	}
	if e.cfg.Publish != "" && !refuse {
		owed = append(owed, inspect.Owed{Sink: inspect.SinkPublish, Target: e.cfg.Publish})
	}
	var sent chan *forward.Result
	if live != "" {
		// The handler's answer is what the sender waits for: send while the
		// row commits instead of after. A failed commit still answers 503,
		// and the handler has then seen a copy, as with any provider retry.
		sent = make(chan *forward.Result, 1)
		// The sender hanging up must not cancel the delivery: the webhook
		// is stored, and the handler should still see it. The forward gets
		// its own copy: the store sets the id (and may change it on a
		// clash) while the forward reads the record.
		ctx := context.WithoutCancel(r.Context())
		cp := *rec
		go func() { sent <- e.fwd.Send(ctx, &cp, live, false) }()
	}

	depart()
	if !e.commit(w, r, rec, owed) {
		return
	}
	if len(owed) > 0 && e.owed != nil {
		e.owed(rec)
	}
	if e.cfg.Respond != nil && !refuse && sent == nil {
		rec.Answered = e.cfg.Respond.Note() // for the live views; stored by respond
	}
	e.bus.Publish(Event{Type: Captured, Record: rec})
	if loop {
		writeJSON(w, http.StatusLoopDetected, map[string]any{"id": rec.ID, "stored": true,
			"error": "forward loop: this request was forwarded by this same hookscope; stored, not forwarded again (check --forward-to)"})
		return
	}
	if refuse {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"id": rec.ID, "stored": true,
			"error": "signature " + string(rec.Signature.Status) + ": refused by --verify-only"})
		return
	}
	if sent != nil {
		res := <-sent
		res.Attempt.RequestID = rec.ID
		e.fwd.Record(rec, res.Attempt)
		if endpointCheck(rec, res.Attempt) {
			e.answerCheck(w, r, rec)
			return
		}
		forward.Relay(w, rec, res)
		return
	}
	if e.cfg.Respond != nil {
		e.respond(w, r, rec)
		return
	}
	// Canonical keys set directly: this is the hot path.
	h := w.Header()
	h["X-Hookscope-Id"] = []string{rec.ID}
	h["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusOK)
	// Written by hand: this is the hot path, and the shape never varies.
	io.WriteString(w, `{"id":"`+rec.ID+`","stored":true}`+"\n")
}

var jsonContentType = []string{"application/json"}

// endpointCheck reports a request VideoNest's endpoint check would fail
// on: the handler gave no answer at all (not running yet), and the request
// carries none of the documented events (the ping's shape is not
// documented). A handler that answered, even 4xx, is left to answer.
func endpointCheck(rec *inspect.Record, a *inspect.Attempt) bool {
	return a.Status == 0 && !strings.Contains(a.Error, "did not answer within") && !sample.Known(rec.Event)
}

// answerCheck answers 200 for a handler that is down, and says so in the
// record.
func (e *Engine) answerCheck(w http.ResponseWriter, r *http.Request, rec *inspect.Record) {
	e.cfg.Store.SetAnswered(context.WithoutCancel(r.Context()), rec.ID, EndpointCheckNote)
	writeJSON(w, http.StatusOK, map[string]any{"id": rec.ID, "stored": true,
		"note": "the handler is down; hookscope answered for it, as this looks like VideoNest's endpoint check"})
}

// respond answers what --respond says, after its delay; the request is
// stored already, and the record says what was answered.
func (e *Engine) respond(w http.ResponseWriter, r *http.Request, rec *inspect.Record) {
	rs := e.cfg.Respond
	ctx := context.WithoutCancel(r.Context())
	e.cfg.Store.SetAnswered(ctx, rec.ID, rs.Note())
	if rs.Delay > 0 {
		start := time.Now()
		t := time.NewTimer(rs.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			e.cfg.Store.SetAnswered(ctx, rec.ID, fmt.Sprintf("%s; the sender hung up after %s, before the answer",
				rs.Note(), time.Since(start).Round(100*time.Millisecond)))
			return
		}
	}
	h := w.Header()
	h["X-Hookscope-Id"] = []string{rec.ID}
	h.Set("Content-Length", strconv.Itoa(len(rs.Body)))
	w.WriteHeader(rs.Status)
	w.Write(rs.Body)
}

// commit stores rec, or answers 503 and says why. It reports whether the
// row is committed.
func (e *Engine) commit(w http.ResponseWriter, r *http.Request, rec *inspect.Record, owed []inspect.Owed) bool {
	ctx, cancel := context.WithTimeout(r.Context(), e.cfg.CommitTimeout)
	defer cancel()
	if err := e.cfg.Store.Insert(ctx, rec, owed...); err != nil {
		msg := err.Error()
		if errors.Is(err, store.ErrUnavailable) {
			msg = "hookscope could not store this request (" + trimPrefix(err) + "); not acknowledged, retry later"
		}
		e.bus.Publish(Event{Type: StoreFail, Record: rec, Err: msg})
		w.Header().Set("Retry-After", "5")
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": msg, "stored": false})
		return false
	}
	return true
}

// refuse records a refused request without its body, then answers code.
// "stored" stays false (the webhook was not captured: its body is gone),
// "recorded" says the id names a record list and show know.
func (e *Engine) refuse(w http.ResponseWriter, r *http.Request, rec *inspect.Record, code int, msg string) {
	if !e.commit(w, r, rec, nil) {
		return
	}
	e.bus.Publish(Event{Type: Captured, Record: rec})
	w.Header().Set("X-Hookscope-Id", rec.ID)
	writeJSON(w, code, map[string]any{"id": rec.ID, "stored": false, "recorded": true, "error": msg})
}

func trimPrefix(err error) string {
	s := err.Error()
	p := store.ErrUnavailable.Error() + ": "
	if len(s) > len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// idleReader moves the connection's read deadline forward before every read
// of the body, so only a body that stops arriving is cut off.
type idleReader struct {
	r   io.Reader
	rc  *http.ResponseController
	end time.Time
}

func (ir *idleReader) Read(p []byte) (int, error) {
	d := time.Now().Add(BodyIdleTimeout)
	if d.After(ir.end) {
		d = ir.end
	}
	ir.rc.SetReadDeadline(d) // unsupported (tests' recorders): no deadline
	return ir.r.Read(p)
}

// errNoRoom is a body that found no room in the in-flight budget.
var errNoRoom = errors.New("no room in the body budget")

// readBody reads at most max bytes, growing the buffer as bytes arrive and
// taking each growth from the budget first: a declared length is never
// allocated up front, so a sender that declares 10 MiB and sends 2 bytes
// costs a few KiB. held is what the caller must give back to the budget.
func (e *Engine) readBody(ctx context.Context, rd io.Reader, declared, max int64) (body []byte, held int64, tooBig bool, err error) {
	if declared > max {
		return nil, 0, true, nil
	}
	limit := max + 1 // room to notice a body past max
	if declared >= 0 {
		limit = declared
	}
	grow := func(want int64) bool {
		want = min(want, limit)
		// Judged by what it declares, not by what has come: a body that
		// declares more than 64 KiB never takes the small bodies' reserve,
		// however little of it has arrived.
		total := want
		if declared > total {
			total = declared
		}
		if !e.budget.acquire(ctx, want-int64(cap(body)), total, budgetWait) {
			return false
		}
		held += want - int64(cap(body))
		nb := make([]byte, len(body), want)
		copy(nb, body)
		body = nb
		return true
	}
	if !grow(4 << 10) {
		return nil, held, false, errNoRoom
	}
	for {
		if len(body) == cap(body) {
			if int64(len(body)) >= limit {
				break // all that was declared, or past max
			}
			// The body may end here: look before taking more room, so
			// one of exactly 64 KiB stays of webhook size (budget's
			// reserve).
			var one [1]byte
			n, rerr := rd.Read(one[:])
			if n == 0 {
				if rerr == io.EOF {
					break
				}
				if rerr != nil {
					return body, held, false, rerr
				}
				continue
			}
			if !grow(2 * int64(cap(body))) {
				return body, held, false, errNoRoom
			}
			body = append(body, one[0])
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return body, held, false, rerr
			}
			continue
		}
		n, rerr := rd.Read(body[len(body):cap(body)])
		body = body[:len(body)+n]
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return body, held, false, rerr
		}
	}
	if int64(len(body)) > max {
		return body, held, true, nil
	}
	if declared >= 0 && int64(len(body)) < declared {
		return body, held, false, io.ErrUnexpectedEOF
	}
	return body, held, false, nil
}

// looped reports whether a Via header names this hookscope.
func looped(vias []string, me string) bool {
	for _, v := range vias {
		for hop := range strings.SplitSeq(v, ",") {
			if f := strings.Fields(hop); len(f) >= 2 && f[1] == me {
				return true
			}
		}
	}
	return false
}
