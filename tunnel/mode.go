package tunnel

import (
	"fmt"
	"strings"
)

// Mode is the value of --tunnel.
type Mode string

const (
	ModeAuto  Mode = "auto"
	ModeNgrok Mode = "ngrok"
	ModeNone  Mode = "none"
)

const noAuthtokenMsg = "ngrok needs an authtoken: set NGROK_AUTHTOKEN, run `hookscope config set ngrok-authtoken TOKEN`, or use --tunnel none"

// Resolve turns --tunnel into ModeNgrok or ModeNone. auto (or empty) picks
// ngrok only when a token is available, so a first run without an ngrok
// account still captures locally instead of failing.
func Resolve(mode string, token string) (Mode, error) {
	hasToken := strings.TrimSpace(token) != ""
	switch Mode(strings.ToLower(strings.TrimSpace(mode))) {
	case "", ModeAuto:
		if hasToken {
			return ModeNgrok, nil
		}
		return ModeNone, nil
	case ModeNgrok:
		if !hasToken {
			return "", &Error{Kind: ErrNoAuthtoken, msg: noAuthtokenMsg}
		}
		return ModeNgrok, nil
	case ModeNone:
		return ModeNone, nil
	}
	return "", &Error{Kind: ErrConfig, msg: fmt.Sprintf("unknown --tunnel mode %q; use auto, ngrok or none", mode)}
}

// Token picks the ngrok authtoken by precedence flag > env > config and says
// where it came from, so the CLI can tell the user which one was rejected
// without ever printing the token itself.
func Token(flag, env, config string) (token, source string) {
	for _, c := range []struct{ token, source string }{
		{flag, "flag"},
		{env, "env NGROK_AUTHTOKEN"},
		{config, "config"},
	} {
		if t := strings.TrimSpace(c.token); t != "" {
			return t, c.source
		}
	}
	return "", ""
}
