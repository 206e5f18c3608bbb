package payload

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestPrettyDeepNestingStaysSmall: indenting grows with the square of the
// nesting depth, so a hostile 20 KB body of brackets once became 190 MB of
// output (found by FuzzPretty). Past eight times the input, Pretty shows the
// JSON compact instead: same meaning, linear size.
func TestPrettyDeepNestingStaysSmall(t *testing.T) {
	for _, body := range []string{
		strings.Repeat("[", 9999) + strings.Repeat("]", 9999),
		`{"event":"video.processed","data":` + strings.Repeat(`{"a":`, 5000) + `"\u001b[2J"` + strings.Repeat("}", 5000) + "}",
		"[" + strings.Repeat(strings.Repeat("[", 2000)+strings.Repeat("]", 2000)+",", 50) + "0]",
	} {
		out := Pretty([]byte(body))
		if len(out) > 8*len(body)+1<<20 {
			t.Errorf("Pretty of %d bytes nested deep gave %d bytes", len(body), len(out))
		}
		var got, want bytes.Buffer
		if err := json.Compact(&got, []byte(out)); err != nil {
			t.Fatalf("not JSON any more: %v", err)
		}
		json.Compact(&want, []byte(body))
		if got.String() != want.String() {
			t.Errorf("the JSON changed")
		}
		if strings.Contains(out, "\x1b") {
			t.Error("a raw escape got through")
		}
	}
	// Ordinary webhooks are still indented.
	if out := Pretty([]byte(`{"event":"video.processed","data":{"id":"vid_1","tags":["a","b"]}}`)); !strings.Contains(out, "\n    \"id\": \"vid_1\"") {
		t.Errorf("an ordinary body is no longer indented:\n%s", out)
	}
}
