package forward

import (
	"bufio"
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// A handler that took a POST and then died without answering (a panic,
// a crash) must not get it a second time: the request reached it. net/http's
// Transport never retries a POST once its bytes went out; h1 took any
// failure before the first answer byte on a reused connection for a
// server closing an idle one.
func TestH1NeverSendsAPostTwice(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{"event":"video.failed"}`)
	var got atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if got.Add(1) == 2 {
			panic(http.ErrAbortHandler) // the handler crashes: the connection closes, no answer
		}
		w.WriteHeader(200)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.Start()
	defer srv.Close()
	f := New(Options{Store: st, Timeout: 5 * time.Second})
	defer f.Close()
	if a := f.Send(context.Background(), rec, srv.URL, false).Attempt; a.Status != 200 {
		t.Fatalf("first: %+v", a)
	}
	// The second goes over the kept-alive connection, and the handler dies.
	a := f.Send(context.Background(), rec, srv.URL, false).Attempt
	if n := got.Load(); n != 2 {
		t.Errorf("the handler got the second POST %d times, want once (attempt %+v)", n-1, a)
	}
	if a.Status != 0 || !strings.Contains(a.Error, "without an answer") {
		t.Errorf("second attempt: %+v", a)
	}
}

// A connection the handler closed while idle (Node closes them after 5 s)
// is not used again: the next request goes out on a fresh one and is
// delivered, once.
func TestH1IdleConnectionClosedByTheHandler(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{"event":"video.failed"}`)
	var got atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		got.Add(1)
		w.WriteHeader(204)
	}))
	srv.Config.IdleTimeout = 50 * time.Millisecond
	srv.Start()
	defer srv.Close()
	f := New(Options{Store: st, Timeout: 5 * time.Second})
	defer f.Close()
	for i := range 3 {
		if a := f.Send(context.Background(), rec, srv.URL, false).Attempt; a.Status != 204 {
			t.Fatalf("send %d: %+v", i, a)
		}
		time.Sleep(200 * time.Millisecond) // past the handler's idle timeout
	}
	if n := got.Load(); n != 3 {
		t.Errorf("handler got %d requests, want 3", n)
	}
}

// rawServer answers every connection with fn.
func rawServer(t *testing.T, fn func(c net.Conn, br *bufio.Reader)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fn(c, bufio.NewReader(c))
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// readRequest reads one request and its body.
func readRequest(br *bufio.Reader) error {
	r, err := http.ReadRequest(br)
	if err != nil {
		return err
	}
	_, err = io.Copy(io.Discard, r.Body)
	return err
}

// A handler's answer whose header block never ends costs bounded memory
// and fails the attempt, as net/http's Transport (10 MiB of headers) did.
func TestH1EndlessAnswerHeaderIsRefused(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{}`)
	var sent atomic.Int64
	url := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		if readRequest(br) != nil {
			return
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := "X-Pad: " + strings.Repeat("a", 1000) + "\r\n"
		for sent.Load() < 64<<20 { // bounded: 64 MiB at most
			if _, err := io.WriteString(c, line); err != nil {
				return
			}
			sent.Add(int64(len(line)))
		}
		io.WriteString(c, "Content-Length: 0\r\n\r\n")
	})
	f := New(Options{Store: st, Timeout: 30 * time.Second})
	defer f.Close()
	a := f.Send(context.Background(), rec, url, false).Attempt
	if a.Status != 0 || a.Error == "" {
		t.Errorf("a %d MiB header block was taken: status %d, %d header lines", sent.Load()>>20, a.Status, len(a.RespHeaders))
	}
	if n := sent.Load(); n > 24<<20 {
		t.Errorf("h1 read %d MiB of header before giving up", n>>20)
	}
}

// Informational answers without end are refused once their headers pass
// the bound, as net/http's Transport did, rather than read until the
// delivery's timeout (forever with --forward-timeout 0).
func TestH1EndlessInformationalAnswers(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{}`)
	url := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		if readRequest(br) != nil {
			return
		}
		const info = "HTTP/1.1 102 Processing\r\n\r\n"
		for range (64 << 20) / len(info) { // bounded: 64 MiB
			if _, err := io.WriteString(c, info); err != nil {
				return
			}
		}
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	})
	f := New(Options{Store: st, Timeout: 30 * time.Second})
	defer f.Close()
	a := f.Send(context.Background(), rec, url, false).Attempt
	if a.Status != 0 || !strings.Contains(a.Error, "1xx") {
		t.Errorf("64 MiB of informational answers were read through: %+v", a)
	}
}

