package wire

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// fakeRequest is what net/http would hand a handler for a request on the
// conn tracked by t.
func fakeRequest(t *tracker, line string, h http.Header) *http.Request {
	method, rest, _ := strings.Cut(line, " ")
	target, proto, _ := strings.Cut(rest, " ")
	major, minor, _ := parseHTTPVersion(proto)
	if h == nil {
		h = http.Header{}
	}
	r := &http.Request{Method: method, RequestURI: target, Proto: proto, ProtoMajor: major, ProtoMinor: minor, Header: h}
	return r.WithContext(context.WithValue(context.Background(), ctxKey{}, t))
}

type snapshot struct {
	St     state
	Off    int64
	Remain uint64
	Blocks []string
	Ends   []int64
}

func snap(t *tracker) snapshot {
	s := snapshot{St: t.st, Off: t.off, Remain: t.remain}
	for _, b := range t.q {
		s.Blocks = append(s.Blocks, b.raw)
		s.Ends = append(s.Ends, b.end)
	}
	return s
}

var streams = []string{
	"GET / HTTP/1.1\r\nHost: h\r\n\r\n",
	"POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n",
	"POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=\"a;b\"\r\n\r\n\r\r\n0\r\nT: 1\r\n\r\nGET /d HTTP/1.1\r\n\r\n",
	"GET /lf HTTP/1.1\nHost: h\n\nGET /lf2 HTTP/1.0\r\n\n",
	"POST /e HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n\r\n\r\nGET /f HTTP/1.1\r\n\r\n",
	"POST /t HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nA: 1\n\nGET /g HTTP/1.1\r\n\r\n",
	"POST /h HTTP/1.0\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\nabGET /i HTTP/1.1\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x12\x04",
	"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
	"POST /bad HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n",
	"POST /j HTTP/1.1\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\nGET /k HTTP/1.1\r\n\r\n",
}

// TestSplitInvariance: the result must not depend on how the stream was cut
// into Reads.
func TestSplitInvariance(t *testing.T) {
	for _, s := range streams {
		whole := &tracker{}
		whole.feed([]byte(s))
		want := snap(whole)

		bytewise := &tracker{}
		for i := range len(s) {
			bytewise.feed([]byte{s[i]})
		}
		if got := snap(bytewise); !reflect.DeepEqual(got, want) {
			t.Errorf("%q byte by byte:\n got %+v\nwant %+v", s, got, want)
		}
		for cut := 1; cut < len(s); cut++ {
			tr := &tracker{}
			tr.feed([]byte(s[:cut]))
			tr.feed([]byte(s[cut:]))
			if got := snap(tr); !reflect.DeepEqual(got, want) {
				t.Errorf("%q cut at %d:\n got %+v\nwant %+v", s, cut, got, want)
				break
			}
		}
	}
}

