package payload_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect/payload"
)

func TestSet(t *testing.T) {
	tests := []struct {
		name, body, path, value, want string
	}{
		{"string field", videoProcessed, "data.status", "failed",
			`{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_abc123","title":"My Video Title","status":"failed","duration":142,"channel_id":"ch_abc123"}}`},
		{"number from JSON", videoProcessed, "data.duration", "12345678901234567890",
			`{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_abc123","title":"My Video Title","status":"ready","duration":12345678901234567890,"channel_id":"ch_abc123"}}`},
		{"other numbers keep their text", `{"a":1.0000000000000001,"b":12345678901234567890,"c":1E2,"d":"x"}`, "d", "y",
			`{"a":1.0000000000000001,"b":12345678901234567890,"c":1E2,"d":"y"}`},
		{"bool", `{"a":1}`, "a", "true", `{"a":true}`},
		{"null", `{"a":1}`, "a", "null", `{"a":null}`},
		{"quoted JSON string", `{"a":1}`, "a", `"42"`, `{"a":"42"}`},
		{"object value compacted", `{"a":1}`, "a", `{ "x" : [1, 2] }`, `{"a":{"x":[1,2]}}`},
		{"empty value is empty string", `{"a":1}`, "a", "", `{"a":""}`},
		{"non-JSON value is a string, escaped", `{"a":1}`, "a", "say \"hi\" <b>&\x1b\n", `{"a":"say \"hi\" <b>&\u001b\n"}`},
		{"almost-JSON is a string", `{"a":1}`, "a", `{"x":`, `{"a":"{\"x\":"}`},
		{"unicode", `{"a":1}`, "a", "日本語", `{"a":"日本語"}`},
		{"array index", `{"data":{"tags":["a","b","c"]}}`, "data.tags.1", "B", `{"data":{"tags":["a","B","c"]}}`},
		{"top-level array", `[{"s":1},{"s":2}]`, "1.s", "3", `[{"s":1},{"s":3}]`},
		{"missing key appended", `{"event":"e","data":{"id":"v"}}`, "data.status", "ready", `{"event":"e","data":{"id":"v","status":"ready"}}`},
		{"missing keys created as objects", `{"event":"e"}`, "data.meta.tag", "x", `{"event":"e","data":{"meta":{"tag":"x"}}}`},
		{"numeric key in an object is a key", `{"m":{}}`, "m.0", "x", `{"m":{"0":"x"}}`},
		{"empty object", `{}`, "a", "1", `{"a":1}`},
		{"key needing escapes", `{}`, "a\"b", "1", `{"a\"b":1}`},
		{"escaped key matches", `{"st\u0061tus":"old"}`, "status", "new", `{"st\u0061tus":"new"}`},
		{"key with invalid UTF-8 matches as U+FFFD, as for encoding/json", "{\"\xb0\":1}", "\ufffd", "2", "{\"\xb0\":2}"},
		{"duplicate key: last edited", `{"a":1,"a":2}`, "a", "3", `{"a":1,"a":3}`},
		{"whole subtree replaced", `{"data":{"x":[1,{"y":2}]},"z":0}`, "data", "1", `{"data":1,"z":0}`},
		{"single-line spacing kept", `{"a": 1, "b": [1, 2]}`, "a", "2", `{"a": 2, "b": [1, 2]}`},
		{"trailing newline kept", "{\"a\":1}\n", "a", "2", "{\"a\":2}\n"},
		{"BOM kept", "\xef\xbb\xbf{\"a\":1}", "a", "2", "\xef\xbb\xbf{\"a\":2}"},
		{"indented, 2 spaces", "{\n  \"a\": 1,\n  \"b\": {\"c\": 12345678901234567890}\n}\n", "b.d", "[1,2]",
			"{\n  \"a\": 1,\n  \"b\": {\n    \"c\": 12345678901234567890,\n    \"d\": [\n      1,\n      2\n    ]\n  }\n}\n"},
		{"indented, 4 spaces", "{\n    \"a\": 1\n}", "a", "2", "{\n    \"a\": 2\n}"},
		{"indented, tabs", "{\n\t\"a\": 1\n}", "b", "2", "{\n\t\"a\": 1,\n\t\"b\": 2\n}"},
		{"indented empty object", "{\n}", "a", "1", "{\n  \"a\": 1\n}"},
		{"indented with BOM", "\xef\xbb\xbf{\n  \"a\": 1\n}", "a", "2", "\xef\xbb\xbf{\n  \"a\": 2\n}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payload.Set([]byte(tt.body), tt.path, tt.value)
			if err != nil {
				t.Fatalf("Set(%q, %q, %q): %v", tt.body, tt.path, tt.value, err)
			}
			if string(got) != tt.want {
				t.Errorf("Set(%q, %q, %q)\n got %q\nwant %q", tt.body, tt.path, tt.value, got, tt.want)
			}
		})
	}
}

