package payload

import (
	"encoding/json"
	"strings"
	"testing"
)

var validCases = []string{
	``, ` `, `{}`, `[]`, ` { } `, `[ ]`, `{"a":1}`, `{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`, `{"a":}`, `{a:1}`,
	`{"a":1 "b":2}`, `{"a":1,"b":[true,false,null]}`, `[1 2]`, `]`, `}`, `[}`, `{]`, `[[[]]]`, `[[[]]`, `[]]`,
	`"x"`, `"`, `"\"`, `"\\"`, `"\/"`, `"\u00e9"`, `"\u00G9"`, `"\u00e"`, `"\x"`, "\"\t\"", "\"\x7f\"", "\"\xff\xfe\"",
	"\"\xc3\"", `"a` + "\n" + `b"`, `true`, `tru`, `truee`, `false`, `fals`, `null`, `nul`, `nulll`, `True`,
	`0`, `-0`, `01`, `-01`, `1.`, `1.5`, `.5`, `-`, `-a`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `1.5e3`, `0.0e0`,
	`1 1`, `1,`, `+1`, `0x10`, `1.e3`, "\t\n\r 1 \r\n\t", "\v1", "\f1", `{"a":{"b":{"c":[1,{"d":"e"}]}}}`,
	`{"event":"video.processed","data":{"id":"v1"}}`, "\xef\xbb\xbf{}", `{"a":1}x`, `[]{}`, `""""`,
}

func TestValidJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range validCases {
		if got, want := validJSON([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("validJSON(%q) = %v, json.Valid says %v", c, got, want)
		}
	}
	// The nesting limit: 10000 open containers are fine, 10001 are not.
	for _, n := range []int{maxNesting, maxNesting + 1} {
		for _, open := range []string{"[", `{"a":`} {
			closer := map[string]string{"[": "]", `{"a":`: "}"}[open]
			doc := []byte(strings.Repeat(open, n) + "1" + strings.Repeat(closer, n))
			if got, want := validJSON(doc), json.Valid(doc); got != want {
				t.Errorf("%d × %q: validJSON %v, json.Valid %v", n, open, got, want)
			}
		}
	}
}

// FuzzValidJSON holds validJSON to exactly json.Valid's verdicts.
func FuzzValidJSON(f *testing.F) {
	for _, c := range validCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		if got, want := validJSON(doc), json.Valid(doc); got != want {
			t.Fatalf("validJSON(%q) = %v, json.Valid says %v", doc, got, want)
		}
	})
}

func BenchmarkValidJSON(b *testing.B) {
	body := []byte(`{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_abc123","title":"My Video Title","status":"ready","duration":142,"channel_id":"ch_abc123","description":"` +
		strings.Repeat("Benchmark payload padded to one kilobyte. ", 20) + `"}}`)
	b.Run("encoding/json.Valid", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			json.Valid(body)
		}
	})
	b.Run("validJSON", func(b *testing.B) {
		b.SetBytes(int64(len(body)))
		for b.Loop() {
			validJSON(body)
		}
	})
}
