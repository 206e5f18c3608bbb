package forward

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	neturl "net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"golang.org/x/net/http/httpguts"
)

// h1 is the forwarder's HTTP/1.1 client. net/http's Transport writes a
// request's headers sorted by name, whatever order they came in; a handler
// then sees a request VideoNest never sent. h1 writes the captured header
// lines in their order and spelling, repeated names in their order, over a
// pool of keep-alive connections, and reads the answer with net/http's own
// parser.
type h1 struct {
	dialer    net.Dialer
	tlsConfig *tls.Config
	maxIdle   int // idle connections kept per host

	mu   sync.Mutex
	idle map[string][]*h1conn
}

type h1conn struct {
	net.Conn
	br *bufio.Reader
	bw *bufio.Writer
	// wrote counts the bytes that reached the connection; limit the bytes
	// br may still read (the header block's bound, see maxAnswerHeader).
	wrote, limit int64
	idle         chan error // while pooled: watch's outcome
}

// Read lets br read at most limit bytes more.
func (c *h1conn) Read(p []byte) (int, error) {
	if c.limit <= 0 {
		return 0, errHeaderTooLarge
	}
	if int64(len(p)) > c.limit {
		p = p[:c.limit]
	}
	n, err := c.Conn.Read(p)
	c.limit -= int64(n)
	return n, err
}

func (c *h1conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.wrote += int64(n)
	return n, err
}

// maxAnswerHeader bounds an answer's header block, 1xx answers before it
// included, as net/http's Transport did (MaxResponseHeaderBytes): a
// handler that sends headers, or informational answers, without end costs
// bounded memory and fails the try.
const maxAnswerHeader = 10 << 20

var errHeaderTooLarge = fmt.Errorf("the handler's answer headers (1xx answers included) are larger than %d MiB", maxAnswerHeader>>20)

// line is one header line as it goes out.
type line struct{ name, value string }

func newH1(dialTimeout time.Duration, skipVerify bool) *h1 {
	return &h1{
		dialer:    net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second},
		tlsConfig: &tls.Config{InsecureSkipVerify: skipVerify, NextProtos: []string{"http/1.1"}},
		maxIdle:   256,
		idle:      map[string][]*h1conn{},
	}
}

// do sends one request and returns the answer with its body read, up to
// maxRelayedResponse. cut reports a body longer than that (the connection
// is then dropped, not reused).
func (h *h1) do(ctx context.Context, method string, u *neturl.URL, lines []line, body []byte) (resp *http.Response, answer []byte, cut bool, err error) {
	for _, l := range lines {
		if !httpguts.ValidHeaderFieldName(l.name) || !httpguts.ValidHeaderFieldValue(l.value) {
			return nil, nil, false, fmt.Errorf("header %q cannot be sent: it holds bytes HTTP does not allow (an imported or edited request?)", l.name)
		}
	}
	key := u.Scheme + "://" + hostPort(u)
	for try := 0; ; try++ {
		c, reused, err := h.get(ctx, key, u)
		if err != nil {
			return nil, nil, false, err
		}
		resp, answer, cut, reuse, err := h.exchange(ctx, c, method, u, lines, body)
		if err != nil && reused && try == 0 && errors.Is(err, errStale) && (c.wrote == 0 || idempotent(method)) {
			// The server closed an idle connection as we reused it. Sent
			// again only when no byte of it went out, or when the method
			// is safe to repeat: a POST that went out may have reached a
			// handler that then died, and must not reach it twice (what
			// net/http's Transport does too).
			c.Close()
			continue
		}
		if err == nil && reuse {
			h.put(key, c)
		} else {
			c.Close()
		}
		return resp, answer, cut, err
	}
}

// errStale is a reused connection that failed before any answer byte.
var errStale = errors.New("stale keep-alive connection")

