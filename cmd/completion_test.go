package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect"
)

func TestDynamicCompletion(t *testing.T) {
	t.Parallel()
	a := &inspect.Record{Method: "POST", Path: "/hooks", Event: "push", Body: []byte(`{}`), Size: 2}
	b := &inspect.Record{Method: "POST", Path: "/hooks", Event: "video.failed", Body: []byte(`{}`), Size: 2}
	db := storeWith(t, a, b)
	complete := func(args ...string) string {
		t.Helper()
		io, out, errOut := Test()
		if code := run(io, append([]string{"--db", db, "__complete"}, args...)); code != 0 {
			t.Fatalf("%v: exit %d %s", args, code, errOut)
		}
		return out.String()
	}
	if out := complete("show", ""); !strings.Contains(out, a.ID+"\tpush POST /hooks") || !strings.Contains(out, b.ID+"\tvideo.failed") {
		t.Errorf("show ids:\n%s", out)
	}
	if out := complete("replay", a.ID); strings.Contains(out, b.ID) || !strings.Contains(out, a.ID) {
		t.Errorf("replay prefix:\n%s", out)
	}
	if out := complete("list", "--event", ""); !strings.Contains(out, "video.processed\n") || !strings.Contains(out, "push\n") {
		t.Errorf("events:\n%s", out)
	}
	for args, want := range map[string]string{
		"listen --tunnel":   "ngrok\t",
		"listen --provider": "stripe\t",
		"export --format":   "har\t",
		"list --signature":  "unchecked\n",
		"config unset":      "forward-to\t",
	} {
		out := complete(append(strings.Fields(args), "")...)
		if want != "" && !strings.Contains(out, want) {
			t.Errorf("%s: %q", args, out)
		}
	}
	// Completing against a store that does not exist creates none.
	none := filepath.Join(t.TempDir(), "none.db")
	io, out, _ := Test()
	run(io, []string{"--db", none, "__complete", "show", ""})
	if strings.Contains(out.String(), a.ID) {
		t.Errorf("ids from a missing store: %s", out)
	}
	if _, err := os.Stat(none); !os.IsNotExist(err) {
		t.Errorf("completion created %s", none)
	}
}
