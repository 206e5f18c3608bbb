package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/internal/fakengrok"
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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
	t.Parallel()
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

const e2eToken = "2e2eTOKENthatMustNeverBePrinted_9f8e7d"

// startFake runs the in-repo ngrok stand-in, which refuses any token but
// e2eToken and fails the test on a bind hookscope did not mean to send.
func startFake(t *testing.T, exp fakengrok.Expect) (*fakengrok.Server, []string) {
	t.Helper()
	exp.Authtoken, exp.ClientType, exp.ClientVersion, exp.Description = e2eToken, "hookscope", "dev", "hookscope"
	f := fakengrok.Start(t, exp)
	return f, []string{"--ngrok-connect-url", f.ConnectAddr(), "--ngrok-connect-ca", f.CAFile(t.TempDir())}
}

// viaPublic posts body to path on the public URL, through the fake's edge.
func viaPublic(t *testing.T, f *fakengrok.Server, path string, body []byte, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+f.PublicAddr()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = strings.TrimPrefix(f.PublicURL(), "https://")
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	c := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s through the fake ngrok: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// nextTunnel returns the next {"type":"tunnel"} line in the given state.
func (p *proc) nextTunnel(state string) map[string]any {
	p.t.Helper()
	for range 20 {
		ev := p.next("tunnel")
		if ev["state"] == state {
			return ev
		}
		p.t.Logf("tunnel line %v", ev)
	}
	p.t.Fatalf("no tunnel %s line", state)
	return nil
}

func TestTunnelPublicURLEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := newHandler(t, "k", 200)
	f, seam := startFake(t, fakengrok.Expect{})
	p := e.start(append([]string{"forward", "--to", h.URL, "--secret", "k", "--tunnel", "ngrok",
		"--authtoken", e2eToken, "--path", "/webhooks"}, seam...))
	pub, _ := p.Ready["public_url"].(string)
	if pub != f.PublicURL() || !strings.HasPrefix(pub, "https://") || p.Ready["register_url"] != pub+"/webhooks" {
		t.Fatalf("ready: public_url %v register_url %v; the fake handed out %s", p.Ready["public_url"], p.Ready["register_url"], f.PublicURL())
	}

	body := []byte(sampleBody)
	code, resp := viaPublic(t, f, "/webhooks", body, map[string]string{"X-VideoNest-Signature": sign(body, "k")})
	if code != 200 || !strings.Contains(string(resp), `"handled":true`) {
		t.Fatalf("through the tunnel: %d %s", code, resp)
	}
	ev := p.next("request")
	if ev["signature"] != "valid" || ev["path"] != "/webhooks" || ev["event"] != "video.processed" {
		t.Errorf("captured %v", ev)
	}
	if fw := p.next("forward"); fw["status"] != float64(200) {
		t.Errorf("forward %v", fw)
	}
	got, valid, path, _ := h.last()
	if string(got) != sampleBody || !valid || path != "/webhooks" {
		t.Errorf("the handler got %q valid %v at %s", got, valid, path)
	}
	// The record says where it came from: ngrok's client address.
	show := e.mustRun("show", ev["id"].(string), "--json")
	if !strings.Contains(show, "203.0.113.7") {
		t.Errorf("show --json lacks the client address the tunnel reported:\n%s", show)
	}
	p.stop()
	if strings.Contains(p.errb.String(), e2eToken) {
		t.Error("the authtoken was printed")
	}
	if b := f.Binds(); len(b) != 1 || b[0].URL != "" {
		t.Errorf("binds %+v", b)
	}
}

// Neither the service stopping the endpoint nor a network that drops
// everything may stop local capture; the tunnel says what happened and,
// when the network returns, comes back by itself.
func TestTunnelSurvivesOutages(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const policy = "on_http_request:\n  - actions:\n      - type: add-headers\n        config:\n          headers:\n            x-from: hookscope-e2e\n"
	policyFile := filepath.Join(t.TempDir(), "policy.yml")
	os.WriteFile(policyFile, []byte(policy), 0o600)
	f, seam := startFake(t, fakengrok.Expect{URL: "https://hooks.example.ngrok.app", TrafficPolicy: policy})
	p := e.start(append([]string{"listen", "--secret", "k", "--authtoken", e2eToken, "--domain", "hooks.example.ngrok.app",
		"--traffic-policy", policyFile, "--ngrok-heartbeat", "200ms"}, seam...))
	if p.Ready["public_url"] != "https://hooks.example.ngrok.app" {
		t.Fatalf("public_url %v", p.Ready["public_url"])
	}
	body := []byte(sampleBody)
	signed := map[string]string{"X-VideoNest-Signature": sign(body, "k")}
	local := func(when string) {
		t.Helper()
		if code, _ := post(t, p.URL+"/local", body, signed); code != 200 {
			t.Fatalf("local capture %s: %d\nstderr: %s", when, code, p.errb.String())
		}
		if ev := p.next("request"); ev["path"] != "/local" {
			t.Errorf("%s: captured %v", when, ev)
		}
	}

	f.Blackhole()
	off := p.nextTunnel("offline")
	if off["retrying"] != true {
		t.Errorf("blackhole: %v; want retrying", off)
	}
	local("during a blackhole")
	f.Restore()
	if on := p.nextTunnel("online"); on["url"] != "https://hooks.example.ngrok.app" {
		t.Errorf("back online: %v", on)
	}
	if code, _ := viaPublic(t, f, "/after-blackhole", body, signed); code != 200 {
		t.Errorf("through the tunnel after the blackhole: %d", code)
	}
	p.next("request")

	f.StopEndpoints("Endpoint stopped from the dashboard.", "ERR_NGROK_3204")
	off = p.nextTunnel("offline")
	if off["retrying"] != false || !strings.Contains(off["error"].(string), "ERR_NGROK_3204") {
		t.Errorf("remote stop: %v", off)
	}
	local("after a remote stop")
	select {
	case <-p.done:
		t.Fatalf("listen exited after a remote stop\nstderr: %s", p.errb.String())
	default:
	}
}

