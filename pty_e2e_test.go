package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
)

// hangBound tells a command that finished from one that froze waiting for
// a terminal's answer: Bubble Tea v1 waited 5 s in its package init. It
// is a bound on hanging, not on speed.
const hangBound = 3 * time.Second

// TestNoTerminalQueriesInSilentPty runs commands in a pseudo-terminal
// that never answers (script(1), like `docker run -t`, expect and some CI
// and IDE terminals): a command must write nothing to the terminal but
// its output, and so never wait for an answer.
func TestNoTerminalQueriesInSilentPty(t *testing.T) {
	script, err := exec.LookPath("script")
	if err != nil {
		t.Skip("script (util-linux, Debian's bsdutils) is not installed: skipping the silent-pty test (.ci/run installs it)")
	}
	e := newEnv(t)
	file := filepath.Join(e.dir, "one.jsonl")
	rec := `{"method":"POST","path":"/webhooks","received_at":"2026-03-30T10:15:00Z",` +
		`"headers":[{"name":"Content-Type","value":"application/json"}],"body_base64":"eyJldmVudCI6InZpZGVvLnJlYWR5In0="}`
	if err := os.WriteFile(file, []byte(rec+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(e.mustRun("import", file))
	if id == "" {
		t.Fatal("import printed no id")
	}
	// A terminal as a user has one: colour allowed, so nothing is skipped
	// because NO_COLOR is set.
	var environ []string
	for _, kv := range e.environ("TERM=xterm-256color") {
		if !strings.HasPrefix(kv, "NO_COLOR=") {
			environ = append(environ, kv)
		}
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--version"}, "hookscope"},
		{[]string{"list"}, id},
		{[]string{"show", id}, "video.ready"},
	} {
		t.Run(c.args[0], func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			line := shellQuote(hookscopeBin)
			for _, a := range c.args {
				line += " " + shellQuote(a)
			}
			cmd := exec.CommandContext(ctx, script, "-qc", line, "/dev/null")
			cmd.Env = environ
			cmd.Stdin = nil // script's own input is no terminal: nothing can answer
			cmd.WaitDelay = time.Second
			start := time.Now()
			out, err := cmd.Output()
			took := time.Since(start)
			t.Logf("hookscope %s in a silent pty: %v", strings.Join(c.args, " "), took.Round(time.Millisecond))
			if err != nil {
				var ee *exec.ExitError
				if errors.As(err, &ee) {
					t.Fatalf("exit %d: %q\n%s", ee.ExitCode(), out, ee.Stderr)
				}
				t.Fatal(err)
			}
			if q := terminalQueries(string(out)); len(q) > 0 {
				t.Errorf("wrote terminal queries %q before its output:\n%q", q, out)
			}
			if !strings.Contains(string(out), c.want) {
				t.Errorf("output lacks %q: %q", c.want, out)
			}
			if took > hangBound {
				t.Errorf("took %v in a terminal that never answers: it waited for one", took)
			}
		})
	}
}

// terminalQueries returns the escape sequences in s that ask the terminal
// for an answer: colour queries (OSC 4/10/11/12/52 with "?"), device
// status and cursor position reports (CSI n), device attributes (CSI c),
// mode reports (CSI $p), window reports (CSI t), the version and keyboard
// protocol queries (CSI > q, CSI ? u), DCS requests, and DECID (ESC Z).
func terminalQueries(s string) []string {
	var found []string
	var state byte
	p := ansi.GetParser()
	defer ansi.PutParser(p)
	for len(s) > 0 {
		p.Reset()
		seq, _, n, next := ansi.DecodeSequence(s, state, p)
		s, state = s[n:], next
		cmd := ansi.Cmd(p.Command())
		switch {
		case ansi.HasOscPrefix(seq):
			if strings.Contains(seq, ";?") {
				found = append(found, seq)
			}
		case ansi.HasCsiPrefix(seq):
			switch {
			case cmd.Final() == 'n', cmd.Final() == 'c',
				cmd.Final() == 'p' && cmd.Intermediate() == '$',
				cmd.Final() == 't',
				cmd.Final() == 'q' && cmd.Prefix() == '>',
				cmd.Final() == 'u' && cmd.Prefix() == '?':
				found = append(found, seq)
			}
		case ansi.HasDcsPrefix(seq):
			found = append(found, seq)
		case seq == "\x1bZ":
			found = append(found, seq)
		}
	}
	return found
}

func TestTerminalQueriesAreSpotted(t *testing.T) {
	for in, want := range map[string]int{
		"\x1b]11;?\x1b\\\x1b[6n" + "Request 05gc…": 2, // what Bubble Tea v1 wrote before every command
		"\x1b]10;?\x07":                             1,
		"\x1b]52;c;?\x07":                           1,
		"\x1b[c\x1b[>c\x1b[5n":                      3,
		"\x1b[?2026$p":                              1,
		"\x1b[14t":                                  1,
		"\x1b[>q\x1b[?u":                            2,
		"\x1bP+q544e\x1b\\":                         1,
		"plain\r\n\x1b[1;32m✓ valid\x1b[m":          0,
		"\x1b]8;;https://x\x1b\\link\x1b]8;;\x1b\\": 0,
		"\x1b[2J\x1b[H":                             0,
	} {
		if got := terminalQueries(in); len(got) != want {
			t.Errorf("%q: found %q, want %d", in, got, want)
		}
	}
}

// shellQuote quotes s for sh, which script(1) runs the command with.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
