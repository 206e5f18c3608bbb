package tui

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/hookscope/hookscope/inspect"
)

// curlCommand is a shell command that sends rec again, byte for byte, to
// url: every header as received (the signature header included) except
// those curl or the connection sets, and the body through --data-binary.
// It is pasted into a shell, so nothing in it may be a raw control
// character: bytes that would be are written as escapes instead.
func curlCommand(rec *inspect.Record, url string) string {
	parts := []string{"curl", "-sS", "-X", shellQuote(rec.Method), shellQuote(url)}
	for _, h := range rec.Headers {
		if skipInCurl[strings.ToLower(h.Name)] {
			continue
		}
		parts = append(parts, "-H", shellQuote(h.Name+": "+h.Value))
	}
	switch {
	case len(rec.Body) == 0:
	case bytes.IndexByte(rec.Body, 0) >= 0:
		// A shell argument cannot hold NUL: pipe the bytes from printf.
		parts = append(parts, "--data-binary", "@-")
		return "printf " + printfOctal(rec.Body) + " | " + strings.Join(parts, " ")
	default:
		parts = append(parts, "--data-binary", shellQuote(string(rec.Body)))
	}
	return strings.Join(parts, " ")
}

// skipInCurl are headers curl writes itself or that describe the hop, not
// the webhook.
var skipInCurl = map[string]bool{
	"host": true, "content-length": true, "connection": true, "transfer-encoding": true,
	"accept-encoding": true, "keep-alive": true, "te": true, "trailer": true, "upgrade": true,
	"expect": true, "proxy-connection": true, "x-forwarded-for": true, "x-forwarded-proto": true,
	"x-forwarded-host": true,
}

// shellQuote quotes s for POSIX shells: bare when it is plainly safe,
// single-quoted when it is printable, and $'…' (bash, zsh, ksh) with
// escapes when it holds control characters or invalid UTF-8.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:,=+@%", r))
	}) < 0 {
		return s
	}
	if printable(s) {
		return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
	}
	var b strings.Builder
	b.WriteString("$'")
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\'' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(s[i])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == utf8.RuneError && n == 1, r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f, bidi(r):
			for _, c := range []byte(s[i : i+n]) {
				b.WriteString(`\x`)
				b.WriteString(hex2(c))
			}
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	b.WriteString("'")
	return b.String()
}

// printable: valid UTF-8 with no control characters other than newline
// and tab, and no bidi controls that would make the command read
// differently from what it runs.
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\t') || r == 0x7f || (r >= 0x80 && r <= 0x9f) || bidi(r) {
			return false
		}
	}
	return true
}

func bidi(r rune) bool { return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 }

// printfOctal is a single-quoted printf format that prints b exactly:
// octal escapes are POSIX, unlike \x.
func printfOctal(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('\'')
	for _, c := range b {
		switch {
		case c == '%':
			sb.WriteString("%%")
		case c == '\\':
			sb.WriteString(`\\`)
		case c == '\'':
			sb.WriteString(`'\''`)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			o := strconv.FormatInt(int64(c), 8)
			sb.WriteString(`\` + strings.Repeat("0", 3-len(o)) + o)
		}
	}
	sb.WriteByte('\'')
	return sb.String()
}

func hex2(c byte) string {
	const digits = "0123456789abcdef"
	return string([]byte{digits[c>>4], digits[c&0xf]})
}
