package cmd

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hookscope/hookscope/inspect/capture"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/session"

	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/tunnel"
	"github.com/hookscope/hookscope/web"
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
	bodyBudget string
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
	tunnelFlags

	retrySchedule string
	maxAttempts   int
	retention     time.Duration
	respond       string

	team teamFlags

	web string

	portSet      bool   // --port given: the config's port does not apply
	secretSource string // where the secrets came from, for the ready line
}

func addListenFlags(c *cobra.Command, o *listenOptions) {
	fs := c.Flags()
	fs.StringVar(&o.host, "host", "127.0.0.1", "interface to listen on")
	fs.IntVar(&o.port, "port", defaultPort, "local port (0 picks a free one, shown in the ready line)")
	fs.StringVar(&o.tunnel, "tunnel", "auto", "public tunnel: auto (ngrok when a token is set), ngrok, none")
	fs.StringArrayVar(&o.secrets, "secret", nil, "VideoNest signing secret; repeat for rotation (env VIDEONEST_WEBHOOK_SECRET)")
	addSecretFileFlag(fs, &o.secrets)
	fs.StringVar(&o.maxBody, "max-body", "10MiB", "largest body captured; larger ones get 413 (e.g. 512KB, 10MiB)")
	fs.StringVar(&o.bodyBudget, "body-budget", "128MiB", "body bytes held in memory across all requests at once; past it a body waits 1s, then gets 503 (not stored)")
	fs.BoolVar(&o.noTUI, "no-tui", false, "print one line per request instead of the terminal UI")
	fs.BoolVar(&o.json, "json", false, "print NDJSON events (implies --no-tui)")
	fs.StringVar(&o.provider, "provider", "", "judge signatures with this scheme only: videonest, github, stripe, standard-webhooks (svix), shopify, generic (default: detect from headers)")
	addGenericFlags(fs, &o.generic)
	fs.BoolVar(&o.verifyOnly, "verify-only", false, "answer 401 to requests whose signature is not valid: recorded as refused, body kept, never forwarded (needs a secret)")
	fs.StringArrayVar(&o.forwardTo, "forward-to", nil, "forward each request to this handler (repeat to fan out): 3000, :3000, localhost:3000/webhooks, https://…")
	fs.DurationVar(&o.forwardTimeout, "forward-timeout", forward.ProviderTimeout, "give up on the handler after this long (0 = wait forever, e.g. at a breakpoint)")
	fs.BoolVar(&o.ack, "ack", false, "answer 200 once stored and deliver from the durable outbox (retried, survives restarts), instead of relaying the handler's answer")
	fs.StringVar(&o.retrySchedule, "retry-schedule", "videonest", "outbox retry waits: videonest (1m,5m,30m) or a list such as 10s,1m")
	fs.IntVar(&o.maxAttempts, "max-attempts", 0, "tries before an outbox delivery is undelivered (0: one more than the schedule's waits)")
	fs.StringVar(&o.respond, "respond", "", "answer `STATUS[,DELAY][,BODY]` instead of 200 once stored (e.g. 500, or 200,15s to outlast VideoNest's 10s), to watch its retries")
	fs.Var((*ageValue)(&o.retention), "retention", "delete captures older than this while listening (e.g. 30d; 0 keeps everything)")
	fs.StringVar(&o.routes, "routes", "", "`FILE` of routes, one 'EVENT-GLOB -> TARGET' a line (video.* -> :3000/videos)")
	fs.BoolVar(&o.appendPath, "append-path", false, "append the incoming path to the target's path (default: a target with a path gets exactly that path)")
	fs.BoolVar(&o.skipVerify, "skip-verify", false, "accept self-signed certificates on https handlers")
	fs.StringVar(&o.authtoken, "authtoken", "", "ngrok authtoken (env NGROK_AUTHTOKEN, or 'hookscope config set ngrok-authtoken')")
	fs.StringVar(&o.domain, "domain", "", "reserved ngrok domain for a stable public URL (e.g. hooks.example.ngrok.app)")
	fs.StringVar(&o.domain, "url", "", "same as --domain")
	fs.StringVar(&o.trafficPolicy, "traffic-policy", "", "ngrok traffic policy file, passed through to ngrok")
	fs.StringVar(&o.web, "web", web.DefaultAddr, "web inspector address (the next free port when taken), or off; config key web")
	fs.StringVar(&o.path, "path", "", "path to show in the URL to register in VideoNest (e.g. /webhooks); every path is captured")
	addTeamFlags(fs, &o.team)
	// For tests against a local stand-in: ngrok's cloud is not reachable there.
	fs.StringVar(&o.ngrokConnectURL, "ngrok-connect-url", "", "ngrok agent connect address (host:port)")
	fs.MarkHidden("ngrok-connect-url")
	addTunnelFlags(fs, &o.tunnelFlags)
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
// every few milliseconds; 400 buys CPU per capture for a little memory
// (bench/README.md).
const captureGCPercent = 400

// tuneGC applies captureGCPercent unless the user set GOGC, and a soft
// memory limit unless they set GOMEMLIMIT: GOGC=400 would otherwise let the
// heap grow to five times the bodies in flight under a hostile burst, and
// the limit makes the collector work harder only when that happens.
func tuneGC(bodyBudget int64) {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(captureGCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(bodyBudget + 64<<20)
	}
}

// listenRun serves until ctx ends (Ctrl-C or SIGTERM): flags to a
// session, listeners to serve, and a front end.
func listenRun(c *cobra.Command, f *Factory, o *listenOptions) error {
	ctx := c.Context()
	cfg, shown, err := sessionConfig(c, f, o)
	if err != nil {
		return err
	}
	tuneGC(cfg.BodyBudget)
	// Refuse a damaged store now, not at the first webhook: it is never
	// written to, so nothing could be captured.
	if err := cfg.Store.Check(ctx); err != nil {
		return err
	}
	sess := session.New(cfg)
	ln, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		return listenError(o, err)
	}
	defer ln.Close()
	if err := refuseLoops(cfg, ln.Addr().(*net.TCPAddr)); err != nil {
		return err
	}
	// Subscribed before the first request can arrive: a front end misses
	// nothing. Served locally before the tunnel is up: opening ngrok can
	// take up to 25 s, and webhooks sent to the local URL must not wait.
	sub := sess.Subscribe()
	defer sub.Close()
	sess.Serve(ln, true)
	tun, tunWarning, err := openTunnel(ctx, f, o)
	if err != nil {
		return err
	}
	defer tun.Close()

	addr := ln.Addr().(*net.TCPAddr)
	localURL := "http://" + net.JoinHostPort(displayHost(o.host), strconv.Itoa(addr.Port))
	ready := readyInfo{LocalURL: localURL, Port: addr.Port, DB: cfg.Store.Path(), Secrets: len(cfg.Secrets),
		SecretSource: o.secretSource, ForwardTo: shown, Path: o.path}
	if r := sess.Relay(); r != nil {
		info := r.Info()
		ready.Team = &info
	}
	if pub := tun.PublicURL(); pub != "" {
		ready.PublicURL = pub
		ready.RegisterURL = tunnel.EndpointURL(pub, o.path)
	}

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	webSrv, err := startWeb(runCtx, c, f, o, sess, ready, len(cfg.Secrets) > 0, cfg.MaxBody)
	if err != nil {
		return err
	}
	if webSrv != nil {
		ready.WebURL = webSrv.URL()
		tun = webTunnel{Tunnel: tun, events: webSrv.WatchTunnel(tun.Events())}
	}

	if tun.Provider() != tunnel.ProviderNone {
		// Only the capture server is reachable through the tunnel.
		sess.Serve(tun, false)
	}

	sessDone := make(chan error, 1)
	go func() { sessDone <- sess.Run(runCtx) }()
	feDone := make(chan error, 1)
	warnIfCompromisedGo(f.IO.ErrOut) // once serving: a usage error stays one sentence
	if useTUI(f, o) {
		go func() { feDone <- runTUI(runCtx, f, ready, sess, sub, tun, cfg.Secrets, tunWarning) }()
	} else {
		out := newPrinter(f.IO, o.json)
		out.ready(ready)
		if tunWarning != "" {
			fmt.Fprintln(f.IO.ErrOut, "Warning: "+tunWarning)
		}
		if !o.json {
			if ready.WebURL != "" {
				fmt.Fprintf(f.IO.ErrOut, "Web inspector: %s\n", ready.WebURL)
			}
			hints(f, cfg.Secrets, tun.Provider() == tunnel.ProviderNone)
		}
		go func() { feDone <- out.run(runCtx, sub, printerEvents(tun, o.json)) }()
	}
	defer announceListen(f, cfg.Store.Path(), localURL, o.path)()

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-feDone: // the user quit the TUI
		feDone <- nil
	case runErr = <-sessDone:
		sessDone <- nil
	}
	stop()
	<-sessDone
	// A front end blocked writing to a stdout nobody reads (a paused
	// `| jq`) would hold the exit forever: everything is in the store, so
	// the live view's last lines are not worth a hang.
	select {
	case <-feDone:
	case <-time.After(frontEndGrace):
	}
	return runErr
}

