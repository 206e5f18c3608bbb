package tunnel

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNgrokConfigToken(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("HOME", dir)
	if tok, _ := NgrokConfigToken(); tok != "" {
		t.Fatalf("token %q with no ngrok config", tok)
	}
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// ngrok v2's old place, version 2 format.
	old := filepath.Join(dir, ".ngrok2", "ngrok.yml")
	write(old, "authtoken: v2token\nregion: eu\n")
	if tok, p := NgrokConfigToken(); tok != "v2token" || p != old {
		t.Errorf("v2 file: %q from %s", tok, p)
	}
	// ngrok v3's place wins, version 3 format.
	v3 := filepath.Join(dir, "config", "ngrok", "ngrok.yml")
	write(v3, "version: \"3\"\nagent:\n  authtoken: v3token\n")
	if tok, p := NgrokConfigToken(); tok != "v3token" || p != v3 {
		t.Errorf("v3 file: %q from %s", tok, p)
	}
	// A broken file is skipped, not fatal.
	write(v3, "agent: [unclosed\n")
	if tok, _ := NgrokConfigToken(); tok != "v2token" {
		t.Errorf("broken v3 file: %q", tok)
	}
}
