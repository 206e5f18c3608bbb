package main

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// handler is a real HTTP handler on 127.0.0.1 that verifies VideoNest
// signatures the way an integrator's would, and remembers what it saw.
type handler struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	valid  []bool
	paths  []string
	hdrs   []http.Header
	status int
	secret string
}

func newHandler(t *testing.T, secret string, status int) *handler {
	h := &handler{status: status, secret: secret}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		m := hmac.New(sha256.New, []byte(h.secret))
		h.mu.Unlock()
		m.Write(b)
		got, _ := hex.DecodeString(r.Header.Get("X-VideoNest-Signature"))
		ok := hmac.Equal(m.Sum(nil), got)
		h.mu.Lock()
		h.bodies, h.valid, h.paths, h.hdrs = append(h.bodies, b), append(h.valid, ok), append(h.paths, r.URL.RequestURI()), append(h.hdrs, r.Header.Clone())
		code := h.status
		h.mu.Unlock()
		w.Header().Set("X-From-Handler", "1")
		if !ok {
			w.WriteHeader(401)
			io.WriteString(w, `{"error":"bad signature"}`)
			return
		}
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"handled":true,"status":%d}`, code)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *handler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.bodies)
}

func (h *handler) last() ([]byte, bool, string, http.Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(h.bodies) - 1
	return h.bodies[n], h.valid[n], h.paths[n], h.hdrs[n]
}

func TestForwardRelaysTheHandlersAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, code := range []int{200, 422, 500} {
		h := newHandler(t, "k", code)
		p := e.start([]string{"forward", "--to", h.URL + "/webhooks", "--secret", "k"})
		body := []byte(sampleBody)
		req, _ := http.NewRequest("POST", p.URL+"/incoming?x=1", strings.NewReader(sampleBody))
		req.Header.Set("X-VideoNest-Signature", sign(body, "k"))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		rb, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != code || resp.Header.Get("X-From-Handler") != "1" || !strings.Contains(string(rb), fmt.Sprintf(`"status":%d`, code)) {
			t.Errorf("handler %d: sender got %d %s %v", code, resp.StatusCode, rb, resp.Header)
		}
		got, valid, path, hdr := h.last()
		if string(got) != sampleBody || !valid || path != "/webhooks?x=1" {
			t.Errorf("handler saw %q valid=%v path=%s", got, valid, path)
		}
		if hdr.Get("X-Forwarded-For") != "127.0.0.1" || hdr.Get("X-Forwarded-Proto") != "http" {
			t.Errorf("forwarded headers %v", hdr)
		}
		req1 := p.next("request")
		fw := p.next("forward")
		if fw["status"].(float64) != float64(code) || fw["id"] != req1["id"] || fw["url"] != h.URL+"/webhooks?x=1" {
			t.Errorf("forward line %v", fw)
		}
		p.stop()
		// The attempt is in the store, with the handler's answer.
		var rec struct {
			Attempts []struct {
				Status int
				URL    string
				Replay bool
			}
			ForwardStatus int `json:"forward_status"`
		}
		json.Unmarshal([]byte(e.mustRun("show", req1["id"].(string), "--json")), &rec)
		if len(rec.Attempts) != 1 || rec.Attempts[0].Status != code || rec.Attempts[0].Replay || rec.ForwardStatus != code {
			t.Errorf("stored attempts %+v", rec)
		}
	}
}

func TestForwardFaults(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := l.Addr().(*net.TCPAddr).Port
	l.Close()

	p := e.start([]string{"forward", "--to", fmt.Sprint(closedPort)})
	code, body := post(t, p.URL+"/x", []byte(sampleBody), nil)
	if code != 502 || !strings.Contains(string(body), "refused the connection") || strings.Count(string(body), "\n") != 1 {
		t.Errorf("closed port: %d %q", code, body)
	}
	id := p.next("request")["id"].(string)
	if fw := p.next("forward"); fw["status"].(float64) != 0 || !strings.Contains(fw["error"].(string), "refused") {
		t.Errorf("forward line %v", fw)
	}
	p.stop()
	// Captured first, whatever the handler did.
	if out := e.mustRun("show", id, "--raw"); out != sampleBody {
		t.Errorf("not captured: %q", out)
	}
	if out := e.mustRun("list"); !strings.Contains(out, "error") {
		t.Errorf("list does not show the failed forward:\n%s", out)
	}

	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	p = e.start([]string{"forward", "--to", slow.URL, "--forward-timeout", "300ms"})
	start := time.Now()
	code, body = post(t, p.URL+"/x", []byte(sampleBody), nil)
	if code != 504 || !strings.Contains(string(body), "did not answer within 300ms") || time.Since(start) > 4*time.Second {
		t.Errorf("slow handler: %d %q after %s", code, body, time.Since(start))
	}
	p.stop()

	// --ack: the sender sees success although the handler is down.
	p = e.start([]string{"forward", "--to", fmt.Sprint(closedPort), "--ack"})
	code, body = post(t, p.URL+"/x", []byte(sampleBody), nil)
	if code != 200 || !strings.Contains(string(body), `"stored":true`) {
		t.Errorf("--ack: %d %s", code, body)
	}
	if fw := p.next("forward"); !strings.Contains(fw["error"].(string), "refused") {
		t.Errorf("--ack forward line %v", fw)
	}
}

func TestFanOutAndRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	videos, alerts, rest := newHandler(t, "k", 200), newHandler(t, "k", 202), newHandler(t, "k", 200)
	routes := filepath.Join(e.dir, "routes.txt")
	os.WriteFile(routes, []byte(fmt.Sprintf("video.* -> %s/videos\ndistribution.failed -> %s/alerts\n", videos.URL, alerts.URL)), 0o644)
	p := e.start([]string{"forward", "--routes", routes, "--to", rest.URL})
	send := func(ev string) int {
		b := []byte(fmt.Sprintf(`{"event":%q}`, ev))
		code, _ := post(t, p.URL+"/in", b, map[string]string{"X-VideoNest-Signature": sign(b, "k")})
		return code
	}
	if send("video.published") != 200 || send("distribution.failed") != 202 || send("distribution.completed") != 200 {
		t.Error("routed answers")
	}
	if videos.count() != 1 || alerts.count() != 1 || rest.count() != 1 {
		t.Errorf("routing: videos %d alerts %d rest %d", videos.count(), alerts.count(), rest.count())
	}
	if _, _, path, _ := alerts.last(); path != "/alerts" {
		t.Errorf("alerts path %s", path)
	}
	p.stop()

	// Several --to: each gets a copy, the first one's answer is relayed.
	a, b := newHandler(t, "k", 201), newHandler(t, "k", 500)
	p = e.start([]string{"forward", "--to", a.URL, "--to", b.URL})
	body := []byte(sampleBody)
	code, _ := post(t, p.URL+"/fan", body, map[string]string{"X-VideoNest-Signature": sign(body, "k")})
	if code != 201 {
		t.Errorf("fan-out relayed %d", code)
	}
	p.next("forward")
	p.next("forward")
	if a.count() != 1 || b.count() != 1 {
		t.Errorf("fan-out: %d %d", a.count(), b.count())
	}
}

func TestReplayFromAnotherProcess(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := newHandler(t, "old", 200)
	p := e.start([]string{"forward", "--to", h.URL + "/webhooks"})
	body := []byte(sampleBody)
	post(t, p.URL+"/webhooks", body, map[string]string{"X-VideoNest-Signature": sign(body, "old")})
	id := p.next("request")["id"].(string)
	p.next("forward")
	p.stop() // listen is not running for any replay below

	// As captured, to the recorded target.
	out, errOut, code := e.run([]string{"replay", id})
	if code != 0 || !strings.Contains(out, "200") || !strings.Contains(out, `"handled": true`) {
		t.Fatalf("replay: exit %d\n%s\n%s", code, out, errOut)
	}
	got, valid, _, _ := h.last()
	if string(got) != sampleBody || !valid || h.count() != 2 {
		t.Errorf("replayed body %q valid %v", got, valid)
	}

	// The secret rotated: the old signature fails, --resign fixes it.
	h.mu.Lock()
	h.secret = "new"
	h.mu.Unlock()
	if _, _, code := e.run([]string{"replay", id}); code != 1 {
		t.Errorf("replay with a stale signature: exit %d, want 1 (handler answered 401)", code)
	}
	out, errOut, code = e.run([]string{"replay", id, "--resign", "--secret", "new"})
	if code != 0 {
		t.Errorf("--resign: exit %d\n%s%s", code, out, errOut)
	}

	// --set edits a field and re-signs.
	out, _, code = e.run([]string{"replay", id, "--set", "data.status=failed", "--json"}, "VIDEONEST_WEBHOOK_SECRET=new")
	var line map[string]any
	json.Unmarshal([]byte(out), &line)
	if code != 0 || line["type"] != "forward" || line["replay"] != true || line["status"].(float64) != 200 {
		t.Errorf("--set: exit %d %s", code, out)
	}

	// Every attempt is recorded against the request.
	var rec struct {
		Attempts []struct {
			Status int
			Replay bool
		}
	}
	json.Unmarshal([]byte(e.mustRun("show", id, "--json")), &rec)
	if len(rec.Attempts) != 5 || rec.Attempts[0].Replay || !rec.Attempts[4].Replay || rec.Attempts[2].Status != 401 {
		t.Errorf("attempts %+v", rec.Attempts)
	}

	// Never forwarded and no --to: the error names --to.
	p = e.start([]string{"listen"})
	_, resp := post(t, p.URL+"/lonely", body, nil)
	lonely := idOf(t, resp)
	p.stop()
	_, errOut, code = e.run([]string{"replay", lonely})
	if code != 2 || !strings.Contains(errOut, "--to") {
		t.Errorf("no target: exit %d %q", code, errOut)
	}
	// A closed port: exit 1 and one line saying so.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	out, _, code = e.run([]string{"replay", lonely, "--to", fmt.Sprint(port)})
	if code != 1 || !strings.Contains(out, "refused the connection") {
		t.Errorf("replay to a closed port: exit %d %q", code, out)
	}
	// Batch selection.
	out, _, code = e.run([]string{"replay", "--last", "2", "--to", h.URL, "--resign", "--secret", "new"})
	if code != 0 || strings.Count(out, "→") != 2 {
		t.Errorf("--last 2: exit %d\n%s", code, out)
	}
}

func TestReplayEditWithEditor(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := newHandler(t, "k", 200)
	p := e.start([]string{"listen"})
	body := []byte(sampleBody)
	_, resp := post(t, p.URL+"/w", body, map[string]string{"X-VideoNest-Signature": sign(body, "k")})
	id := idOf(t, resp)
	p.stop()

	editor := filepath.Join(e.dir, "editor.sh")
	os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/\"ready\"/\"failed\"/' \"$1\"\n"), 0o755)
	out, errOut, code := e.run([]string{"replay", id, "--edit", "--to", h.URL}, "EDITOR="+editor, "VIDEONEST_WEBHOOK_SECRET=k")
	if code != 0 {
		t.Fatalf("--edit: exit %d\n%s\n%s", code, out, errOut)
	}
	got, valid, _, _ := h.last()
	want := strings.Replace(sampleBody, `"ready"`, `"failed"`, 1)
	if string(got) != want || !valid {
		t.Errorf("edited body %q (valid %v), want %q", got, valid, want)
	}

	// An editor that changes nothing cancels.
	os.WriteFile(editor, []byte("#!/bin/sh\ntrue\n"), 0o755)
	n := h.count()
	_, errOut, code = e.run([]string{"replay", id, "--edit", "--to", h.URL}, "EDITOR="+editor)
	if code != 1 || !strings.Contains(errOut, "cancelled") || h.count() != n {
		t.Errorf("unchanged edit: exit %d %q", code, errOut)
	}
	// Without a secret, it says the signature will not verify.
	os.WriteFile(editor, []byte("#!/bin/sh\nsed -i 's/142/143/' \"$1\"\n"), 0o755)
	_, errOut, _ = e.run([]string{"replay", id, "--edit", "--to", h.URL}, "EDITOR="+editor)
	if !strings.Contains(errOut, "will not verify") {
		t.Errorf("no-secret edit: %q", errOut)
	}
}

// The handler the provider's page describes, in Node.js: a captured request
// forwarded and replayed by hookscope must pass its check.
const nodeHandler = `
const http = require('http');
const crypto = require('crypto');
const secret = process.env.SECRET;
function verifySignature(rawBody, signingSecret, signatureHeader) {
  const expected = crypto.createHmac('sha256', signingSecret).update(rawBody).digest('hex');
  const a = Buffer.from(expected), b = Buffer.from(signatureHeader || '');
  return a.length === b.length && crypto.timingSafeEqual(a, b);
}
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    const ok = verifySignature(Buffer.concat(chunks), secret, req.headers['x-videonest-signature']);
    res.writeHead(ok ? 200 : 401, {'content-type': 'application/json'});
    res.end(JSON.stringify({verified: ok}));
  });
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`

func TestNodeHandlerVerifiesForwardAndReplay(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed: skipping the Node.js signature handler test (.ci/run installs it)")
	}
	e := newEnv(t)
	script := filepath.Join(e.dir, "handler.js")
	os.WriteFile(script, []byte(nodeHandler), 0o644)
	cmd := exec.Command(node, script)
	cmd.Env = append(os.Environ(), "SECRET=node-secret")
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	portLine, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	port := strings.TrimSpace(portLine)

	p := e.start([]string{"forward", "--to", "127.0.0.1:" + port + "/webhooks", "--secret", "node-secret"})
	body := []byte(sampleBody)
	code, resp := post(t, p.URL+"/webhooks", body, map[string]string{"X-VideoNest-Signature": sign(body, "node-secret")})
	if code != 200 || !strings.Contains(string(resp), `"verified":true`) {
		t.Fatalf("forward to the Node handler: %d %s", code, resp)
	}
	id := p.next("request")["id"].(string)
	// A spoofed request is refused by the handler, and the sender sees that.
	code, _ = post(t, p.URL+"/webhooks", body, map[string]string{"X-VideoNest-Signature": sign(body, "guess")})
	if code != 401 {
		t.Errorf("spoofed request relayed as %d", code)
	}
	p.stop()
	out, errOut, code := e.run([]string{"replay", id})
	if code != 0 || !strings.Contains(out, `"verified": true`) {
		t.Errorf("replay to the Node handler: exit %d %s %s", code, out, errOut)
	}
}
