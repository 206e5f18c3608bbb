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

// TokenSource says where the authtoken came from: one of the From
// constants, or the path of ngrok's own ngrok.yml.
type TokenSource string

const (
	FromFlag   TokenSource = "--authtoken"
	FromEnv    TokenSource = "NGROK_AUTHTOKEN"
	FromConfig TokenSource = "hookscope config"
)

// remedy is how to replace a token from this source; a token from the
// environment wins over every file, so fixing a file would change nothing.
func (s TokenSource) remedy() string {
	switch s {
	case FromFlag:
		return "pass it with --authtoken"
	case FromEnv:
		return "set NGROK_AUTHTOKEN to it (it wins over hookscope's config), or unset NGROK_AUTHTOKEN"
	case FromConfig, "":
		return "set it with `hookscope config set ngrok-authtoken TOKEN`"
	}
	return "save it with `ngrok config add-authtoken TOKEN` (this one came from " + string(s) + ") or `hookscope config set ngrok-authtoken TOKEN`"
}

// Token picks the ngrok authtoken by precedence flag > env > hookscope's
// config > ngrok's ngrok.yml (at ngrokYMLPath) and says where it came
// from, so a rejected token's remedy names the place to fix it without
// ever printing the token itself.
func Token(flag, env, config, ngrokYML, ngrokYMLPath string) (string, TokenSource) {
	for _, c := range []struct {
		token  string
		source TokenSource
	}{
		{flag, FromFlag},
		{env, FromEnv},
		{config, FromConfig},
		{ngrokYML, TokenSource(ngrokYMLPath)},
	} {
		if t := strings.TrimSpace(c.token); t != "" {
			return t, c.source
		}
	}
	return "", ""
}
