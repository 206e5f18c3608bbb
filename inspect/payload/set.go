package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ErrNotJSON is returned by Set for a body that is not valid JSON.
var ErrNotJSON = errors.New("body is not valid JSON")

// Set returns body with the value at a dotted path replaced: "data.status",
// "data.tags.0" (array index). Missing object keys are created, appended
// after the object's last member. value is used as JSON when it is valid
// JSON (42, true, null, {"a":1}, "quoted"), otherwise as a string.
//
// The edit is a splice into the original bytes, not a decode/encode round
// trip: key order, duplicate keys, string escapes and the text of numbers
// (12345678901234567890, 1.0000000000000001) outside the edited value all
// survive. Where the input spans several lines it is re-indented, with the
// indent unit of its first indented line (two spaces if there is none), so
// the edit sits in place; single-line input keeps its own spacing and the
// new value is compacted. A leading BOM is kept.
//
// With duplicate keys, the last occurrence is edited, since that is the
// one encoding/json and JavaScript receivers read. Keys containing dots
// cannot be addressed.
func Set(body []byte, path, value string) ([]byte, error) {
	segs, err := splitPath(path)
	if err != nil {
		return nil, err
	}
	doc, hasBOM := cutBOM(body)
	if !json.Valid(doc) {
		return nil, ErrNotJSON
	}
	val, err := encodeValue(value)
	if err != nil {
		return nil, err
	}
	start, end, repl, err := locate(doc, segs, val)
	if err != nil {
		return nil, fmt.Errorf("path %q: %w", path, err)
	}

	out := make([]byte, 0, len(body)+len(repl))
	out = append(out, doc[:start]...)
	out = append(out, repl...)
	out = append(out, doc[end:]...)

	if multiline(doc) {
		var buf bytes.Buffer
		buf.Grow(len(out) + len(out)/4 + len(bom))
		if hasBOM {
			buf.Write(bom)
		}
		if err := json.Indent(&buf, out, "", indentUnit(doc)); err != nil {
			return nil, fmt.Errorf("re-indenting edited body: %w", err) // unreachable: splice of valid parts
		}
		return buf.Bytes(), nil
	}
	if hasBOM {
		out = append(bom[:len(bom):len(bom)], out...)
	}
	return out, nil
}

// locate finds where the new value goes: the span [start, end) of doc to
// replace and what to put there (val itself, or a new member wrapping it).
func locate(doc []byte, segs []string, val []byte) (start, end int, repl []byte, err error) {
	i := skipSpace(doc, 0)
	for n, seg := range segs {
		switch doc[i] {
		case '{':
			it := open(doc, i)
			found := -1
			for {
				ks, ke, vs, _, ok := it.next()
				if !ok {
					break
				}
				if string(keyName(doc[ks:ke])) == seg {
					found = vs
				}
			}
			if found < 0 {
				m := newMember(it.last > i+1, segs[n:], val)
				return it.last, it.last, m, nil
			}
			i = found
		case '[':
			idx, ok := parseIndex(seg)
			if !ok {
				return 0, 0, nil, fmt.Errorf("%s is an array and %q is not an index", where(segs, n), seg)
			}
			it := open(doc, i)
			count, found := 0, -1
			for {
				_, _, vs, _, ok := it.next()
				if !ok {
					break
				}
				if count == idx {
					found = vs
					break
				}
				count++
			}
			if found < 0 {
				return 0, 0, nil, fmt.Errorf("index %d out of range: %s has %d elements", idx, where(segs, n), count)
			}
			i = found
		default:
			return 0, 0, nil, fmt.Errorf("%s is %s, not an object or array", where(segs, n), typeOf(doc[i]))
		}
	}
	return i, skipValue(doc, i), val, nil
}

// newMember builds `"a":{"b":val}` for the missing keys segs, with a
// leading comma when the object already has members.
func newMember(comma bool, segs []string, val []byte) []byte {
	var b []byte
	if comma {
		b = append(b, ',')
	}
	for k, seg := range segs {
		if k > 0 {
			b = append(b, '{')
		}
		b = appendString(b, seg)
		b = append(b, ':')
	}
	b = append(b, val...)
	for range len(segs) - 1 {
		b = append(b, '}')
	}
	return b
}

// encodeValue turns the user's text into the JSON to insert, compacted so
// it matches a single-line body (a multi-line body is re-indented anyway).
func encodeValue(value string) ([]byte, error) {
	if json.Valid([]byte(value)) {
		var buf bytes.Buffer
		if err := json.Compact(&buf, []byte(value)); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	}
	return appendString(nil, value), nil
}

// appendString appends s as a JSON string without the HTML escaping
// (<, >, & as \u003c…) json.Marshal applies, which would only obscure the
// value in the replayed body.
func appendString(b []byte, s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return append(b, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

func parseIndex(seg string) (int, bool) {
	for i := 0; i < len(seg); i++ {
		if !isDigit(seg[i]) {
			return 0, false
		}
	}
	n, err := strconv.Atoi(seg)
	return n, err == nil
}

// where names the value reached after segs[:n], for error messages.
func where(segs []string, n int) string {
	if n == 0 {
		return "the top-level value"
	}
	return strconv.Quote(strings.Join(segs[:n], "."))
}

func typeOf(c byte) string {
	switch c {
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

// multiline reports whether the body's own text spans lines; surrounding
// whitespace (a trailing newline) does not count.
func multiline(doc []byte) bool {
	return bytes.IndexByte(bytes.TrimSpace(doc), '\n') >= 0
}

// indentUnit guesses the body's indent from its first indented line, which
// in printer output is one level deep.
func indentUnit(doc []byte) string {
	doc = bytes.TrimSpace(doc)
	nl := bytes.IndexByte(doc, '\n')
	if nl < 0 {
		return "  "
	}
	rest := doc[nl+1:]
	n := 0
	for n < len(rest) && (rest[n] == ' ' || rest[n] == '\t') {
		n++
	}
	if n == 0 {
		return "  "
	}
	return string(rest[:n])
}

func splitPath(path string) ([]string, error) {
	if path == "" {
		return nil, errors.New("empty path")
	}
	// Keys are matched as decoded text, which is always valid UTF-8; a path
	// that is not could never match and would be rewritten on creation.
	if !utf8.ValidString(path) {
		return nil, fmt.Errorf("path %q: not valid UTF-8", path)
	}
	segs := strings.Split(path, ".")
	for n, seg := range segs {
		if seg == "" {
			return nil, fmt.Errorf("path %q: segment %d is empty", path, n+1)
		}
	}
	return segs, nil
}

// ParseAssignment splits a PATH=VALUE argument such as
// "data.status=failed" at its first '='; the value may itself contain '='
// and may be empty. The path is checked as Set would check it.
func ParseAssignment(s string) (path, value string, err error) {
	path, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", fmt.Errorf("%q: missing \"=\" (want PATH=VALUE, e.g. data.status=failed)", s)
	}
	if path == "" {
		return "", "", fmt.Errorf("%q: empty path before \"=\" (want PATH=VALUE, e.g. data.status=failed)", s)
	}
	if _, err := splitPath(path); err != nil {
		return "", "", err
	}
	return path, value, nil
}