func (h *h1) exchange(ctx context.Context, c *h1conn, method string, u *neturl.URL, lines []line, body []byte) (resp *http.Response, answer []byte, cut, reuse bool, err error) {
	if d, ok := ctx.Deadline(); ok {
		c.SetDeadline(d)
	} else {
		c.SetDeadline(time.Time{})
	}
	// Cancelling ctx unblocks a read or write in progress at once.
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	defer func() {
		if !stop() {
			reuse = false
			if err == nil {
				err = ctx.Err()
			}
		}
	}()
	c.wrote, c.limit = 0, maxAnswerHeader
	writeRequest(c.bw, method, u, lines, body)
	if werr := c.bw.Flush(); werr != nil {
		// A handler may answer before it reads the body (a 413 from a
		// size limit) and close: its answer is waiting to be read, and is
		// what happened, rather than the write that failed after it.
		if _, err := c.br.Peek(1); err != nil {
			return nil, nil, false, false, staleOr(werr)
		}
	} else if _, err := c.br.Peek(1); err != nil {
		return nil, nil, false, false, staleOr(err)
	}
	req := &http.Request{Method: method, URL: u}
	for {
		resp, err = http.ReadResponse(c.br, req)
		if err != nil {
			if c.limit <= 0 {
				err = errHeaderTooLarge
			}
			return nil, nil, false, false, err
		}
		// 1xx answers (100 Continue to a sender's Expect) come before the
		// real one; 101 is an answer of its own.
		if resp.StatusCode >= 100 && resp.StatusCode < 200 && resp.StatusCode != http.StatusSwitchingProtocols {
			continue
		}
		break
	}
	c.limit = 1<<63 - 1 // the body has its own bound
	answer, err = readAnswer(resp.Body, resp.ContentLength)
	if err != nil {
		return nil, nil, false, false, err
	}
	// Anything left past the cap means the answer was cut and the
	// connection holds the rest: it cannot carry another request.
	var probe [1]byte
	if n, _ := resp.Body.Read(probe[:]); n > 0 {
		return resp, answer, true, false, nil
	}
	resp.Body.Close()
	return resp, answer, false, !resp.Close && resp.StatusCode != http.StatusSwitchingProtocols, nil
}

// staleOr marks a failure before any answer byte as possibly stale: the
// caller retries only on a reused connection.
func staleOr(err error) error {
	var ne net.Error
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &ne) && !ne.Timeout() {
		return fmt.Errorf("%w: %w", errStale, err)
	}
	return err
}

// writeRequest writes the request line, the header lines in order, and
// the body. Errors surface at Flush.
func writeRequest(w *bufio.Writer, method string, u *neturl.URL, lines []line, body []byte) {
	w.WriteString(method)
	w.WriteByte(' ')
	w.WriteString(u.RequestURI())
	w.WriteString(" HTTP/1.1\r\nHost: ")
	w.WriteString(u.Host)
	w.WriteString("\r\n")
	for _, l := range lines {
		w.WriteString(l.name)
		w.WriteString(": ")
		w.WriteString(l.value)
		w.WriteString("\r\n")
	}
	if len(body) > 0 || bodyExpected(method) {
		w.WriteString("Content-Length: ")
		w.WriteString(strconv.Itoa(len(body)))
		w.WriteString("\r\n")
	}
	w.WriteString("\r\n")
	w.Write(body)
}

// idempotent: methods a server may get twice to the same effect, which
// net/http's Transport sends again on a connection that failed.
func idempotent(method string) bool {
	switch method {
	case "GET", "HEAD", "OPTIONS", "TRACE":
		return true
	}
	return false
}

// bodyExpected: methods whose requests carry a length even when empty, as
// net/http sends them.
func bodyExpected(method string) bool {
	switch method {
	case "POST", "PUT", "PATCH":
		return true
	}
	return false
}

func (h *h1) get(ctx context.Context, key string, u *neturl.URL) (*h1conn, bool, error) {
	for {
		h.mu.Lock()
		cs := h.idle[key]
		if len(cs) == 0 {
			h.mu.Unlock()
			break
		}
		c := cs[len(cs)-1]
		h.idle[key] = cs[:len(cs)-1]
		h.mu.Unlock()
		if !c.wake() {
			c.Close()
			continue
		}
		return c, true, nil
	}
	nc, err := h.dialer.DialContext(ctx, "tcp", hostPort(u))
	if err != nil {
		return nil, false, err
	}
	if u.Scheme == "https" {
		cfg := h.tlsConfig.Clone()
		cfg.ServerName = u.Hostname()
		tc := tls.Client(nc, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			if rh, ok := err.(tls.RecordHeaderError); ok && string(rh.RecordHeader[:]) == "HTTP/" {
				err = http.ErrSchemeMismatch
			}
			return nil, false, err
		}
		nc = tc
	}
	c := &h1conn{Conn: nc}
	c.br, c.bw = bufio.NewReaderSize(c, 4<<10), bufio.NewWriterSize(c, 4<<10)
	return c, false, nil
}

