// Package conformance runs a developer's webhook handler through what
// VideoNest will do to it: correctly signed events of every type, forged
// and unsigned requests it must refuse, duplicates and concurrent copies
// it must accept, events out of order, and VideoNest's 10 s patience. It
// sends synthetic requests only: it stores nothing and never touches a
// terminal; the caller renders each Result.
package conformance

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/sample"
	"github.com/hookscope/hookscope/inspect/signature"
)

// Status is a check's outcome. Warn never fails a run.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Warn Status = "warn"
)

// Result is one check.
type Result struct {
	Check      string // stable name, e.g. "reject missing signature"
	Status     Status
	Detail     string // why, in a sentence or two; response snippets are sanitised
	HTTPStatus int    // the handler's last answer (0: none)
	Latency    time.Duration
}

// Config says which handler to check and how patient to be.
type Config struct {
	URL     string
	Secret  string
	Timeout time.Duration // VideoNest's patience (default 10 s)
	Copies  int           // concurrent copies of one delivery (default 5)
	Now     func() time.Time
}

// Summary totals a run.
type Summary struct {
	Passed, Failed, Warnings int
	P50, Max                 time.Duration // over answered, correctly signed deliveries
	Deliveries               int
	Unreachable              bool // the run stopped because nothing answered
}

// Retries is VideoNest's schedule after a failed delivery, as the page gives it.
const Retries = "after 1 min, 5 min, 30 min"

type runner struct {
	cfg       Config
	client    *http.Client
	report    func(Result)
	sum       Summary
	mu        sync.Mutex
	latencies []time.Duration
}

