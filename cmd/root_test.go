package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUsageErrorsExitTwo runs commands in-process with test streams: every
// kind of usage error is typed where it arises and exits 2 with one
// sentence on stderr, nothing on stdout.
func TestUsageErrorsExitTwo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "hookscope.db")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `unknown command "bogus"`},
		{[]string{"list", "--bogus"}, "unknown flag: --bogus"},
		{[]string{"list", "--limit"}, "flag needs an argument"},
		{[]string{"list", "extra"}, `unknown command "extra"`},
		{[]string{"show"}, "accepts 1 arg"},
		{[]string{"listen", "--port", "70000"}, "--port must be 0 to 65535"},
		{[]string{"listen", "--port", "0", "--retry-schedule", "soon"}, "--retry-schedule"},
		{[]string{"listen", "--port", "0", "--max-attempts", "-1"}, "--max-attempts"},
		{[]string{"listen", "--port", "0", "--max-body", "1GiB"}, "--body-budget"},
		{[]string{"listen", "--port", "0", "--body-budget", "lots"}, "--body-budget"},
		{[]string{"listen", "--port", "0", "--tunnel", "maybe"}, "--tunnel must be"},
		{[]string{"listen", "--port", "0", "--publish", "nats://127.0.0.1:1", "--stream-replicas", "7"}, "--stream-replicas 7"},
		{[]string{"listen", "--port", "0", "--publish", "nats://127.0.0.1:1", "--stream-max-bytes", "0"}, "--stream-max-bytes"},
		{[]string{"listen", "--port", "0", "--publish", "nats://127.0.0.1:1", "--stream-max-bytes", "big"}, "--stream-max-bytes"},
		{[]string{"listen", "--port", "0", "--publish", "http://127.0.0.1:1"}, "not a NATS URL"},
		{[]string{"listen", "--port", "0", "--publish", "nats://127.0.0.1:1", "--stream-max-bytes", "512KiB"}, "at least 1MiB"},
		{[]string{"listen", "--port", "0", "--publish", "nats://127.0.0.1:1", "--channel", "prod.eu"}, `channel name "prod.eu"`},
		{[]string{"forward", "--to", "127.0.0.1:3000", "--port", "0", "--publish", "nats://a:1", "--subscribe", "nats://b:1"}, "different NATS servers"},
		{[]string{"replay"}, "replay needs request ids"},
	} {
		io, out, errOut := Test()
		code := run(io, append([]string{"--db", db}, tc.args...))
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", tc.args, code, exitUsage, errOut)
		}
		if !strings.Contains(errOut.String(), tc.want) || !strings.HasPrefix(errOut.String(), "hookscope: ") {
			t.Errorf("%v: stderr %q, want one sentence containing %q", tc.args, errOut, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%v: wrote %q to stdout", tc.args, out)
		}
	}
}

// TestReadOnlyCommandsNeedAStore: a mistyped --db is named, not created.
func TestReadOnlyCommandsNeedAStore(t *testing.T) {
	t.Parallel()
	db := filepath.Join(t.TempDir(), "typo.db")
	for _, args := range [][]string{{"list"}, {"show", "0k3m"}, {"export"}, {"replay", "0k3m", "--to", ":1"}} {
		io, out, errOut := Test()
		code := run(io, append([]string{"--db", db}, args...))
		if code != exitFail || !strings.Contains(errOut.String(), "no store at "+db) || out.Len() != 0 {
			t.Errorf("%v: exit %d, stderr %q, stdout %q", args, code, errOut, out)
		}
		if _, err := os.Stat(db); !os.IsNotExist(err) {
			t.Fatalf("%v created %s", args, db)
		}
	}
}

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

// TestRootHelpIsShort: bare hookscope's help lists commands and global
// flags; listen's flags stay on listen --help (and still work bare).
func TestRootHelpIsShort(t *testing.T) {
	t.Parallel()
	io, out, _ := Test()
	if code := run(io, []string{"--help"}); code != 0 || strings.Contains(out.String(), "--forward-to") ||
		!strings.Contains(out.String(), "--db") || !strings.Contains(out.String(), "--version") {
		t.Errorf("hookscope --help:\n%s", out)
	}
	io, out, _ = Test()
	if code := run(io, []string{"listen", "--help"}); code != 0 || !strings.Contains(out.String(), "--forward-to") ||
		!strings.Contains(out.String(), "--routes FILE ") || strings.Contains(out.String(), "--authtoken hookscope") {
		t.Errorf("hookscope listen --help:\n%s", out)
	}
}
