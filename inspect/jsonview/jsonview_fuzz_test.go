package jsonview

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzTerminalSafeJSON: whatever strings a record holds, the JSON hookscope
// prints decodes to the same strings and carries no C1 control or bidi
// override raw.
func FuzzTerminalSafeJSON(f *testing.F) {
	for _, s := range []string{"", "plain", "\x1b[2J", "\u009b31m", "a\u202eb\u2066c\u2069", "\xc2", "\xe2\x80", "\xff\xfe", "\u0080\u009f\u202a\u202e\u2068", "é€😀"} {
		f.Add(s, s+"\u2028")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		var buf bytes.Buffer
		enc := NewEncoder(&buf)
		enc.SetIndent("", "  ")
		in := map[string]any{"a": a, "list": []string{b, a + b}}
		if err := enc.Encode(in); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		for _, r := range out {
			if r >= 0x80 && r <= 0x9f || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 {
				t.Fatalf("raw %U in %q", r, out)
			}
		}
		var got struct {
			A    string
			List []string
		}
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("not JSON: %v\n%s", err, out)
		}
		// The encoder turns each invalid byte into U+FFFD (show --json adds
		// value_base64 for those); anything else is kept.
		want := func(s string) string { return string([]rune(s)) }
		if got.A != want(a) || len(got.List) != 2 || got.List[0] != want(b) || got.List[1] != want(a+b) {
			t.Fatalf("round trip of %q, %q gave %q", a, b, got)
		}
	})
}
