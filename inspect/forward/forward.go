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
	neturl "net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookscope/hookscope/inspect"
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
	Ack        bool // answer 200 after commit and deliver from the outbox
	AppendPath bool
	SkipVerify bool // accept self-signed certificates on https targets
	Store      *store.Store
	Bus        *inspect.Bus // where Forwarded events go; may be nil
	// Via names this hookscope in the Via header of what it sends, so a
	// request that loops back to it is refused ("" adds none).
	Via string
	// ProviderTimeout is the sender's patience, for marking late answers
	// (default VideoNest's 10 s).
	ProviderTimeout time.Duration
}

// Forwarder sends requests to handlers over pooled keep-alive connections,
// headers in the order and spelling they were captured in.
type Forwarder struct {
	o  Options
	h1 *h1
}

// New builds a Forwarder.
func New(o Options) *Forwarder {
	if o.ProviderTimeout <= 0 {
		o.ProviderTimeout = ProviderTimeout
	}
	dialTimeout := 5 * time.Second
	if o.Timeout > 0 && o.Timeout < dialTimeout {
		dialTimeout = o.Timeout
	}
	return &Forwarder{o: o, h1: newH1(dialTimeout, o.SkipVerify)}
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

// Close drops idle connections. Deliveries owed to the outbox are not
// waited for: they survive in the store.
func (f *Forwarder) Close() {
	f.h1.closeIdle()
}

// Result is one delivery's outcome: the attempt as recorded plus what is
// needed to relay the answer.
type Result struct {
	Attempt *inspect.Attempt
	Header  http.Header
	Body    []byte // the whole answer (up to 10 MiB), not just the stored cap
	Cut     bool   // the answer was longer than 10 MiB and Body holds its start
}

// Plan says where a captured request goes: live is the URL whose answer
// is relayed to the sender ("" under --ack, or with nowhere to go), owed
// the deliveries the outbox must make (every target under --ack, the
// fan-out copies otherwise), to be committed with the record.
func (f *Forwarder) Plan(rec *inspect.Record) (live string, owed []inspect.Owed) {
	targets := f.Targets(rec.Event)
	if len(targets) == 0 {
		return "", nil
	}
	first := 0
	if !f.o.Ack {
		live = targets[0].URLFor(rec.Path, rec.Query, f.o.AppendPath)
		first = 1
	}
	for _, t := range targets[first:] {
		owed = append(owed, inspect.Owed{Sink: inspect.SinkForward, Target: t.URLFor(rec.Path, rec.Query, f.o.AppendPath)})
	}
	return live, owed
}

// Record stores the live attempt without holding up the answer, then
// tells the front ends.
func (f *Forwarder) Record(rec *inspect.Record, a *inspect.Attempt) {
	// Published first: the bus copies the attempt, and once queued the
	// writer sets its ID.
	if f.o.Bus != nil {
		f.o.Bus.Publish(inspect.Event{Type: inspect.Forwarded, Record: rec, Attempt: a})
	}
	if f.o.Store != nil {
		f.o.Store.QueueAttempt(a, nil)
	}
}

// Relay writes the handler's answer to the sender, or a one-line 502/504
// when there was none.
func Relay(w http.ResponseWriter, rec *inspect.Record, res *Result) {
	relay(w, rec, res)
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
	named := connectionTokens(res.Header["Connection"])
	for k, vs := range res.Header {
		if hopByHop(k, named) {
			continue
		}
		h[k] = vs
	}
	if res.Cut {
		h.Set("X-Hookscope-Cut", "the handler's answer was longer than 10 MiB; this is its start")
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
	u, err := neturl.Parse(url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		a.Error = fmt.Sprintf("cannot send to %q: not an http(s) URL", url)
		return res
	}
	ip, _, _ := net.SplitHostPort(rec.RemoteAddr)
	lines := headerLines(rec.Headers, ip, rec.Host, f.o.Via, u)
	start := time.Now()
	resp, body, cut, err := f.h1.do(ctx, rec.Method, u, lines, rec.Body)
	if err == nil {
		a.Status = resp.StatusCode
		res.Header = resp.Header
		res.Body = body
		res.Cut = cut
		a.RespHeaders = headerList(resp.Header)
		a.RespBody = body
		if len(body) > MaxStoredResponse {
			// A copy: a slice would keep the whole answer (up to 10 MiB)
			// alive for as long as the store queue or a front end holds
			// the attempt.
			a.RespBody = bytes.Clone(body[:MaxStoredResponse])
		}
	}
	a.Latency = time.Since(start)
	if err != nil {
		a.Error = describe(&neturl.Error{Op: rec.Method, URL: u.Redacted(), Err: err}, url, f.o.Timeout)
	}
	a.TimedOutForProvider = a.Latency > f.o.ProviderTimeout
	return res
}

// readAnswer reads at most maxRelayedResponse bytes of a body whose length
// may be declared, allocating once when it is (io.ReadAll starts at 512
// bytes and grows). Only a modest declared length is trusted up front: an
// answer to HEAD declares a length it does not send.
func readAnswer(body io.Reader, declared int64) ([]byte, error) {
	size := int64(512)
	if declared >= 0 && declared <= MaxStoredResponse {
		size = declared + 1 // +1: room to read the EOF without growing
	}
	r := io.LimitedReader{R: body, N: maxRelayedResponse}
	b := make([]byte, 0, size)
	for {
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// hopByHop reports headers that describe one connection, not the message:
// the fixed list of RFC 9110 §7.6.1 plus any named in Connection (named,
// from connectionTokens).
func hopByHop(canon string, named []string) bool {
	switch canon {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
		"Proxy-Authenticate", "Proxy-Authorization":
		return true
	}
	return slices.Contains(named, canon)
}

// connectionTokens returns the header names listed in Connection values,
// canonical.
func connectionTokens(values []string) []string {
	var named []string
	for _, v := range values {
		named = appendConnectionTokens(named, v)
	}
	return named
}

func appendConnectionTokens(named []string, value string) []string {
	for name := range strings.SplitSeq(value, ",") {
		named = append(named, textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)))
	}
	return named
}

func headerList(h http.Header) []inspect.Header {
	n := 0
	for _, vs := range h {
		n += len(vs)
	}
	if n == 0 {
		return nil
	}
	out := make([]inspect.Header, 0, n)
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
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
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

// PointsAt reports whether t sends to the listener at addr: forwarding
// there would feed every webhook back to hookscope itself.
func PointsAt(t Target, addr *net.TCPAddr) bool {
	host, port, _ := net.SplitHostPort(hostPort(t.URL))
	if port != strconv.Itoa(addr.Port) {
		return false
	}
	// Only names that need no DNS: a remote host is not this process.
	ips := []net.IP{net.ParseIP(host)}
	if strings.EqualFold(host, "localhost") {
		ips = []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	} else if ips[0] == nil {
		return false
	}
	for _, ip := range ips {
		// A connection to 0.0.0.0 (or ::) reaches this machine's own
		// listener on that port, whichever local address it is on.
		if ip.Equal(addr.IP) || ip.IsUnspecified() || (addr.IP.IsUnspecified() && (ip.IsLoopback() || isLocal(ip))) {
			return true
		}
	}
	return false
}

// isLocal reports whether ip is one of this machine's addresses.
func isLocal(ip net.IP) bool {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}
