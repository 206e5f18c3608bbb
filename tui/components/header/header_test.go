package header

import (
	"errors"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/tui/internal/tuitest"
	"github.com/hookscope/hookscope/tui/styles"
)

func view(m Model, w int) string {
	m.SetWidth(w)
	return tuitest.Plain(m.View())
}

func TestLocalOnly(t *testing.T) {
	m := New(new(styles.Default()), Config{LocalURL: "http://127.0.0.1:8080"})
	v := view(m, 120)
	for _, want := range []string{"http://127.0.0.1:8080", "set NGROK_AUTHTOKEN for a public URL", "not forwarding", "no secret: signatures unchecked", "received 0"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
	if m.URL() != "http://127.0.0.1:8080" {
		t.Error(m.URL())
	}
}

func TestTunnelStates(t *testing.T) {
	m := New(new(styles.Default()), Config{LocalURL: "http://127.0.0.1:8080", HasTunnel: true})
	if v := view(m, 120); !strings.Contains(v, "http://127.0.0.1:8080  ○ connecting…") || strings.Contains(v, "NGROK_AUTHTOKEN") {
		t.Errorf("before the first event:\n%s", v)
	}
	m, _ = m.Update(TunnelMsg{State: inspect.TunnelOnline, URL: "https://a.ngrok.app"})
	if v := view(m, 120); !strings.Contains(v, "https://a.ngrok.app  ● online") || m.URL() != "https://a.ngrok.app" {
		t.Errorf("online:\n%s", v)
	}
	m, _ = m.Update(TunnelMsg{State: inspect.TunnelOffline, Err: "connection lost (EOF)\x1b[2J", Retrying: true})
	v := view(m, 140)
	if !strings.Contains(v, `✗ offline, reconnecting (connection lost (EOF)\x1b[2J)`) {
		t.Errorf("offline:\n%s", v)
	}
	m, _ = m.Update(TunnelMsg{State: inspect.TunnelOffline, Err: "endpoint stopped remotely (ERR_NGROK_3204)"})
	if v := view(m, 140); !strings.Contains(v, "✗ offline, local capture only (endpoint stopped remotely (ERR_NGROK_3204))") || strings.Contains(v, "reconnecting") {
		t.Errorf("stopped for good:\n%s", v)
	}
}

func TestForwardHealthAndSecret(t *testing.T) {
	m := New(new(styles.Default()), Config{LocalURL: "http://127.0.0.1:8080", Targets: []string{"http://localhost:3000/hooks", "http://localhost:4000"},
		HasHealth: true, SecretMask: "****ab12"})
	if v := view(m, 120); !strings.Contains(v, "forward → http://localhost:3000/hooks (+1 more)  ○ checking…") || !strings.Contains(v, "secret ****ab12") {
		t.Errorf("before a probe:\n%s", v)
	}
	m, _ = m.Update(HealthMsg{})
	if v := view(m, 120); !strings.Contains(v, "● up") {
		t.Errorf("up:\n%s", v)
	}
	m, _ = m.Update(HealthMsg{Err: errors.New("dial tcp 127.0.0.1:3000: connect: connection refused")})
	if v := view(m, 160); !strings.Contains(v, "✗ refused dial tcp 127.0.0.1:3000: connect") {
		t.Errorf("refused:\n%s", v)
	}
}

func TestCountsSessionTallies(t *testing.T) {
	m := New(new(styles.Default()), Config{LocalURL: "x", Targets: []string{"t"}})
	rec := func(s signature.Status) *inspect.Record {
		return &inspect.Record{Signature: signature.Verdict{Status: s}}
	}
	m.Count([]inspect.Event{
		{Type: inspect.Captured, Record: rec(signature.Valid)},
		{Type: inspect.Captured, Record: rec(signature.Valid)},
		{Type: inspect.Captured, Record: rec(signature.Invalid)},
		{Type: inspect.Captured, Record: rec(signature.Missing)},
		{Type: inspect.Captured, Record: rec(signature.Unchecked)},
		{Type: inspect.Forwarded, Attempt: &inspect.Attempt{Status: 204}},
		{Type: inspect.Forwarded, Attempt: &inspect.Attempt{Status: 500}},
		{Type: inspect.Forwarded, Attempt: &inspect.Attempt{Status: 0, Error: "refused"}},
		{Type: inspect.Forwarded, Attempt: &inspect.Attempt{Status: 200, Replay: true}},
		{Type: inspect.StoreFail, Err: "disk full"},
	})
	want := Counts{Received: 5, Valid: 2, Invalid: 1, Missing: 1, Unchecked: 1, ForwardOK: 1, ForwardFailed: 2, StoreFailed: 1}
	if m.Counts() != want {
		t.Fatalf("%+v", m.Counts())
	}
	v := view(m, 160)
	for _, s := range []string{"received 5", "✓ valid 2", "✗ invalid 1", "– missing 1", "? unchecked 1", "forwarded ok 1  failed 2", "not stored (503) 1"} {
		if !strings.Contains(v, s) {
			t.Errorf("lacks %q:\n%s", s, v)
		}
	}
}

func TestFitsAnyWidth(t *testing.T) {
	m := New(new(styles.Default()), Config{LocalURL: "http://127.0.0.1:8080/\x1b]52;c;eA==\x07", Targets: []string{"http://h/\x1b[2J"}, SecretMask: "****\x1b[5m"})
	for w := 20; w < 200; w += 9 {
		v := view(m, w)
		lines := strings.Split(v, "\n")
		if len(lines) != Height {
			t.Fatalf("%d lines", len(lines))
		}
		for _, l := range lines {
			if ansi.StringWidth(l) != w {
				t.Fatalf("width %d: %q", w, l)
			}
		}
		if strings.ContainsAny(v, "\x1b\x07") {
			t.Fatalf("escape reached the header: %q", v)
		}
	}
}

// TestTeamState: the header says where the team relay stands, from the
// relay's own events, in the words the printer uses.
func TestTeamState(t *testing.T) {
	m := New(new(styles.Default()), Config{LocalURL: "http://127.0.0.1:7717"})
	m.SetWidth(160)
	if strings.Contains(tuitest.Plain(m.View()), "team") {
		t.Fatal("a header without a relay talks about a team")
	}
	m.Count([]inspect.Event{{Type: inspect.Team, Team: &inspect.TeamState{Role: "publish", State: "unreachable", Pending: 12,
		Detail: "cannot reach NATS at nats://alice:xxxxx@10.0.0.1:4222\x1b[2J"}}})
	v := tuitest.Plain(m.View())
	if !strings.Contains(v, `team: 12 waiting to publish, NATS unreachable: cannot reach NATS at nats://alice:xxxxx@10.0.0.1:4222\x1b[2J`) {
		t.Errorf("unreachable:\n%s", v)
	}
	m.Count([]inspect.Event{{Type: inspect.Team, Team: &inspect.TeamState{Role: "publish", State: "connected"}}})
	if v := tuitest.Plain(m.View()); !strings.Contains(v, "team: NATS connected") || strings.Contains(v, "waiting") {
		t.Errorf("connected:\n%s", v)
	}
	m.Count([]inspect.Event{{Type: inspect.Team, Team: &inspect.TeamState{Role: "subscribe", State: "connected", Behind: 3}}})
	if v := tuitest.Plain(m.View()); !strings.Contains(v, "team: NATS connected, 3 behind") {
		t.Errorf("a subscriber behind:\n%s", v)
	}
}

// TestWebURL: the header names the web inspector beside the URL to
// register, and gives it up before the URL when the terminal is narrow.
func TestWebURL(t *testing.T) {
	m := New(new(styles.Default()), Config{LocalURL: "http://127.0.0.1:7717", WebURL: "http://127.0.0.1:4040"})
	m.SetWidth(160)
	if v := tuitest.Plain(m.View()); !strings.Contains(v, "web http://127.0.0.1:4040") {
		t.Errorf("wide:\n%s", v)
	}
	m.SetWidth(40)
	if v := tuitest.Plain(m.View()); !strings.Contains(v, "http://127.0.0.1:7717") || strings.Contains(v, "4040") {
		t.Errorf("narrow: the register URL must win:\n%s", v)
	}
}
