package fakengrok

import (
	"os/exec"
	"strings"
	"testing"
)

// The fake must never ship: only _test.go files may import it.
func TestNotInTheBinary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/hookscope/hookscope").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "github.com/hookscope/hookscope/tunnel\n") {
		t.Fatalf("go list -deps does not list the tunnel package; the check would prove nothing:\n%s", out)
	}
	if strings.Contains(string(out), "internal/fakengrok") {
		t.Error("the hookscope binary imports internal/fakengrok; import it from _test.go files only")
	}
}
