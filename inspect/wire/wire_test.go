package wire

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// startServer runs a real http.Server on 127.0.0.1, optionally behind
// WrapListener, and returns its address.
func startServer(t testing.TB, wrap bool, h http.Handler, cfg ...func(*http.Server)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	if wrap {
		ln = WrapListener(ln)
		srv.ConnContext = ConnContext
	}
	for _, f := range cfg {
		f(srv)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

type client struct {
	t  testing.TB
	c  net.Conn
	br *bufio.Reader
}

func dial(t testing.TB, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(30 * time.Second))
	return &client{t: t, c: c, br: bufio.NewReader(c)}
}

func (c *client) write(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatal(err)
	}
}

// read returns the next response's status code and body.
func (c *client) read() (int, string) {
	c.t.Helper()
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// roundTrip writes one request and expects a 200 with the given body.
func (c *client) expect(req, want string) {
	c.t.Helper()
	c.write(req)
	c.expectResp(want)
}

func (c *client) expectResp(want string) {
	c.t.Helper()
	code, got := c.read()
	if code != 200 || got != want {
		c.t.Errorf("got %d:\n%s\nwant 200:\n%s", code, got, want)
	}
}

// echo reports what the wire package recovered. Paths starting with /early
// ask for the headers before reading the body, /noread never reads it, and
// requests carrying X-Skip never call Headers at all.
func echo(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("X-Skip") != "" {
		io.WriteString(w, "skipped\n")
		return
	}
	var fields []Field
	var ok bool
	early := strings.HasPrefix(r.URL.Path, "/early")
	if early {
		fields, ok = Headers(r)
	}
	n := int64(0)
	if !strings.HasPrefix(r.URL.Path, "/noread") {
		n, _ = io.Copy(io.Discard, r.Body)
	}
	if !early {
		fields, ok = Headers(r)
	}
	reason, bad := Ambiguous(r)
	if !ok {
		fields = Fallback(r.Header)
	}
	fmt.Fprintf(w, "%s %s ok=%v body=%d", r.Method, r.RequestURI, ok, n)
	if bad {
		fmt.Fprintf(w, " ambiguous=%q", reason)
	}
	io.WriteString(w, "\n")
	for _, f := range fields {
		fmt.Fprintf(w, "%s: %s\n", f.Name, f.Value)
	}
}

func TestOrderAndCasing(t *testing.T) {
	var line string
	addr := startServer(t, true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		line, _ = RequestLine(r)
		echo(w, r)
	}))
	c := dial(t, addr)
	c.expect("GET /order?q=1 HTTP/1.1\r\nHost: example\r\nX-B: 1\r\nx-a: 2\r\nX-B: 3\r\nx-MiXeD-case:  spaced value \t\r\n\r\n",
		"GET /order?q=1 ok=true body=0\nHost: example\nX-B: 1\nx-a: 2\nX-B: 3\nx-MiXeD-case: spaced value\n")
	if line != "GET /order?q=1 HTTP/1.1" {
		t.Errorf("RequestLine = %q", line)
	}
}

// A fake request inside a body must be skipped as body, not parsed.
const smuggle = "\r\n\r\nGET /fake HTTP/1.1\r\nHost: evil\r\n\r\n"

