package wire

import (
	"strconv"
	"strings"
)

// block is one request's raw header block, request line through the blank
// line, plus the framing facts Ambiguous needs.
type block struct {
	raw  string
	end  int64  // stream offset just past the block
	line string // request line without its line ending
	hdrs string // raw after the request line

	method, target, proto string

	nCL, nTE   int
	clConflict bool   // Content-Length lines disagree (after trimming)
	te         string // first Transfer-Encoding value
	http10     bool
	folded     bool // a Content-Length or Transfer-Encoding line used obs-fold
}

type frame uint8

const (
	frameReject  frame = iota // net/http refuses the request and closes
	frameNone                 // no body
	frameLength               // Content-Length body
	frameChunked              // chunked body
	frameH2                   // "PRI * HTTP/2.0": not HTTP/1.x from here on
)

// parseBlock parses the request line and decides the body framing exactly as
// net/http's server does. It avoids allocating: everything is a substring of
// raw.
func parseBlock(raw string) (b *block, fr frame, n uint64) {
	b = &block{raw: raw}
	i := strings.IndexByte(raw, '\n')
	if i < 0 {
		return b, frameReject, 0
	}
	b.line, b.hdrs = strings.TrimSuffix(raw[:i], "\r"), raw[i+1:]
	method, rest, ok1 := strings.Cut(b.line, " ")
	target, proto, ok2 := strings.Cut(rest, " ")
	if !ok1 || !ok2 || method == "" || target == "" {
		return b, frameReject, 0
	}
	b.method, b.target, b.proto = method, target, proto
	major, minor, ok := parseHTTPVersion(proto)
	if !ok {
		return b, frameReject, 0
	}
	if major != 1 {
		if method == "PRI" && target == "*" && major == 2 && minor == 0 {
			return b, frameH2, 0
		}
		return b, frameReject, 0
	}
	b.http10 = minor == 0

	var cl string
	it := fieldIter{s: b.hdrs}
	for it.next() {
		switch {
		case asciiEqualFold(it.name, "Content-Length"):
			if b.nCL == 0 {
				cl = trimSpace(it.val)
			} else if trimSpace(it.val) != cl {
				b.clConflict = true
			}
			b.nCL++
			b.folded = b.folded || it.folded
		case asciiEqualFold(it.name, "Transfer-Encoding"):
			if b.nTE == 0 {
				b.te = it.val
			}
			b.nTE++
			b.folded = b.folded || it.folded
		}
	}
	if it.bad {
		return b, frameReject, 0
	}

	// parseTransferEncoding: ignored on HTTP/1.0; otherwise exactly one
	// field whose value is "chunked", or the request is refused (501).
	chunked := false
	if b.nTE > 0 && !b.http10 {
		if b.nTE != 1 || !asciiEqualFold(b.te, "chunked") {
			return b, frameReject, 0
		}
		chunked = true
	}
	// fixLength: differing duplicates are refused; the first value must be
	// a valid length even when chunked overrides it. An empty value is
	// refused by default and treated as absent under
	// GODEBUG=httplaxcontentlength=1; either way treating it as absent never
	// misframes a request the server keeps serving.
	if b.clConflict {
		return b, frameReject, 0
	}
	if b.nCL > 0 && cl != "" {
		v, err := strconv.ParseUint(cl, 10, 63)
		if err != nil {
			return b, frameReject, 0
		}
		n = v
	}
	switch {
	case chunked:
		return b, frameChunked, 0
	case n > 0:
		return b, frameLength, n
	}
	return b, frameNone, 0
}

// fields returns the header lines in wire order. Values are what net/http
// derives from them (surrounding whitespace trimmed, obs-fold joined with a
// space); names keep their original casing.
func (b *block) fields() []Field {
	out := make([]Field, 0, strings.Count(b.hdrs, "\n"))
	it := fieldIter{s: b.hdrs}
	for it.next() {
		out = append(out, Field{Name: it.name, Value: it.val})
	}
	return out
}

