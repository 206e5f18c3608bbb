package payload

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// The scanners below walk JSON that validJSON has already accepted. That
// precondition is what lets them be tiny and branch-light: they never have
// to report a syntax error, only find where things start and end, so a
// caller can pick a few fields out of a body without decoding the rest.

var bom = []byte("\xef\xbb\xbf")

// cutBOM drops a leading UTF-8 byte order mark. Senders on some platforms
// emit one; encoding/json rejects it, but the body is still JSON to a human.
func cutBOM(b []byte) ([]byte, bool) {
	if bytes.HasPrefix(b, bom) {
		return b[len(bom):], true
	}
	return b, false
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// skipString returns the index just past the string starting at b[i] == '"'.
func skipString(b []byte, i int) int {
	i++
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return len(b) // unreachable for valid JSON
		}
		i += j
		// The quote is escaped only if an odd number of backslashes precede it.
		n := 0
		for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
			n++
		}
		i++
		if n%2 == 0 {
			return i
		}
	}
}

// skipValue returns the index just past the value starting at b[i].
func skipValue(b []byte, i int) int {
	switch b[i] {
	case '"':
		return skipString(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				i = skipString(b, i)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1
				}
			}
			i++
		}
		return i
	default: // number, true, false, null
		for i < len(b) {
			switch b[i] {
			case ',', '}', ']', ' ', '\n', '\r', '\t':
				return i
			}
			i++
		}
		return i
	}
}

// iter walks the members of one object or the elements of one array.
// Offsets rather than slices are returned so Set can splice at them.
type iter struct {
	b    []byte
	i    int  // next read position
	obj  bool // object (members) or array (elements)
	last int  // end of the last value seen, or just past the opening bracket
}

// open starts iterating the container whose opening bracket is at b[i].
func open(b []byte, i int) iter {
	return iter{b: b, i: i + 1, obj: b[i] == '{', last: i + 1}
}

// next advances to the next member (key is the raw quoted key, empty for
// arrays) and reports the value's span. At the end, it.i is the index of
// the closing bracket.
func (it *iter) next() (keyStart, keyEnd, valStart, valEnd int, ok bool) {
	b := it.b
	i := skipSpace(b, it.i)
	if b[i] == ',' {
		i = skipSpace(b, i+1)
	}
	if b[i] == '}' || b[i] == ']' {
		it.i = i
		return 0, 0, 0, 0, false
	}
	if it.obj {
		keyStart = i
		i = skipString(b, i)
		keyEnd = i
		i = skipSpace(b, i) + 1 // ':'
		i = skipSpace(b, i)
	}
	valStart = i
	i = skipValue(b, i)
	it.i, it.last = i, i
	return keyStart, keyEnd, valStart, i, true
}

// keyName returns the decoded name of a raw quoted key, allocating only
// for the rare key written with escapes or invalid UTF-8 (which becomes
// U+FFFD, as encoding/json has it, so a key matches here exactly when it
// matches for a Go receiver). Compare it with string(name) so the
// comparison itself does not allocate.
func keyName(raw []byte) []byte {
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return inner
	}
	var k string
	if json.Unmarshal(raw, &k) != nil {
		return nil
	}
	return []byte(k)
}

// stringValue decodes a raw JSON value if it is a string. It agrees with
// encoding/json (escapes, invalid UTF-8 becoming U+FFFD) so a field read
// here matches what a Go receiver of the same body would see.
func stringValue(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	if bytes.IndexByte(inner, '\\') < 0 && utf8.Valid(inner) {
		return string(inner), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}
