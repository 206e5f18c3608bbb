package cmd

import (
	"context"

	"github.com/hookscope/hookscope/inspect/capture"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/tunnel"
)

// useTUI: the terminal UI runs when stdout is a terminal and nobody asked
// for lines. Until tui/ lands, terminals get the plain lines too.
func useTUI(f *Factory, o *listenOptions) bool {
	return false
}

func runTUI(ctx context.Context, f *Factory, o *listenOptions, ready readyInfo, st *store.Store, sub *capture.Sub,
	tun tunnel.Tunnel, fwd *forward.Forwarder, secrets []string, warning string) error {
	return nil
}
