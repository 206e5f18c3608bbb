package payload_test

import (
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect/payload"
)

const videoProcessed = `{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_abc123","title":"My Video Title","status":"ready","duration":142,"channel_id":"ch_abc123"}}`

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		body string
		want payload.Envelope
	}{
		{"empty", "", payload.Envelope{Kind: payload.Empty}},
		{"video.processed", videoProcessed, payload.Envelope{
			Kind: payload.JSON, Event: "video.processed", Timestamp: "2026-03-30T10:15:00Z",
			DataID: "vid_abc123", Status: "ready",
		}},
		{"distribution.failed",
			`{"event":"distribution.failed","timestamp":"2026-03-30T10:16:00Z","data":{"id":"vid_1","feed_id":"f_9","partner_name":"Acme","status":"failed","error_code":"FEED_TIMEOUT","error_message":"upstream timed out"}}`,
			payload.Envelope{Kind: payload.JSON, Event: "distribution.failed", Timestamp: "2026-03-30T10:16:00Z",
				DataID: "vid_1", Status: "failed", ErrorCode: "FEED_TIMEOUT"}},
		{"pretty printed with nesting before fields",
			"{\n  \"meta\": {\"event\": \"nested, not top\", \"x\": [1, {\"data\": 2}]},\n  \"data\": {\"deep\": {\"id\": \"no\"}, \"id\": \"vid_2\"},\n  \"event\": \"video.created\"\n}\n",
			payload.Envelope{Kind: payload.JSON, Event: "video.created", DataID: "vid_2"}},
		{"whitespace around", " \r\n\t{\"event\":\"a\"}\n\n", payload.Envelope{Kind: payload.JSON, Event: "a"}},
		{"BOM", "\xef\xbb\xbf{\"event\":\"a\"}", payload.Envelope{Kind: payload.JSON, BOM: true, Event: "a"}},
		{"BOM then text", "\xef\xbb\xbfhello", payload.Envelope{Kind: payload.Text, BOM: true}},
		{"escaped values and key", `{"ev\u0065nt":"video.\u0070rocessed \"q\" \u00e9 \ud83d\ude00","data":{"id":"a\/b"}}`,
			payload.Envelope{Kind: payload.JSON, Event: `video.processed "q" é 😀`, DataID: "a/b"}},
		{"braces and quotes inside strings", `{"x":"}{\"event\":\"fake\"}","event":"real","y":"\\","data":{"s":"\\\"}","status":"ok"}}`,
			payload.Envelope{Kind: payload.JSON, Event: "real", Status: "ok"}},
		{"non-string fields ignored", `{"event":42,"timestamp":null,"data":{"id":7,"status":true}}`,
			payload.Envelope{Kind: payload.JSON}},
		{"data not an object", `{"event":"e","data":"vid_1"}`, payload.Envelope{Kind: payload.JSON, Event: "e"}},
		{"duplicate keys: last wins", `{"event":"first","event":"second","data":{"id":"a"},"data":{"status":"s"}}`,
			payload.Envelope{Kind: payload.JSON, Event: "second", Status: "s"}},
		{"duplicate key: later non-string clears", `{"event":"first","event":1}`, payload.Envelope{Kind: payload.JSON}},
		{"case matters", `{"Event":"x"}`, payload.Envelope{Kind: payload.JSON}},
		{"big numbers", `{"n":12345678901234567890,"f":1.0000000000000001e-300,"event":"e"}`,
			payload.Envelope{Kind: payload.JSON, Event: "e"}},
		{"invalid UTF-8 in a value becomes U+FFFD", "{\"event\":\"a\xffb\"}", payload.Envelope{Kind: payload.JSON, Event: "a\ufffdb"}},
		{"escape sequence kept verbatim in a value", `{"event":"\u001b[31mred"}`, payload.Envelope{Kind: payload.JSON, Event: "\x1b[31mred"}},
		{"top-level array", `[{"event":"a"}]`, payload.Envelope{Kind: payload.JSON}},
		{"top-level scalar", `"event"`, payload.Envelope{Kind: payload.JSON}},
		{"empty object", `{}`, payload.Envelope{Kind: payload.JSON}},
		{"truncated JSON is text", `{"event":"a"`, payload.Envelope{Kind: payload.Text}},
		{"trailing garbage is text", `{"event":"a"} x`, payload.Envelope{Kind: payload.Text}},
		{"form body", "a=1&b=2", payload.Envelope{Kind: payload.Text}},
		{"whitespace only", " \n", payload.Envelope{Kind: payload.Text}},
		{"unicode text", "héllo wörld — 日本語", payload.Envelope{Kind: payload.Text}},
		{"ANSI coloured text", "\x1b[31mERROR\x1b[0m disk full\r\n", payload.Envelope{Kind: payload.Text}},
		{"OSC 52 is still text", "\x1b]52;c;aGk=\x07 copy me", payload.Envelope{Kind: payload.Text}},
		{"NUL", "abc\x00def", payload.Envelope{Kind: payload.Binary}},
		{"invalid UTF-8", "abc\xff", payload.Envelope{Kind: payload.Binary}},
		{"lone C1 CSI byte", "\x9b31m", payload.Envelope{Kind: payload.Binary}},
		{"mostly controls", "\x01\x02\x03a", payload.Envelope{Kind: payload.Binary}},
		{"PNG header", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", payload.Envelope{Kind: payload.Binary}},
		{"BOM then binary", "\xef\xbb\xbf\x00", payload.Envelope{Kind: payload.Binary, BOM: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := payload.Decode([]byte(tt.body)); got != tt.want {
				t.Errorf("Decode(%q)\n got %+v\nwant %+v", tt.body, got, tt.want)
			}
		})
	}
}

func TestKindString(t *testing.T) {
	for k, want := range map[payload.Kind]string{
		payload.Empty: "empty", payload.JSON: "json", payload.Text: "text", payload.Binary: "binary", 99: "unknown",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}

func TestDecodeDeepNesting(t *testing.T) {
	// json.Valid caps nesting depth; the scan must not recurse either way.
	body := `{"a":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `,"event":"e"}`
	if got := payload.Decode([]byte(body)); got.Kind != payload.JSON || got.Event != "e" {
		t.Errorf("got %+v", got)
	}
}
