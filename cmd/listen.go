package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/store"

	"github.com/hookscope/hookscope/inspect/capture"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/wire"
	"github.com/hookscope/hookscope/tunnel"
	"github.com/spf13/cobra"
)

// defaultPort clashes with neither ngrok's inspector (4040) nor the usual
// app ports (3000, 8080).
const defaultPort = 7717

type listenOptions struct {
	host       string
	port       int
	tunnel     string
	secrets    []string
	maxBody    string
	noTUI      bool
	json       bool
	provider   string
	verifyOnly bool
	generic    genericFlags

	forwardTo      []string
	forwardTimeout time.Duration
	ack            bool
	routes         string
	appendPath     bool
	skipVerify     bool

	authtoken       string
	domain          string
	trafficPolicy   string
	path            string
	ngrokConnectURL string

	portSet bool // --port given: the config's port does not apply
}

func addListenFlags(c *cobra.Command, o *listenOptions) {
	fs := c.Flags()
	fs.StringVar(&o.host, "host", "127.0.0.1", "interface to listen on")
	fs.IntVar(&o.port, "port", defaultPort, "local port (0 picks a free one, shown in the ready line)")
	fs.StringVar(&o.tunnel, "tunnel", "auto", "public tunnel: auto (ngrok when a token is set), ngrok, none")
	fs.StringArrayVar(&o.secrets, "secret", nil, "VideoNest signing secret; repeat for rotation (env VIDEONEST_WEBHOOK_SECRET)")
	addSecretFileFlag(fs, &o.secrets)
	fs.StringVar(&o.maxBody, "max-body", "10MiB", "largest body captured; larger ones get 413 (e.g. 512KB, 10MiB)")
	fs.BoolVar(&o.noTUI, "no-tui", false, "print one line per request instead of the terminal UI")
	fs.BoolVar(&o.json, "json", false, "print NDJSON events (implies --no-tui)")
	fs.StringVar(&o.provider, "provider", "", "judge signatures with this scheme only: videonest, github, stripe, standard-webhooks (svix), shopify, generic (default: detect from headers)")
	addGenericFlags(fs, &o.generic)
	fs.BoolVar(&o.verifyOnly, "verify-only", false, "answer 401 (still recorded) to requests whose signature is not valid")
	fs.StringArrayVar(&o.forwardTo, "forward-to", nil, "forward each request to this handler (repeat to fan out): 3000, :3000, localhost:3000/webhooks, https://…")
	fs.DurationVar(&o.forwardTimeout, "forward-timeout", forward.ProviderTimeout, "give up on the handler after this long (0 = wait forever, e.g. at a breakpoint)")
	fs.BoolVar(&o.ack, "ack", false, "answer 200 once stored and forward in the background, instead of relaying the handler's answer")
	fs.StringVar(&o.routes, "routes", "", "file of `EVENT-GLOB -> TARGET` lines routing events to handlers")
	fs.BoolVar(&o.appendPath, "append-path", false, "append the incoming path to the target's path (default: a target with a path gets exactly that path)")
	fs.BoolVar(&o.skipVerify, "skip-verify", false, "accept self-signed certificates on https handlers")
	fs.StringVar(&o.authtoken, "authtoken", "", "ngrok authtoken (env NGROK_AUTHTOKEN, or `hookscope config set ngrok-authtoken`)")
	fs.StringVar(&o.domain, "domain", "", "reserved ngrok domain for a stable public URL (e.g. hooks.example.ngrok.app)")
	fs.StringVar(&o.domain, "url", "", "same as --domain")
	fs.StringVar(&o.trafficPolicy, "traffic-policy", "", "ngrok traffic policy file, passed through to ngrok")
	fs.StringVar(&o.path, "path", "", "path to show in the URL to register in VideoNest (e.g. /webhooks); every path is captured")
	// For tests against a local stand-in: ngrok's cloud is not reachable there.
	fs.StringVar(&o.ngrokConnectURL, "ngrok-connect-url", "", "ngrok agent connect address (host:port)")
	fs.MarkHidden("ngrok-connect-url")
}

