package payload_test

// Seed corpora live in testdata/fuzz/<FuzzName>/ and run with every
// `go test`; crashers found by `go test -fuzz` land there too and stay as
// regression seeds.

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hookscope/hookscope/inspect/payload"
)

// terminalSafe reports the first thing in s a terminal could act on.
func terminalSafe(s string) (bad string, ok bool) {
	if !utf8.ValidString(s) {
		return "invalid UTF-8", false
	}
	for _, r := range s {
		switch {
		case r < 0x20 && r != '\n' && r != '\t', r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return strconv.QuoteRune(r), false
		}
	}
	return "", true
}

func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte) {
		env := payload.Decode(body)
		doc, hasBOM := bytes.CutPrefix(body, []byte("\xef\xbb\xbf"))
		if env.BOM != (hasBOM && len(body) > 0) {
			t.Fatalf("BOM = %v", env.BOM)
		}
		switch {
		case len(body) == 0:
			if env != (payload.Envelope{Kind: payload.Empty}) {
				t.Fatalf("empty body: %+v", env)
			}
			return
		case json.Valid(doc):
			if env.Kind != payload.JSON {
				t.Fatalf("valid JSON classified %v", env.Kind)
			}
		case env.Kind == payload.JSON:
			t.Fatalf("invalid JSON classified json")
		case env.Kind == payload.Text:
			if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
				t.Fatalf("binary classified text")
			}
		case env.Kind != payload.Binary:
			t.Fatalf("kind %v", env.Kind)
		}

		// The reference: what a receiver decoding into a map would see.
		var want payload.Envelope
		want.Kind, want.BOM = env.Kind, env.BOM
		var m map[string]any
		if env.Kind == payload.JSON && json.Unmarshal(doc, &m) == nil {
			want.Event, _ = m["event"].(string)
			want.Timestamp, _ = m["timestamp"].(string)
			if d, ok := m["data"].(map[string]any); ok {
				want.DataID, _ = d["id"].(string)
				want.Status, _ = d["status"].(string)
				want.ErrorCode, _ = d["error_code"].(string)
			}
		}
		if env != want {
			t.Fatalf("Decode(%q)\n got %+v\nwant %+v (map reference)", body, env, want)
		}
	})
}

func FuzzPretty(f *testing.F) {
	mark := func(s string) string { return "\x01" + s + "\x02" }
	marks := payload.Palette{Key: mark, String: mark, Number: mark, Bool: mark, Null: mark, Punct: mark}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := payload.Pretty(body)
		if bad, ok := terminalSafe(out); !ok {
			t.Fatalf("Pretty(%q) = %q: contains %s", body, out, bad)
		}
		if json.Valid(body) && utf8.Valid(body) {
			// Pretty only moves whitespace, so compacting it gives back the
			// compacted input; where it had to escape something inside a
			// string it used JSON's own escapes, so the meaning is kept.
			var got, want bytes.Buffer
			if err := json.Compact(&got, []byte(out)); err != nil {
				t.Fatalf("Pretty(%q) = %q: not JSON: %v", body, out, err)
			}
			if err := json.Compact(&want, body); err != nil {
				t.Fatal(err)
			}
			if _, clean := terminalSafe(string(body)); clean && got.String() != want.String() {
				t.Fatalf("Pretty(%q) compacts to %q, want %q", body, got.String(), want.String())
			}
			if g, w := decodeNumbers(t, got.Bytes()), decodeNumbers(t, want.Bytes()); !reflect.DeepEqual(g, w) {
				t.Fatalf("Pretty(%q) = %q means %#v, want %#v", body, out, g, w)
			}
		}

		if hl := payload.Highlight(out, payload.Palette{}); hl != out {
			t.Fatalf("Highlight with no styles changed %q to %q", out, hl)
		}
		hl := payload.Highlight(out, marks)
		if plain := strings.NewReplacer("\x01", "", "\x02", "").Replace(hl); plain != out {
			t.Fatalf("Highlight lost text: %q became %q", out, plain)
		}
		for _, line := range strings.Split(hl, "\n") {
			if strings.Count(line, "\x01") != strings.Count(line, "\x02") {
				t.Fatalf("Highlight style spans lines: %q", line)
			}
		}
	})
}

