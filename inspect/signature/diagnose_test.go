package signature

import (
	"strings"
	"testing"
)

func TestDiagnose(t *testing.T) {
	body := []byte(`{"event":"video.failed","data":{"id":"vid_1"}}`)
	pretty := []byte("{\n  \"event\": \"video.failed\",\n  \"data\": {\n    \"id\": \"vid_1\"\n  }\n}")
	sign := func(b []byte, secret string) string { return VideoNest{}.Compute(b, secret) }
	for _, tc := range []struct {
		name    string
		body    []byte
		sig     string
		secrets []string
		want    string
	}{
		{"sha256= prefix", body, "sha256=" + sign(body, "k"), []string{"k"}, "without its sha256= prefix"},
		{"newline added to the body", append(append([]byte(nil), body...), '\n'), sign(body, "k"), []string{"k"}, "without its trailing newline"},
		{"newline lost", body, sign(append(append([]byte(nil), body...), '\n'), "k"), []string{"k"}, "with a trailing newline"},
		{"whsec_ kept but signed bare", body, sign(body, "abc"), []string{"whsec_abc"}, "without its whsec_ prefix"},
		{"whsec_ dropped", body, sign(body, "whsec_abc"), []string{"abc"}, "with a whsec_ prefix"},
		{"pretty-printed copy of a compact body", pretty, sign(body, "k"), []string{"k"}, "compacted"},
		{"compact copy of a pretty body", body, sign(pretty, "k"), []string{"k"}, "pretty-printed (2 spaces)"},
		{"just wrong", body, sign(body, "other"), []string{"k"}, ""},
	} {
		got := Diagnose(tc.body, tc.sig, tc.secrets)
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want one naming %q", tc.name, got, tc.want)
		}
	}
}