// Chunked answers with trailers, a close-delimited answer, a HEAD: the
// answer is read whole and the connection kept only when it can be.
func TestH1AnswerShapes(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{}`)
	var conns atomic.Int32
	url := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		conns.Add(1)
		for {
			r, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			io.Copy(io.Discard, r.Body)
			switch r.URL.Path {
			case "/chunked":
				io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n"+
					"3\r\nabc\r\n2\r\nde\r\n0\r\nX-Sum: 5\r\n\r\n")
			case "/head":
				io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n")
			case "/close":
				io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\nuntil close")
				return
			}
		}
	})
	f := New(Options{Store: st, Timeout: 5 * time.Second})
	defer f.Close()
	res := f.Send(context.Background(), rec, url+"/chunked", false)
	if res.Attempt.Status != 200 || string(res.Body) != "abcde" {
		t.Errorf("chunked: %+v %q", res.Attempt, res.Body)
	}
	head := *rec
	head.Method, head.Body = "HEAD", nil
	res = f.Send(context.Background(), &head, url+"/head", false)
	if res.Attempt.Status != 200 || len(res.Body) != 0 {
		t.Errorf("head: %+v %q", res.Attempt, res.Body)
	}
	res = f.Send(context.Background(), rec, url+"/close", false)
	if res.Attempt.Status != 200 || string(res.Body) != "until close" {
		t.Errorf("close-delimited: %+v %q", res.Attempt, res.Body)
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("%d connections for three answers that allowed reuse, want 1", n)
	}
	res = f.Send(context.Background(), rec, url+"/chunked", false)
	if res.Attempt.Status != 200 || conns.Load() != 2 {
		t.Errorf("after a close-delimited answer: %+v, %d connections", res.Attempt, conns.Load())
	}
}

// A handler that refuses a large body before reading it (Express's 100 kB
// limit answers 413) is heard: its answer, not "closed the connection".
func TestH1EarlyAnswerToALargeBody(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, strings.Repeat("x", 32<<20))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}))
	defer srv.Close()
	f := New(Options{Store: st, Timeout: 10 * time.Second})
	defer f.Close()
	a := f.Send(context.Background(), rec, srv.URL, false).Attempt
	if a.Status != 413 {
		t.Errorf("the handler's 413 was lost: %+v", a)
	}
}

// A handler that drops the connection halfway through the body is said to
// have closed it, in the words every other such failure gets.
func TestH1ClosedMidBody(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, strings.Repeat("x", 32<<20))
	url := rawServer(t, func(c net.Conn, br *bufio.Reader) {
		br.ReadString('\n') // the request line, then gone with the rest unread
	})
	f := New(Options{Store: st, Timeout: 10 * time.Second})
	defer f.Close()
	a := f.Send(context.Background(), rec, url, false).Attempt
	if a.Status != 0 || !strings.Contains(a.Error, "closed the connection without an answer") {
		t.Errorf("closed mid-body: %+v", a.Error)
	}
}

// A target with TLS: a self-signed certificate is refused with a remedy,
// and taken with --skip-verify.
func TestH1SelfSignedHTTPS(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{}`)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(202)
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	defer srv.Close()
	f := New(Options{Store: st, Timeout: 5 * time.Second})
	defer f.Close()
	a := f.Send(context.Background(), rec, srv.URL, false).Attempt
	if a.Status != 0 || !strings.Contains(a.Error, "--skip-verify") {
		t.Errorf("self-signed without --skip-verify: %+v", a)
	}
	g := New(Options{Store: st, Timeout: 5 * time.Second, SkipVerify: true})
	defer g.Close()
	for range 2 {
		if a := g.Send(context.Background(), rec, srv.URL, false).Attempt; a.Status != 202 {
			t.Errorf("self-signed with --skip-verify: %+v", a)
		}
	}
}