func FuzzSanitize(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		out := payload.Sanitize(s)
		if bad, ok := terminalSafe(out); !ok {
			t.Fatalf("Sanitize(%q) = %q: contains %s", s, out, bad)
		}
		if _, ok := terminalSafe(s); ok && out != s {
			t.Fatalf("Sanitize changed safe %q to %q", s, out)
		}
		if again := payload.Sanitize(out); again != out {
			t.Fatalf("Sanitize not idempotent: %q then %q", out, again)
		}
		if b := payload.SanitizeBytes([]byte(s)); b != out {
			t.Fatalf("SanitizeBytes(%q) = %q, Sanitize = %q", s, b, out)
		}
		line := payload.SanitizeLine(s)
		if bad, ok := terminalSafe(line); !ok || strings.ContainsAny(line, "\n\t") {
			t.Fatalf("SanitizeLine(%q) = %q: contains %s or a line break/tab", s, line, bad)
		}
	})
}

func FuzzSet(f *testing.F) {
	f.Fuzz(func(t *testing.T, body []byte, path, value string) {
		out, err := payload.Set(body, path, value)
		if err != nil {
			return
		}
		doc, _ := bytes.CutPrefix(body, []byte("\xef\xbb\xbf"))
		outDoc, hadBOM := bytes.CutPrefix(out, []byte("\xef\xbb\xbf"))
		if hadBOM != (len(doc) < len(body)) {
			t.Fatalf("BOM not kept: %q → %q", body, out)
		}
		if !json.Valid(outDoc) {
			t.Fatalf("Set(%q, %q, %q) = %q: not JSON", body, path, value, out)
		}
		if again, err := payload.Set(out, path, value); err != nil || !bytes.Equal(again, out) {
			t.Fatalf("Set not idempotent: %q then %q (%v)", out, again, err)
		}

		// The reference: the same edit made on decoded values.
		var newVal any
		if json.Valid([]byte(value)) {
			newVal = decodeNumbers(t, []byte(value))
		} else {
			enc, _ := json.Marshal(value)
			newVal = decodeNumbers(t, enc)
		}
		want := refSet(t, decodeNumbers(t, doc), strings.Split(path, "."), newVal)
		if got := decodeNumbers(t, outDoc); !reflect.DeepEqual(got, want) {
			t.Fatalf("Set(%q, %q, %q) = %q\ndecodes to %#v\nwant       %#v", body, path, value, out, got, want)
		}
	})
}

func decodeNumbers(t *testing.T, b []byte) any {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		t.Fatalf("decoding %q: %v", b, err)
	}
	return v
}

func refSet(t *testing.T, v any, segs []string, newVal any) any {
	if len(segs) == 0 {
		return newVal
	}
	switch c := v.(type) {
	case map[string]any:
		old, ok := c[segs[0]]
		if !ok {
			old = map[string]any{}
		}
		c[segs[0]] = refSet(t, old, segs[1:], newVal)
		return c
	case []any:
		i, err := strconv.Atoi(segs[0])
		if err != nil || i < 0 || i >= len(c) {
			t.Fatalf("Set succeeded but index %q is not valid for %d elements", segs[0], len(c))
		}
		c[i] = refSet(t, c[i], segs[1:], newVal)
		return c
	}
	t.Fatalf("Set succeeded through %T", v)
	return nil
}

func FuzzParseSize(f *testing.F) {
	f.Fuzz(func(t *testing.T, s string) {
		n, err := payload.ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d", s, n)
		}
		if back, err := payload.ParseSize(strconv.FormatInt(n, 10)); err != nil || back != n {
			t.Fatalf("plain bytes %d read back as %d, %v", n, back, err)
		}
		// HumanSize is approximate: within 5% (half a unit of the last
		// digit shown), except at the very top where it rounds past int64.
		h := payload.HumanSize(n)
		back, err := payload.ParseSize(h)
		if err != nil {
			if n > math.MaxInt64/1024*1000 {
				return
			}
			t.Fatalf("HumanSize(%d) = %q does not parse: %v", n, h, err)
		}
		if diff := back - n; diff > n/20+1 || -diff > n/20+1 {
			t.Fatalf("HumanSize(%d) = %q reads back as %d", n, h, back)
		}
	})
}
