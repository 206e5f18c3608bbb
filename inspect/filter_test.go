package inspect

import (
	"testing"

	"github.com/hookscope/hookscope/inspect/signature"
)

func TestParseFilter(t *testing.T) {
	f, err := ParseFilter("event:video.* sig:invalid status:500 free text")
	if err != nil {
		t.Fatal(err)
	}
	if f.Query.Event != "video.*" || f.Query.Signature != signature.Invalid || f.Query.Text != "free text" ||
		f.Status.Kind != ExactStatus || f.Status.Code != 500 {
		t.Fatalf("%+v", f)
	}
	for in, kind := range map[string]StatusKind{"status:5xx": ClassStatus, "st:none": NotForwarded, "status:err": NoAnswer,
		"status:failed": Failed, "status:ok": ClassStatus} {
		f, err := ParseFilter(in)
		if err != nil || f.Status.Kind != kind {
			t.Errorf("%s: %+v %v", in, f.Status, err)
		}
	}
	for _, bad := range []string{"sig:maybe", "status:999", "status:abc"} {
		if _, err := ParseFilter(bad); err == nil {
			t.Errorf("%s parsed", bad)
		}
	}
	if f, _ := ParseFilter("http://x/y a:b"); f.Query.Text != "http://x/y a:b" {
		t.Errorf("unknown keys should stay text: %q", f.Query.Text)
	}
}

func TestFilterMatchMirrorsStore(t *testing.T) {
	r := &Record{ID: "06abc", Path: "/hooks/videonest", Event: "video.ready",
		Signature: signature.Verdict{Status: signature.Valid}, Forwarded: true, ForwardStatus: 502}
	for q, want := range map[string]bool{
		"": true, "event:video.*": true, "event:video.ready": true, "event:video": false, "event:upload.*": false,
		"event:video.?eady": true, "event:video.[rs]eady": true, "event:video.[^r]eady": false,
		"sig:valid": true, "sig:invalid": false, "videonest": true, "06a": true, "abc": false,
		"status:502": true, "status:5xx": true, "status:2xx": false, "status:failed": true, "status:none": false,
		"status:err": false,
	} {
		f, err := ParseFilter(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := f.Match(r); got != want {
			t.Errorf("%q: match=%v, want %v", q, got, want)
		}
	}
}

func TestGlob(t *testing.T) {
	for _, c := range []struct {
		pat, s string
		want   bool
	}{
		{"*", "", true}, {"a*c", "abbbc", true}, {"a*c", "abbb", false}, {"a?c", "abc", true},
		{"[a-c]x", "bx", true}, {"[a-c]x", "dx", false}, {"[^a-c]x", "dx", true}, {"[]]", "]", true},
		{"[abc", "a", false}, {"é*", "été", true},
	} {
		if got := glob(c.pat, c.s); got != c.want {
			t.Errorf("glob(%q, %q) = %v", c.pat, c.s, got)
		}
	}
}