// Run performs every check in order, calling report after each, and
// returns the totals. It stops early when the handler cannot be reached.
func Run(ctx context.Context, cfg Config, report func(Result)) Summary {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	if cfg.Copies <= 0 {
		cfg.Copies = 5
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	r := &runner{cfg: cfg, report: report, client: &http.Client{
		Timeout: cfg.Timeout,
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: cfg.Copies + 1,
			DialContext: (&net.Dialer{Timeout: min(cfg.Timeout, 5*time.Second)}).DialContext},
		// A redirect is the handler's answer; VideoNest does not follow one to a new place.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	defer r.client.CloseIdleConnections()

	for i, e := range sample.Events() {
		if ctx.Err() != nil {
			return r.sum
		}
		res, a := r.deliver(ctx, "deliver "+e.Name, r.body(e.Name))
		if i == 0 && a.err != nil && !a.timedOut {
			r.sum.Unreachable = true
			r.emit(res)
			return r.sum
		}
		r.emit(res)
	}
	steps := []func(context.Context){r.rejections, r.duplicate, r.concurrent, r.outOfOrder, r.unknownEvent}
	for _, step := range steps {
		if ctx.Err() != nil {
			return r.sum
		}
		step(ctx)
	}
	r.latency()
	return r.sum
}

func (r *runner) emit(res Result) {
	switch res.Status {
	case Pass:
		r.sum.Passed++
	case Fail:
		r.sum.Failed++
	case Warn:
		r.sum.Warnings++
	}
	if r.report != nil {
		r.report(res)
	}
}

func (r *runner) body(event string) []byte {
	b, err := sample.Body(event, r.cfg.Now())
	if err != nil {
		panic(err) // unreachable: the names come from sample.Events
	}
	return b
}

func (r *runner) sign(body []byte) string { return signature.VideoNest{}.Compute(body, r.cfg.Secret) }

// answer is what the handler did with one request.
type answer struct {
	status   int
	latency  time.Duration
	body     []byte
	err      error
	timedOut bool
}

func (a answer) ok() bool { return a.err == nil && a.status >= 200 && a.status <= 299 }

// send posts body the way VideoNest does; sig "" sends no signature header.
func (r *runner) send(ctx context.Context, body []byte, sig string, signed bool) answer {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.cfg.URL, bytes.NewReader(body))
	if err != nil {
		return answer{err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "hookscope-check")
	if sig != "" {
		req.Header.Set(signature.VideoNestHeader, sig)
	}
	start := time.Now()
	resp, err := r.client.Do(req)
	var a answer
	if err == nil {
		a.body, _ = io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		resp.Body.Close()
		a.status = resp.StatusCode
	}
	a.latency = time.Since(start)
	if err != nil {
		a.err = err
		var ne net.Error
		a.timedOut = errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
	}
	if signed && a.ok() {
		r.mu.Lock()
		r.latencies = append(r.latencies, a.latency)
		r.mu.Unlock()
	}
	return a
}

// deliver sends one correctly signed event and judges it as VideoNest would.
func (r *runner) deliver(ctx context.Context, name string, body []byte) (Result, answer) {
	a := r.send(ctx, body, r.sign(body), true)
	res := Result{Check: name, HTTPStatus: a.status, Latency: a.latency}
	switch {
	case a.ok():
		res.Status = Pass
		res.Detail = fmt.Sprintf("%d in %s", a.status, inspect.FormatLatency(a.latency))
		if a.latency > r.cfg.Timeout/2 {
			res.Detail += fmt.Sprintf(", over half of VideoNest's %s limit: answer first and process in the background", r.cfg.Timeout)
		}
	default:
		res.Status = Fail
		res.Detail = r.failure(a, "a correctly signed event")
	}
	return res, a
}

// failure explains why an answer to a genuine delivery is a problem.
func (r *runner) failure(a answer, what string) string {
	switch {
	case a.timedOut:
		return fmt.Sprintf("no answer within %s: VideoNest would retry this (%s), as if it had failed; answer 2xx first, then process", r.cfg.Timeout, Retries)
	case a.err != nil:
		return describe(a.err, r.cfg.URL)
	case a.status == 401 || a.status == 403:
		return fmt.Sprintf("answered %d to %s%s: verify the raw body bytes, before any JSON parsing, with the same secret", a.status, what, snippet(a.body))
	case a.status == 404 || a.status == 405:
		return fmt.Sprintf("answered %d%s: is the handler at another path? (e.g. --to localhost:3000/webhooks)", a.status, snippet(a.body))
	}
	return fmt.Sprintf("answered %d to %s%s: VideoNest would retry this (%s), then record it as undelivered", a.status, what, snippet(a.body), Retries)
}

func (r *runner) rejections(ctx context.Context) {
	var random [32]byte
	rand.Read(random[:])
	other := "hookscope-check-not-your-secret-" + hex.EncodeToString(random[:4])
	body := r.body("video.published")
	tampered, err := payload.Set(body, "data.title", "Tampered by hookscope check")
	if err != nil {
		panic(err) // unreachable: sample bodies are JSON objects with data.title
	}
	checks := []struct {
		name, what, accepts string
		body                []byte
		sig                 string
	}{
		{"reject wrong signature", "a request with a wrong signature", "forged events", body, hex.EncodeToString(random[:])},
		{"reject missing signature", "a request without " + signature.VideoNestHeader, "unsigned requests", body, ""},
		{"reject other secret", "a request signed with another secret", "forged events", body, signature.VideoNest{}.Compute(body, other)},
		{"reject tampered body", "a signed request whose body was changed after signing", "forged events", tampered, r.sign(body)},
	}
	for _, c := range checks {
		a := r.send(ctx, c.body, c.sig, false)
		res := Result{Check: c.name, HTTPStatus: a.status, Latency: a.latency}
		switch {
		case a.ok():
			res.Status = Fail
			res.Detail = fmt.Sprintf("answered %d to %s: your handler accepts %s, so anyone who learns the URL can send events. "+
				"Compare %s with the HMAC-SHA256 of the raw body and answer 401 when it is missing or does not match",
				a.status, c.what, c.accepts, signature.VideoNestHeader)
		case a.timedOut:
			res.Status = Fail
			res.Detail = fmt.Sprintf("no answer within %s to %s: refuse it at once with 401", r.cfg.Timeout, c.what)
		case a.err != nil:
			res.Status = Fail
			res.Detail = describe(a.err, r.cfg.URL)
		case a.status >= 500:
			res.Status = Pass
			res.Detail = fmt.Sprintf("answered %d; 401 would say \"rejected\" more plainly", a.status)
		default:
			res.Status = Pass
			res.Detail = fmt.Sprintf("answered %d", a.status)
		}
		r.emit(res)
	}
}

func (r *runner) duplicate(ctx context.Context) {
	body := r.body("video.processed")
	first := r.send(ctx, body, r.sign(body), true)
	second := r.send(ctx, body, r.sign(body), true)
	res := Result{Check: "accept duplicate delivery", HTTPStatus: second.status, Latency: second.latency}
	if first.ok() && second.ok() {
		res.Status = Pass
		res.Detail = fmt.Sprintf("%d, then %d for the same bytes. VideoNest's signature has no timestamp, so a captured delivery stays valid forever "+
			"and a retry resends the same bytes: skip events you have already processed (keep data.id and event); hookscope sees only the status codes",
			first.status, second.status)
	} else {
		res.Status = Fail
		res.Detail = fmt.Sprintf("the same delivery twice got %s, then %s: a retry of a delivery you already handled must still get 2xx (skip the work, not the answer)",
			label(first), label(second))
	}
	r.emit(res)
}

func (r *runner) concurrent(ctx context.Context) {
	body := r.body("distribution.completed")
	sig := r.sign(body)
	answers := make([]answer, r.cfg.Copies)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = r.send(ctx, body, sig, true)
		}()
	}
	wg.Wait()
	ok := 0
	var labels []string
	var slowest time.Duration
	for _, a := range answers {
		if a.ok() {
			ok++
		}
		labels = append(labels, label(a))
		slowest = max(slowest, a.latency)
	}
	res := Result{Check: "accept concurrent copies", HTTPStatus: answers[0].status, Latency: slowest}
	if ok == len(answers) {
		res.Status = Pass
		res.Detail = fmt.Sprintf("%d copies at once: all 2xx", len(answers))
	} else {
		res.Status = Fail
		res.Detail = fmt.Sprintf("%d copies at once got %s: a retry can overlap a slow first delivery, so dedupe atomically (a unique key on data.id and event) and answer 2xx",
			len(answers), strings.Join(labels, ", "))
	}
	r.emit(res)
}

