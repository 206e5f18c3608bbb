package cmd

import (
	"context"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/session"
	"github.com/hookscope/hookscope/tui"
	"github.com/hookscope/hookscope/tunnel"
)

// useTUI: the terminal UI runs when stdout is a terminal and nobody asked
// for lines.
func useTUI(f *Factory, o *listenOptions) bool {
	return f.IO.OutTTY && f.IO.InTTY && !o.noTUI && !o.json
}

func runTUI(ctx context.Context, f *Factory, ready readyInfo, sess *session.Session, sub *inspect.Sub,
	tun tunnel.Tunnel, secrets []string, warning string) error {
	opts := tui.Options{
		Backend:   sess,
		Events:    sub,
		LocalURL:  ready.LocalURL,
		PublicURL: ready.RegisterURL,
		Targets:   ready.ForwardTo,
		CanResign: len(secrets) > 0,
	}
	if len(secrets) > 0 {
		opts.SecretMask = mask(secrets[0])
	}
	if t := ready.Team; t != nil {
		opts.Team = t.URL // masked
		if t.Consumer != "" {
			opts.Team += " · consumer " + t.Consumer
		}
	}
	if tun.Provider() != tunnel.ProviderNone || warning != "" {
		opts.Tunnel = tunnelEvents(tun, warning, ready.Path)
	}
	if sess.Forwarding() {
		// The TUI's r and e: as captured (body nil) or the edited body
		// re-signed, through the session's one replayer.
		opts.Replay = func(ctx context.Context, id string, body []byte) (*inspect.Attempt, error) {
			out, err := sess.Replay(ctx, forward.ReplayRequest{ID: id, Edit: forward.Edit{Body: body}})
			if out == nil || len(out.Results) == 0 {
				return nil, err
			}
			return out.Results[0].Attempt, err
		}
		opts.Health = sess.Health
	}
	return tui.Run(ctx, opts)
}

// tunnelEvents feeds the header: the state the tunnel is in, then its
// changes, with each public URL joined to --path as the header shows the
// URL to register. A failed tunnel under auto shows as offline with its
// reason, since the TUI owns the screen a warning line would have gone to.
func tunnelEvents(tun tunnel.Tunnel, warning, path string) <-chan tunnel.Event {
	if tun.Provider() == tunnel.ProviderNone {
		ch := make(chan tunnel.Event, 1)
		ch <- tunnel.Event{At: time.Now(), State: tunnel.Offline, Err: warning}
		close(ch)
		return ch
	}
	// As large as the tunnel's own buffer: the relay adds no loss.
	out := make(chan tunnel.Event, 32)
	register := func(ev tunnel.Event) tunnel.Event {
		ev.URL = tunnel.EndpointURL(ev.URL, path)
		return ev
	}
	out <- register(tun.Current())
	go func() {
		defer close(out)
		for ev := range tun.Events() {
			out <- register(ev)
		}
	}()
	return out
}