// refuseLoops refuses a forward target that is this listener: every
// webhook would come back to hookscope and be forwarded again, forever.
func refuseLoops(cfg session.Config, addr *net.TCPAddr) error {
	all := append([]forward.Target(nil), cfg.Targets...)
	for _, r := range cfg.Routes {
		all = append(all, r.Target)
	}
	for _, t := range all {
		if forward.PointsAt(t, addr) {
			return usageErrorf("the forward target %s is this hookscope's own address, so every webhook would come back to it: forward to your handler's port instead", t.String())
		}
	}
	return nil
}

// frontEndGrace bounds the wait for the front end's last lines at exit.
const frontEndGrace = 2 * time.Second

// sessionConfig maps listen's flags and the config file onto a session.
func sessionConfig(c *cobra.Command, f *Factory, o *listenOptions) (session.Config, []string, error) {
	var cfg session.Config
	o.portSet = c.Flags().Changed("port")
	fileCfg, err := f.Config()
	if err != nil {
		return cfg, nil, err
	}
	if !o.portSet && fileCfg.Port != nil {
		o.port = *fileCfg.Port
	}
	if o.port < 0 || o.port > 65535 {
		return cfg, nil, usageErrorf("--port must be 0 to 65535, not %d", o.port)
	}
	maxBody, err := payload.ParseSize(o.maxBody)
	if err != nil || maxBody <= 0 {
		return cfg, nil, usageErrorf("--max-body %q: %v", o.maxBody, errOr(err, "must be positive"))
	}
	budget, err := payload.ParseSize(o.bodyBudget)
	if err != nil || budget <= 0 {
		return cfg, nil, usageErrorf("--body-budget %q: %v", o.bodyBudget, errOr(err, "must be positive"))
	}
	if maxBody > budget {
		return cfg, nil, usageErrorf("--max-body %s is larger than --body-budget %s: such a body could never be held; raise --body-budget or lower --max-body",
			payload.HumanSize(maxBody), payload.HumanSize(budget))
	}
	switch o.tunnel {
	case "auto", "none", "ngrok":
	default:
		return cfg, nil, usageErrorf("--tunnel must be auto, ngrok or none, not %q", o.tunnel)
	}
	if o.forwardTimeout < 0 {
		return cfg, nil, usageErrorf("--forward-timeout must be 0 (wait forever) or more")
	}
	retry, err := parseRetry(o.retrySchedule, o.maxAttempts)
	if err != nil {
		return cfg, nil, err
	}
	secrets, secretSrc, err := f.Secrets(o.secrets)
	if err != nil {
		return cfg, nil, err
	}
	o.secretSource = secretSrc
	if o.verifyOnly && len(secrets) == 0 {
		return cfg, nil, usageErrorf("--verify-only needs a signing secret, or it would refuse every request: pass --secret, set VIDEONEST_WEBHOOK_SECRET, or run `hookscope config set secret …`")
	}
	schemes, provider, err := o.generic.schemes(c.Flags(), o.provider)
	if err != nil {
		return cfg, nil, err
	}
	targets, routes, shown, err := forwardTargets(f, o, fileCfg.ForwardTo)
	if err != nil {
		return cfg, nil, err
	}
	dbPath, err := f.DBPath()
	if err != nil {
		return cfg, nil, err
	}
	team, err := o.team.options(fileCfg, dbPath)
	if err != nil {
		return cfg, nil, err
	}
	respond, err := parseRespond(o.respond)
	if err != nil {
		return cfg, nil, err
	}
	if respond != nil && (len(targets) > 0 || len(routes) > 0) && !o.ack {
		return cfg, nil, usageErrorf("--respond answers in the handler's place, so it needs --ack when forwarding (the handler then gets each webhook from the outbox)")
	}
	st, err := f.Store()
	if err != nil {
		return cfg, nil, err
	}
	return session.Config{Relay: team, Store: st, Secrets: secrets, Schemes: schemes, Provider: provider, MaxBody: maxBody, BodyBudget: budget,
		VerifyOnly: o.verifyOnly, Targets: targets, Routes: routes, ForwardTimeout: o.forwardTimeout, Ack: o.ack,
		AppendPath: o.appendPath, SkipVerify: o.skipVerify, Retry: retry, Fallback: fileCfg.ForwardTo,
		Retention: o.retention, Respond: respond}, shown, nil
}

