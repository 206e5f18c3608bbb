package payload_test

import (
	"testing"

	"github.com/hookscope/hookscope/inspect/payload"
)

func TestSanitize(t *testing.T) {
	tests := []struct {
		name, in, want, line string // line: SanitizeLine's answer
	}{
		{"empty", "", "", ""},
		{"plain ASCII", "POST /hooks/videonest ok", "POST /hooks/videonest ok", "POST /hooks/videonest ok"},
		{"unicode untouched", "héllo 日本語 😀 \ufffd", "héllo 日本語 😀 \ufffd", "héllo 日本語 😀 \ufffd"},
		{"newline and tab", "a\tb\nc", "a\tb\nc", `a\tb\nc`},
		{"CR", "line\r\n", "line\\r\n", `line\r\n`},
		{"SGR colour", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`, `\x1b[31mred\x1b[0m`},
		{"OSC 52 clipboard write", "\x1b]52;c;cm0gLXJmIH4=\x07", `\x1b]52;c;cm0gLXJmIH4=\x07`, `\x1b]52;c;cm0gLXJmIH4=\x07`},
		{"OSC title with ST", "\x1b]0;pwned\x1b\\", `\x1b]0;pwned\x1b\`, `\x1b]0;pwned\x1b\`},
		{"C1 CSI as a raw byte", "\x9b2J", `\x9b2J`, `\x9b2J`},
		{"C1 CSI as a rune", "\u009b2J", `\u009b2J`, `\u009b2J`},
		{"C1 range ends", "\u0080\u009f\u00a0", `\u0080\u009f` + "\u00a0", `\u0080\u009f` + "\u00a0"},
		{"NUL BEL BS DEL", "\x00\x07\x08\x7f", `\x00\x07\x08\x7f`, `\x00\x07\x08\x7f`},
		{"bidi overrides (Trojan Source)", "admin\u202e\u2066txt.exe\u2069\u202c", `admin\u202e\u2066txt.exe\u2069\u202c`, `admin\u202e\u2066txt.exe\u2069\u202c`},
		{"bidi marks LRM RLM ALM", "a\u200eb\u200fc\u061cd", `a\u200eb\u200fc\u061cd`, `a\u200eb\u200fc\u061cd`},
		{"bidi neighbours kept", "\u2029\u202f\u2065\u206a", "\u2029\u202f\u2065\u206a", "\u2029\u202f\u2065\u206a"},
		{"invalid UTF-8", "a\xffb\xc3", `a\xffb\xc3`, `a\xffb\xc3`},
		{"encoded surrogate is invalid", "\xed\xa0\x80", `\xed\xa0\x80`, `\xed\xa0\x80`},
		{"truncated rune before ASCII", "\xe2\x80x", `\xe2\x80x`, `\xe2\x80x`},
		{"dirty after clean unicode", "é\x1b", `é\x1b`, `é\x1b`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := payload.Sanitize(tt.in); got != tt.want {
				t.Errorf("Sanitize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := payload.SanitizeBytes([]byte(tt.in)); got != tt.want {
				t.Errorf("SanitizeBytes(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got := payload.SanitizeLine(tt.in); got != tt.line {
				t.Errorf("SanitizeLine(%q) = %q, want %q", tt.in, got, tt.line)
			}
		})
	}
}

func TestSanitizeCleanDoesNotAllocate(t *testing.T) {
	s := "POST /hooks/videonest?x=1 — héllo 日本語\n\tok"
	if n := testing.AllocsPerRun(100, func() { _ = payload.Sanitize(s) }); n != 0 {
		t.Errorf("Sanitize of clean input: %v allocs, want 0", n)
	}
	line := "application/json; charset=utf-8"
	if n := testing.AllocsPerRun(100, func() { _ = payload.SanitizeLine(line) }); n != 0 {
		t.Errorf("SanitizeLine of clean input: %v allocs, want 0", n)
	}
}

func TestEscapeJSONText(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"a":"plain é 日本"}`, `{"a":"plain é 日本"}`},
		{"{\"a\":\"\u009b2J\"}", `{"a":"\u009b2J"}`},
		{"{\"a\":\"x\u202ey\u2066z\"}", `{"a":"x\u202ey\u2066z"}`},
		{"{\"a\":\"\u200e\u200f\u061c\"}", `{"a":"\u200e\u200f\u061c"}`},
	}
	for _, tt := range tests {
		if got := string(payload.EscapeJSONText([]byte(tt.in))); got != tt.want {
			t.Errorf("EscapeJSONText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