func TestSetDoesNotAliasInput(t *testing.T) {
	body := []byte(`{"a":1,"b":2}`)
	got, err := payload.Set(body[:len(body):len(body)], "a", "3")
	if err != nil {
		t.Fatal(err)
	}
	got[0] = 'X'
	if string(body) != `{"a":1,"b":2}` {
		t.Errorf("input modified: %q", body)
	}
}

func TestSetErrors(t *testing.T) {
	tests := []struct {
		name, body, path, want string
	}{
		{"not JSON", `{"a":`, "a", "not valid JSON"},
		{"empty body", ``, "a", "not valid JSON"},
		{"text", `hello`, "a", "not valid JSON"},
		{"empty path", `{}`, "", "empty path"},
		{"empty segment", `{}`, "data..status", `path "data..status": segment 2 is empty`},
		{"leading dot", `{}`, ".a", `segment 1 is empty`},
		{"trailing dot", `{}`, "a.", `segment 2 is empty`},
		{"through a string", videoProcessed, "data.status.code", `path "data.status.code": "data.status" is a string, not an object or array`},
		{"through a number", `{"a":1}`, "a.b", `"a" is a number`},
		{"through null", `{"a":null}`, "a.b", `"a" is null`},
		{"through a bool", `{"a":false}`, "a.b", `"a" is a boolean`},
		{"top-level scalar", `42`, "a", `the top-level value is a number`},
		{"path not UTF-8", `{}`, "\xb0", `not valid UTF-8`},
		{"index out of range", `{"t":["a","b"]}`, "t.2", `index 2 out of range: "t" has 2 elements`},
		{"index into empty array", `[]`, "0", `index 0 out of range: the top-level value has 0 elements`},
		{"not an index", `{"t":["a"]}`, "t.x", `"t" is an array and "x" is not an index`},
		{"negative index", `{"t":["a"]}`, "t.-1", `"-1" is not an index`},
		{"huge index", `{"t":["a"]}`, "t.99999999999999999999999", `is not an index`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := payload.Set([]byte(tt.body), tt.path, "v")
			if err == nil {
				t.Fatalf("Set(%q, %q) = %q, want error", tt.body, tt.path, got)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Set(%q, %q) error %q, want it to contain %q", tt.body, tt.path, err, tt.want)
			}
		})
	}
	if _, err := payload.Set([]byte("nope"), "a", "1"); !errors.Is(err, payload.ErrNotJSON) {
		t.Errorf("error %v is not ErrNotJSON", err)
	}
}

func TestParseAssignment(t *testing.T) {
	tests := []struct {
		in, path, value, err string
	}{
		{in: "data.status=failed", path: "data.status", value: "failed"},
		{in: "data.duration=42", path: "data.duration", value: "42"},
		{in: "a=b=c", path: "a", value: "b=c"},
		{in: "a=", path: "a", value: ""},
		{in: `data.meta={"x":1}`, path: "data.meta", value: `{"x":1}`},
		{in: "data.status", err: `"data.status": missing "="`},
		{in: "", err: `missing "="`},
		{in: "=failed", err: `"=failed": empty path before "="`},
		{in: "data..status=x", err: `segment 2 is empty`},
	}
	for _, tt := range tests {
		path, value, err := payload.ParseAssignment(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseAssignment(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || path != tt.path || value != tt.value {
			t.Errorf("ParseAssignment(%q) = %q, %q, %v; want %q, %q", tt.in, path, value, err, tt.path, tt.value)
		}
	}
}
