package wire

import (
	"bytes"
	"net/http"
	"sync"
)

// MaxHeaderBytes is the header block a capture server accepts, nginx's
// default: webhooks carry a few KiB, and every byte of an unfinished block
// is held twice (net/http's and the order tracker's) for as long as the
// sender dawdles, on every connection an attacker opens.
const MaxHeaderBytes = 32 << 10

const (
	// maxBlock is MaxHeaderBytes plus the 4 KiB of read slack net/http
	// allows, plus margin. Past it the server answers 431 (unless it was
	// configured with a larger limit, in which case we fall back).
	maxBlock = MaxHeaderBytes + 8<<10
	// maxChunkLine mirrors net/http's limit on a chunk-size line (its bufio
	// buffer): longer lines are an error there, so we stop too.
	maxChunkLine = 4096 + 2
	// maxTrailer is far above net/http's own limit (it must see the whole
	// trailer in its 4 KiB buffer); it only bounds our counting.
	maxTrailer = 64 << 10
	// keepHdrCap: a header buffer grown beyond this is released rather than
	// kept for the next request, so one huge request does not pin memory.
	keepHdrCap = 16 << 10

	// readAheadSlack bounds how far net/http can have read past what it has
	// parsed (its bufio.Reader holds 4 KiB, plus one byte of background
	// read). A block ending more than this before the read position has
	// certainly been parsed by the server, so every older unclaimed block
	// belongs to a request whose handler has already returned.
	readAheadSlack = 64 << 10
	// maxQueued and maxQueueBytes are a backstop for handlers that never call
	// Headers; the read-ahead window cannot hold more unparsed requests than
	// this, so dropping the oldest cannot drop one still being served.
	maxQueued     = 1024
	maxQueueBytes = 2 << 20
)

type state uint8

const (
	stHeader    state = iota // accumulating a header block
	stBody                   // skipping remain bytes of a Content-Length body
	stChunkSize              // reading a chunk-size line
	stChunkData              // skipping remain bytes of chunk data
	stChunkCRLF              // expecting the CRLF after chunk data
	stTrailer                // skipping the trailer section up to its blank line
	stDead                   // gave up; the server will close or we cannot follow
)

// tracker mirrors net/http's HTTP/1.x framing over the bytes one connection
// delivers, keeping only header blocks, never bodies.
type tracker struct {
	mu sync.Mutex

	st     state
	off    int64  // stream offset of the next byte to parse
	inBlk  bool   // the current header block has started (leading CR/LF skipped)
	nl     uint8  // blank-line detector: 0 mid-line, 1 at line start, 2 line start after CR
	hdr    []byte // header block bytes carried across Reads
	line   []byte // chunk-size line bytes carried across Reads
	remain uint64 // body or chunk-data bytes left to skip
	crlf   uint8  // bytes of the post-chunk CRLF seen
	tlen   int    // trailer bytes seen

	q      []*block // completed blocks not yet claimed, oldest first
	qBytes int

	// cur is the block last handed out, so that Headers, Ambiguous and
	// RequestLine called for the same request agree without popping again.
	cur    *block
	curReq *http.Request
	curHdr http.Header

	desync bool // a request did not match its block: trust nothing
	peak   int  // high-water mark of buffered(), for tests
}