func TestKeepAlive(t *testing.T) {
	addr := startServer(t, true, http.HandlerFunc(echo))
	c := dial(t, addr)

	body := "a" + smuggle + "z"
	c.expect(fmt.Sprintf("POST /cl HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(body), body),
		fmt.Sprintf("POST /cl ok=true body=%d\nHost: h\nContent-Length: %d\n", len(body), len(body)))

	// net/http tolerates a stray CRLF after a POST body (RFC 9112 2.2).
	c.expect("\r\nGET /after-crlf HTTP/1.1\r\nHost: h\r\n\r\n",
		"GET /after-crlf ok=true body=0\nHost: h\n")

	chunk1 := "xy" + smuggle
	chunked := fmt.Sprintf("POST /chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"+
		"%x;name=\"quoted;semi\";x=y \r\n%s\r\n"+
		"3\r\n0\r\n\r\n"+
		"0;last\r\nX-Sum: 42\r\nX-Other: 1\r\n\r\n", len(chunk1), chunk1)
	c.expect(chunked, fmt.Sprintf("POST /chunked ok=true body=%d\nHost: h\nTransfer-Encoding: chunked\nTrailer: X-Sum\n", len(chunk1)+3))

	// Go accepts bare LF line endings in the header block.
	c.expect("GET /lf HTTP/1.1\nHost: h\nX-Lf: yes\n\n", "GET /lf ok=true body=0\nHost: h\nX-Lf: yes\n")
	c.expect("GET /lf2 HTTP/1.1\r\nHost: h\nX-Mixed: yes\r\n\n", "GET /lf2 ok=true body=0\nHost: h\nX-Mixed: yes\n")

	// obs-fold is unfolded the way net/http does.
	c.expect("GET /fold HTTP/1.1\r\nHost: h\r\nX-Fold: a\r\n  b\r\n\tc\r\nX-Next: n\r\n\r\n",
		"GET /fold ok=true body=0\nHost: h\nX-Fold: a b c\nX-Next: n\n")

	// Empty chunked body, then headers asked before the body is read.
	c.expect("POST /early HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		"POST /early ok=true body=0\nHost: h\nTransfer-Encoding: chunked\n")
	c.expect("POST /early2 HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n",
		"POST /early2 ok=true body=0\nHost: h\nContent-Length: 0\n")
}

// TestSplitWrites delivers requests a few bytes at a time so every framing
// token (header terminator, chunk line, CRLF, trailer) straddles Reads.
func TestSplitWrites(t *testing.T) {
	addr := startServer(t, true, http.HandlerFunc(echo))
	c := dial(t, addr)
	chunk := "hello" + smuggle
	req := fmt.Sprintf("POST /early-split HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n"+
		"%x;e=1\r\n%s\r\n0\r\nX-T: 1\r\n\r\n"+
		"GET /next HTTP/1.1\r\nHost: h\r\nX-N: 2\r\n\r\n", len(chunk), chunk)
	for _, step := range []int{1, 2, 3, 7} {
		t.Run(fmt.Sprint(step), func(t *testing.T) {
			c.t = t
			for i := 0; i < len(req); i += step {
				c.write(req[i:min(i+step, len(req))])
				time.Sleep(100 * time.Microsecond)
			}
			c.expectResp(fmt.Sprintf("POST /early-split ok=true body=%d\nHost: h\nTransfer-Encoding: chunked\nX-A: 1\n", len(chunk)))
			c.expectResp("GET /next ok=true body=0\nHost: h\nX-N: 2\n")
		})
	}
}

func TestPipelining(t *testing.T) {
	addr := startServer(t, true, http.HandlerFunc(echo))
	c := dial(t, addr)
	b1 := "one" + smuggle
	c.write(fmt.Sprintf("POST /p1 HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\nX-Order: 1\r\n\r\n%s", len(b1), b1) +
		"POST /p2 HTTP/1.1\r\nHost: h\r\ntransfer-encoding: chunked\r\n\r\n4\r\n\r\n\r\n\r\n0\r\n\r\n" +
		"GET /p3 HTTP/1.1\r\nhost: h\r\nX-Order: 3\r\n\r\n")
	c.expectResp(fmt.Sprintf("POST /p1 ok=true body=%d\nHost: h\nContent-Length: %d\nX-Order: 1\n", len(b1), len(b1)))
	c.expectResp("POST /p2 ok=true body=4\nHost: h\ntransfer-encoding: chunked\n")
	c.expectResp("GET /p3 ok=true body=0\nhost: h\nX-Order: 3\n")
}

func TestHandlerDoesNotReadBody(t *testing.T) {
	addr := startServer(t, true, http.HandlerFunc(echo))
	c := dial(t, addr)
	body := strings.Repeat(smuggle, 100)
	c.expect(fmt.Sprintf("POST /noread HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n%s", len(body), body),
		fmt.Sprintf("POST /noread ok=true body=0\nHost: h\nContent-Length: %d\n", len(body)))
	c.expect("POST /noread-chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"+
		fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body),
		"POST /noread-chunked ok=true body=0\nHost: h\nTransfer-Encoding: chunked\n")
	c.expect("GET /after HTTP/1.1\r\nHost: h\r\n\r\n", "GET /after ok=true body=0\nHost: h\n")
}

// TestHandlerSkipsHeaders: handlers that never call Headers must neither
// grow the queue nor shift later requests onto the wrong block, even when
// pipelined requests share a request line.
func TestHandlerSkipsHeaders(t *testing.T) {
	var tr atomic.Pointer[tracker]
	addr := startServer(t, true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.Store(trackerOf(r))
		echo(w, r)
	}))
	c := dial(t, addr)
	c.write("GET /same HTTP/1.1\r\nHost: h\r\nX-Skip: 1\r\nX-N: 1\r\n\r\n" +
		"GET /same HTTP/1.1\r\nHost: h\r\nX-N: 2\r\n\r\n" +
		"GET /same HTTP/1.1\r\nHost: h\r\nX-Skip: 1\r\nX-N: 3\r\n\r\n" +
		"GET /same HTTP/1.1\r\nHost: h\r\nX-N: 4\r\n\r\n")
	c.expectResp("skipped\n")
	c.expectResp("GET /same ok=true body=0\nHost: h\nX-N: 2\n")
	c.expectResp("skipped\n")
	c.expectResp("GET /same ok=true body=0\nHost: h\nX-N: 4\n")

	const n = 3000
	for i := range n {
		c.expect(fmt.Sprintf("POST /skip HTTP/1.1\r\nHost: h\r\nX-Skip: 1\r\nContent-Length: 3\r\nX-I: %d\r\n\r\nabc", i), "skipped\n")
	}
	c.expect("GET /last HTTP/1.1\r\nHost: h\r\n\r\n", "GET /last ok=true body=0\nHost: h\n")
	st := tr.Load()
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.q) != 0 || st.peak > 2*readAheadSlack {
		t.Errorf("after %d unclaimed requests: queued=%d peak=%d bytes", n, len(st.q), st.peak)
	}
}

