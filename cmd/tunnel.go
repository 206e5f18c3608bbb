package cmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/pflag"

	"github.com/hookscope/hookscope/tunnel"
)

// tunnelFlags are listen's flags that only the tunnel reads.
type tunnelFlags struct {
	proxy string
	// Test seams, hidden: ngrok's cloud is out of reach in tests, so they
	// point the agent at a local stand-in and make outages quick to see.
	ngrokCA        string
	ngrokHeartbeat time.Duration
}

func addTunnelFlags(fs *pflag.FlagSet, t *tunnelFlags) {
	fs.StringVar(&t.proxy, "proxy", "", "proxy for the connection to ngrok: http://, https:// or socks5:// (default: HTTPS_PROXY, ALL_PROXY, then ngrok.yml's proxy_url)")
	fs.StringVar(&t.ngrokCA, "ngrok-connect-ca", "", "PEM file of the CA the ngrok connect server's certificate must chain to")
	fs.DurationVar(&t.ngrokHeartbeat, "ngrok-heartbeat", 0, "ngrok heartbeat interval and tolerance")
	_ = fs.MarkHidden("ngrok-connect-ca")
	_ = fs.MarkHidden("ngrok-heartbeat")
}

// openTunnel opens the public tunnel --tunnel asks for. Under auto a
// failure is a warning (the local endpoint keeps working) and one that may
// pass (no network yet) is retried in the background; under ngrok, and
// with --domain, a failure ends the command.
func openTunnel(ctx context.Context, f *Factory, o *listenOptions) (tunnel.Tunnel, string, error) {
	cfg, err := f.Config()
	if err != nil {
		return nil, "", err
	}
	// Someone who ran `ngrok config add-authtoken` has set it up already.
	file := tunnel.NgrokConfig()
	token, source := tunnel.Token(o.authtoken, f.getenv("NGROK_AUTHTOKEN"), cfg.NgrokAuthtoken, file.Authtoken, file.Path)
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
	var cas *x509.CertPool
	if o.ngrokCA != "" {
		pem, err := os.ReadFile(o.ngrokCA)
		if err != nil {
			return nil, "", usageErrorf("cannot read --ngrok-connect-ca: %v", err)
		}
		cas = x509.NewCertPool()
		if !cas.AppendCertsFromPEM(pem) {
			return nil, "", usageErrorf("--ngrok-connect-ca %s holds no PEM certificate", o.ngrokCA)
		}
	}
	proxy, _ := tunnel.Proxy(o.proxy, f.getenv, file.ProxyURL, o.ngrokConnectURL)
	keepTrying := o.tunnel != string(tunnel.ModeNgrok)
	logger, closeLog := f.Logger()
	defer closeLog()
	t, err := tunnel.Ngrok(ctx, tunnel.Options{Authtoken: token, TokenSource: source, Domain: o.domain,
		TrafficPolicy: policy, ConnectURL: o.ngrokConnectURL, ConnectCAs: cas, Proxy: proxy,
		Logger: logger, Description: "hookscope", ClientVersion: version, KeepTrying: keepTrying,
		HeartbeatInterval: o.ngrokHeartbeat, HeartbeatTolerance: o.ngrokHeartbeat})
	if err == nil {
		if cur := t.Current(); cur.State == tunnel.Offline {
			return t, fmt.Sprintf("ngrok is not reachable yet (%s); capturing locally meanwhile and retrying in the background.", cur.Err), nil
		}
		return t, "", nil
	}
	var te *tunnel.Error
	msg := err.Error()
	if !errors.As(err, &te) {
		msg = "ngrok: " + msg
	}
	if !keepTrying || o.domain != "" {
		return nil, "", errors.New(msg)
	}
	return tunnel.None(), msg + "\nListening locally only.", nil
}

// maxLogSize caps hookscope.log: at start a bigger file becomes
// hookscope.log.1 (replacing the one before), so the log never grows
// beyond about twice this.
const maxLogSize = 5 << 20

// Logger is hookscope's log, $XDG_STATE_HOME/hookscope/hookscope.log: where
// ngrok-go's chatter goes, never the terminal the TUI draws on.
func (f *Factory) Logger() (*slog.Logger, func()) {
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	dir := f.getenv("XDG_STATE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return discard, func() {}
		}
		dir = filepath.Join(home, ".local", "state")
	}
	dir = filepath.Join(dir, "hookscope")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return discard, func() {}
	}
	p := filepath.Join(dir, "hookscope.log")
	if fi, err := os.Stat(p); err == nil && fi.Size() > maxLogSize {
		_ = os.Rename(p, p+".1")
	}
	fh, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return discard, func() {}
	}
	// The file stays open for the session: ngrok-go logs until Close.
	return slog.New(slog.NewTextHandler(fh, &slog.HandlerOptions{Level: slog.LevelInfo})), func() {}
}

// printerEvents are the tunnel events the printer shows. With --json a
// tunnel that is not up when ready is printed says so on a line of its
// own (scripts read stdout); plain output has said it on stderr already.
func printerEvents(tun tunnel.Tunnel, asJSON bool) <-chan tunnel.Event {
	cur := tun.Current()
	if !asJSON || tun.Provider() == tunnel.ProviderNone || cur.State == tunnel.Online {
		return tun.Events()
	}
	out := make(chan tunnel.Event, 32)
	out <- cur
	go func() {
		defer close(out)
		for ev := range tun.Events() {
			out <- ev
		}
	}()
	return out
}

func tunnelLine(ev tunnel.Event) string {
	s := fmt.Sprintf("tunnel %s", ev.State)
	if ev.URL != "" {
		s += " " + ev.URL
	}
	if ev.Err != "" {
		s += ": " + ev.Err
	}
	if ev.State == tunnel.Offline {
		if ev.Retrying {
			s += " (reconnecting; capture goes on locally)"
		} else {
			s += " (not retrying; capture goes on locally)"
		}
	}
	return s
}