// feed advances the state machine over bytes the server has just read.
func (t *tracker) feed(p []byte) {
	t.mu.Lock()
	for len(p) > 0 && t.st != stDead {
		var n int
		switch t.st {
		case stHeader:
			n = t.feedHeader(p)
		case stBody, stChunkData:
			n = len(p)
			if uint64(n) > t.remain {
				n = int(t.remain)
			}
			t.remain -= uint64(n)
			if t.remain == 0 {
				if t.st == stBody {
					t.st = stHeader
				} else {
					t.st, t.crlf = stChunkCRLF, 0
				}
			}
		case stChunkSize:
			n = t.feedChunkSize(p)
		case stChunkCRLF:
			for n < len(p) && t.crlf < 2 {
				if p[n] != "\r\n"[t.crlf] {
					// net/http: "malformed chunked encoding".
					t.stop()
					break
				}
				t.crlf++
				n++
			}
			if t.crlf == 2 {
				t.st = stChunkSize
			}
		case stTrailer:
			e := blankLine(p, &t.nl)
			n = e
			if e < 0 {
				n = len(p)
			}
			t.tlen += n
			if t.tlen > maxTrailer {
				t.stop()
			} else if e >= 0 {
				t.st, t.inBlk = stHeader, false
			}
		}
		t.off += int64(n)
		p = p[n:]
	}
	t.off += int64(len(p)) // bytes after we stopped still advance the stream
	if b := t.buffered(); b > t.peak {
		t.peak = b
	}
	t.mu.Unlock()
}

func (t *tracker) feedHeader(p []byte) int {
	start := 0
	if !t.inBlk {
		// Go discards up to 4 CR/LF after a POST and rejects them otherwise
		// (closing the conn), so skipping any number never misleads us.
		for start < len(p) && (p[start] == '\r' || p[start] == '\n') {
			start++
		}
		if start == len(p) {
			return start
		}
		if !isTokenByte(p[start]) {
			// Not a method: TLS, HTTP/2 frames after a hijack, garbage.
			t.stop()
			return len(p)
		}
		t.inBlk, t.nl = true, 0
	}
	e := blankLine(p[start:], &t.nl)
	if e < 0 {
		if len(t.hdr)+len(p)-start > maxBlock {
			t.stop()
			return len(p)
		}
		t.hdr = appendCapped(t.hdr, p[start:], maxBlock)
		return len(p)
	}
	e += start
	if len(t.hdr)+e-start > maxBlock {
		t.stop()
		return e
	}
	var raw string
	if len(t.hdr) == 0 {
		raw = string(p[start:e]) // common case: whole block in one Read, one copy
	} else {
		t.hdr = appendCapped(t.hdr, p[start:e], maxBlock)
		raw = string(t.hdr)
		t.hdr = t.hdr[:0]
		if cap(t.hdr) > keepHdrCap {
			t.hdr = nil
		}
	}
	t.inBlk = false
	t.complete(raw, t.off+int64(e))
	return e
}

// complete decides the body framing of a finished header block the way
// net/http's readTransfer/fixLength do.
func (t *tracker) complete(raw string, end int64) {
	b, fr, n := parseBlock(raw)
	b.end = end
	switch fr {
	case frameReject:
		// net/http answers 4xx/5xx and closes without calling a handler.
		t.stop()
		return
	case frameH2:
		// "PRI * HTTP/2.0" reaches a handler, but what follows is not
		// HTTP/1.x and the server closes afterwards unless hijacked.
		t.enqueue(b)
		t.stop()
		return
	case frameNone:
		t.st = stHeader
	case frameLength:
		t.st, t.remain = stBody, n
	case frameChunked:
		t.st = stChunkSize
	}
	t.enqueue(b)
}

func (t *tracker) feedChunkSize(p []byte) int {
	j := bytes.IndexByte(p, '\n')
	if j < 0 {
		if len(t.line)+len(p) > maxChunkLine {
			t.stop()
			return len(p)
		}
		t.line = appendCapped(t.line, p, maxChunkLine)
		return len(p)
	}
	line := p[:j+1]
	if len(t.line) > 0 {
		if len(t.line)+len(line) > maxChunkLine {
			t.stop()
			return j + 1
		}
		t.line = appendCapped(t.line, line, maxChunkLine)
		line = t.line
	}
	size, ok := parseChunkLine(line)
	t.line = t.line[:0]
	switch {
	case !ok:
		t.stop()
	case size == 0:
		// Trailer section starts at a line start; a bare CRLF ends it.
		t.st, t.nl, t.tlen = stTrailer, 1, 0
	default:
		t.st, t.remain = stChunkData, size
	}
	return j + 1
}

