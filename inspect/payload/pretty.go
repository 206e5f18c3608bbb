package payload

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
)

// MaxDump is how much of a binary body Pretty shows. A hex dump is about
// five times the size of its input, and past the first screens nobody reads
// it; the full body is still available to export.
const MaxDump = 64 << 10

// Pretty renders body for reading, always safe to print to a terminal:
// JSON indented by two spaces (json.Indent keeps key order and the exact
// text of numbers, which a decode/encode round trip would not) with unsafe
// characters in strings shown as JSON \u escapes, text sanitised, binary as
// a hex dump of at most MaxDump bytes. An empty body renders as "".
func Pretty(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	doc, _ := cutBOM(body)
	var buf bytes.Buffer
	buf.Grow(len(doc) + len(doc)/2)
	// json.Indent validates as it goes, so a separate json.Valid pass is
	// not needed to tell JSON from the rest.
	if mayBeJSON(doc) {
		if indentFits(doc) {
			if json.Indent(&buf, doc, "", "  ") == nil {
				// Indent copies trailing whitespace verbatim, including CR.
				return sanitize(strings.TrimRight(buf.String(), " \t\r\n"), jsonText)
			}
		} else if json.Compact(&buf, doc) == nil {
			// Nested so deep that indenting would multiply its size: shown
			// compact, still the same JSON.
			return sanitize(buf.String(), jsonText)
		}
	}
	if textOrBinary(body) == Text {
		return SanitizeBytes(body)
	}
	return hexDump(body)
}

// indentFits reports whether indenting doc stays within eight times its
// size plus 1 MiB. Every line break Indent adds is indented to its depth, so
// output grows with the square of the nesting: 20 KB of nested brackets from
// a hostile sender would become 190 MB, and a 1 MB body exhausts memory.
func indentFits(doc []byte) bool {
	limit := 8*len(doc) + 1<<20
	size, depth := 0, 0
	for i := 0; i < len(doc) && size <= limit; i++ {
		switch doc[i] {
		case '"':
			j := skipString(doc, i)
			size += j - i
			i = j - 1
		case '{', '[':
			depth++
			size += 2 + 2*depth // bracket, line break, indent of the first member
		case ',':
			size += 2 + 2*depth
		case '}', ']':
			if depth > 0 {
				depth--
			}
			size += 2 + 2*depth
		case ':':
			size += 2
		case ' ', '\t', '\r', '\n':
		default:
			size++
		}
	}
	return size <= limit
}

// hexDump renders b in the `hexdump -C` layout of encoding/hex, whose ASCII
// column prints only 0x20–0x7e and so needs no sanitising.
func hexDump(b []byte) string {
	n := min(len(b), MaxDump)
	var sb strings.Builder
	sb.Grow((n+15)/16*79 + 32)
	d := hex.Dumper(&sb)
	d.Write(b[:n])
	d.Close()
	out := strings.TrimSuffix(sb.String(), "\n")
	if rest := len(b) - n; rest > 0 {
		out += "\n… " + strconv.Itoa(rest) + " more bytes"
	}
	return out
}