func newListenCmd(f *Factory) *cobra.Command {
	o := &listenOptions{}
	c := &cobra.Command{
		Use:   "listen",
		Short: "Capture webhooks on a local endpoint and show them as they arrive",
		Long: `listen serves HTTP on --host:--port, accepts any method and path, stores every
request in the store before answering 200, and judges its X-VideoNest-Signature.

Answers: 200 {"id":…} once stored; 413 over --max-body (recorded without body);
503 when the store cannot commit (nothing is acknowledged that is not stored).`,
		Example: `  hookscope listen
  hookscope listen --port 0 --json          # pick a free port; NDJSON for scripts
  hookscope listen --secret "$VIDEONEST_WEBHOOK_SECRET" --no-tui
  hookscope listen --secret new --secret old   # during a secret rotation`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return listenRun(c, f, o)
		},
	}
	addListenFlags(c, o)
	return c
}

// captureGCPercent is the garbage collector's target while capturing.
// listen's live heap is small (a few MiB: SQLite's pages live outside the
// Go heap), so at the default 100 a burst of captures started a collection
// every few milliseconds. At 400, under a 16-connection burst: CPU per
// capture 47 → 40 µs, captures/s +10–25%, resident memory 29 → 42 MiB.
const captureGCPercent = 400

// tuneGC applies captureGCPercent unless the user set GOGC.
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(captureGCPercent)
	}
}

// listenRun serves until ctx ends (Ctrl-C or SIGTERM).
func listenRun(c *cobra.Command, f *Factory, o *listenOptions) error {
	ctx := c.Context()
	tuneGC()
	o.portSet = c.Flags().Changed("port")
	if !o.portSet {
		if cfg, err := f.Config(); err == nil && cfg.Port != 0 {
			o.port = cfg.Port
		}
	}
	if o.port < 0 || o.port > 65535 {
		return usageErrorf("--port must be 0 to 65535, not %d", o.port)
	}
	maxBody, err := payload.ParseSize(o.maxBody)
	if err != nil || maxBody <= 0 {
		return usageErrorf("--max-body %q: %v", o.maxBody, errOr(err, "must be positive"))
	}
	switch o.tunnel {
	case "auto", "none", "ngrok":
	default:
		return usageErrorf("--tunnel must be auto, ngrok or none, not %q", o.tunnel)
	}
	secrets, secretSrc, err := f.Secrets(o.secrets)
	if err != nil {
		return err
	}
	schemes, provider, err := o.generic.schemes(c.Flags(), o.provider)
	if err != nil {
		return err
	}
	st, err := f.Store()
	if err != nil {
		return err
	}
	// Refuse a damaged store now, not at the first webhook: it is never
	// written to, so nothing could be captured.
	if err := st.Check(ctx); err != nil {
		return err
	}
	eng := capture.New(capture.Config{Store: st, Secrets: secrets, MaxBody: maxBody,
		Schemes: schemes, Provider: provider, VerifyOnly: o.verifyOnly})
	fwd, targets, err := newForwarder(f, o, st, eng.Bus())
	if err != nil {
		return err
	}
	if fwd != nil {
		eng.SetRelay(fwd)
		defer fwd.Close()
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		return listenError(o, err)
	}
	defer ln.Close()
	tun, tunWarning, err := openTunnel(ctx, f, o)
	if err != nil {
		return err
	}
	defer tun.Close()

	writeTimeout := time.Duration(0)
	if o.forwardTimeout > 0 {
		// Room to relay the handler's answer after waiting for it.
		writeTimeout = o.forwardTimeout + 30*time.Second
	}
	srv := capture.NewServer(eng, writeTimeout)
	addr := ln.Addr().(*net.TCPAddr)
	localURL := "http://" + net.JoinHostPort(displayHost(o.host), strconv.Itoa(addr.Port))
	ready := readyInfo{LocalURL: localURL, Port: addr.Port, DB: st.Path(), Secrets: len(secrets),
		SecretSource: secretSrc, ForwardTo: targets, Path: o.path}
	if pub := tun.PublicURL(); pub != "" {
		ready.PublicURL = pub
		ready.RegisterURL = tunnel.EndpointURL(pub, o.path)
	}

	sub := eng.Bus().Subscribe()
	defer sub.Close()
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(wire.WrapListener(ln)) }()
	if tun.Provider() != tunnel.ProviderNone {
		// Only the capture server is reachable through the tunnel.
		go func() { serveErr <- srv.Serve(wire.WrapListener(tun)) }()
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	feDone := make(chan error, 1)
	if useTUI(f, o) {
		go func() { feDone <- runTUI(runCtx, f, o, ready, st, sub, tun, fwd, secrets, tunWarning) }()
	} else {
		out := newPrinter(f.IO, o.json)
		out.ready(ready)
		if tunWarning != "" {
			fmt.Fprintln(f.IO.ErrOut, "Warning: "+tunWarning)
		}
		if !o.json {
			hints(f, secrets, tun.Provider() == tunnel.ProviderNone)
		}
		go func() { feDone <- out.run(runCtx, sub, tun.Events()) }()
	}
	defer announceListen(f, st.Path(), localURL, o.path)()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-feDone: // the user quit the TUI
		feDone <- nil
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			runErr = fmt.Errorf("the capture server stopped: %w", err)
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(shutCtx)
	stop()
	<-feDone
	return runErr
}

