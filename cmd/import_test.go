package cmd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect"
)

// TestImportedRelayListsAsTeam: list marks a request the team relay
// brought with (team) on a terminal, which the binary's tests cannot see
// through a pipe; it must still after an export and import, and only on
// that request.
func TestImportedRelayListsAsTeam(t *testing.T) {
	t.Parallel()
	local := &inspect.Record{Method: "POST", Path: "/local", Body: []byte(`{"n":1}`), Size: 7}
	relayed := &inspect.Record{Method: "POST", Path: "/relayed", Body: []byte(`{"n":2}`), Size: 7, Relay: "hookscope-3f9a0c12d4e5"}
	src := storeWith(t, local, relayed)
	io, jsonl, errOut := Test()
	if code := run(io, []string{"--db", src, "export"}); code != 0 {
		t.Fatalf("export: %d %s", code, errOut)
	}
	dst := filepath.Join(t.TempDir(), "hookscope.db")
	io, _, errOut = Test()
	io.In = jsonl
	if code := run(io, []string{"--db", dst, "import", "-"}); code != 0 {
		t.Fatalf("import: %d %s", code, errOut)
	}
	io, out, errOut := Test()
	io.OutTTY = true
	if code := run(io, []string{"--db", dst, "list"}); code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	for _, line := range strings.Split(out.String(), "\n") {
		if team := strings.Contains(line, "(team)"); strings.Contains(line, "/local") && team || strings.Contains(line, "/relayed") && !team {
			t.Errorf("list row %q: (team) is %v", line, team)
		}
	}
	if !strings.Contains(out.String(), "/relayed") {
		t.Errorf("the relayed request is not listed:\n%s", out)
	}
}
