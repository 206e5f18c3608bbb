package cmd

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hookscope/hookscope/inspect/relay"
)

// TestConfigPortZeroAndUnset: port 0 ("pick a free port") is a value the
// file keeps, and unset brings the default back.
func TestConfigPortZeroAndUnset(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "config.toml")
	runOK := func(args ...string) (string, string) {
		t.Helper()
		io, out, errOut := Test()
		if code := run(io, append([]string{"--config", cfgPath}, args...)); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut)
		}
		return out.String(), errOut.String()
	}
	if _, errOut := runOK("config", "set", "port", "0"); !strings.Contains(errOut, "Set port = 0 in") {
		t.Errorf("config set port 0 said %q", errOut)
	}
	if out, _ := runOK("config", "get", "port"); out != "0\n" {
		t.Errorf("config get port = %q, want 0", out)
	}
	// loadConfig sees the 0 the way listen does.
	c, err := loadConfig(cfgPath)
	if err != nil || c.Port == nil || *c.Port != 0 {
		t.Fatalf("port after set 0: %v %v", c.Port, err)
	}
	runOK("config", "set", "forward-to", ":3000")
	if _, errOut := runOK("config", "unset", "port"); !strings.Contains(errOut, "Unset port") {
		t.Errorf("unset said %q", errOut)
	}
	if out, _ := runOK("config", "get", "port"); out != "\n" {
		t.Errorf("config get port after unset = %q", out)
	}
	if out, _ := runOK("config", "get", "forward-to"); out != ":3000\n" {
		t.Errorf("unset port touched forward-to: %q", out)
	}
	io, _, errOut := Test()
	if code := run(io, []string{"--config", cfgPath, "config", "unset", "colour"}); code != exitUsage || !strings.Contains(errOut.String(), "known keys") {
		t.Errorf("unset of an unknown key: exit %d %q", code, errOut)
	}
}

// TestDefaultConsumerIsPerStore: two stores on one machine read the team's
// stream through two consumers (one name would split the webhooks between
// them); one store keeps its consumer across restarts and spellings of its
// path.
func TestDefaultConsumerIsPerStore(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a", "hookscope.db"), filepath.Join(dir, "b", "hookscope.db")
	ca, cb := defaultConsumer(a), defaultConsumer(b)
	if ca == cb {
		t.Errorf("two stores share the consumer %q", ca)
	}
	if again := defaultConsumer(filepath.Join(dir, "a", ".", "hookscope.db")); again != ca {
		t.Errorf("the same store named two ways: %q and %q", ca, again)
	}
	if err := relay.Check(relay.Options{URL: "nats://127.0.0.1:1", Subscribe: true, Consumer: ca}); err != nil || len(ca) > 64 {
		t.Errorf("default consumer %q: %v", ca, err)
	}
}