func TestFramingOutcomes(t *testing.T) {
	for _, tc := range []struct {
		in    string
		lines []string
		dead  bool
	}{
		{streams[1], []string{"POST /a HTTP/1.1", "GET /b HTTP/1.1"}, false},
		{streams[2], []string{"POST /c HTTP/1.1", "GET /d HTTP/1.1"}, false},
		{streams[3], []string{"GET /lf HTTP/1.1", "GET /lf2 HTTP/1.0"}, false},
		{streams[4], []string{"POST /e HTTP/1.1", "GET /f HTTP/1.1"}, false},
		{streams[5], []string{"POST /t HTTP/1.1", "GET /g HTTP/1.1"}, false},
		{streams[6], []string{"POST /h HTTP/1.0", "GET /i HTTP/1.1"}, false},
		{streams[7], []string{"PRI * HTTP/2.0"}, true},
		{streams[8], nil, true},
		{streams[9], []string{"POST /bad HTTP/1.1"}, true}, // bare LF in chunk line
		{streams[10], []string{"POST /j HTTP/1.1", "GET /k HTTP/1.1"}, false},
		{"GET / HTTP/3.0\r\n\r\n", nil, true},
		{"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", nil, true},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", nil, true},
		{"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", nil, true},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n11111111111111111\r\n", []string{"POST / HTTP/1.1"}, true},
		{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\naXY", []string{"POST / HTTP/1.1"}, true},
		{"GET / HTTP/1.1\r\n Host: h\r\n\r\n", nil, true},
	} {
		tr := &tracker{}
		tr.feed([]byte(tc.in))
		var lines []string
		for _, b := range tr.q {
			lines = append(lines, b.line)
		}
		if !reflect.DeepEqual(lines, tc.lines) || (tr.st == stDead) != tc.dead {
			t.Errorf("%q: blocks %q dead=%v, want %q dead=%v", tc.in, lines, tr.st == stDead, tc.lines, tc.dead)
		}
	}
}

func TestParseChunkLine(t *testing.T) {
	for _, tc := range []struct {
		in string
		n  uint64
		ok bool
	}{
		{"0\r\n", 0, true},
		{"1a\r\n", 26, true},
		{"1A \t\r\n", 26, true},
		{"5;name=\"v;x\"\r\n", 5, true},
		{"ffffffffffffffff\r\n", 1<<64 - 1, true},
		{"10000000000000000\r\n", 0, false},
		{"5\n", 0, false},
		{"5\r\r\n", 0, false},
		{"\r\n", 0, false},
		{";x\r\n", 0, false},
		{"5 ;x\r\n", 0, false},
		{"0x5\r\n", 0, false},
		{"-1\r\n", 0, false},
		{strings.Repeat("0", 4095) + "\r\n", 0, false},
	} {
		n, ok := parseChunkLine([]byte(tc.in))
		if n != tc.n || ok != tc.ok {
			t.Errorf("%q: got %d,%v want %d,%v", tc.in, n, ok, tc.n, tc.ok)
		}
	}
}

func TestMismatchDesyncs(t *testing.T) {
	tr := &tracker{}
	tr.feed([]byte("GET /a HTTP/1.1\r\nHost: h\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n"))
	if _, ok := Headers(fakeRequest(tr, "GET /b HTTP/1.1", nil)); ok {
		t.Fatal("mismatched request got headers")
	}
	if !tr.desync || tr.buffered() != 0 {
		t.Fatalf("desync=%v buffered=%d after mismatch", tr.desync, tr.buffered())
	}
	if _, ok := Headers(fakeRequest(tr, "GET /a HTTP/1.1", nil)); ok {
		t.Fatal("desynced tracker still answers")
	}
	tr.feed([]byte("GET /a HTTP/1.1\r\n\r\n"))
	if len(tr.q) != 0 {
		t.Fatal("desynced tracker keeps parsing")
	}
}

// TestSameRequestAgain: Headers, Ambiguous and RequestLine for one request,
// also through a shallow copy, must see one block and pop only once.
func TestSameRequestAgain(t *testing.T) {
	tr := &tracker{}
	tr.feed([]byte("GET /a HTTP/1.1\r\nX-A: 1\r\n\r\nGET /a HTTP/1.1\r\nX-A: 2\r\n\r\n"))
	r := fakeRequest(tr, "GET /a HTTP/1.1", http.Header{"X-A": {"1"}})
	for range 3 {
		if f, ok := Headers(r); !ok || f[0].Value != "1" {
			t.Fatalf("Headers = %v, %v", f, ok)
		}
		if _, bad := Ambiguous(r); bad {
			t.Fatal("ambiguous")
		}
		if l, ok := RequestLine(r.WithContext(context.WithValue(r.Context(), ctxKey{}, tr))); !ok || l != "GET /a HTTP/1.1" {
			t.Fatalf("RequestLine = %q, %v", l, ok)
		}
	}
	r2 := fakeRequest(tr, "GET /a HTTP/1.1", http.Header{"X-A": {"2"}})
	if f, ok := Headers(r2); !ok || f[0].Value != "2" {
		t.Fatalf("second request: %v, %v", f, ok)
	}
}

func TestBounds(t *testing.T) {
	t.Run("header cap", func(t *testing.T) {
		tr := &tracker{}
		tr.feed([]byte("GET / HTTP/1.1\r\nX: "))
		junk := []byte(strings.Repeat("a", 32<<10))
		for range 2 * maxBlock / len(junk) {
			tr.feed(junk)
		}
		if tr.st != stDead || tr.peak > maxBlock+len(junk) || tr.buffered() != 0 {
			t.Fatalf("dead=%v peak=%d buffered=%d", tr.st == stDead, tr.peak, tr.buffered())
		}
	})
	t.Run("queue", func(t *testing.T) {
		tr := &tracker{}
		req := []byte("GET / HTTP/1.0\n\n")
		for range 100000 {
			tr.feed(req)
		}
		if len(tr.q) > maxQueued || tr.qBytes > readAheadSlack+len(req) {
			t.Fatalf("queued %d blocks, %d bytes", len(tr.q), tr.qBytes)
		}
		if _, ok := Headers(fakeRequest(tr, "GET / HTTP/1.0", nil)); !ok {
			t.Fatal("newest request lost")
		}
	})
	t.Run("trailer", func(t *testing.T) {
		tr := &tracker{}
		tr.feed([]byte("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n"))
		line := []byte("X: " + strings.Repeat("t", 1000) + "\r\n")
		for range 100 {
			tr.feed(line)
		}
		if tr.st != stDead || tr.peak > 1024 {
			t.Fatalf("dead=%v peak=%d", tr.st == stDead, tr.peak)
		}
	})
}

func TestAmbiguityReasons(t *testing.T) {
	for _, tc := range []struct{ hdrs, reason string }{
		{"Content-Length: 3\r\n", ""},
		{"Transfer-Encoding: chunked\r\n", ""},
		{"Transfer-Encoding: CHUNKED\r\n", ""},
		{"Content-Length: 3\r\nContent-Length: 3\r\n", ""},
		{"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n", "both Content-Length and Transfer-Encoding present"},
		{"Content-Length: 3\r\nContent-Length: 4\r\n", "multiple Content-Length values differ"},
		{"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n", "multiple Transfer-Encoding fields"},
		{"Transfer-Encoding: gzip, chunked\r\n", `Transfer-Encoding is not exactly chunked: "gzip, chunked"`},
		{"Transfer-Encoding: chunked, gzip\r\n", `Transfer-Encoding is not exactly chunked: "chunked, gzip"`},
		{"Content-Length: 3\r\n 4\r\n", "obs-fold in Content-Length or Transfer-Encoding"},
	} {
		b, _, _ := parseBlock("POST / HTTP/1.1\r\n" + tc.hdrs + "\r\n")
		reason, bad := b.ambiguity()
		if reason != tc.reason || bad != (tc.reason != "") {
			t.Errorf("%q: got %q,%v want %q", tc.hdrs, reason, bad, tc.reason)
		}
	}
}

func TestFallback(t *testing.T) {
	got := Fallback(http.Header{"X-B": {"1", "3"}, "Accept": {"*/*"}, "X-A": {"2"}})
	want := []Field{{"Accept", "*/*"}, {"X-A", "2"}, {"X-B", "1"}, {"X-B", "3"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v want %v", got, want)
	}
}
