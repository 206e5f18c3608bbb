package cmd

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/tunnel"
)

// stubTunnel stands in for an opened ngrok tunnel: these tests are about
// what cmd does with its events, not about ngrok.
type stubTunnel struct {
	net.Listener
	cur    tunnel.Event
	events chan tunnel.Event
}

func (s *stubTunnel) PublicURL() string           { return s.cur.URL }
func (s *stubTunnel) Provider() string            { return tunnel.ProviderNgrok }
func (s *stubTunnel) Current() tunnel.Event       { return s.cur }
func (s *stubTunnel) Events() <-chan tunnel.Event { return s.events }

func collect(t *testing.T, ch <-chan tunnel.Event) []tunnel.Event {
	t.Helper()
	var out []tunnel.Event
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				return out
			}
			out = append(out, ev)
		case <-timeout:
			t.Fatalf("events not closed; got %+v", out)
		}
	}
}

// The header shows the URL to register: every public URL the tunnel
// reports, the one it had when the TUI started included, carries --path.
func TestTunnelEventsKeepThePath(t *testing.T) {
	const pub = "https://1a2b.ngrok-free.app"
	tun := &stubTunnel{cur: tunnel.Event{State: tunnel.Online, URL: pub}, events: make(chan tunnel.Event, 3)}
	tun.events <- tunnel.Event{State: tunnel.Offline, URL: pub, Err: "connection lost (EOF)", Retrying: true}
	tun.events <- tunnel.Event{State: tunnel.Online, URL: pub}
	tun.events <- tunnel.Event{State: tunnel.Closed, URL: pub}
	close(tun.events)
	got := collect(t, tunnelEvents(tun, "", "/webhooks"))
	want := []tunnel.State{tunnel.Online, tunnel.Offline, tunnel.Online, tunnel.Closed}
	if len(got) != len(want) {
		t.Fatalf("events %+v", got)
	}
	for i, ev := range got {
		if ev.State != want[i] || ev.URL != pub+"/webhooks" {
			t.Errorf("event %d = %v %q; want %v %q", i, ev.State, ev.URL, want[i], pub+"/webhooks")
		}
	}
	if !got[1].Retrying || got[1].Err != "connection lost (EOF)" {
		t.Errorf("the relay lost a field: %+v", got[1])
	}
}

// With --json, a tunnel still trying when ready is printed says so on
// stdout; an online one has said it in the ready line already.
func TestPrinterEvents(t *testing.T) {
	for _, tc := range []struct {
		cur    tunnel.State
		asJSON bool
		n      int
	}{{tunnel.Offline, true, 1}, {tunnel.Online, true, 0}, {tunnel.Offline, false, 0}} {
		tun := &stubTunnel{cur: tunnel.Event{State: tc.cur}, events: make(chan tunnel.Event)}
		close(tun.events)
		if got := collect(t, printerEvents(tun, tc.asJSON)); len(got) != tc.n {
			t.Errorf("current %v, json %v: %+v; want %d events", tc.cur, tc.asJSON, got, tc.n)
		}
	}
}

func TestTunnelLinesGoToStderr(t *testing.T) {
	io, out, errOut := Test()
	p := newPrinter(io, false)
	p.tunnel(tunnel.Event{At: time.Now(), State: tunnel.Offline, Err: "endpoint stopped remotely"})
	if out.Len() != 0 || !strings.Contains(errOut.String(), "tunnel offline: endpoint stopped remotely (not retrying; capture goes on locally)") {
		t.Errorf("stdout %q stderr %q", out.String(), errOut.String())
	}
	io, out, errOut = Test()
	p = newPrinter(io, true)
	p.tunnel(tunnel.Event{At: time.Now(), State: tunnel.Offline, Err: "connection lost", Retrying: true})
	if errOut.Len() != 0 || !strings.Contains(out.String(), `"type":"tunnel"`) || !strings.Contains(out.String(), `"retrying":true`) {
		t.Errorf("json: stdout %q stderr %q", out.String(), errOut.String())
	}
}

func TestLogIsCapped(t *testing.T) {
	dir := t.TempDir()
	f := &Factory{getenv: func(k string) string {
		if k == "XDG_STATE_HOME" {
			return dir
		}
		return ""
	}}
	p := filepath.Join(dir, "hookscope", "hookscope.log")
	os.MkdirAll(filepath.Dir(p), 0o700)
	if err := os.WriteFile(p, make([]byte, maxLogSize+1), 0o600); err != nil {
		t.Fatal(err)
	}
	logger, done := f.Logger()
	logger.Info("after the cap")
	done()
	if fi, err := os.Stat(p + ".1"); err != nil || fi.Size() != maxLogSize+1 {
		t.Errorf("the full log was not set aside: %v", err)
	}
	if b, _ := os.ReadFile(p); !strings.Contains(string(b), "after the cap") || len(b) > 1000 {
		t.Errorf("new log holds %d bytes", len(b))
	}
}