// parseChunkLine mirrors net/http/internal's chunked reader: CRLF required
// (no bare LF, no other CR), trailing OWS trimmed, extensions after ';'
// ignored, 1 to 16 hex digits.
func parseChunkLine(line []byte) (uint64, bool) {
	if len(line) < 2 || bytes.IndexByte(line, '\r') != len(line)-2 {
		return 0, false
	}
	line = line[:len(line)-2]
	if len(line) >= 4096 {
		return 0, false
	}
	for len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t') {
		line = line[:len(line)-1]
	}
	if i := bytes.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	if len(line) == 0 || len(line) > 16 {
		return 0, false
	}
	var n uint64
	for _, c := range line {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		n = n<<4 | uint64(c)
	}
	return n, true
}

// blankLine returns the index just past the first empty line in p (a line
// that is "" once its LF or CRLF is stripped, as textproto sees it), or -1.
// *nl carries whether the previous call ended at a line start, so a
// terminator split across Reads is still found.
func blankLine(p []byte, nl *uint8) int {
	s := *nl
	i := 0
	for i < len(p) {
		switch s {
		case 1:
			switch p[i] {
			case '\n':
				*nl = 0
				return i + 1
			case '\r':
				s = 2
				i++
				continue
			}
			s = 0
		case 2:
			if p[i] == '\n' {
				*nl = 0
				return i + 1
			}
			s = 0
		}
		j := bytes.IndexByte(p[i:], '\n')
		if j < 0 {
			break
		}
		i += j + 1
		s = 1
	}
	*nl = s
	return -1
}

func (t *tracker) enqueue(b *block) {
	t.q = append(t.q, b)
	t.qBytes += len(b.raw)
	t.prune(b.end)
	for len(t.q) > 1 && (len(t.q) > maxQueued || t.qBytes > maxQueueBytes) {
		t.drop(1)
	}
}

// prune drops blocks whose successor has certainly been parsed by the server
// by stream position pos (see readAheadSlack): their handlers are done.
func (t *tracker) prune(pos int64) {
	k := 0
	for k+1 < len(t.q) && t.q[k+1].end+readAheadSlack <= pos {
		k++
	}
	if k > 0 {
		t.drop(k)
	}
}

// drop removes the k oldest queued blocks.
func (t *tracker) drop(k int) {
	for _, b := range t.q[:k] {
		t.qBytes -= len(b.raw)
	}
	n := copy(t.q, t.q[k:])
	clear(t.q[n:])
	t.q = t.q[:n]
}

// stop ends parsing; already queued blocks stay claimable. Later requests
// will not find their block and desync the tracker.
func (t *tracker) stop() {
	t.st = stDead
	t.hdr, t.line = nil, nil
}

func (t *tracker) markDesync() {
	t.stop()
	t.desync = true
	t.q, t.qBytes = nil, 0
	t.cur, t.curReq, t.curHdr = nil, nil, nil
}

// buffered is the memory held for this connection, in bytes.
func (t *tracker) buffered() int {
	n := cap(t.hdr) + cap(t.line) + t.qBytes
	if t.cur != nil {
		n += len(t.cur.raw)
	}
	return n
}

// appendCapped is append whose growth never exceeds limit, so a buffer at its
// cap costs limit bytes, not the 1.25-2x that append would reserve.
func appendCapped(dst, src []byte, limit int) []byte {
	if need := len(dst) + len(src); need > cap(dst) {
		c := min(max(2*cap(dst), need, 64), max(limit, need))
		dst = append(make([]byte, 0, c), dst...)
	}
	return append(dst, src...)
}

// isTokenByte reports whether c may appear in an RFC 9110 token (a method).
func isTokenByte(c byte) bool {
	return c < 0x80 && tokenTable[c]
}

var tokenTable = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
		t[c-'a'+'A'] = true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()
