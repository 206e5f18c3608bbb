package tunnel

import (
	"errors"
	"net"
	"testing"
	"time"
)

func TestNoneAcceptUnblocksOnClose(t *testing.T) {
	tun := None()
	if tun.PublicURL() != "" || tun.Provider() != ProviderNone {
		t.Fatalf("None: PublicURL %q, Provider %q", tun.PublicURL(), tun.Provider())
	}
	errc := make(chan error, 1)
	go func() {
		_, err := tun.Accept()
		errc <- err
	}()
	select {
	case err := <-errc:
		t.Fatalf("Accept returned before Close: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	if err := tun.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close = %v; want net.ErrClosed", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Accept did not return after Close")
	}
	if err := tun.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := tun.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept on closed tunnel = %v; want net.ErrClosed", err)
	}

	var got []State
	for ev := range tun.Events() {
		got = append(got, ev.State)
	}
	if len(got) != 1 || got[0] != Closed {
		t.Fatalf("None events = %v; want [closed]", got)
	}
}

func TestEndpointURL(t *testing.T) {
	tests := []struct{ public, path, want string }{
		{"https://abc.ngrok.app", "", "https://abc.ngrok.app"},
		{"https://abc.ngrok.app/", "", "https://abc.ngrok.app"},
		{"https://abc.ngrok.app", "/", "https://abc.ngrok.app/"},
		{"https://abc.ngrok.app", "/webhooks/videonest", "https://abc.ngrok.app/webhooks/videonest"},
		{"https://abc.ngrok.app", "webhooks/videonest", "https://abc.ngrok.app/webhooks/videonest"},
		{"https://abc.ngrok.app/", "/webhooks", "https://abc.ngrok.app/webhooks"},
		{"https://abc.ngrok.app//", "//webhooks", "https://abc.ngrok.app/webhooks"},
		{"https://abc.ngrok.app", "/hook/", "https://abc.ngrok.app/hook/"},
		{"https://abc.ngrok.app", " /hook ", "https://abc.ngrok.app/hook"},
		{"https://abc.ngrok.app", "?source=videonest", "https://abc.ngrok.app/?source=videonest"},
		{"https://abc.ngrok.app", "/hook?x=1", "https://abc.ngrok.app/hook?x=1"},
		{"", "/webhooks", ""},
		{"  ", "", ""},
	}
	for _, tt := range tests {
		if got := EndpointURL(tt.public, tt.path); got != tt.want {
			t.Errorf("EndpointURL(%q, %q) = %q; want %q", tt.public, tt.path, got, tt.want)
		}
	}
}

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{Connecting: "connecting", Online: "online", Offline: "offline", Closed: "closed", State(42): "unknown"} {
		if s.String() != want {
			t.Errorf("State(%d).String() = %q; want %q", int(s), s.String(), want)
		}
	}
}