// Under --tunnel auto a network that is down at start costs nothing: the
// local URL answers at once and the public one comes when it can.
func TestTunnelAutoKeepsTrying(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	f, seam := startFake(t, fakengrok.Expect{})
	f.Down()
	p := e.start(append([]string{"listen", "--secret", "k"}, seam...), "NGROK_AUTHTOKEN="+e2eToken)
	if p.Ready["public_url"] != nil {
		t.Errorf("public_url %v while the service is down", p.Ready["public_url"])
	}
	if off := p.nextTunnel("offline"); off["retrying"] != true || !strings.Contains(off["error"].(string), "refused") {
		t.Errorf("first tunnel line %v; want offline, retrying", off)
	}
	// stderr is copied from its pipe on a goroutine of its own.
	for i := 0; i < 100 && !strings.Contains(p.errb.String(), "retrying in the background"); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	if !strings.Contains(p.errb.String(), "retrying in the background") {
		t.Errorf("stderr does not say it keeps trying:\n%s", p.errb.String())
	}
	body := []byte(sampleBody)
	if code, _ := post(t, p.URL+"/x", body, nil); code != 200 {
		t.Fatalf("local capture while ngrok is down: %d", code)
	}
	p.next("request")
	f.Up()
	if on := p.nextTunnel("online"); on["url"] != f.PublicURL() {
		t.Errorf("online line %v; want %s", on, f.PublicURL())
	}
	if code, _ := viaPublic(t, f, "/late", body, nil); code != 200 {
		t.Errorf("through the late tunnel: %d", code)
	}
	if ev := p.next("request"); ev["path"] != "/late" {
		t.Errorf("captured %v", ev)
	}
}

// A token from the environment wins over the config: the remedy must say
// so instead of sending the user to `hookscope config set`.
func TestTunnelAuthFailureNamesTheTokensSource(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, seam := startFake(t, fakengrok.Expect{})
	e.mustRun("config", "set", "ngrok-authtoken", e2eToken)
	out, errOut, code := e.run(append([]string{"listen", "--tunnel", "ngrok", "--port", "0", "--no-tui"}, seam...),
		"NGROK_AUTHTOKEN=stale_env_token_value")
	if code != 1 || !strings.Contains(errOut, "from NGROK_AUTHTOKEN") || !strings.Contains(errOut, "unset NGROK_AUTHTOKEN") {
		t.Errorf("exit %d\nstdout %s\nstderr %s", code, out, errOut)
	}
	if strings.Contains(out+errOut, "stale_env_token_value") || strings.Contains(out+errOut, e2eToken) {
		t.Error("a token was printed")
	}
}

func TestTunnelTUIShowsTheRegisterURL(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: skipping the terminal UI tunnel test (.ci/run installs it)")
	}
	e := newEnv(t)
	f, seam := startFake(t, fakengrok.Expect{})
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &tmuxSession{t: t, name: fmt.Sprintf("hookscope-e2e-tunnel-%d", port)}
	args := []string{"new-session", "-d", "-s", s.name, "-x", "160", "-y", "40"}
	for _, kv := range e.environ("TERM=xterm-256color") {
		args = append(args, "-e", kv)
	}
	args = append(args, hookscopeBin, "listen", "--port", fmt.Sprint(port), "--secret", "k", "--authtoken", e2eToken, "--path", "/webhooks")
	s.tmux(append(args, seam...)...)
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", s.name).Run() })

	scr := s.waitFor(f.PublicURL() + "/webhooks")
	if !strings.Contains(scr, "online") {
		t.Errorf("the header does not say the tunnel is online:\n%s", scr)
	}
	body := []byte(sampleBody)
	if code, _ := viaPublic(t, f, "/webhooks", body, map[string]string{"X-VideoNest-Signature": sign(body, "k")}); code != 200 {
		t.Fatalf("through the tunnel: %d", code)
	}
	scr = s.waitFor("video.processed")
	if !strings.Contains(scr, f.PublicURL()+"/webhooks") {
		t.Errorf("the register URL lost its --path once a request came:\n%s", scr)
	}
	f.StopEndpoints("Endpoint stopped from the dashboard.", "ERR_NGROK_3204")
	scr = s.waitFor("offline")
	if strings.Contains(scr, "reconnecting") {
		t.Errorf("a stopped endpoint shows as reconnecting:\n%s", scr)
	}
}