// newForwarder builds the relay from --forward-to/--to, --routes and the
// config's forward-to; nil when there is nowhere to forward.
func newForwarder(f *Factory, o *listenOptions, st *store.Store, bus *capture.Bus) (*forward.Forwarder, []string, error) {
	if o.forwardTimeout < 0 {
		return nil, nil, usageErrorf("--forward-timeout must be 0 (wait forever) or more")
	}
	raw := o.forwardTo
	var routes []forward.Route
	if o.routes != "" {
		fh, err := os.Open(o.routes)
		if err != nil {
			return nil, nil, fmt.Errorf("cannot read the routes file: %v", err)
		}
		routes, err = forward.ParseRoutes(fh)
		fh.Close()
		if err != nil {
			return nil, nil, usageErrorf("%s: %v", o.routes, err)
		}
	}
	if len(raw) == 0 && len(routes) == 0 {
		cfg, err := f.Config()
		if err != nil {
			return nil, nil, err
		}
		if cfg.ForwardTo != "" {
			raw = []string{cfg.ForwardTo}
		}
	}
	var targets []forward.Target
	for _, r := range raw {
		t, err := forward.ParseTarget(r)
		if err != nil {
			return nil, nil, usageError{err}
		}
		targets = append(targets, t)
	}
	if len(targets) == 0 && len(routes) == 0 {
		return nil, nil, nil
	}
	var shown []string
	all := append([]forward.Target(nil), targets...)
	for _, r := range routes {
		all = append(all, r.Target)
	}
	for _, t := range targets {
		shown = append(shown, t.String())
	}
	for _, r := range routes {
		shown = append(shown, r.Pattern+" -> "+r.Target.String())
	}
	warnRemote(f, all)
	fwd := forward.New(forward.Options{Targets: targets, Routes: routes, Timeout: o.forwardTimeout, Ack: o.ack,
		AppendPath: o.appendPath, SkipVerify: o.skipVerify, Store: st, Bus: bus})
	return fwd, shown, nil
}

// warnRemote says when a payload would leave this machine: webhooks often
// carry customer data.
func warnRemote(f *Factory, ts []forward.Target) {
	for _, t := range ts {
		if !t.IsLoopback() {
			fmt.Fprintf(f.IO.ErrOut, "Warning: %s is not on this machine; captured payloads (maybe customer data) will be sent there.\n", t.URL.Host)
		}
	}
}

func hints(f *Factory, secrets []string, local bool) {
	if local {
		fmt.Fprintln(f.IO.ErrOut, "Local only: set NGROK_AUTHTOKEN (or `hookscope config set ngrok-authtoken …`) for a public URL to register in VideoNest.")
	}
	if len(secrets) == 0 {
		fmt.Fprintln(f.IO.ErrOut, "No signing secret: signatures show as \"unchecked\". Pass --secret, set VIDEONEST_WEBHOOK_SECRET, or run `hookscope config set secret …`.")
	}
}

func listenError(o *listenOptions, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("port %d on %s is already in use (another hookscope?); pass --port 0 for a free port or choose another", o.port, o.host)
	}
	if errors.Is(err, syscall.EACCES) {
		return fmt.Errorf("not allowed to listen on %s:%d; choose a port above 1024", o.host, o.port)
	}
	return fmt.Errorf("cannot listen on %s:%d: %v", o.host, o.port, err)
}

// displayHost turns wildcard addresses into one a browser or curl can use.
func displayHost(h string) string {
	switch h {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "::1"
	}
	return h
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}
