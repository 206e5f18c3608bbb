package tunnel

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.ngrok.com/muxado/v2"
)

// fakeNgrok speaks just enough of the ngrok agent protocol for the paths no
// plain socket can reach: the service refusing the token or the domain, an
// endpoint that comes online, proxies a request, drops and reconnects. The
// protocol is TLS, then muxado streams typed by request and carrying JSON;
// field names follow ngrok-go v2.4.0's internal/tunnel/proto and may need
// updating when ngrok-go is upgraded.
type fakeNgrok struct {
	authErr string // service reply to Auth, "" to accept
	bindErr string // service reply to Bind, "" to accept

	mu       sync.Mutex
	sessions []muxado.Session
}

// Stream types from ngrok-go's internal/tunnel/proto and muxado.
const (
	fakeAuthReq   = 0
	fakeBindReq   = 1
	fakeProxyReq  = 3
	fakeHeartbeat = 0xFFFFFFFF
	fakePublicURL = "https://fake.ngrok.app"
	fakeClient    = "203.0.113.7:5555"
)

func startFakeNgrok(t *testing.T, f *fakeNgrok) Options {
	t.Helper()
	cert, pool := selfSigned(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	addr := fakeServer(t, func(c net.Conn) {
		_ = c.SetDeadline(time.Time{})
		f.serve(tls.Server(c, cfg))
	})
	t.Cleanup(f.dropSessions)
	return Options{Authtoken: testToken, ConnectURL: addr, ConnectCAs: pool, ConnectTimeout: 5 * time.Second}
}

func (f *fakeNgrok) serve(c net.Conn) {
	sess := muxado.Server(c, &muxado.Config{})
	f.mu.Lock()
	f.sessions = append(f.sessions, sess)
	f.mu.Unlock()
	typed := muxado.NewTypedStreamSession(sess)
	go func() {
		for {
			st, err := typed.AcceptTypedStream()
			if err != nil {
				return
			}
			go f.handle(st)
		}
	}()
}

func (f *fakeNgrok) handle(st muxado.TypedStream) {
	defer st.Close()
	reply := func(v any) {
		var req json.RawMessage
		_ = json.NewDecoder(st).Decode(&req)
		_ = json.NewEncoder(st).Encode(v)
	}
	switch st.StreamType() {
	case fakeAuthReq:
		if f.authErr != "" {
			reply(map[string]any{"Error": f.authErr})
			return
		}
		reply(map[string]any{"Version": "3", "ClientId": "client-1", "Extra": map[string]any{"AgentSessionID": "as_1", "Region": "eu"}})
	case fakeBindReq:
		if f.bindErr != "" {
			reply(map[string]any{"Error": f.bindErr})
			return
		}
		reply(map[string]any{"Id": "bind-1", "URL": fakePublicURL, "Proto": "https",
			"Opts": map[string]any{"Hostname": "fake.ngrok.app"}, "Extra": map[string]any{"Token": "bind-token", "TunnelID": "tn_1"}})
	case fakeHeartbeat:
		_, _ = io.Copy(st, st)
	}
}

// proxyRequest plays a webhook arriving at the public URL. It is called
// once Ngrok has returned: the agent drops proxy streams for a bind it has
// not registered yet.
func (f *fakeNgrok) proxyRequest() {
	f.mu.Lock()
	sess := muxado.NewTypedStreamSession(f.sessions[len(f.sessions)-1])
	f.mu.Unlock()
	st, err := sess.OpenTypedStream(fakeProxyReq)
	if err != nil {
		return
	}
	defer st.Close()
	hdr, _ := json.Marshal(map[string]any{"Id": "bind-1", "ClientAddr": fakeClient, "Proto": "https"})
	_ = binary.Write(st, binary.LittleEndian, int64(len(hdr)))
	_, _ = st.Write(hdr)
	_, _ = io.WriteString(st, "POST /webhooks/videonest HTTP/1.1\r\nHost: fake.ngrok.app\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}")
	_, _ = io.Copy(io.Discard, st)
}

// dropSessions plays a network outage: ngrok-go sees the session die and
// reconnects to the same listener.
func (f *fakeNgrok) dropSessions() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, s := range f.sessions {
		_ = s.Close()
	}
	f.sessions = nil
}