func TestExpectContinue(t *testing.T) {
	addr := startServer(t, true, http.HandlerFunc(echo))
	c := dial(t, addr)
	c.write("POST /early-expect HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 11\r\n\r\n")
	// The server asks for the body only once the handler reads it; the
	// handler has already taken its headers by then.
	if code, _ := c.read(); code != 100 {
		t.Fatalf("got %d, want 100 Continue", code)
	}
	c.write("hello world")
	c.expectResp("POST /early-expect ok=true body=11\nHost: h\nExpect: 100-continue\nContent-Length: 11\n")
	c.expect("GET /after HTTP/1.1\r\nHost: h\r\n\r\n", "GET /after ok=true body=0\nHost: h\n")
}

// TestDesyncFallback: a header block larger than we are willing to buffer,
// on a server configured to accept it, makes Headers report ok=false for it
// and for everything after it on the conn, while the handler keeps working
// from r.Header.
func TestDesyncFallback(t *testing.T) {
	addr := startServer(t, true, http.HandlerFunc(echo), func(s *http.Server) { s.MaxHeaderBytes = 4 << 20 })
	c := dial(t, addr)
	c.expect("GET /before HTTP/1.1\r\nHost: h\r\nX-Z: 1\r\n\r\n", "GET /before ok=true body=0\nHost: h\nX-Z: 1\n")
	big := strings.Repeat("v", maxBlock)
	c.expect("GET /big HTTP/1.1\r\nHost: h\r\nX-Z: 1\r\nX-A: "+big+"\r\n\r\n",
		"GET /big ok=false body=0\nX-A: "+big+"\nX-Z: 1\n")
	c.expect("GET /after HTTP/1.1\r\nHost: h\r\nX-Z: 1\r\nx-a: 2\r\n\r\n", "GET /after ok=false body=0\nX-A: 2\nX-Z: 1\n")

	// A fresh connection is tracked again.
	c = dial(t, addr)
	c.expect("GET /fresh HTTP/1.1\r\nHost: h\r\n\r\n", "GET /fresh ok=true body=0\nHost: h\n")
}

func TestUnwrapped(t *testing.T) {
	addr := startServer(t, false, http.HandlerFunc(echo))
	c := dial(t, addr)
	c.expect("GET /plain HTTP/1.1\r\nHost: h\r\nX-B: 1\r\nx-a: 2\r\n\r\n", "GET /plain ok=false body=0\nX-A: 2\nX-B: 1\n")
}

