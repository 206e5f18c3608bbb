// Package session runs one hookscope capture session: the capture server
// on every listener it is given, the store, the event bus, the live
// forwarder, the outbox's deliverer and the one replayer. listen and
// forward build it from one Config; front ends (printer, TUI, web) read
// and act through it and never touch SQL, HTTP clients or the network
// themselves. It owns no terminal, no flags and no tunnel: cmd opens the
// listeners and picks the front end.
package session

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/capture"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/relay"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/inspect/wire"
)

// Config is everything a session needs; cmd maps flags and the config file
// onto it.
type Config struct {
	Store      *store.Store
	Secrets    []string
	Schemes    []signature.Scheme // nil: every known scheme
	Provider   string             // force one scheme by name
	MaxBody    int64
	BodyBudget int64 // body bytes in memory across all requests at once
	VerifyOnly bool
	Respond    *capture.Respond // answer this instead of 200 (listen --respond)

	// Forwarding: nothing when Targets and Routes are both empty.
	Targets        []forward.Target
	Routes         []forward.Route
	ForwardTimeout time.Duration // 0 waits forever
	Ack            bool
	AppendPath     bool
	SkipVerify     bool
	Retry          forward.Retry
	// Fallback is the config's forward-to, the last place a replay goes.
	Fallback string

	// Relay, when set, publishes captures to the team's NATS stream and/or
	// stores the team's captures here; the session fills in the rest.
	Relay *relay.Options

	// Retention, when set, deletes captures older than this in the
	// background (at start, then every RetentionEvery).
	Retention time.Duration

	// EventQueue bounds each front end's queue of live events.
	EventQueue int
	// ShutdownGrace bounds how long Run waits for requests in flight.
	ShutdownGrace time.Duration
}

// Session is one running capture session.
type Session struct {
	cfg      Config
	eng      *capture.Engine
	fwd      *forward.Forwarder // nil when not forwarding
	del      *forward.Deliverer
	replayer *forward.Replayer
	srv      *http.Server
	relay    *relay.Relay // nil without --publish/--subscribe
	relayErr error

	serveErr chan error
}

// New builds a session; Serve adds listeners and Run runs it.
func New(cfg Config) *Session {
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = 5 * time.Second
	}
	s := &Session{cfg: cfg, serveErr: make(chan error, 4)}
	via := "hookscope-" + instanceID()
	ccfg := capture.Config{Via: via, Store: cfg.Store, Secrets: cfg.Secrets, Schemes: cfg.Schemes, Provider: cfg.Provider,
		MaxBody: cfg.MaxBody, BodyBudget: cfg.BodyBudget, VerifyOnly: cfg.VerifyOnly, Respond: cfg.Respond}
	if cfg.Relay != nil {
		ro := *cfg.Relay
		ro.Instance, ro.Store, ro.Schemes, ro.Provider, ro.Secrets = via, cfg.Store, cfg.Schemes, cfg.Provider, cfg.Secrets
		ro.Owed, ro.Wake = s.relayedOwed, func() { s.del.Wake() }
		// cmd checked the options (relay.Check): an error here is Run's.
		if s.relay, s.relayErr = relay.New(ro); s.relayErr == nil && ro.Publish {
			ccfg.Publish = s.relay.Target()
		}
	}
	s.eng = capture.New(ccfg)
	bus := s.eng.Bus()
	bus.Queue = cfg.EventQueue
	s.fwd = forward.New(forward.Options{Targets: cfg.Targets, Routes: cfg.Routes, Timeout: cfg.ForwardTimeout,
		Ack: cfg.Ack, AppendPath: cfg.AppendPath, SkipVerify: cfg.SkipVerify, Store: cfg.Store, Bus: bus, Via: via})
	s.del = forward.NewDeliverer(forward.DelivererOptions{Store: cfg.Store, Bus: bus, Retry: cfg.Retry, Worker: via,
		Sinks: map[string]forward.Sink{inspect.SinkForward: forward.ForwardSink(s.fwd)}})
	switch {
	case s.Forwarding() && s.relay != nil:
		s.eng.SetForwarder(s.fwd, func(rec *inspect.Record) { s.del.Wake(); s.relay.Committed(rec) })
	case s.Forwarding():
		s.eng.SetForwarder(s.fwd, func(*inspect.Record) { s.del.Wake() })
	case s.relay != nil:
		s.eng.SetForwarder(nil, s.relay.Committed) // publish rows only
	}
	if s.relay != nil {
		s.relay.SetBus(bus)
	}
	secret := ""
	if len(cfg.Secrets) > 0 {
		secret = cfg.Secrets[0]
	}
	s.replayer = &forward.Replayer{Store: cfg.Store, Forwarder: s.fwd, Bus: bus, Secret: secret,
		Live: s.fwd.Targets, Fallback: cfg.Fallback, AppendPath: cfg.AppendPath}
	writeTimeout := time.Duration(0)
	if cfg.ForwardTimeout > 0 {
		// Room to relay the handler's answer after waiting for it.
		writeTimeout = cfg.ForwardTimeout + 30*time.Second
	}
	if cfg.Respond != nil && writeTimeout > 0 && cfg.Respond.Delay+30*time.Second > writeTimeout {
		writeTimeout = cfg.Respond.Delay + 30*time.Second
	}
	s.srv = capture.NewServer(s.eng, writeTimeout)
	return s
}

