package cmd

import (
	"context"
	"errors"
	"net"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/capture"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/tui"
	"github.com/hookscope/hookscope/tunnel"
)

// useTUI: the terminal UI runs when stdout is a terminal and nobody asked
// for lines.
func useTUI(f *Factory, o *listenOptions) bool {
	return f.IO.OutTTY && f.IO.InTTY && !o.noTUI && !o.json
}

func runTUI(ctx context.Context, f *Factory, o *listenOptions, ready readyInfo, st *store.Store, sub *capture.Sub,
	tun tunnel.Tunnel, fwd *forward.Forwarder, secrets []string, warning string) error {
	opts := tui.Options{
		Backend:   st,
		Events:    sub,
		LocalURL:  ready.LocalURL,
		PublicURL: ready.RegisterURL,
		Targets:   ready.ForwardTo,
		CanResign: len(secrets) > 0,
	}
	if len(secrets) > 0 {
		opts.SecretMask = mask(secrets[0])
	}
	if tun.Provider() != tunnel.ProviderNone || warning != "" {
		opts.Tunnel = tunnelEvents(tun, warning, o.path)
	}
	if fwd != nil {
		opts.Replay = func(ctx context.Context, id string, body []byte) (*inspect.Attempt, error) {
			return tuiReplay(ctx, st, fwd, secrets, o.appendPath, id, body)
		}
		if t := fwd.Targets(""); len(t) > 0 {
			addr := t[0].URL.Host
			if t[0].URL.Port() == "" {
				port := "80"
				if t[0].URL.Scheme == "https" {
					port = "443"
				}
				addr = net.JoinHostPort(t[0].URL.Hostname(), port)
			}
			opts.Health = func(ctx context.Context) error {
				d := net.Dialer{Timeout: time.Second}
				c, err := d.DialContext(ctx, "tcp", addr)
				if err != nil {
					return err
				}
				return c.Close()
			}
		}
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

// tuiReplay is the TUI's r and e: as captured (body nil) or the edited
// body re-signed, to where the request went last, else the forward target.
func tuiReplay(ctx context.Context, st *store.Store, fwd *forward.Forwarder, secrets []string, appendPath bool, id string, body []byte) (*inspect.Attempt, error) {
	rec, err := st.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Refused != 0 {
		return nil, errors.New("hookscope refused this request and kept no body; there is nothing to replay")
	}
	edit := forward.Edit{Body: body}
	if len(secrets) > 0 {
		edit.Secret = secrets[0]
	}
	sent, _, err := forward.Prepare(rec, edit)
	if err != nil {
		return nil, err
	}
	url, err := st.LastTarget(ctx, id)
	if err != nil {
		return nil, err
	}
	if url == "" {
		ts := fwd.Targets(rec.Event)
		if len(ts) == 0 {
			return nil, errors.New("no forward target for this event")
		}
		url = ts[0].URLFor(rec.Path, rec.Query, appendPath)
	}
	res, err := fwd.Replay(ctx, sent, url)
	if res == nil {
		return nil, err
	}
	return res.Attempt, err
}