func TestAmbiguous(t *testing.T) {
	var calls atomic.Int32
	addr := startServer(t, true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		// Record what net/http itself made of the framing.
		fmt.Fprintf(w, "cl=%d te=%v hdr-cl=%q\n", r.ContentLength, r.TransferEncoding, r.Header.Get("Content-Length"))
		echo(w, r)
	}))

	t.Run("CL+TE", func(t *testing.T) {
		// Go (1.26) does not refuse Content-Length together with chunked:
		// per RFC 9112 6.3 chunked wins, Content-Length is dropped from
		// r.Header and r.ContentLength is -1. A proxy in front that trusts
		// Content-Length would see a different body, so we flag it.
		c := dial(t, addr)
		c.expect("POST /clte HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
			"cl=-1 te=[chunked] hdr-cl=\"\"\n"+
				"POST /clte ok=true body=5 ambiguous=\"both Content-Length and Transfer-Encoding present\"\n"+
				"Host: h\nContent-Length: 100\nTransfer-Encoding: chunked\n")
		// Our framing followed Go's (chunked), so the conn stays in sync.
		c.expect("GET /next HTTP/1.1\r\nHost: h\r\n\r\n", "cl=0 te=[] hdr-cl=\"\"\nGET /next ok=true body=0\nHost: h\n")
	})

	t.Run("duplicate CL differing", func(t *testing.T) {
		// Go refuses these itself: 400 and close, handler never called.
		before := calls.Load()
		c := dial(t, addr)
		c.write("POST /dup HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
		if code, _ := c.read(); code != 400 || calls.Load() != before {
			t.Errorf("got %d (handler calls %d), want 400 from net/http", code, calls.Load()-before)
		}
	})

	t.Run("duplicate CL equal", func(t *testing.T) {
		c := dial(t, addr)
		c.expect("POST /dupok HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\ncontent-length:  3 \r\n\r\nabc",
			"cl=3 te=[] hdr-cl=\"3\"\nPOST /dupok ok=true body=3\nHost: h\nContent-Length: 3\ncontent-length: 3\n")
	})

	t.Run("TE on HTTP/1.0", func(t *testing.T) {
		// Go ignores Transfer-Encoding on HTTP/1.0 and frames by CL.
		c := dial(t, addr)
		c.expect("POST /ten HTTP/1.0\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc",
			"cl=3 te=[] hdr-cl=\"3\"\n"+
				"POST /ten ok=true body=3 ambiguous=\"both Content-Length and Transfer-Encoding present\"\n"+
				"Host: h\nTransfer-Encoding: chunked\nContent-Length: 3\n")
		c = dial(t, addr)
		c.expect("POST /ten2 HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
			"cl=0 te=[] hdr-cl=\"\"\n"+
				"POST /ten2 ok=true body=0 ambiguous=\"Transfer-Encoding on an HTTP/1.0 request (net/http ignores it)\"\n"+
				"Transfer-Encoding: chunked\n")
	})

	t.Run("folded TE", func(t *testing.T) {
		c := dial(t, addr)
		c.expect("POST /fold HTTP/1.1\r\nHost: h\r\nTransfer-Encoding:\r\n chunked\r\n\r\n1\r\nx\r\n0\r\n\r\n",
			"cl=-1 te=[chunked] hdr-cl=\"\"\n"+
				"POST /fold ok=true body=1 ambiguous=\"obs-fold in Content-Length or Transfer-Encoding\"\n"+
				"Host: h\nTransfer-Encoding: chunked\n")
	})

	t.Run("TE not chunked", func(t *testing.T) {
		// Go answers 501 itself for anything but a single "chunked".
		for _, te := range []string{"gzip, chunked", "chunked, gzip", "identity"} {
			c := dial(t, addr)
			c.write("POST /te HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " + te + "\r\n\r\n0\r\n\r\n")
			if code, _ := c.read(); code != 501 {
				t.Errorf("%q: got %d, want 501", te, code)
			}
		}
	})
}

// TestBigBody: bodies are skipped by count, never buffered.
func TestBigBody(t *testing.T) {
	const size = 5 << 20
	var peak atomic.Int64
	addr := startServer(t, true, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		echo(w, r)
		tr := trackerOf(r)
		tr.mu.Lock()
		peak.Store(int64(tr.peak))
		tr.mu.Unlock()
	}))
	c := dial(t, addr)
	chunk := strings.Repeat(smuggle, 1000)
	go func() {
		w := bufio.NewWriterSize(c.c, 64<<10)
		fmt.Fprintf(w, "POST /big HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n", size)
		for n := 0; n < size; n += len(chunk) {
			w.WriteString(chunk[:min(len(chunk), size-n)])
		}
		fmt.Fprintf(w, "POST /big-chunked HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n")
		for n := 0; n < size; n += len(chunk) {
			fmt.Fprintf(w, "%x\r\n%s\r\n", len(chunk), chunk)
		}
		w.WriteString("0\r\n\r\n")
		w.Flush()
	}()
	c.expectResp(fmt.Sprintf("POST /big ok=true body=%d\nHost: h\nContent-Length: %d\n", size, size))
	chunks := (size + len(chunk) - 1) / len(chunk)
	c.expectResp(fmt.Sprintf("POST /big-chunked ok=true body=%d\nHost: h\nTransfer-Encoding: chunked\n", chunks*len(chunk)))
	if p := peak.Load(); p > 4<<10 {
		t.Errorf("tracker buffered up to %d bytes for 5 MiB bodies", p)
	}
}
