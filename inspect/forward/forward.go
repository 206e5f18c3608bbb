// Package forward delivers captured requests to the developer's handler,
// byte for byte, live (as capture's Relay) and on replay. Every delivery is
// recorded as an attempt. It reads records; it never captures and never
// touches a terminal.
package forward

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/capture"
	"github.com/hookscope/hookscope/inspect/store"
)

// ProviderTimeout is how long VideoNest waits for a 2xx before it marks a
// delivery failed and schedules a retry.
const ProviderTimeout = 10 * time.Second

// MaxStoredResponse caps the handler's answer kept with an attempt.
const MaxStoredResponse = 64 << 10

// maxRelayedResponse caps what is read of a handler's answer at all.
const maxRelayedResponse = 10 << 20

// Options configure a Forwarder.
type Options struct {
	Targets []Target
	Routes  []Route
	// Timeout bounds one delivery; 0 waits forever (a breakpoint in the
	// handler must not lose the webhook).
	Timeout    time.Duration
	Ack        bool // answer 200 after commit and deliver in the background
	AppendPath bool
	SkipVerify bool // accept self-signed certificates on https targets
	Store      *store.Store
	Bus        *capture.Bus // where Forwarded events go; may be nil
	// MaxBackground bounds concurrent background deliveries (--ack, fan-out).
	MaxBackground int
	// ProviderTimeout is the sender's patience, for marking late answers
	// (default VideoNest's 10 s).
	ProviderTimeout time.Duration
}

// Forwarder sends requests to handlers over a pooled, keep-alive client.
type Forwarder struct {
	o      Options
	client *http.Client
	sem    chan struct{}
	wg     sync.WaitGroup
}

// New builds a Forwarder. The Transport keeps many idle connections per
// host: the default keeps two, which under 16 concurrent webhooks means
// dialling a new connection for most of them.
func New(o Options) *Forwarder {
	if o.MaxBackground <= 0 {
		o.MaxBackground = 64
	}
	if o.ProviderTimeout <= 0 {
		o.ProviderTimeout = ProviderTimeout
	}
	dialTimeout := 5 * time.Second
	if o.Timeout > 0 && o.Timeout < dialTimeout {
		dialTimeout = o.Timeout
	}
	tr := &http.Transport{
		Proxy:                 nil, // a localhost handler is never reached through a proxy
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Byte-exact: never add Accept-Encoding nor decompress the answer.
		DisableCompression: true,
		TLSClientConfig:    &tls.Config{InsecureSkipVerify: o.SkipVerify},
	}
	return &Forwarder{o: o, sem: make(chan struct{}, o.MaxBackground), client: &http.Client{
		Transport: tr,
		// The handler's redirect is its answer; following it would send the
		// webhook somewhere the user never named.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// Targets returns where a request with this event goes: every route whose
// pattern matches, else the --to targets.
func (f *Forwarder) Targets(event string) []Target {
	var out []Target
	for _, r := range f.o.Routes {
		if r.Match(event) {
			out = append(out, r.Target)
		}
	}
	if len(out) == 0 {
		out = f.o.Targets
	}
	return out
}

// Close waits for background deliveries, then drops idle connections.
func (f *Forwarder) Close() {
	f.wg.Wait()
	f.client.CloseIdleConnections()
}

// Result is one delivery's outcome: the attempt as recorded plus what is
// needed to relay the answer.
type Result struct {
	Attempt *inspect.Attempt
	Header  http.Header
	Body    []byte // the whole answer (up to 10 MiB), not just the stored cap
}

// Deliver implements capture.Relay: the first target's answer goes back to
// the sender (unless Ack), every other target gets a copy in the background.
func (f *Forwarder) Deliver(w http.ResponseWriter, r *http.Request, rec *inspect.Record) bool {
	targets := f.Targets(rec.Event)
	if len(targets) == 0 {
		return false
	}
	first := 0
	if !f.o.Ack {
		first = 1
	}
	for _, t := range targets[first:] {
		f.background(rec, t)
	}
	if f.o.Ack {
		return false
	}
	// The sender hanging up must not cancel the delivery: the webhook is
	// stored, and the handler should still see it.
	ctx := context.WithoutCancel(r.Context())
	res := f.Send(ctx, rec, targets[0].URLFor(rec.Path, rec.Query, f.o.AppendPath), false)
	f.record(rec, res.Attempt, nil)
	relay(w, rec, res)
	return true
}

func (f *Forwarder) background(rec *inspect.Record, t Target) {
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		f.sem <- struct{}{}
		defer func() { <-f.sem }()
		res := f.Send(context.Background(), rec, t.URLFor(rec.Path, rec.Query, f.o.AppendPath), false)
		f.record(rec, res.Attempt, nil)
	}()
}

// record stores the attempt without holding up the answer, then tells the
// front ends.
func (f *Forwarder) record(rec *inspect.Record, a *inspect.Attempt, done func(error)) {
	if f.o.Store != nil {
		f.o.Store.QueueAttempt(a, done)
	}
	if f.o.Bus != nil {
		f.o.Bus.Publish(capture.Event{Type: capture.Forwarded, Record: rec, Attempt: a})
	}
}

// relay writes the handler's answer to the sender, or a one-line 502/504
// when there was none.
func relay(w http.ResponseWriter, rec *inspect.Record, res *Result) {
	h := w.Header()
	h.Set("X-Hookscope-Id", rec.ID)
	a := res.Attempt
	if a.Status == 0 {
		code := http.StatusBadGateway
		if isTimeoutMsg(a.Error) {
			code = http.StatusGatewayTimeout
		}
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(code)
		io.WriteString(w, "hookscope: request "+rec.ID+" stored, but "+a.Error+"\n")
		return
	}
	for k, vs := range res.Header {
		if hopByHop(k, res.Header) {
			continue
		}
		h[k] = vs
	}
	h.Set("Content-Length", strconv.Itoa(len(res.Body)))
	w.WriteHeader(a.Status)
	w.Write(res.Body)
}

// Send delivers rec (its body and headers as stored) to url and returns the
// attempt; it does not record it.
func (f *Forwarder) Send(ctx context.Context, rec *inspect.Record, url string, replay bool) *Result {
	a := &inspect.Attempt{RequestID: rec.ID, URL: url, Replay: replay, At: time.Now()}
	res := &Result{Attempt: a}
	if f.o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, f.o.Timeout)
		defer cancel()
	}
	req, err := buildRequest(ctx, rec, url)
	if err != nil {
		a.Error = err.Error()
		return res
	}
	start := time.Now()
	resp, err := f.client.Do(req)
	if err == nil {
		var body []byte
		body, err = io.ReadAll(io.LimitReader(resp.Body, maxRelayedResponse))
		resp.Body.Close()
		if err == nil {
			a.Status = resp.StatusCode
			res.Header = resp.Header
			res.Body = body
			a.RespHeaders = headerList(resp.Header)
			a.RespBody = body
			if len(body) > MaxStoredResponse {
				a.RespBody = body[:MaxStoredResponse]
			}
		}
	}
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = describe(err, url, f.o.Timeout)
	}
	a.TimedOutForProvider = a.Latency > f.o.ProviderTimeout
	return res
}

