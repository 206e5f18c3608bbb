package tui

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependsOnInspectTypesOnly: the UI reads and acts through inspect's
// types, so it links neither the SQLite driver nor ngrok-go nor the capture
// path, and a front end can never reach around the session.
func TestDependsOnInspectTypesOnly(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to list the UI's dependencies")
	}
	out, err := exec.Command(goBin, "list", "-deps", "github.com/hookscope/hookscope/tui/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, banned := range []string{"modernc.org/sqlite", "golang.ngrok.com/", "hookscope/inspect/store",
			"hookscope/inspect/capture", "hookscope/inspect/forward", "hookscope/tunnel", "nats-io/"} {
			if strings.HasPrefix(dep, banned) || strings.Contains(dep, banned) {
				t.Errorf("the TUI links %s", dep)
			}
		}
	}
}
