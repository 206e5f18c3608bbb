package tunnel

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/internal/fakengrok"
)

const testPolicy = "on_http_request:\n  - actions:\n      - type: add-headers\n        config:\n          headers:\n            x-hookscope-test: yes\n"

// fakeOptions points Ngrok at f with everything f expects to be sent.
func fakeOptions(f *fakengrok.Server, exp fakengrok.Expect) Options {
	return Options{Authtoken: testToken, TokenSource: FromEnv, ConnectURL: f.ConnectAddr(), ConnectCAs: f.CAs(),
		ConnectTimeout: 5 * time.Second, ClientVersion: exp.ClientVersion, Description: exp.Description,
		Domain: exp.URL, TrafficPolicy: exp.TrafficPolicy}
}

func expectAll() fakengrok.Expect {
	return fakengrok.Expect{Authtoken: testToken, ClientType: "hookscope", ClientVersion: "1.2.3-test", Description: "hookscope"}
}

// public sends a request to the fake's public side, as VideoNest would to
// the public URL, and returns the status and body.
func public(t *testing.T, f *fakengrok.Server, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+f.PublicAddr()+path, strings.NewReader(`{"event":"video.processed"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = strings.TrimPrefix(f.PublicURL(), "https://")
	// A new connection each time, as each webhook delivery: a kept-alive
	// one would go on reaching the agent that accepted it.
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST through the fake: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// serve runs an HTTP server on tun that answers 200 with the path it got
// and the client address ngrok reported.
func serve(t *testing.T, tun Tunnel) <-chan error {
	t.Helper()
	served := make(chan error, 1)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, r.URL.Path+" from "+r.RemoteAddr)
	})}
	go func() { served <- srv.Serve(tun) }()
	return served
}

func TestFakeNgrokRefusals(t *testing.T) {
	base, _ := goroutines()

	t.Run("authtoken rejected", func(t *testing.T) {
		exp := expectAll()
		exp.Authtoken = "a-different-token"
		f := fakengrok.Start(t, exp)
		opts := fakeOptions(f, expectAll())
		logger, logs := debugLogger()
		opts.Logger = logger
		start := time.Now()
		_, err := Ngrok(context.Background(), opts)
		t.Logf("after %v: %v", time.Since(start).Round(time.Millisecond), err)
		e := checkUserError(t, err, ErrAuth)
		if e.Code != "ERR_NGROK_107" || !strings.Contains(e.Error(), "from NGROK_AUTHTOKEN") {
			t.Errorf("code %q, message %q; want ERR_NGROK_107 naming NGROK_AUTHTOKEN", e.Code, e.Error())
		}
		// ngrok-go retries auth failures like network ones; the start must
		// not wait for the deadline.
		if took := time.Since(start); took > opts.ConnectTimeout/2 {
			t.Errorf("an auth refusal took %v", took)
		}
		if strings.Contains(logs.String(), testToken) {
			t.Errorf("the authtoken reached the log:\n%s", logs.String())
		}
		if a := f.Auths(); len(a) == 0 || a[0] != testToken {
			t.Errorf("the fake saw tokens %q", a)
		}
	})

	t.Run("domain not reserved", func(t *testing.T) {
		exp := expectAll()
		exp.URL, exp.RejectURL = "https://mine.ngrok.app", true
		f := fakengrok.Start(t, exp)
		_, err := Ngrok(context.Background(), fakeOptions(f, exp))
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v is not a *tunnel.Error", err, err)
		}
		checkSentence(t, e, ErrDomain, "mine.ngrok.app", "ERR_NGROK_319", "reserve it")
	})

	t.Run("traffic policy rejected", func(t *testing.T) {
		exp := expectAll()
		exp.TrafficPolicy, exp.RejectPolicy = testPolicy, true
		f := fakengrok.Start(t, exp)
		_, err := Ngrok(context.Background(), fakeOptions(f, exp))
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("error %T %v is not a *tunnel.Error", err, err)
		}
		checkSentence(t, e, ErrPolicy, "ERR_NGROK_2201", "fix the policy file")
	})

	settleGoroutines(t, base)
}

// TestFakeNgrokOnline goes the whole way: every option reaches the service
// (the fake refuses anything else), a request through the public side is
// served, and the tunnel survives a drop.
func TestFakeNgrokOnline(t *testing.T) {
	// ngrok-go never closes the muxado session a reconnect replaces, so
	// that session's heartbeat goroutines linger until their timers fire;
	// everything else must be gone after Close.
	heartbeat := []string{"muxado/v2.(*Heartbeat).check", "muxado/v2.(*Heartbeat).requester"}
	base, _ := goroutines(heartbeat...)

	for _, tc := range []struct {
		name string
		exp  func() fakengrok.Expect
	}{
		{"random URL", expectAll},
		{"reserved domain and policy", func() fakengrok.Expect {
			exp := expectAll()
			exp.URL, exp.TrafficPolicy = "https://hooks.example.ngrok.app", testPolicy
			return exp
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			exp := tc.exp()
			f := fakengrok.Start(t, exp)
			tun, err := Ngrok(context.Background(), fakeOptions(f, exp))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { tun.Close() })
			if tun.PublicURL() != f.PublicURL() || tun.Provider() != ProviderNgrok || tun.Current().State != Online {
				t.Errorf("PublicURL %q (fake %q), Provider %q, state %v", tun.PublicURL(), f.PublicURL(), tun.Provider(), tun.Current().State)
			}
			if exp.URL == "" && !strings.HasSuffix(tun.PublicURL(), ".ngrok-free.app") {
				t.Errorf("random URL %q", tun.PublicURL())
			}
			if b := f.Binds(); len(b) != 1 || b[0].URL != exp.URL || b[0].TrafficPolicy != exp.TrafficPolicy || b[0].Description != "hookscope" {
				t.Errorf("binds %+v", b)
			}
			// What led up to the return is not news: no stale connecting.
			select {
			case ev := <-tun.Events():
				t.Errorf("event %+v before anything changed", ev)
			default:
			}

			served := serve(t, tun)
			if code, body := public(t, f, "/webhooks/videonest"); code != 200 || body != "/webhooks/videonest from "+fakengrok.ClientAddr {
				t.Fatalf("through the tunnel: %d %q", code, body)
			}

			f.DropSessions()
			expect(t, tun.Events(), Offline, "connection lost", f.PublicURL())
			expect(t, tun.Events(), Online, "", f.PublicURL())
			if code, _ := public(t, f, "/again"); code != 200 {
				t.Errorf("after the reconnect: %d", code)
			}

			if err := tun.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			expect(t, tun.Events(), Closed, "", f.PublicURL())
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
	}
	settleGoroutines(t, base, heartbeat...)
}

// An endpoint stopped from the dashboard must not stop the server that
// serves it: its local listener serves the same http.Server.
func TestFakeNgrokRemoteStop(t *testing.T) {
	exp := expectAll()
	f := fakengrok.Start(t, exp)
	tun, err := Ngrok(context.Background(), fakeOptions(f, exp))
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	served := serve(t, tun)
	if code, _ := public(t, f, "/before"); code != 200 {
		t.Fatalf("before the stop: %d", code)
	}
	if n := f.StopEndpoints("Endpoint stopped from the dashboard.", "ERR_NGROK_3204"); n != 1 {
		t.Fatalf("stopped %d endpoints", n)
	}
	ev := expect(t, tun.Events(), Offline, "endpoint stopped remotely: endpoint stopped from the dashboard (ERR_NGROK_3204)", f.PublicURL())
	if ev.Retrying || !strings.Contains(ev.Detail, "capture goes on locally") {
		t.Errorf("a stopped endpoint says retrying %v, detail %q", ev.Retrying, ev.Detail)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v after a remote stop", err)
	case <-time.After(100 * time.Millisecond):
	}
	if code, body := public(t, f, "/after"); code != 404 || !strings.Contains(body, "ERR_NGROK_3200") {
		t.Errorf("the fake still routed to a stopped endpoint: %d %q", code, body)
	}
	// A reconnect of the session must not claim the endpoint is back.
	f.DropSessions()
	select {
	case ev := <-tun.Events():
		t.Errorf("event %+v after the endpoint stopped", ev)
	case <-time.After(500 * time.Millisecond):
	}
	tun.Close()
	select {
	case err := <-served:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve returned %v; want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("Serve did not return after Close")
	}
}

// A network that drops packets shows only as heartbeats going unanswered.
func TestFakeNgrokBlackhole(t *testing.T) {
	if raceDetector {
		// The built binary has no race detector: TestTunnelSurvivesOutages
		// at the repository root runs the same outage through it.
		t.Skip("ngrok-go v2.4.0 has a data race on a heartbeat timeout (raw_session.go:96 vs :378); run without -race")
	}
	exp := expectAll()
	f := fakengrok.Start(t, exp)
	opts := fakeOptions(f, exp)
	opts.HeartbeatInterval, opts.HeartbeatTolerance = 100*time.Millisecond, 200*time.Millisecond
	tun, err := Ngrok(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer tun.Close()
	served := serve(t, tun)
	f.Blackhole()
	ev := expect(t, tun.Events(), Offline, "connection lost", f.PublicURL())
	if !ev.Retrying {
		t.Errorf("offline after a blackhole, not retrying: %+v", ev)
	}
	f.Restore()
	expect(t, tun.Events(), Online, "", f.PublicURL())
	if code, _ := public(t, f, "/back"); code != 200 {
		t.Errorf("after the network came back: %d", code)
	}
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v", err)
	default:
	}
}

// Under --tunnel auto a network that is not up yet must not cost the
// session its public URL: the tunnel keeps trying and comes online.
func TestFakeNgrokKeepTrying(t *testing.T) {
	for _, outage := range []string{"refused", "blackhole"} {
		t.Run(outage, func(t *testing.T) {
			exp := expectAll()
			f := fakengrok.Start(t, exp)
			opts := fakeOptions(f, exp)
			opts.KeepTrying = true
			opts.ConnectTimeout = testTimeout
			want := ""
			if outage == "refused" {
				f.Down()
				want = "connection refused at 127.0.0.1:"
			} else {
				f.Blackhole()
				want = "no answer after"
			}
			tun, err := Ngrok(context.Background(), opts)
			if err != nil {
				t.Fatalf("KeepTrying returned %v", err)
			}
			defer tun.Close()
			cur := tun.Current()
			if cur.State != Offline || !cur.Retrying || !strings.HasPrefix(cur.Err, want) || tun.PublicURL() != "" {
				t.Fatalf("current %+v, URL %q; want offline, retrying, %q…", cur, tun.PublicURL(), want)
			}
			served := serve(t, tun)
			if outage == "refused" {
				f.Up()
			} else {
				f.Restore()
			}
			ev := expect(t, tun.Events(), Online, "", f.PublicURL())
			if tun.PublicURL() != ev.URL {
				t.Errorf("PublicURL %q after %+v", tun.PublicURL(), ev)
			}
			if code, _ := public(t, f, "/late"); code != 200 {
				t.Errorf("through the late tunnel: %d", code)
			}
			tun.Close()
			if err := <-served; !errors.Is(err, net.ErrClosed) {
				t.Errorf("Serve returned %v", err)
			}
		})
	}

	t.Run("definite refusal is an error", func(t *testing.T) {
		exp := expectAll()
		exp.Authtoken = "another"
		f := fakengrok.Start(t, exp)
		opts := fakeOptions(f, expectAll())
		opts.KeepTrying = true
		if _, err := Ngrok(context.Background(), opts); !errors.Is(err, ErrAuth) {
			t.Errorf("KeepTrying with a bad token: %v", err)
		}
	})
}

func expect(t *testing.T, events <-chan Event, state State, errPrefix, url string) Event {
	t.Helper()
	select {
	case ev := <-events:
		if ev.State != state || !strings.HasPrefix(ev.Err, errPrefix) || ev.At.IsZero() {
			t.Fatalf("event %+v; want %v with Err %q…", ev, state, errPrefix)
		}
		if state == Online && ev.URL != url {
			t.Errorf("Online event URL %q; want %q", ev.URL, url)
		}
		t.Logf("event: %v %q retrying=%v", ev.State, ev.Err, ev.Retrying)
		return ev
	case <-time.After(15 * time.Second):
		t.Fatalf("no %v event", state)
	}
	return Event{}
}