func (r *runner) outOfOrder(ctx context.Context) {
	now := r.cfg.Now()
	published := r.body("video.published")
	processed, _ := sample.Body("video.processed", now.Add(-time.Minute))
	id := payload.Decode(published).DataID
	processed, err := payload.Set(processed, "data.id", id)
	if err != nil {
		panic(err) // unreachable: sample bodies carry data.id
	}
	a := r.send(ctx, published, r.sign(published), true)
	b := r.send(ctx, processed, r.sign(processed), true)
	res := Result{Check: "accept out-of-order events", HTTPStatus: b.status, Latency: max(a.latency, b.latency)}
	if a.ok() && b.ok() {
		res.Status = Pass
		res.Detail = fmt.Sprintf("video.published, then the earlier video.processed for one video: %d, %d. Retries make arrival order unreliable: order by the timestamp field",
			a.status, b.status)
	} else {
		res.Status = Fail
		res.Detail = fmt.Sprintf("video.published, then the earlier video.processed for one video got %s, %s: VideoNest would retry the refused one (%s); accept events in any order",
			label(a), label(b), Retries)
	}
	r.emit(res)
}

func (r *runner) unknownEvent(ctx context.Context) {
	body, _ := payload.Set(r.body("video.processed"), "event", `"video.hookscope_test"`)
	a := r.send(ctx, body, r.sign(body), false)
	res := Result{Check: "accept unknown event type", HTTPStatus: a.status, Latency: a.latency}
	if a.ok() {
		res.Status = Pass
		res.Detail = fmt.Sprintf("answered %d to an event type it does not know", a.status)
	} else {
		res.Status = Warn
		res.Detail = fmt.Sprintf("got %s for a correctly signed event of a type it does not know: if VideoNest adds one you subscribe to, it retries it 3 times; answer 2xx and ignore it",
			label(a))
	}
	r.emit(res)
}

func (r *runner) latency() {
	r.mu.Lock()
	l := append([]time.Duration(nil), r.latencies...)
	r.mu.Unlock()
	res := Result{Check: "latency"}
	if len(l) == 0 {
		res.Status = Fail
		res.Detail = "no correctly signed delivery got a 2xx, so there is no latency to report"
		r.emit(res)
		return
	}
	sort.Slice(l, func(i, j int) bool { return l[i] < l[j] })
	r.sum.P50, r.sum.Max, r.sum.Deliveries = l[(len(l)-1)/2], l[len(l)-1], len(l)
	res.Latency = r.sum.Max
	res.Detail = fmt.Sprintf("p50 %s, max %s over %d accepted deliveries (VideoNest waits %s)", inspect.FormatLatency(r.sum.P50), inspect.FormatLatency(r.sum.Max), len(l), r.cfg.Timeout)
	res.Status = Pass
	if r.sum.Max > r.cfg.Timeout/2 {
		res.Status = Warn
		res.Detail += ": the slowest used over half of it; answer first and process in the background"
	}
	r.emit(res)
}

func label(a answer) string {
	switch {
	case a.timedOut:
		return "no answer in time"
	case a.err != nil:
		return "no answer"
	}
	return fmt.Sprint(a.status)
}

// snippet quotes the start of a handler's answer: it often says why.
func snippet(b []byte) string {
	s := strings.TrimSpace(payload.SanitizeLine(string(b)))
	if s == "" {
		return ""
	}
	if r := []rune(s); len(r) > 80 {
		s = string(r[:79]) + "…"
	}
	return " (" + s + ")"
}

func describe(err error, url string) string {
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("cannot reach the handler at %s: connection refused (is it running?)", url)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("the handler at %s closed the connection without an answer", url)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("cannot resolve the handler's host %q", dnsErr.Name)
	}
	if inner := errors.Unwrap(err); inner != nil {
		err = inner // drop net/http's "Post URL:" prefix: the URL is said once already
	}
	return fmt.Sprintf("cannot reach the handler at %s: %v", url, err)
}
