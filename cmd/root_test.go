package cmd

import (
	"strings"
	"testing"
)

func TestUnknownSubcommandIsAUsageError(t *testing.T) {
	for _, args := range [][]string{{"completion", "nushell"}, {"config", "bogus"}} {
		io, out, errOut := Test()
		code := run(io, args)
		msg := strings.TrimSuffix(errOut.String(), "\n")
		if code != 2 || strings.Contains(msg, "\n") || strings.Contains(msg, "Usage:") || out.Len() != 0 ||
			!strings.Contains(msg, "unknown "+args[0]+" command \""+args[1]+"\"") {
			t.Errorf("hookscope %v: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
	// Each names what would have worked.
	io, _, errOut := Test()
	run(io, []string{"completion", "nushell"})
	if !strings.Contains(errOut.String(), "bash, fish, powershell or zsh") {
		t.Errorf("completion nushell: %q", errOut)
	}
	// Without arguments they still show their help, as before.
	for _, args := range [][]string{{"completion"}, {"config"}} {
		io, out, _ := Test()
		if code := run(io, args); code != 0 || !strings.Contains(out.String(), "Available Commands:") {
			t.Errorf("hookscope %v: exit %d\n%s", args, code, out)
		}
	}
}