// watch reads from an idle connection until it is taken again: a server
// closing it (Node does after 5 s) or writing to it makes it unfit to
// carry a request. net/http's Transport keeps a reader on every idle
// connection for the same reason.
func (c *h1conn) watch() {
	c.idle = make(chan error, 1)
	c.limit = 1
	go func() {
		_, err := c.br.Peek(1)
		if err == nil || !isTimeout(err) {
			c.Close() // closed by the server: free the descriptor now
		}
		c.idle <- err
	}()
}

// wake stops watch's reader and reports whether the connection can carry
// a request: only a reader that was stopped, with nothing read, says so.
func (c *h1conn) wake() bool {
	c.SetReadDeadline(time.Unix(1, 0))
	err := <-c.idle
	c.idle = nil
	c.SetReadDeadline(time.Time{})
	return err != nil && isTimeout(err) && c.br.Buffered() == 0
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func (h *h1) put(key string, c *h1conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.idle[key]) >= h.maxIdle {
		c.Close()
		return
	}
	c.watch()
	h.idle[key] = append(h.idle[key], c)
}

// closeIdle drops every idle connection.
func (h *h1) closeIdle() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for k, cs := range h.idle {
		for _, c := range cs {
			c.Close()
		}
		delete(h.idle, k)
	}
}

func hostPort(u *neturl.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// headerLines turns a captured request's headers into the lines a handler
// gets: the sender's order and spelling, hop-by-hop headers (RFC 9110
// §7.6.1) and those set from the target and the body dropped, and the
// proxy headers appended to (X-Forwarded-For, Via) or added when absent,
// whatever case the sender wrote them in.
func headerLines(hs []inspect.Header, remoteIP, host, via string, u *neturl.URL) []line {
	var named []string
	for _, h := range hs {
		if strings.EqualFold(h.Name, "Connection") {
			named = appendConnectionTokens(named, h.Value)
		}
	}
	out := make([]line, 0, len(hs)+5)
	xff, xfh, xfp, viaAt, auth := -1, false, false, -1, false
	for _, h := range hs {
		canon := http.CanonicalHeaderKey(h.Name)
		switch {
		case canon == "Host", canon == "Content-Length", hopByHop(canon, named):
			continue
		case canon == "X-Forwarded-For":
			if xff >= 0 {
				// Repeated lines are one list (RFC 9110 §5.3): join them so
				// the client's address goes at its end.
				out[xff].value += ", " + h.Value
				continue
			}
			xff = len(out)
		case canon == "X-Forwarded-Host":
			xfh = true
		case canon == "X-Forwarded-Proto":
			xfp = true
		case canon == "Via":
			if viaAt >= 0 {
				out[viaAt].value += ", " + h.Value
				continue
			}
			viaAt = len(out)
		case canon == "Authorization":
			auth = true
		}
		out = append(out, line{h.Name, h.Value})
	}
	if remoteIP != "" {
		if xff >= 0 {
			out[xff].value += ", " + remoteIP
		} else {
			out = append(out, line{"X-Forwarded-For", remoteIP})
		}
	}
	if !xfh && host != "" {
		out = append(out, line{"X-Forwarded-Host", host})
	}
	if !xfp {
		out = append(out, line{"X-Forwarded-Proto", "http"})
	}
	if via != "" {
		// RFC 9110 §7.6.3: a proxy appends itself, so a request that comes
		// back to this hookscope is known for a loop.
		if viaAt >= 0 {
			out[viaAt].value += ", 1.1 " + via
		} else {
			out = append(out, line{"Via", "1.1 " + via})
		}
	}
	if u.User != nil && !auth {
		pw, _ := u.User.Password()
		r := http.Request{Header: http.Header{}}
		r.SetBasicAuth(u.User.Username(), pw)
		out = append(out, line{"Authorization", r.Header.Get("Authorization")})
	}
	return out
}
