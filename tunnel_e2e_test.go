package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ngrok's cloud cannot be reached from tests: a closed local port stands in
// for it, through the hidden --ngrok-connect-url flag.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestTunnelNgrokFailureIsQuickAndClear(t *testing.T) {
	e := newEnv(t)
	const token = "2TESTtokenVALUEthatMustNeverBePrinted_abc"
	start := time.Now()
	out, errOut, code := e.run([]string{"listen", "--tunnel", "ngrok", "--authtoken", token, "--port", "0",
		"--ngrok-connect-url", closedAddr(t), "--no-tui"})
	took := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout %s\nstderr %s", code, out, errOut)
	}
	if !strings.Contains(errOut, "ngrok") || strings.Count(strings.TrimSpace(errOut), "\n") > 1 || strings.Contains(errOut, "Usage:") {
		t.Errorf("not one clear sentence naming ngrok: %q", errOut)
	}
	if strings.Contains(out+errOut, token) {
		t.Error("the authtoken was printed")
	}
	if took > 30*time.Second {
		t.Errorf("took %s, over 30 s", took)
	}
	t.Logf("failed in %s: %s", took.Round(time.Millisecond), strings.TrimSpace(errOut))

	_, errOut, code = e.run([]string{"listen", "--tunnel", "ngrok", "--port", "0", "--no-tui"})
	if code != 2 || !strings.Contains(errOut, "NGROK_AUTHTOKEN") {
		t.Errorf("ngrok without a token: exit %d %q", code, errOut)
	}
	_, errOut, code = e.run([]string{"listen", "--tunnel", "frp", "--port", "0"})
	if code != 2 || !strings.Contains(errOut, "auto") {
		t.Errorf("bad --tunnel: exit %d %q", code, errOut)
	}
}

func TestTunnelAutoFallsBackToLocal(t *testing.T) {
	e := newEnv(t)
	// A token in the environment makes auto try ngrok; it fails, the
	// local endpoint works all the same.
	p := e.start([]string{"listen", "--ngrok-connect-url", closedAddr(t)}, "NGROK_AUTHTOKEN=envtoken_secret_value")
	if p.Ready["public_url"] != nil {
		t.Errorf("public_url %v with no tunnel", p.Ready["public_url"])
	}
	code, _ := post(t, p.URL+"/x", []byte(sampleBody), nil)
	if code != 200 {
		t.Fatalf("local capture under a failed tunnel: %d", code)
	}
	p.next("request")
	p.stop()
	if strings.Contains(p.errb.String(), "envtoken_secret_value") {
		t.Error("token printed")
	}

	// The config file's token is used too (flag > env > config): with
	// plain output the failed attempt is reported as a warning.
	e.mustRun("config", "set", "ngrok-authtoken", "cfgtoken_secret_value")
	out, errOut, code := e.runUntil([]string{"listen", "--port", "0", "--no-tui", "--ngrok-connect-url", closedAddr(t)}, "ready:", 20*time.Second)
	if !strings.Contains(out, "ready:") || !strings.Contains(errOut, "Warning: ") || !strings.Contains(errOut, "ngrok") {
		t.Errorf("config token not tried: exit %d\n%s\n%s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "cfgtoken_secret_value") {
		t.Error("token printed")
	}
	// --tunnel none never tries.
	out, errOut, _ = e.runUntil([]string{"listen", "--port", "0", "--no-tui", "--tunnel", "none", "--ngrok-connect-url", closedAddr(t)}, "ready:", 20*time.Second)
	if strings.Contains(errOut, "Warning: ngrok") || !strings.Contains(errOut, "Local only") {
		t.Errorf("--tunnel none: %s %s", out, errOut)
	}
}

func TestVerifyOnlyRefusesSpoofedEventsButRecordsThem(t *testing.T) {
	e := newEnv(t)
	h := newHandler(t, "k", 200)
	p := e.start([]string{"forward", "--to", h.URL, "--secret", "k", "--verify-only"})
	body := []byte(sampleBody)
	code, resp := post(t, p.URL+"/x", body, map[string]string{"X-VideoNest-Signature": sign(body, "spoof")})
	if code != 401 || !strings.Contains(string(resp), "verify-only") {
		t.Errorf("spoofed: %d %s", code, resp)
	}
	if ev := p.next("request"); ev["signature"] != "invalid" {
		t.Errorf("spoofed request not recorded: %v", ev)
	}
	if code, _ := post(t, p.URL+"/x", body, nil); code != 401 {
		t.Errorf("unsigned: %d", code)
	}
	if code, _ := post(t, p.URL+"/x", body, map[string]string{"X-VideoNest-Signature": sign(body, "k")}); code != 200 {
		t.Errorf("valid: %d", code)
	}
	if h.count() != 1 {
		t.Errorf("the handler saw %d requests, want only the valid one", h.count())
	}
}

func TestTunnelUsesNgroksOwnConfigToken(t *testing.T) {
	e := newEnv(t)
	// Where `ngrok config add-authtoken` writes it (ngrok v3, XDG).
	p := filepath.Join(e.dir, "config", "ngrok", "ngrok.yml")
	os.MkdirAll(filepath.Dir(p), 0o700)
	os.WriteFile(p, []byte("version: \"3\"\nagent:\n  authtoken: ngrokfile_secret_token\n"), 0o600)
	out, errOut, _ := e.runUntil([]string{"listen", "--port", "0", "--no-tui", "--ngrok-connect-url", closedAddr(t)}, "ready:", 20*time.Second)
	if !strings.Contains(errOut, "Warning: ") || !strings.Contains(errOut, "ngrok") {
		t.Errorf("ngrok's own config token was not tried:\n%s\n%s", out, errOut)
	}
	if strings.Contains(out+errOut, "ngrokfile_secret_token") {
		t.Error("token printed")
	}
}
