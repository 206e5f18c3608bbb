package cmd

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/pelletier/go-toml/v2"

	"github.com/hookscope/hookscope/inspect/relay"
)

// fileConfig is $XDG_CONFIG_HOME/hookscope/config.toml. Users change it with
// `hookscope config set`, never by hand, so its keys are few and checked.
type fileConfig struct {
	Secrets        []string `toml:"secrets,omitempty"`
	NgrokAuthtoken string   `toml:"ngrok_authtoken,omitempty"`
	ForwardTo      string   `toml:"forward_to,omitempty"`
	// Port is a pointer so 0 ("pick a free port") is a value that is kept,
	// not the same as unset.
	Port      *int   `toml:"port,omitempty"`
	Publish   string `toml:"publish,omitempty"`
	Subscribe string `toml:"subscribe,omitempty"`
	Web       string `toml:"web,omitempty"`
}

// configKeys are the names `config set/get` accept, with what they mean.
var configKeys = map[string]string{
	"secret":          "VideoNest signing secret(s); several comma-separated for rotation",
	"ngrok-authtoken": "ngrok authtoken for the public tunnel",
	"forward-to":      "default handler URL for listen/forward/replay",
	"port":            "default local port for listen",
	"publish":         "NATS URL to publish captures to (team relay), as --publish",
	"subscribe":       "NATS URL to subscribe to the team's captures, as --subscribe",
	"web":             "web inspector address for listen (host:port, or off)",
}

func sortedConfigKeys() []string {
	keys := make([]string, 0, len(configKeys))
	for k := range configKeys {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// defaultConfigPath follows the XDG base directory spec.
func defaultConfigPath() (string, error) {
	dir := os.Getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot find a home directory for the config file: %w; pass --config", err)
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "hookscope", "config.toml"), nil
}

func loadConfig(path string) (*fileConfig, error) {
	c := &fileConfig{}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read the config file %s: %w", path, err)
	}
	if err := toml.Unmarshal(b, c); err != nil {
		return nil, fmt.Errorf("the config file %s is not valid: %v; fix it or remove it", path, err)
	}
	return c, nil
}

// save writes the file 0600 through a temporary file, so a crash never
// leaves half a config and the secret is never world-readable, even briefly.
func (c *fileConfig) save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("cannot create %s: %w", filepath.Dir(path), err)
	}
	b, err := toml.Marshal(c)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".config-*.toml")
	if err != nil {
		return fmt.Errorf("cannot write the config file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write the config file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

func (c *fileConfig) set(key, value string) error {
	switch key {
	case "secret":
		c.Secrets = nil
		for _, s := range strings.Split(value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				c.Secrets = append(c.Secrets, s)
			}
		}
		if len(c.Secrets) == 0 && value != "" {
			return fmt.Errorf("that secret is only whitespace and commas: give the signing secret from VideoNest's dashboard")
		}
	case "ngrok-authtoken":
		c.NgrokAuthtoken = strings.TrimSpace(value)
	case "forward-to":
		c.ForwardTo = strings.TrimSpace(value)
	case "publish":
		c.Publish = strings.TrimSpace(value)
	case "subscribe":
		c.Subscribe = strings.TrimSpace(value)
	case "port":
		var p int
		if _, err := fmt.Sscanf(value, "%d", &p); err != nil || p < 0 || p > 65535 {
			return fmt.Errorf("port must be a number from 0 to 65535, not %q", value)
		}
		c.Port = &p
	case "web":
		v := strings.TrimSpace(value)
		if v != "off" && v != "" {
			if _, _, err := net.SplitHostPort(v); err != nil {
				return fmt.Errorf("web must be host:port (e.g. 127.0.0.1:4040) or off, not %q", value)
			}
		}
		c.Web = v
	default:
		return unknownKey(key)
	}
	return nil
}

// get returns a printable value: secrets and tokens are masked, always.
func (c *fileConfig) get(key string) (string, error) {
	switch key {
	case "secret":
		m := make([]string, len(c.Secrets))
		for i, s := range c.Secrets {
			m[i] = mask(s)
		}
		return strings.Join(m, ","), nil
	case "ngrok-authtoken":
		return mask(c.NgrokAuthtoken), nil
	case "forward-to":
		return c.ForwardTo, nil
	case "publish":
		return relay.Mask(c.Publish), nil
	case "subscribe":
		return relay.Mask(c.Subscribe), nil
	case "port":
		if c.Port == nil {
			return "", nil
		}
		return fmt.Sprint(*c.Port), nil
	case "web":
		return c.Web, nil
	}
	return "", unknownKey(key)
}

// unset removes key, so the default (or the environment) applies again.
func (c *fileConfig) unset(key string) error {
	switch key {
	case "secret":
		c.Secrets = nil
	case "ngrok-authtoken":
		c.NgrokAuthtoken = ""
	case "forward-to":
		c.ForwardTo = ""
	case "port":
		c.Port = nil
	case "publish":
		c.Publish = ""
	case "subscribe":
		c.Subscribe = ""
	case "web":
		c.Web = ""
	default:
		return unknownKey(key)
	}
	return nil
}

func unknownKey(key string) error {
	return fmt.Errorf("unknown config key %q; known keys: %s", key, strings.Join(sortedConfigKeys(), ", "))
}

// mask shows only the last 4 characters of a secret, so a user can tell
// which one is in use without it ever reaching a screen or a log.
func mask(s string) string {
	if s == "" {
		return ""
	}
	if len(s) <= 8 {
		return "****"
	}
	return "****" + s[len(s)-4:]
}
