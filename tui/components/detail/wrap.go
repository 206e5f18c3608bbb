package detail

import (
	"strings"

	"github.com/charmbracelet/x/ansi"
)

// wrap fits every line of s into w columns: at word boundaries for
// prose, at exactly w for a payload, whose spacing is part of what it
// shows. A style that a wrapped line leaves open is closed at its end and
// reopened on the next line, so the viewport can show any single line
// without the colour bleeding into whatever is drawn after it.
func wrap(s string, w int, words bool) string {
	if w <= 0 {
		return s
	}
	lines := strings.Split(s, "\n")
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for i, line := range lines {
		if i > 0 {
			b.WriteByte('\n')
		}
		if ansi.StringWidth(line) <= w {
			b.WriteString(line)
			continue
		}
		carry := ""
		wrapped := ansi.Hardwrap(line, w, true)
		if words {
			wrapped = ansi.Wrap(line, w, "")
		}
		for j, part := range strings.Split(wrapped, "\n") {
			if j > 0 {
				b.WriteByte('\n')
			}
			part = carry + part
			b.WriteString(part)
			if carry = openSGR(part); carry != "" {
				b.WriteString(ansi.ResetStyle)
			}
		}
	}
	return b.String()
}

// openSGR returns the last SGR sequence in s unless it is a reset: the
// style still in force at the end of s.
func openSGR(s string) string {
	i := strings.LastIndex(s, "\x1b[")
	if i < 0 {
		return ""
	}
	j := strings.IndexByte(s[i:], 'm')
	if j < 0 {
		return ""
	}
	seq := s[i : i+j+1]
	if seq == "\x1b[0m" || seq == "\x1b[m" {
		return ""
	}
	return seq
}
