package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHelpVersionAndUsageErrors(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	if out := e.mustRun("--version"); !strings.HasPrefix(out, "hookscope ") {
		t.Errorf("--version: %q", out)
	}
	for _, cmd := range [][]string{{}, {"listen"}, {"forward"}, {"replay"}, {"list"}, {"show"}, {"config"}, {"config", "set"}, {"completion"}, {"version"}, {"man"}} {
		out := e.mustRun(append(cmd, "--help")...)
		if !strings.Contains(out, "Examples:") {
			t.Errorf("hookscope %v --help has no examples:\n%s", cmd, out)
		}
	}
	// A usage error: one sentence, exit 2, no usage dump.
	_, errOut, code := e.run([]string{"list", "--limit", "x"})
	if code != 2 || strings.Contains(errOut, "Usage:") || !strings.Contains(errOut, "--help") {
		t.Errorf("bad flag: exit %d %q", code, errOut)
	}
	_, errOut, code = e.run([]string{"listen", "--port", "99999"})
	if code != 2 || strings.Contains(errOut, "Usage:") {
		t.Errorf("bad port: exit %d %q", code, errOut)
	}
	// A runtime error: exit 1, no usage dump.
	notes := filepath.Join(e.dir, "notes.txt")
	os.WriteFile(notes, []byte("precious"), 0o644)
	_, errOut, code = e.run([]string{"--db", notes, "list"})
	if code != 1 || strings.Contains(errOut, "Usage:") || !strings.Contains(errOut, "not a hookscope store") {
		t.Errorf("foreign db: exit %d %q", code, errOut)
	}
	if b, _ := os.ReadFile(notes); string(b) != "precious" {
		t.Error("foreign file overwritten")
	}
	if out := e.mustRun("completion", "bash"); !strings.Contains(out, "hookscope") {
		t.Error("no bash completion")
	}
}

func TestConfigFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	e.mustRun("config", "set", "secret", "whsec_verysecretvalue1234")
	e.mustRun("config", "set", "ngrok-authtoken", "2abcdefghijklmnopqrstuvwxyz_TOKEN")
	path := strings.TrimSpace(e.mustRun("config", "path"))
	if path != filepath.Join(e.dir, "config", "hookscope", "config.toml") {
		t.Errorf("config path %q", path)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("config file mode %v %v", st, err)
	}
	out := e.mustRun("config", "get")
	if strings.Contains(out, "verysecret") || !strings.Contains(out, "secret = ****1234") || !strings.Contains(out, "ngrok-authtoken = ****OKEN") {
		t.Errorf("config get:\n%s", out)
	}
	_, errOut, code := e.run([]string{"config", "set", "colour", "blue"})
	if code != 2 || !strings.Contains(errOut, "known keys") {
		t.Errorf("unknown key: exit %d %q", code, errOut)
	}
	// `config set` output never shows the secret either.
	_, errOut, _ = e.run([]string{"config", "set", "secret", "whsec_anothersecret9876"})
	if strings.Contains(errOut, "anothersecret") {
		t.Errorf("config set echoed the secret: %q", errOut)
	}
}
