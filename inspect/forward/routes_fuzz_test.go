package forward

import (
	"path"
	"strings"
	"testing"
)

// FuzzParseRoutes: a routes file is read from disk the user may have
// copied from anywhere. Whatever it holds, ParseRoutes never panics, either
// fails with one message or returns routes that are usable as they stand
// (valid glob, http(s) target) and read back the same when written out.
func FuzzParseRoutes(f *testing.F) {
	for _, s := range []string{
		"video.* -> :3000/videos\ndistribution.failed -> localhost:4000/alerts\n",
		"# comment only\n\n",
		"* -> 3000 # everything\r\n",
		"video.[ -> :3000",
		"no arrow here",
		" -> :3000",
		"video.* ->",
		"a->b->c",
		"video.* -> https://example.com/hooks?x=1#frag",
		"video.* -> ftp://x",
		"\xff\xfe -> \x00",
		"x -> [::1]:70000",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		routes, err := ParseRoutes(strings.NewReader(s))
		if err != nil {
			if routes != nil {
				t.Fatalf("routes %v with error %v", routes, err)
			}
			return
		}
		if len(routes) == 0 {
			t.Fatal("no routes and no error")
		}
		prev := 0
		for _, r := range routes {
			if r.Pattern == "" || strings.Contains(r.Pattern, "#") || r.Line <= prev {
				t.Fatalf("route %+v from %q", r, s)
			}
			prev = r.Line
			if _, err := path.Match(r.Pattern, ""); err != nil {
				t.Fatalf("bad pattern %q accepted", r.Pattern)
			}
			r.Match("video.processed")
			u := r.Target.URLFor("/in", "q=1", false)
			if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
				t.Fatalf("target %q gives %q", r.Target.Raw, u)
			}
			again, err := ParseRoutes(strings.NewReader(r.Pattern + " -> " + r.Target.Raw))
			if err != nil || len(again) != 1 || again[0].Pattern != r.Pattern || again[0].Target.String() != r.Target.String() {
				t.Fatalf("route %q -> %q does not read back: %v %v", r.Pattern, r.Target.Raw, again, err)
			}
		}
	})
}
