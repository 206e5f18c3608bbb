package tunnel

import (
	"os"
	"path/filepath"
	"testing"
)

func TestNgrokConfig(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("HOME", dir)
	if f := NgrokConfig(); f != (NgrokFile{}) {
		t.Fatalf("%+v with no ngrok config", f)
	}
	write := func(p, s string) {
		os.MkdirAll(filepath.Dir(p), 0o700)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// ngrok v2's old place, version 2 format.
	old := filepath.Join(dir, ".ngrok2", "ngrok.yml")
	write(old, "authtoken: v2token\nregion: eu\nproxy_url: http://proxy.v2:3128\n")
	if f := NgrokConfig(); f.Authtoken != "v2token" || f.Path != old || f.ProxyURL != "http://proxy.v2:3128" {
		t.Errorf("v2 file: %+v", f)
	}
	// ngrok v3's place wins, version 3 format.
	v3 := filepath.Join(dir, "config", "ngrok", "ngrok.yml")
	write(v3, "version: \"3\"\nagent:\n  authtoken: v3token\n  proxy_url: socks5://proxy.v3:1080\n")
	if f := NgrokConfig(); f.Authtoken != "v3token" || f.Path != v3 || f.ProxyURL != "socks5://proxy.v3:1080" {
		t.Errorf("v3 file: %+v", f)
	}
	// A broken file is skipped, not fatal.
	write(v3, "agent: [unclosed\n")
	if f := NgrokConfig(); f.Authtoken != "v2token" {
		t.Errorf("broken v3 file: %+v", f)
	}
	// A proxy without a token is still found.
	write(v3, "version: \"3\"\nagent:\n  proxy_url: http://only.proxy:8080\n")
	os.Remove(old)
	if f := NgrokConfig(); f.Authtoken != "" || f.ProxyURL != "http://only.proxy:8080" || f.Path != v3 {
		t.Errorf("proxy-only file: %+v", f)
	}
}
