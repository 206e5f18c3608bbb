package tunnel

import (
	"os"
	"path/filepath"
	"runtime"

	"gopkg.in/yaml.v3"
)

// NgrokFile is what hookscope takes from ngrok's own ngrok.yml.
type NgrokFile struct {
	Authtoken string
	ProxyURL  string
	Path      string // where it was read, for messages
}

// NgrokConfig reads the authtoken that `ngrok config add-authtoken` saved
// in ngrok's own config file, and its proxy_url, so someone who already
// uses ngrok has nothing more to set up. It returns the first file that
// has a token (or, failing that, a proxy); the zero value when none does.
// The token is for connecting only, never for messages.
func NgrokConfig() NgrokFile {
	var found NgrokFile
	for _, p := range ngrokConfigPaths() {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// Version 2 files keep both at the top level, version 3 under agent.
		var c struct {
			Authtoken string `yaml:"authtoken"`
			ProxyURL  string `yaml:"proxy_url"`
			Agent     struct {
				Authtoken string `yaml:"authtoken"`
				ProxyURL  string `yaml:"proxy_url"`
			} `yaml:"agent"`
		}
		if yaml.Unmarshal(b, &c) != nil {
			continue
		}
		f := NgrokFile{Authtoken: c.Agent.Authtoken, ProxyURL: c.Agent.ProxyURL, Path: p}
		if f.Authtoken == "" {
			f.Authtoken = c.Authtoken
		}
		if f.ProxyURL == "" {
			f.ProxyURL = c.ProxyURL
		}
		if f.Authtoken != "" {
			return f
		}
		if found.Path == "" && f.ProxyURL != "" {
			found = f
		}
	}
	return found
}

// ngrokConfigPaths are where ngrok v3 keeps ngrok.yml on each system,
// then ngrok v2's old place.
func ngrokConfigPaths() []string {
	var out []string
	home, _ := os.UserHomeDir()
	switch runtime.GOOS {
	case "darwin":
		if home != "" {
			out = append(out, filepath.Join(home, "Library", "Application Support", "ngrok", "ngrok.yml"))
		}
	case "windows":
		if dir := os.Getenv("LOCALAPPDATA"); dir != "" {
			out = append(out, filepath.Join(dir, "ngrok", "ngrok.yml"))
		}
	}
	if dir := os.Getenv("XDG_CONFIG_HOME"); dir != "" {
		out = append(out, filepath.Join(dir, "ngrok", "ngrok.yml"))
	} else if home != "" {
		out = append(out, filepath.Join(home, ".config", "ngrok", "ngrok.yml"))
	}
	if home != "" {
		out = append(out, filepath.Join(home, ".ngrok2", "ngrok.yml"))
	}
	return out
}
