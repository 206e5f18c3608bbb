package payload

import (
	"strings"
	"unicode/utf8"
)

// Everything shown to a human here came off the network, and a terminal
// obeys what it is sent: ESC and C1 introduce sequences that can recolour,
// retitle, move the cursor or write the clipboard (OSC 52), CR overwrites a
// line, and bidi overrides make text read differently from its bytes. The
// sanitisers render every such character as a visible escape instead, so
// the operator sees that it was there without it acting.
//
// Tab is kept by Sanitize: it is harmless to a terminal and common in
// text bodies, and expanding it would be a layout decision that belongs to
// whoever knows the column width. SanitizeLine escapes it with \n and \r,
// because a single-line field must stay on one line.
//
// The escapes (\x1b, \u202e, \r) are for reading, not for reversing: a body
// that literally contains the text `\x1b` prints the same way. Pretty JSON
// is the exception worth making: there every escape it can need is one
// JSON itself has (\u007f, \u009b, \u202e), so what is shown stays valid
// JSON meaning the same as the body, except where the body has invalid
// UTF-8, which no JSON escape can express.

// mode picks how much is escaped, and how.
type mode uint8

const (
	multiLine  mode = iota // keep \n and \t
	singleLine             // escape \n and \t too
	jsonText               // as multiLine, ASCII controls written \u00XX
)

// Sanitize makes s safe to print to a terminal, keeping newlines and tabs.
// A string that needs no escaping is returned as is, without allocating.
func Sanitize(s string) string { return sanitize(s, multiLine) }

// SanitizeLine is Sanitize for a field that must stay on one line (a path,
// a header value): it also escapes \n, \r and \t.
func SanitizeLine(s string) string { return sanitize(s, singleLine) }

// SanitizeBytes is Sanitize for raw bytes such as a request body.
func SanitizeBytes(b []byte) string { return sanitize(string(b), multiLine) }

func sanitize(s string, m mode) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if !asciiSafe(c, m) {
				return escapeFrom(s, i, m)
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !runeSafe(r, n) {
			return escapeFrom(s, i, m)
		}
		i += n
	}
	return s
}

func asciiSafe(c byte, m mode) bool {
	if c >= 0x20 {
		return c != 0x7f
	}
	return m != singleLine && (c == '\n' || c == '\t')
}

// runeSafe judges a non-ASCII rune as decoded from n bytes.
func runeSafe(r rune, n int) bool {
	switch {
	case r == utf8.RuneError && n == 1: // invalid byte, not a real U+FFFD
		return false
	case r >= 0x80 && r <= 0x9f: // C1 controls, CSI (U+009B) among them
		return false
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi embeddings, overrides, isolates
		return false
	case r == 0x200e, r == 0x200f, r == 0x061c: // LRM, RLM, ALM: reorder neutral characters around them
		return false
	}
	return true
}

const hexDigits = "0123456789abcdef"

// escapeFrom builds the escaped form of s, whose first i bytes are safe.
func escapeFrom(s string, i int, m mode) string {
	var b strings.Builder
	b.Grow(len(s) + 16)
	b.WriteString(s[:i])
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case asciiSafe(c, m):
				b.WriteByte(c)
			case m == jsonText:
				writeU(&b, rune(c))
			case c == '\n':
				b.WriteString(`\n`)
			case c == '\r':
				b.WriteString(`\r`)
			case c == '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\x`)
				b.WriteByte(hexDigits[c>>4])
				b.WriteByte(hexDigits[c&0xf])
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case runeSafe(r, n):
			b.WriteString(s[i : i+n])
		case n == 1:
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&0xf])
		default:
			writeU(&b, r)
		}
		i += n
	}
	return b.String()
}

// writeU writes r, which is below U+10000, as \uXXXX.
func writeU(b *strings.Builder, r rune) {
	b.WriteString(`\u`)
	for shift := 12; shift >= 0; shift -= 4 {
		b.WriteByte(hexDigits[(r>>shift)&0xf])
	}
}
