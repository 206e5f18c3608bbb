package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/hookscope/hookscope/tunnel"
)

// openTunnel opens the public tunnel --tunnel asks for. Under auto a
// failure is a warning (the local endpoint keeps working); under ngrok it
// ends the command.
func openTunnel(ctx context.Context, f *Factory, o *listenOptions) (tunnel.Tunnel, string, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, "", err
	}
	saved := cfg.NgrokAuthtoken
	if saved == "" {
		// Someone who ran `ngrok config add-authtoken` has set it up already.
		saved, _ = tunnel.NgrokConfigToken()
	}
	token, _ := tunnel.Token(o.authtoken, f.getenv("NGROK_AUTHTOKEN"), saved)
	mode, err := tunnel.Resolve(o.tunnel, token)
	if err != nil {
		return nil, "", usageError{err}
	}
	if mode == tunnel.ModeNone {
		return tunnel.None(), "", nil
	}
	policy := ""
	if o.trafficPolicy != "" {
		b, err := os.ReadFile(o.trafficPolicy)
		if err != nil {
			return nil, "", usageErrorf("cannot read the traffic policy file: %v", err)
		}
		policy = string(b)
	}
	logger, closeLog := f.Logger()
	defer closeLog()
	t, err := tunnel.Ngrok(ctx, tunnel.Options{Authtoken: token, Domain: o.domain, TrafficPolicy: policy,
		ConnectURL: o.ngrokConnectURL, Logger: logger, Description: "hookscope"})
	if err == nil {
		return t, "", nil
	}
	var te *tunnel.Error
	msg := err.Error()
	if !errors.As(err, &te) {
		msg = "ngrok: " + msg
	}
	if o.tunnel == string(tunnel.ModeNgrok) || o.domain != "" {
		return nil, "", errors.New(msg)
	}
	return tunnel.None(), msg + "\nListening locally only.", nil
}

// Logger is hookscope's log, $XDG_STATE_HOME/hookscope/hookscope.log: where
// ngrok-go's chatter goes, never the terminal the TUI draws on.
func (f *Factory) Logger() (*slog.Logger, func()) {
	dir := f.getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "hookscope")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
	}
	fh, err := os.OpenFile(filepath.Join(dir, "hookscope.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return slog.New(slog.NewTextHandler(io.Discard, nil)), func() {}
	}
	return slog.New(slog.NewTextHandler(fh, &slog.HandlerOptions{Level: slog.LevelInfo})), func() {}
}

func tunnelLine(ev tunnel.Event) string {
	s := fmt.Sprintf("tunnel %s", ev.State)
	if ev.URL != "" {
		s += " " + ev.URL
	}
	if ev.Err != "" {
		s += ": " + ev.Err
	}
	return s
}