func TestFakeNgrok(t *testing.T) {
	base, _ := goroutines()

	t.Run("authtoken rejected", func(t *testing.T) {
		opts := startFakeNgrok(t, &fakeNgrok{authErr: msg107})
		logger, logs := debugLogger()
		opts.Logger = logger
		start := time.Now()
		_, err := Ngrok(context.Background(), opts)
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		e := checkUserError(t, err, ErrAuth)
		if e.Code != "ERR_NGROK_107" {
			t.Errorf("code = %q; want ERR_NGROK_107", e.Code)
		}
		// ngrok-go retries auth failures like network ones; the start must
		// not wait for the deadline.
		if took := time.Since(start); took > opts.ConnectTimeout/2 {
			t.Errorf("an auth refusal took %v", took)
		}
		if strings.Contains(logs.String(), testToken) {
			t.Errorf("the authtoken reached the log:\n%s", logs.String())
		}
	})

	t.Run("domain not reserved", func(t *testing.T) {
		opts := startFakeNgrok(t, &fakeNgrok{bindErr: msg319})
		opts.Domain = "https://mine.ngrok.app"
		start := time.Now()
		_, err := Ngrok(context.Background(), opts)
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v is not a *tunnel.Error", err, err)
		}
		checkSentence(t, e, ErrDomain, "mine.ngrok.app", "ERR_NGROK_319", "reserve it")
	})

	settleGoroutines(t, base)

	// ngrok-go never closes the muxado session a reconnect replaces, so
	// that session's heartbeat goroutines linger until their timers fire
	// (10 s for the requester, 25 s for the checker); everything else must
	// be gone after Close.
	heartbeat := []string{"muxado/v2.(*Heartbeat).check", "muxado/v2.(*Heartbeat).requester"}
	base, _ = goroutines(heartbeat...)

	t.Run("online, reconnect, close", func(t *testing.T) {
		f := &fakeNgrok{}
		opts := startFakeNgrok(t, f)
		tun, err := Ngrok(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tun.Close() })
		if tun.PublicURL() != fakePublicURL || tun.Provider() != ProviderNgrok {
			t.Errorf("PublicURL %q, Provider %q", tun.PublicURL(), tun.Provider())
		}
		if got := EndpointURL(tun.PublicURL(), "/webhooks/videonest"); got != fakePublicURL+"/webhooks/videonest" {
			t.Errorf("EndpointURL = %q", got)
		}

		got := make(chan *http.Request, 1)
		served := make(chan error, 1)
		srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got <- r })}
		go func() { served <- srv.Serve(tun) }()
		go f.proxyRequest()
		select {
		case r := <-got:
			if r.URL.Path != "/webhooks/videonest" || r.RemoteAddr != fakeClient {
				t.Errorf("request %s from %s", r.URL.Path, r.RemoteAddr)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no request came through the tunnel")
		}

		expect(t, tun.Events(), Connecting, "")
		expect(t, tun.Events(), Online, "")
		f.dropSessions()
		expect(t, tun.Events(), Offline, "connection lost")
		expect(t, tun.Events(), Online, "")

		if err := tun.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		expect(t, tun.Events(), Closed, "")
		if _, ok := <-tun.Events(); ok {
			t.Error("Events still open after Closed")
		}
		select {
		case err := <-served:
			if !errors.Is(err, net.ErrClosed) {
				t.Errorf("Serve returned %v; want net.ErrClosed", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after Close")
		}
		if err := tun.Close(); err != nil {
			t.Errorf("second Close: %v", err)
		}
	})

	settleGoroutines(t, base, heartbeat...)
}

func expect(t *testing.T, events <-chan Event, state State, errPrefix string) {
	t.Helper()
	select {
	case ev := <-events:
		if ev.State != state || !strings.HasPrefix(ev.Err, errPrefix) || ev.At.IsZero() {
			t.Fatalf("event %+v; want %v with Err %q…", ev, state, errPrefix)
		}
		if state == Online && ev.URL != fakePublicURL {
			t.Errorf("Online event URL %q", ev.URL)
		}
		t.Logf("event: %v %q", ev.State, ev.Err)
	case <-time.After(10 * time.Second):
		t.Fatalf("no %v event", state)
	}
}
