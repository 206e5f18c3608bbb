package tunnel

import (
	"os"
	"path/filepath"
	"runtime"

	"gopkg.in/yaml.v3"
)

// NgrokConfigToken reads the authtoken that `ngrok config add-authtoken`
// saved in ngrok's own config file, so someone who already uses ngrok has
// nothing more to set up. It returns "" when there is none; the file's
// path is returned for messages, never the token's value.
func NgrokConfigToken() (token, path string) {
	for _, p := range ngrokConfigPaths() {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// Version 2 files keep it at the top level, version 3 under agent.
		var c struct {
			Authtoken string `yaml:"authtoken"`
			Agent     struct {
				Authtoken string `yaml:"authtoken"`
			} `yaml:"agent"`
		}
		if yaml.Unmarshal(b, &c) != nil {
			continue
		}
		if c.Agent.Authtoken != "" {
			return c.Agent.Authtoken, p
		}
		if c.Authtoken != "" {
			return c.Authtoken, p
		}
	}
	return "", ""
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
