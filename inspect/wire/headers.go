package wire

import (
	"net/http"
	"reflect"
	"slices"
)

// Headers returns r's header lines in wire order with original name casing,
// including Host, Content-Length and Transfer-Encoding, which net/http moves
// out of r.Header. Values are trimmed of surrounding whitespace and obs-fold
// is joined with a space, as net/http does. ok is false when the raw block is
// not available or does not match r; the caller then falls back to r.Header
// (see Fallback).
//
// Call it from the handler while it serves r (r itself or a shallow copy such
// as r.WithContext): requests are matched to blocks in connection order, and
// a block is only known to be r's while r is the request being served.
func Headers(r *http.Request) (fields []Field, ok bool) {
	b := claim(r)
	if b == nil {
		return nil, false
	}
	return b.fields(), true
}

// RequestLine returns r's request line exactly as sent, without its line
// ending.
func RequestLine(r *http.Request) (line string, ok bool) {
	b := claim(r)
	if b == nil {
		return "", false
	}
	return b.line, true
}

// Fallback gives a deterministic list from an already parsed header: names
// sorted, values in their order. net/http keeps Host in r.Host, not in h.
func Fallback(h http.Header) []Field {
	names := make([]string, 0, len(h))
	n := 0
	for k, vv := range h {
		names = append(names, k)
		n += len(vv)
	}
	slices.Sort(names)
	out := make([]Field, 0, n)
	for _, k := range names {
		for _, v := range h[k] {
			out = append(out, Field{Name: k, Value: v})
		}
	}
	return out
}

// Ambiguous reports request-smuggling shapes seen in r's raw block: both
// Content-Length and Transfer-Encoding, several Content-Length lines with
// different values, Transfer-Encoding other than a single "chunked" (net/http
// refuses those on HTTP/1.1 but ignores Transfer-Encoding on HTTP/1.0), and
// obs-fold in either field. net/http itself accepts Content-Length together
// with chunked (chunked wins), so the check has to happen here. bad is false
// when the raw block is unavailable.
func Ambiguous(r *http.Request) (reason string, bad bool) {
	b := claim(r)
	if b == nil {
		return "", false
	}
	return b.ambiguity()
}

func trackerOf(r *http.Request) *tracker {
	t, _ := r.Context().Value(ctxKey{}).(*tracker)
	return t
}

// claim finds r's block. Requests on an HTTP/1.x conn are served one at a
// time and in order, so r's block is the oldest queued one that matches,
// once blocks of requests whose handlers never asked are skipped.
func claim(r *http.Request) *block {
	if r.ProtoMajor != 1 && r.Method != "PRI" {
		return nil // HTTP/2 and friends never pass through the tracker
	}
	t := trackerOf(r)
	if t == nil {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.desync {
		return nil
	}
	if c := t.cur; c != nil && (r == t.curReq || sameHeader(r.Header, t.curHdr)) {
		// Same request asking again (r.WithContext copies share Header).
		if c.matches(r) {
			return c
		}
		return nil
	}
	t.prune(t.off)
	first, more := -1, false
	for i, b := range t.q {
		if b.matches(r) {
			if first >= 0 {
				more = true
				break
			}
			first = i
		}
	}
	if first < 0 {
		// The server parsed something we did not (or we missed r's
		// block): nothing on this conn can be trusted any more.
		t.markDesync()
		return nil
	}
	pick := first
	if more {
		// Pipelined requests with the same request line: an earlier one
		// may belong to a handler that never asked. Prefer the block whose
		// headers are the ones net/http gave r.
		for i := first; i < len(t.q); i++ {
			if t.q[i].matches(r) && t.q[i].consistent(r.Header) {
				pick = i
				break
			}
		}
	}
	b := t.q[pick]
	t.drop(pick + 1)
	t.cur, t.curReq, t.curHdr = b, r, r.Header
	return b
}

func (b *block) matches(r *http.Request) bool {
	return b.method == r.Method && b.target == r.RequestURI && b.proto == r.Proto
}

// consistent reports whether every field net/http leaves in r.Header as is
// appears there. It tolerates headers added by middleware.
func (b *block) consistent(h http.Header) bool {
	it := fieldIter{s: b.hdrs}
	for it.next() {
		if asciiEqualFold(it.name, "Host") || asciiEqualFold(it.name, "Content-Length") ||
			asciiEqualFold(it.name, "Transfer-Encoding") {
			continue
		}
		if !slices.Contains(h.Values(it.name), it.val) {
			return false
		}
	}
	return true
}

func sameHeader(a, b http.Header) bool {
	return a != nil && b != nil && reflect.ValueOf(a).UnsafePointer() == reflect.ValueOf(b).UnsafePointer()
}