// ambiguity reports request-smuggling shapes: framing that another HTTP
// implementation in front of or behind us could read differently.
func (b *block) ambiguity() (string, bool) {
	switch {
	case b.nCL > 0 && b.nTE > 0:
		return "both Content-Length and Transfer-Encoding present", true
	case b.clConflict:
		return "multiple Content-Length values differ", true
	case b.nTE > 1:
		return "multiple Transfer-Encoding fields", true
	case b.nTE == 1 && !asciiEqualFold(b.te, "chunked"):
		return "Transfer-Encoding is not exactly chunked: " + strconv.Quote(b.te), true
	case b.nTE > 0 && b.http10:
		return "Transfer-Encoding on an HTTP/1.0 request (net/http ignores it)", true
	case b.folded:
		return "obs-fold in Content-Length or Transfer-Encoding", true
	}
	return "", false
}

// fieldIter walks header lines the way textproto.Reader.ReadMIMEHeader
// does: a line starting with SP/HT continues the previous one.
type fieldIter struct {
	s      string
	i      int
	name   string
	val    string
	folded bool
	bad    bool // a line net/http would refuse outright
	begun  bool
}

func (it *fieldIter) next() bool {
	line, ok := it.nextLine()
	if !ok || line == "" {
		it.i = len(it.s)
		return false
	}
	if !it.begun && (line[0] == ' ' || line[0] == '\t') {
		// textproto refuses a first header line with leading whitespace.
		it.bad = true
		it.i = len(it.s)
		return false
	}
	it.begun = true
	line = trimOWS(line)
	name, v, ok := strings.Cut(line, ":")
	if !ok {
		it.bad = true
		it.i = len(it.s)
		return false
	}
	it.name, it.folded = name, false
	var buf []byte
	for it.i < len(it.s) && (it.s[it.i] == ' ' || it.s[it.i] == '\t') {
		cont, _ := it.nextLine()
		if buf == nil {
			buf = append(make([]byte, 0, len(v)+len(cont)+8), v...)
		}
		buf = append(buf, ' ')
		buf = append(buf, trimOWS(cont)...)
		it.folded = true
	}
	if buf != nil {
		v = string(buf)
	}
	it.val = trimLeftOWS(v)
	return true
}

// nextLine returns the next line without its LF or CRLF.
func (it *fieldIter) nextLine() (string, bool) {
	rest := it.s[it.i:]
	j := strings.IndexByte(rest, '\n')
	if j < 0 {
		it.i = len(it.s)
		return "", false
	}
	it.i += j + 1
	return strings.TrimSuffix(rest[:j], "\r"), true
}

// parseHTTPVersion mirrors http.ParseHTTPVersion: "HTTP/" and single-digit
// major and minor.
func parseHTTPVersion(v string) (major, minor int, ok bool) {
	if len(v) != len("HTTP/X.Y") || v[:5] != "HTTP/" || v[6] != '.' {
		return 0, 0, false
	}
	if v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, 0, false
	}
	return int(v[5] - '0'), int(v[7] - '0'), true
}

// Hand-written trims: strings.Trim with a cutset builds a set per call,
// which showed up per header line.

func isOWS(c byte) bool { return c == ' ' || c == '\t' }

func trimLeftOWS(s string) string {
	for len(s) > 0 && isOWS(s[0]) {
		s = s[1:]
	}
	return s
}

func trimOWS(s string) string {
	s = trimLeftOWS(s)
	for len(s) > 0 && isOWS(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// trimSpace is textproto.TrimString.
func trimSpace(s string) string {
	for len(s) > 0 && (isOWS(s[0]) || s[0] == '\r' || s[0] == '\n') {
		s = s[1:]
	}
	for len(s) > 0 && (isOWS(s[len(s)-1]) || s[len(s)-1] == '\r' || s[len(s)-1] == '\n') {
		s = s[:len(s)-1]
	}
	return s
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
