package payload

import "strings"

// Palette styles each kind of JSON token. Each func receives the token's
// text and returns it decorated (typically lipgloss Style.Render); a nil
// func leaves that kind plain.
type Palette struct {
	Key, String, Number, Bool, Null, Punct func(string) string
}

// Highlight colours pretty-printed JSON (Pretty's output) for the TUI. The
// input is sanitised first, so the only escape sequences in the result are
// the ones the palette adds. No styled token spans a line break, which lets
// the caller cut the result into lines for scrolling without splitting a
// style. Text that is not JSON passes through lexed loosely but unharmed;
// only highlight bodies whose Kind is JSON.
func Highlight(pretty string, st Palette) string {
	s := Sanitize(pretty)
	var b strings.Builder
	b.Grow(len(s) * 2)
	emit := func(style func(string) string, tok string) {
		if style == nil {
			b.WriteString(tok)
		} else {
			b.WriteString(style(tok))
		}
	}
	for i := 0; i < len(s); {
		c := s[i]
		j := i + 1
		switch {
		case c == '"':
			j = stringEnd(s, i)
			k := j
			for k < len(s) && (s[k] == ' ' || s[k] == '\t') {
				k++
			}
			if k < len(s) && s[k] == ':' {
				emit(st.Key, s[i:j])
			} else {
				emit(st.String, s[i:j])
			}
		case isPunct(c):
			for j < len(s) && isPunct(s[j]) {
				j++
			}
			emit(st.Punct, s[i:j])
		case c == '-' || isDigit(c):
			for j < len(s) && (isDigit(s[j]) || strings.IndexByte(".eE+-", s[j]) >= 0) {
				j++
			}
			emit(st.Number, s[i:j])
		case isSpaceOrNL(c):
			for j < len(s) && isSpaceOrNL(s[j]) {
				j++
			}
			b.WriteString(s[i:j])
		default:
			// A bare word: a literal, or stray text when the input is not JSON.
			for j < len(s) && !isPunct(s[j]) && !isSpaceOrNL(s[j]) && s[j] != '"' {
				j++
			}
			switch w := s[i:j]; w {
			case "true", "false":
				emit(st.Bool, w)
			case "null":
				emit(st.Null, w)
			default:
				b.WriteString(w)
			}
		}
		i = j
	}
	return b.String()
}

// stringEnd returns the index just past the string opening at s[i]. It
// stops at a newline too, so a stray quote in non-JSON text cannot drag a
// style across lines.
func stringEnd(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		switch s[j] {
		case '\\':
			if j+1 < len(s) && s[j+1] != '\n' {
				j++
			}
		case '"':
			return j + 1
		case '\n':
			return j
		}
	}
	return len(s)
}

func isPunct(c byte) bool {
	switch c {
	case '{', '}', '[', ']', ',', ':':
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpaceOrNL(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }
