package wire

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

var benchReq = "POST /hook/abc HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: GitHub-Hookshot/abc\r\n" +
	"Content-Type: application/json\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: 72d3162e-cc78-11e3-81ab-4c9367dc0958\r\n" +
	"X-Hub-Signature-256: sha256=d57c68ca6f92289e6987922ff26938930f6e66a2d161ef06abdf1859230aa23c\r\n" +
	"Content-Length: 1024\r\n\r\n" + strings.Repeat("x", 1024)

// captureLike does what the capture handler does with the request: read
// the body, take the headers.
func captureLike(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	f, ok := Headers(r)
	if !ok {
		f = Fallback(r.Header)
	}
	if _, bad := Ambiguous(r); bad || len(f) == 0 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// BenchmarkWrappedConn: 1 KiB POSTs over one keep-alive conn, with and
// without WrapListener (the handler is the same; unwrapped it falls back).
func BenchmarkWrappedConn(b *testing.B) {
	for _, bc := range []struct {
		name string
		wrap bool
	}{{"plain", false}, {"wrapped", true}} {
		b.Run(bc.name, func(b *testing.B) {
			c := dial(b, startServer(b, bc.wrap, http.HandlerFunc(captureLike)))
			c.c.SetDeadline(time.Time{})
			req := []byte(benchReq)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.c.Write(req); err != nil {
					b.Fatal(err)
				}
				// 204, no body: the response ends at the blank line.
				for first := true; ; first = false {
					line, err := c.br.ReadSlice('\n')
					if err != nil {
						b.Fatal(err)
					}
					if first && !bytes.HasPrefix(line, []byte("HTTP/1.1 204")) {
						b.Fatalf("unexpected response %q", line)
					}
					if len(line) <= 2 {
						break
					}
				}
			}
		})
	}
}

// BenchmarkFraming is the tracker's own cost per request: feeding the bytes
// of a 1 KiB POST as the server's 4 KiB reads would, plus Headers.
func BenchmarkFraming(b *testing.B) {
	tr := &tracker{}
	req := []byte(benchReq)
	r := fakeRequest(tr, "POST /hook/abc HTTP/1.1", nil)
	b.SetBytes(int64(len(req)))
	b.ReportAllocs()
	for b.Loop() {
		tr.feed(req)
		tr.cur = nil // a new request each round, not the same one asking again
		if _, ok := Headers(r); !ok {
			b.Fatal("no headers")
		}
	}
}
