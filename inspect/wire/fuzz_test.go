package wire

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"reflect"
	"testing"
)

// hardLimit is the most a tracker may ever hold, whatever it is fed.
const hardLimit = 2*maxBlock + maxChunkLine*2 + maxQueueBytes + maxBlock

// FuzzFraming feeds arbitrary bytes, cut into Reads at arbitrary points
// (splits gives the Read sizes), and checks that the state machine never
// panics, never holds more than it must, reaches the same state however the
// stream is cut, and frames every request exactly where net/http does.
func FuzzFraming(f *testing.F) {
	for _, s := range streams {
		f.Add([]byte(s), []byte{0, 3, 17})
	}
	f.Fuzz(func(t *testing.T, data, splits []byte) {
		whole := &tracker{}
		whole.feed(data)

		split := &tracker{}
		fed := 0
		for k := 0; fed < len(data); k++ {
			n := 1
			if len(splits) > 0 {
				n += int(splits[k%len(splits)])
			}
			n = min(n, len(data)-fed)
			split.feed(data[fed : fed+n])
			fed += n
			// Never more than the input (append may double a buffer),
			// and never more than the hard cap.
			if b := split.buffered(); b > 4*fed+128 || b > hardLimit {
				t.Fatalf("buffered %d bytes after %d fed", b, fed)
			}
		}
		if got, want := snap(split), snap(whole); !reflect.DeepEqual(got, want) {
			t.Fatalf("split feed differs:\n got %+v\nwant %+v", got, want)
		}

		for _, b := range whole.q {
			b.fields()
			b.ambiguity()
		}
		if len(data) < readAheadSlack {
			compareNetHTTP(t, data, whole)
		}
	})
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// compareNetHTTP parses data the way net/http's server loop does and checks
// that every request it would serve was framed identically by the tracker:
// same request line, same header block end, same headers. It returns how
// many requests it compared.
func compareNetHTTP(t *testing.T, data []byte, tr *tracker) (compared int) {
	cr := &countReader{r: bytes.NewReader(data)}
	br := bufio.NewReader(cr)
	last := ""
	for i := 0; ; i++ {
		compared = i
		if last == "POST" {
			// conn.readRequest's tolerance for a CRLF after a POST body.
			peek, _ := br.Peek(4)
			n := 0
			for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
				n++
			}
			br.Discard(n)
		}
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		pri := req.Method == "PRI" && req.RequestURI == "*" && req.Proto == "HTTP/2.0"
		if req.ProtoMajor != 1 && !pri {
			return // the server answers 505 and closes
		}
		end := cr.n - int64(br.Buffered())
		if i >= len(tr.q) {
			t.Fatalf("net/http read request %d (%s %s) ending at %d; tracker has %d blocks", i, req.Method, req.RequestURI, end, len(tr.q))
		}
		b := tr.q[i]
		if b.method != req.Method || b.target != req.RequestURI || b.proto != req.Proto || b.end != end {
			t.Fatalf("request %d: net/http %q %q %q ending at %d, tracker %q ending at %d", i, req.Method, req.RequestURI, req.Proto, end, b.line, b.end)
		}
		got := http.Header{}
		for _, f := range b.fields() {
			k := textproto.CanonicalMIMEHeaderKey(f.Name)
			got[k] = append(got[k], f.Value)
		}
		want := req.Header.Clone()
		for _, h := range []http.Header{got, want} {
			h.Del("Host")              // moved to req.Host
			h.Del("Transfer-Encoding") // net/http removes it
			h.Del("Content-Length")    // deduplicated, or dropped when chunked
			if _, ok := got["Pragma"]; ok {
				h.Del("Cache-Control") // fixPragmaCacheControl may add one
			}
		}
		if len(got) == 0 {
			got = nil
		}
		if len(want) == 0 {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("request %d headers:\n tracker %q\nnet/http %q", i, got, want)
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil || pri {
			return i + 1 // the server closes the conn
		}
		last = req.Method
	}
}

// TestNetHTTPAgreement pins that the differential check really compares the
// requests of the sample streams (2 each), not nothing.
func TestNetHTTPAgreement(t *testing.T) {
	for _, s := range append(streams[1:7:7], streams[10]) {
		tr := &tracker{}
		tr.feed([]byte(s))
		if n := compareNetHTTP(t, []byte(s), tr); n != 2 {
			t.Errorf("%q: compared %d requests with net/http, want 2", s, n)
		}
	}
}