// maxRespondDelay bounds --respond's delay: VideoNest gives up at 10 s,
// so minutes are already far past anything a test needs.
const maxRespondDelay = 10 * time.Minute

// parseRespond reads --respond STATUS[,DELAY][,BODY]; the body is the
// rest after the second comma, commas included.
func parseRespond(s string) (*capture.Respond, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.SplitN(s, ",", 3)
	bad := func(why string) error {
		return usageErrorf("--respond %q: %s; use STATUS[,DELAY][,BODY], e.g. 500 or 200,15s or 503,,busy", s, why)
	}
	status, err := strconv.Atoi(strings.TrimSpace(parts[0]))
	if err != nil || status < 200 || status > 599 {
		return nil, bad("the status must be 200 to 599")
	}
	r := &capture.Respond{Status: status}
	if len(parts) > 1 && strings.TrimSpace(parts[1]) != "" {
		d, err := parseAge(parts[1])
		if err != nil || d > maxRespondDelay {
			return nil, bad("the delay must be a duration up to 10m, such as 15s")
		}
		r.Delay = d
	}
	if len(parts) > 2 {
		r.Body = []byte(parts[2])
	}
	return r, nil
}

// parseRetry reads --retry-schedule (comma-separated waits, or
// "videonest") and --max-attempts.
func parseRetry(schedule string, maxAttempts int) (forward.Retry, error) {
	var r forward.Retry
	if maxAttempts < 0 {
		return r, usageErrorf("--max-attempts must be 1 or more (0 follows the schedule)")
	}
	r.MaxAttempts = maxAttempts
	if schedule == "" || schedule == "videonest" {
		return r, nil
	}
	for _, part := range strings.Split(schedule, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(part))
		if err != nil || d <= 0 {
			return r, usageErrorf("--retry-schedule %q: each wait must be a positive duration such as 30s or 5m", schedule)
		}
		r.Schedule = append(r.Schedule, d)
	}
	return r, nil
}

// forwardTargets reads --forward-to/--to, --routes and the config's
// forward-to; shown is how the ready line names them.
func forwardTargets(f *Factory, o *listenOptions, cfgTarget string) ([]forward.Target, []forward.Route, []string, error) {
	raw := o.forwardTo
	var routes []forward.Route
	if o.routes != "" {
		fh, err := os.Open(o.routes)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("cannot read the routes file: %v", err)
		}
		routes, err = forward.ParseRoutes(fh)
		fh.Close()
		if err != nil {
			return nil, nil, nil, usageErrorf("%s: %v", o.routes, err)
		}
	}
	if len(raw) == 0 && len(routes) == 0 && cfgTarget != "" {
		raw = []string{cfgTarget}
	}
	var targets []forward.Target
	for _, r := range raw {
		t, err := forward.ParseTarget(r)
		if err != nil {
			return nil, nil, nil, usageError{err}
		}
		targets = append(targets, t)
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
	return targets, routes, shown, nil
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