// relayedOwed is what a capture from the team relay is owed here: a copy
// to every local handler, from the outbox (NATS, not a provider, waits on
// it), unless --verify-only refuses it.
func (s *Session) relayedOwed(rec *inspect.Record) []inspect.Owed {
	if s.cfg.VerifyOnly && rec.Signature.Status != signature.Valid {
		return nil
	}
	var owed []inspect.Owed
	for _, t := range s.fwd.Targets(rec.Event) {
		owed = append(owed, inspect.Owed{Sink: inspect.SinkForward, Target: t.URLFor(rec.Path, rec.Query, s.cfg.AppendPath)})
	}
	return owed
}

// Team is where the team relay stands now, nil without one.
func (s *Session) Team() *inspect.TeamState {
	if s.relay == nil {
		return nil
	}
	t := s.relay.State()
	return &t
}

// Relay is the team relay, nil when the session has none: its Info for
// the ready line and its State for a header.
func (s *Session) Relay() *relay.Relay { return s.relay }

// Forwarding reports whether captures go to a handler.
func (s *Session) Forwarding() bool { return len(s.cfg.Targets) > 0 || len(s.cfg.Routes) > 0 }

// Serve starts capturing on l. When essential, its failure ends Run (the
// local listener); otherwise (a tunnel) it is the listener's own business
// to report and recover.
func (s *Session) Serve(l net.Listener, essential bool) {
	go func() {
		err := s.srv.Serve(wire.WrapListener(l))
		if errors.Is(err, http.ErrServerClosed) || errors.Is(err, net.ErrClosed) || !essential {
			return
		}
		s.serveErr <- fmt.Errorf("the capture server stopped: %w", err)
	}()
}

// Run delivers the outbox until ctx ends or an essential listener fails,
// then stops: requests in flight get ShutdownGrace to finish, deliveries
// in flight are cancelled (and go out again on the next start).
func (s *Session) Run(ctx context.Context) error {
	if s.relayErr != nil {
		return s.relayErr
	}
	dctx, stopDeliveries := context.WithCancel(context.WithoutCancel(ctx))
	delDone := make(chan error, 1)
	go func() { delDone <- s.del.Run(dctx) }()
	pruneDone := make(chan struct{})
	if s.cfg.Retention > 0 {
		go func() { s.prune(dctx); close(pruneDone) }()
	} else {
		close(pruneDone)
	}
	var relDone chan error // nil, so never ready, without a relay
	if s.relay != nil {
		relDone = make(chan error, 1)
		go func() { relDone <- s.relay.Run(dctx) }()
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-s.serveErr:
	case err := <-delDone:
		delDone <- err
		if err != nil {
			runErr = fmt.Errorf("the outbox stopped: %w", err)
		}
	case err := <-relDone:
		relDone <- err
		if err != nil {
			runErr = fmt.Errorf("the team relay stopped: %w", err)
		}
	}
	shutCtx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
	defer cancel()
	if s.srv.Shutdown(shutCtx) != nil {
		s.srv.Close()
	}
	stopDeliveries()
	<-delDone
	<-pruneDone
	if relDone != nil {
		<-relDone
	}
	s.fwd.Close()
	return runErr
}

// RetentionEvery is how often listen --retention prunes.
const RetentionEvery = 10 * time.Minute

// prune applies Retention until ctx ends. A failed prune (the store locked
// by another process a moment) is tried again at the next tick: captures
// never wait for it.
func (s *Session) prune(ctx context.Context) {
	t := time.NewTicker(RetentionEvery)
	defer t.Stop()
	for {
		s.cfg.Store.Prune(ctx, time.Now().Add(-s.cfg.Retention), 0)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Subscribe gives a front end its own bounded queue of live events.
func (s *Session) Subscribe() *inspect.Sub { return s.eng.Bus().Subscribe() }

// Bus is where the session's events go (for sources of its own).
func (s *Session) Bus() *inspect.Bus { return s.eng.Bus() }

// Targets are where a request with this event is forwarded.
func (s *Session) Targets(event string) []forward.Target { return s.fwd.Targets(event) }

// Replay sends a stored request again through the one replayer.
func (s *Session) Replay(ctx context.Context, req forward.ReplayRequest) (*forward.Replayed, error) {
	return s.replayer.Replay(ctx, req)
}

// Health probes the first forward target; nil when it accepts connections.
func (s *Session) Health(ctx context.Context) error {
	ts := s.fwd.Targets("")
	if len(ts) == 0 {
		return errors.New("not forwarding")
	}
	return forward.DialProbe(ctx, ts[0].URL.String())
}

// The store, read through the session so front ends need not know it.

func (s *Session) List(ctx context.Context, q inspect.Query) ([]inspect.Record, error) {
	return s.cfg.Store.List(ctx, q)
}

func (s *Session) Count(ctx context.Context, q inspect.Query) (int, error) {
	return s.cfg.Store.Count(ctx, q)
}

// Resolve turns an id or a unique prefix of one into the full id.
func (s *Session) Resolve(ctx context.Context, prefix string) (string, error) {
	return s.cfg.Store.Resolve(ctx, prefix)
}

func (s *Session) Get(ctx context.Context, id string) (*inspect.Record, error) {
	return s.cfg.Store.Get(ctx, id)
}

func (s *Session) Attempts(ctx context.Context, id string) ([]inspect.Attempt, error) {
	return s.cfg.Store.Attempts(ctx, id)
}

func (s *Session) Deliveries(ctx context.Context, id string) ([]inspect.Delivery, error) {
	return s.cfg.Store.Deliveries(ctx, id)
}

// Pending counts deliveries still owed to one sink ("" for all).
func (s *Session) Pending(ctx context.Context, sink string) (int, error) {
	return s.cfg.Store.Pending(ctx, sink)
}

// instanceID names this process among hookscopes: random, so two on one
// machine (or two laptops chained) never take each other for themselves.
func instanceID() string {
	var b [6]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
