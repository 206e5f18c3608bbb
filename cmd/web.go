package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/hookscope/hookscope/inspect/session"
	"github.com/hookscope/hookscope/tunnel"
	"github.com/hookscope/hookscope/web"
	"github.com/spf13/cobra"
)

// webFlag is listen's --web: the inspector's address, or off.
func webFlag(c *cobra.Command, f *Factory, flag string) (string, error) {
	addr := flag
	if !c.Flags().Changed("web") {
		cfg, err := f.Config()
		if err != nil {
			return "", err
		}
		if cfg.Web != "" {
			addr = cfg.Web
		}
	}
	return strings.TrimSpace(addr), nil
}

// startWeb opens the web inspector on its own port (never the capture
// port, never the tunnel) and serves it until ctx ends. It returns nil
// with --web off.
func startWeb(ctx context.Context, c *cobra.Command, f *Factory, o *listenOptions, sess *session.Session,
	ready readyInfo, canResign bool, maxBody int64) (*web.Server, error) {
	addr, err := webFlag(c, f, o.web)
	if err != nil || addr == "off" {
		return nil, err
	}
	ln, err := web.Listen(addr)
	if err != nil {
		return nil, usageError{err}
	}
	if !web.Loopback(ln) {
		fmt.Fprintf(f.IO.ErrOut, "Warning: the web inspector listens on %s, reachable from other machines: anyone who can reach it sees every captured payload.\n", ln.Addr())
	}
	srv := web.New(web.Options{Session: sess, LocalURL: ready.LocalURL, PublicURL: ready.RegisterURL, Targets: ready.ForwardTo,
		CanResign: canResign, Version: version, MaxBody: maxBody}, ln)
	go srv.Serve(ctx, ln)
	return srv, nil
}

// webTunnel is the tunnel as front ends see it when the inspector also
// watches its state: the same events, passed on.
type webTunnel struct {
	tunnel.Tunnel
	events <-chan tunnel.Event
}

func (t webTunnel) Events() <-chan tunnel.Event { return t.events }
