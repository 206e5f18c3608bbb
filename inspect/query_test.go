package inspect

import (
	"strings"
	"testing"
)

func TestContainsFold(t *testing.T) {
	cases := []struct {
		h, needle string
		want      bool
	}{
		{"", "", true},
		{"abc", "", true},
		{"", "a", false},
		{"Captions ready", "captions", true},
		{"CAPTIONS", "captions", true},
		{"capTIONs", "captions", true},
		{"caption", "captions", false},
		{"xxcaptionxcaptions", "captions", true}, // a near miss before the match
		{"aaaaaaaab", "aab", true},
		{"AAAAAAAAB", "aab", true},
		{"aAaAaAaAb", "aab", true},
		{"video.processed", "video.p", true},
		{"a\x00b captions", "captions", true}, // NUL bytes do not end the text
		{"\x00", "\x00", true},
		{"café", "CAFÉ", false}, // only ASCII folds: É and é differ
		{"CAFé", FoldText("café"), true},
		{"tail", "tails", false},
		{"Xa", "a", true}, // the lower case exists, the upper case does not
		{"xA", "a", true},
		{strings.Repeat("b", 1000) + "Zz", "zz", true},
	}
	for _, c := range cases {
		if got := ContainsFold(c.h, c.needle); got != c.want {
			t.Errorf("ContainsFold(%q, %q) = %v, want %v", c.h, c.needle, got, c.want)
		}
	}
}

func TestHeaderMatch(t *testing.T) {
	cases := []struct {
		name, value, typed string
		want               bool
	}{
		{"Content-Type", "application/json", "json", true},
		{"Content-Type", "application/json", "content-type", true},
		{"Content-Type", "application/json", "Content-Type: application/json", true},
		{"Content-Type", "application/json", "type:app", true},
		{"Content-Type", "application/json", "content-type:", true},
		{"Content-Type", "application/json", "content-type: text", false},
		{"X-Type", "application/json", "content-type: app", false},
		{"X-Request-Id", "req-42", "REQ-42", true},
		{"X-Request-Id", "http://a:b", "a:b", true}, // a colon inside a value
	}
	for _, c := range cases {
		if got := HeaderMatch(c.name, c.value, FoldText(c.typed)); got != c.want {
			t.Errorf("HeaderMatch(%q, %q, %q) = %v, want %v", c.name, c.value, c.typed, got, c.want)
		}
	}
}

func TestTextMatch(t *testing.T) {
	hs := []Header{{Name: "X-Trace", Value: "Blue-Whale"}}
	body := []byte(`{"data":{"captions":"ready"}}`)
	for typed, want := range map[string]bool{
		"/hooks": true, "VIDEO.": true, "blue-whale": true, "x-trace": true,
		"CAPTIONS": true, "x-trace: blue": true, "absent": false,
	} {
		if got := TextMatch(FoldText(typed), "/hooks", "video.ready", hs, body); got != want {
			t.Errorf("TextMatch(%q) = %v, want %v", typed, got, want)
		}
	}
}

func TestParseStatusFilter(t *testing.T) {
	fwd := func(status int) *Record { return &Record{Forwarded: true, ForwardStatus: status} }
	cases := []struct {
		in     string
		str    string
		match  []*Record
		reject []*Record
	}{
		{"500", "500", []*Record{fwd(500)}, []*Record{fwd(502), {}}},
		{"5xx", "5xx", []*Record{fwd(500), fwd(503)}, []*Record{fwd(200), fwd(0), {}}},
		{"5XX", "5xx", []*Record{fwd(599)}, nil},
		{"2xx", "2xx", []*Record{fwd(204)}, []*Record{fwd(500)}},
		{"ok", "2xx", []*Record{fwd(200)}, []*Record{fwd(302)}},
		{"none", "none", []*Record{{}, {Delivery: Pending}}, []*Record{fwd(0), fwd(200)}},
		{"err", "err", []*Record{fwd(0)}, []*Record{{}, fwd(500)}},
		{"failed", "failed", []*Record{fwd(0), fwd(404), fwd(500), fwd(302)}, []*Record{fwd(200), {}}},
		{"pending", "pending", []*Record{{Delivery: Pending}}, []*Record{{}, {Delivery: Delivered}}},
		{"Undelivered", "undelivered", []*Record{{Delivery: Undelivered}}, []*Record{{Delivery: Pending}}},
		{"delivered", "delivered", []*Record{{Delivery: Delivered}}, []*Record{{Delivery: Undelivered}, fwd(200)}},
	}
	for _, c := range cases {
		f, err := ParseStatusFilter(c.in)
		if err != nil {
			t.Fatalf("%q: %v", c.in, err)
		}
		if f.String() != c.str || !f.Active() {
			t.Errorf("%q: String() = %q, active %v", c.in, f.String(), f.Active())
		}
		if back, err := ParseStatusFilter(f.String()); err != nil || back != f {
			t.Errorf("%q: String() does not read back: %v, %v", c.in, back, err)
		}
		for _, r := range c.match {
			if !f.Match(r) {
				t.Errorf("%q should match %+v", c.in, *r)
			}
		}
		for _, r := range c.reject {
			if f.Match(r) {
				t.Errorf("%q should not match %+v", c.in, *r)
			}
		}
	}
	for _, bad := range []string{"600", "99", "6xx", "x5x", "teapot", "5x"} {
		if _, err := ParseStatusFilter(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	if f, err := ParseStatusFilter(""); err != nil || f.Active() {
		t.Errorf("empty: %v %v", f, err)
	}
}

func TestContainsFoldDoesNotAllocate(t *testing.T) {
	h := strings.Repeat("codec channel category complete ", 30) + "Captions"
	if n := testing.AllocsPerRun(100, func() { ContainsFold(h, "captions") }); n != 0 {
		t.Errorf("%v allocations per call", n)
	}
}

func FuzzContainsFold(f *testing.F) {
	f.Add("Hello Captions", "captions")
	f.Add("aAaAb", "aab")
	f.Fuzz(func(t *testing.T, h, needle string) {
		needle = FoldText(needle)
		want := strings.Contains(FoldText(h), needle)
		if got := ContainsFold(h, needle); got != want {
			t.Fatalf("ContainsFold(%q, %q) = %v, want %v", h, needle, got, want)
		}
	})
}