// buildRequest recreates the captured request for url: same method, body
// and header names/values, hop-by-hop headers dropped (RFC 9110 §7.6.1),
// X-Forwarded-* added.
func buildRequest(ctx context.Context, rec *inspect.Record, url string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, rec.Method, url, bytes.NewReader(rec.Body))
	if err != nil {
		return nil, fmt.Errorf("cannot build the request for %s: %v", url, err)
	}
	req.ContentLength = int64(len(rec.Body))
	if len(rec.Body) == 0 {
		req.Body = http.NoBody
	}
	connection := http.Header{}
	for _, h := range rec.Headers {
		if textproto.CanonicalMIMEHeaderKey(h.Name) == "Connection" {
			connection.Add("Connection", h.Value)
		}
	}
	hasUA := false
	for _, h := range rec.Headers {
		canon := textproto.CanonicalMIMEHeaderKey(h.Name)
		switch {
		case canon == "Host", canon == "Content-Length":
			continue // set from the target and the body
		case hopByHop(canon, connection):
			continue
		case canon == "User-Agent":
			hasUA = true
			// net/http looks this one up by its canonical name.
			req.Header[canon] = append(req.Header[canon], h.Value)
		default:
			// Keep the sender's spelling: the map key is written as is.
			req.Header[h.Name] = append(req.Header[h.Name], h.Value)
		}
	}
	if !hasUA {
		// Present but empty: net/http then sends no User-Agent rather than its own.
		req.Header["User-Agent"] = []string{""}
	}
	if ip, _, err := net.SplitHostPort(rec.RemoteAddr); err == nil {
		if prior := req.Header.Get("X-Forwarded-For"); prior != "" {
			req.Header.Set("X-Forwarded-For", prior+", "+ip)
		} else {
			req.Header.Set("X-Forwarded-For", ip)
		}
	}
	if req.Header.Get("X-Forwarded-Host") == "" && rec.Host != "" {
		req.Header.Set("X-Forwarded-Host", rec.Host)
	}
	if req.Header.Get("X-Forwarded-Proto") == "" {
		req.Header.Set("X-Forwarded-Proto", "http")
	}
	return req, nil
}

// hopByHop reports headers that describe one connection, not the message:
// the fixed list of RFC 9110 §7.6.1 plus any named in Connection.
func hopByHop(canon string, h http.Header) bool {
	switch canon {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Proxy-Authenticate", "Proxy-Authorization":
		return true
	}
	for _, v := range h.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			if textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)) == canon {
				return true
			}
		}
	}
	return false
}

func headerList(h http.Header) []inspect.Header {
	var out []inspect.Header
	for k, vs := range h {
		for _, v := range vs {
			out = append(out, inspect.Header{Name: k, Value: v})
		}
	}
	sortHeaders(out)
	return out
}

func sortHeaders(hs []inspect.Header) {
	// Insertion sort: answers carry a handful of headers.
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && hs[j].Name < hs[j-1].Name; j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}

// describe turns a transport error into one sentence naming the handler.
func describe(err error, url string, timeout time.Duration) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("the handler at %s did not answer within %s (--forward-timeout)", url, timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Sprintf("the handler at %s refused the connection (is it running?)", url)
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("the handler at %s closed the connection without an answer", url)
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fmt.Sprintf("the handler at %s did not answer within %s (--forward-timeout)", url, timeout)
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return fmt.Sprintf("cannot resolve the handler's host %q", dnsErr.Name)
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return fmt.Sprintf("the handler at %s has a certificate hookscope does not trust (use --skip-verify for a self-signed one)", url)
	}
	msg := err.Error()
	var ue interface{ Unwrap() error }
	if errors.As(err, &ue) {
		if inner := ue.Unwrap(); inner != nil {
			msg = inner.Error()
		}
	}
	return fmt.Sprintf("cannot reach the handler at %s: %s", url, msg)
}

func isTimeoutMsg(s string) bool { return strings.Contains(s, "did not answer within") }
