package payload_test

import (
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect/payload"
)

func TestPretty(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"VideoNest event keeps key order", videoProcessed, `{
  "event": "video.processed",
  "timestamp": "2026-03-30T10:15:00Z",
  "data": {
    "id": "vid_abc123",
    "title": "My Video Title",
    "status": "ready",
    "duration": 142,
    "channel_id": "ch_abc123"
  }
}`},
		{"numbers keep their text", `{"z":12345678901234567890,"a":1.0000000000000001,"e":-1.5E+300,"i":[0,-0.0]}`, `{
  "z": 12345678901234567890,
  "a": 1.0000000000000001,
  "e": -1.5E+300,
  "i": [
    0,
    -0.0
  ]
}`},
		{"top-level array", `[1,"two",{"three":null},[],{}]`, `[
  1,
  "two",
  {
    "three": null
  },
  [],
  {}
]`},
		{"scalar", ` true `, `true`},
		{"BOM and surrounding whitespace dropped", "\xef\xbb\xbf \r\n{\"a\" :\t1}\r\n", "{\n  \"a\": 1\n}"},
		{"JSON string escapes stay escaped", `{"s":"\u001b[31m \" \\ \u202e \n"}`, "{\n  \"s\": \"\\u001b[31m \\\" \\\\ \\u202e \\n\"\n}"},
		{"raw bidi and C1 in JSON strings are escaped", "{\"s\":\"a\u202eb\u009bc\"}", "{\n  \"s\": \"a\\u202eb\\u009bc\"\n}"},
		{"DEL in a JSON string uses a JSON escape", "{\"\x7f\":\"a\x7f\"}", "{\n  \"\\u007f\": \"a\\u007f\"\n}"},
		{"invalid UTF-8 in a JSON string", "[\"\xff\"]", "[\n  \"\\xff\"\n]"},
		{"unicode kept", `{"t":"日本語 😀"}`, "{\n  \"t\": \"日本語 😀\"\n}"},
		{"text sanitised", "hello \x1b]52;c;aGk=\x07\r\nbye\n", "hello \\x1b]52;c;aGk=\\x07\\r\nbye\n"},
		{"broken JSON shown as text", `{"a":1,}`, `{"a":1,}`},
		{"binary as hex dump", "\x00\x01ab\xff\x1b[31m", "00000000  00 01 61 62 ff 1b 5b 33  31 6d                    |..ab..[31m|"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := payload.Pretty([]byte(tt.in)); got != tt.want {
				t.Errorf("Pretty(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestPrettyBinaryCap(t *testing.T) {
	body := make([]byte, payload.MaxDump+1234)
	got := payload.Pretty(body)
	lines := strings.Split(got, "\n")
	if n := len(lines); n != payload.MaxDump/16+1 {
		t.Fatalf("got %d lines, want %d", n, payload.MaxDump/16+1)
	}
	if last := lines[len(lines)-1]; last != "… 1234 more bytes" {
		t.Errorf("last line %q", last)
	}
	if !strings.HasPrefix(lines[len(lines)-2], "0000fff0  00 00") {
		t.Errorf("last dump line %q", lines[len(lines)-2])
	}

	exact := payload.Pretty(make([]byte, 32))
	if strings.Contains(exact, "more bytes") || strings.Count(exact, "\n") != 1 {
		t.Errorf("uncapped dump %q", exact)
	}
}

// bracket marks every token so tests can see exactly what was styled.
func bracket(tag string) func(string) string {
	return func(s string) string { return "<" + tag + ">" + s + "</>" }
}

var testPalette = payload.Palette{
	Key: bracket("k"), String: bracket("s"), Number: bracket("n"),
	Bool: bracket("b"), Null: bracket("0"), Punct: bracket("p"),
}

func TestHighlight(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"object",
			"{\n  \"id\": \"vid_1\",\n  \"n\": -1.5e+3,\n  \"ok\": true,\n  \"no\": false,\n  \"x\": null,\n  \"a\": []\n}",
			"<p>{</>\n  <k>\"id\"</><p>:</> <s>\"vid_1\"</><p>,</>\n  <k>\"n\"</><p>:</> <n>-1.5e+3</><p>,</>\n  <k>\"ok\"</><p>:</> <b>true</><p>,</>\n  <k>\"no\"</><p>:</> <b>false</><p>,</>\n  <k>\"x\"</><p>:</> <0>null</><p>,</>\n  <k>\"a\"</><p>:</> <p>[]</>\n<p>}</>"},
		{"escaped quote and colon inside a string", `["a\":b", "c"]`, `<p>[</><s>"a\":b"</><p>,</> <s>"c"</><p>]</>`},
		{"string that looks like a key is not one without a colon", `"k" "v"`, `<s>"k"</> <s>"v"</>`},
		{"raw escapes are sanitised before styling", "\"\x1b[2J\u202e\": \"\x9b\"", `<k>"\x1b[2J\u202e"</><p>:</> <s>"\x9b"</>`},
		{"unterminated string stops at newline", "\"abc\n1", "<s>\"abc</>\n<n>1</>"},
		{"words are not numbers or literals", "vid_123 trueish null", "vid_123 trueish <0>null</>"},
		{"unicode passes", `{"t":"日本語"}`, `<p>{</><k>"t"</><p>:</><s>"日本語"</><p>}</>`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := payload.Highlight(tt.in, testPalette); got != tt.want {
				t.Errorf("Highlight(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestHighlightNilPaletteIsSanitize(t *testing.T) {
	for _, in := range []string{videoProcessed, payload.Pretty([]byte(videoProcessed)), "x\x1b[0m\r\n\"\\", "\"a\\"} {
		if got, want := payload.Highlight(in, payload.Palette{}), payload.Sanitize(in); got != want {
			t.Errorf("Highlight(%q, {}) = %q, want %q", in, got, want)
		}
	}
}

func TestHighlightTokensStayOnOneLine(t *testing.T) {
	in := payload.Pretty([]byte(`{"a":{"b":[1,"x\ny",true,null]},"c":"` + strings.Repeat("w", 100) + `"}`))
	out := payload.Highlight(in, testPalette)
	for _, line := range strings.Split(out, "\n") {
		if strings.Count(line, "<") != strings.Count(line, "</>")*2 {
			t.Errorf("unbalanced styling on line %q", line)
		}
	}
}
