package web

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/jsonview"
	"github.com/hookscope/hookscope/inspect/relay"
	"github.com/hookscope/hookscope/inspect/session"
	"github.com/hookscope/hookscope/inspect/store"
)

const secret = "whsec_web"

func sign(b []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(b)
	return hex.EncodeToString(m.Sum(nil))
}

// rig is a real session on a temp store with its capture server, and the
// inspector in front of it, both on 127.0.0.1.
type rig struct {
	t       *testing.T
	st      *store.Store
	capture string // capture server URL
	web     *httptest.Server
	srv     *Server
	host    string // the inspector's host:port
}

func newRig(t *testing.T, targets ...string) *rig {
	t.Helper()
	return newRigWith(t, nil, targets...)
}

// newRigWith is newRig with a say in the session's config.
func newRigWith(t *testing.T, tune func(*session.Config), targets ...string) *rig {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hookscope.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	cfg := session.Config{Store: st, Secrets: []string{secret}, MaxBody: 1 << 20, BodyBudget: 8 << 20}
	for _, raw := range targets {
		tg, err := forward.ParseTarget(raw)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Targets = append(cfg.Targets, tg)
	}
	if tune != nil {
		tune(&cfg)
	}
	sess := session.New(cfg)
	cln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sess.Serve(cln, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sess.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })

	wln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, st: st, capture: "http://" + cln.Addr().String(), host: wln.Addr().String()}
	r.srv = New(Options{Session: sess, LocalURL: r.capture, Targets: targets, CanResign: true}, wln)
	r.web = &httptest.Server{Listener: wln, Config: &http.Server{Handler: r.srv.Handler()}}
	r.web.Start()
	t.Cleanup(r.web.Close)
	return r
}

// capture sends one webhook to the capture server and returns its id.
func (r *rig) capture1(path string, body []byte, hdr ...string) string {
	r.t.Helper()
	req, _ := http.NewRequest("POST", r.capture+path, bytes.NewReader(body))
	req.Header.Set("X-VideoNest-Signature", sign(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ ID string }
	if json.NewDecoder(resp.Body).Decode(&out); out.ID != "" {
		return out.ID
	}
	// Forwarding: the sender got the handler's answer, not hookscope's.
	recs, err := r.st.List(context.Background(), store.Query{Limit: 1})
	if err != nil || len(recs) != 1 {
		r.t.Fatalf("capture %s: %d %v", path, resp.StatusCode, err)
	}
	return recs[0].ID
}

// do sends a request to the inspector as its own page would, with
// changes applied by mod.
func (r *rig) do(method, path string, body []byte, mod func(*http.Request)) *http.Response {
	r.t.Helper()
	req, _ := http.NewRequest(method, r.web.URL+path, bytes.NewReader(body))
	req.Host = r.host
	if method == "POST" {
		req.Header.Set("Origin", "http://"+r.host)
		req.Header.Set("X-Hookscope-Token", r.srv.token)
		req.Header.Set("Content-Type", "application/json")
	}
	if mod != nil {
		mod(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func (r *rig) getJSON(path string, v any) *http.Response {
	r.t.Helper()
	resp := r.do("GET", path, nil, nil)
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		r.t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		r.t.Fatalf("GET %s: %v", path, err)
	}
	return resp
}

func TestPageCarriesTokenAndStrictPolicy(t *testing.T) {
	r := newRig(t)
	resp := r.do("GET", "/", nil, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte(`content="`+r.srv.token+`"`)) {
		t.Fatalf("page: %d, token missing", resp.StatusCode)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "require-trusted-types-for 'script'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP lacks %q: %s", want, csp)
		}
	}
	if strings.Contains(csp, "unsafe-") {
		t.Errorf("CSP allows something unsafe: %s", csp)
	}
	// No inline script or style in the page: the CSP would refuse them.
	if regexp.MustCompile(`<script(?:\s[^>]*)?>[^<]`).Match(b) || bytes.Contains(b, []byte("<style")) || bytes.Contains(b, []byte(" on")) && regexp.MustCompile(` on[a-z]+=`).Match(b) {
		t.Error("the page has inline script, style or handlers")
	}
	for name, ct := range map[string]string{"app.js": "javascript", "render.js": "javascript", "style.css": "text/css"} {
		resp := r.do("GET", "/assets/"+name, nil, nil)
		if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Type"), ct) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	if resp := r.do("GET", "/assets/index.html", nil, nil); resp.StatusCode != 404 {
		t.Errorf("index.html as an asset would skip the token: %d", resp.StatusCode)
	}
}

// No innerHTML, outerHTML, insertAdjacentHTML, document.write or eval in
// the page's code: captured data can only become text.
func TestScriptsBuildNoMarkupFromStrings(t *testing.T) {
	for _, name := range []string{"app.js", "render.js"} {
		b := mustAsset(name)
		for _, bad := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function", "setAttribute('on", "srcdoc"} {
			if bytes.Contains(b, []byte(bad)) {
				t.Errorf("%s uses %s", name, bad)
			}
		}
	}
}

func TestRefusesForeignHostOriginAndMissingToken(t *testing.T) {
	r := newRig(t)
	id := r.capture1("/webhooks", []byte(`{"event":"video.processed"}`))
	_, port, _ := net.SplitHostPort(r.host)
	for _, host := range []string{"evil.example:" + port, "127.0.0.1.nip.io:" + port, "localhost.attacker.test:" + port, "127.0.0.1:1", "localhost"} {
		resp := r.do("GET", "/api/requests", nil, func(q *http.Request) { q.Host = host })
		if resp.StatusCode != http.StatusMisdirectedRequest {
			t.Errorf("Host %s: %d, want 421", host, resp.StatusCode)
		}
	}
	for _, host := range []string{"localhost:" + port, "[::1]:" + port, r.host} {
		if resp := r.do("GET", "/api/requests", nil, func(q *http.Request) { q.Host = host }); resp.StatusCode != 200 {
			t.Errorf("Host %s: %d, want 200", host, resp.StatusCode)
		}
	}
	cases := map[string]func(*http.Request){
		"no token":       func(q *http.Request) { q.Header.Del("X-Hookscope-Token") },
		"wrong token":    func(q *http.Request) { q.Header.Set("X-Hookscope-Token", strings.Repeat("0", 64)) },
		"foreign origin": func(q *http.Request) { q.Header.Set("Origin", "http://evil.example") },
		"no origin":      func(q *http.Request) { q.Header.Del("Origin") },
		"null origin":    func(q *http.Request) { q.Header.Set("Origin", "null") },
		"cross-site":     func(q *http.Request) { q.Header.Set("Sec-Fetch-Site", "cross-site") },
	}
	for name, mod := range cases {
		resp := r.do("POST", "/api/requests/"+id+"/replay", []byte(`{"to":["127.0.0.1:9"]}`), mod)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, resp.StatusCode)
		}
	}
	atts, _ := r.st.Attempts(context.Background(), id)
	if len(atts) != 0 {
		t.Fatalf("a refused replay was sent: %d attempts", len(atts))
	}
	// A cross-site page may not read the API either, even with a good Host.
	if resp := r.do("GET", "/api/requests", nil, func(q *http.Request) { q.Header.Set("Sec-Fetch-Site", "cross-site") }); resp.StatusCode != 403 {
		t.Errorf("cross-site GET: %d", resp.StatusCode)
	}
}

func TestListPagesWithCursorInListJSONShape(t *testing.T) {
	r := newRig(t)
	var ids []string
	for i := range 130 {
		ev := "video.processed"
		if i%10 == 0 {
			ev = "video.failed"
		}
		ids = append(ids, r.capture1(fmt.Sprintf("/hooks/%d", i), fmt.Appendf(nil, `{"event":%q,"n":%d}`, ev, i)))
	}
	var seen []string
	path := "/api/requests?limit=50"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("paging never ended")
		}
		var items []map[string]any
		resp := r.getJSON(path, &items)
		if pages == 0 && resp.Header.Get("X-Total-Count") != "130" {
			t.Errorf("X-Total-Count %q", resp.Header.Get("X-Total-Count"))
		}
		for _, it := range items {
			seen = append(seen, it["id"].(string))
		}
		path = ""
		if c := resp.Header.Get("X-Next-Cursor"); c != "" {
			path = "/api/requests?limit=50&cursor=" + c
			if !strings.Contains(resp.Header.Get("Link"), `rel="next"`) {
				t.Error("no Link rel=next")
			}
		}
	}
	if len(seen) != 130 {
		t.Fatalf("paged %d ids, want 130", len(seen))
	}
	for i, id := range seen {
		if id != ids[len(ids)-1-i] {
			t.Fatalf("item %d is %s, want %s (newest first, no gaps)", i, id, ids[len(ids)-1-i])
		}
	}

	// Each item is exactly list --json's.
	var items []json.RawMessage
	r.getJSON("/api/requests?limit=3", &items)
	recs, _ := r.st.List(context.Background(), store.Query{Limit: 3})
	for i := range recs {
		var want bytes.Buffer
		jsonview.NewEncoder(&want).Encode(jsonview.Summary(&recs[i]))
		if strings.TrimSpace(want.String()) != string(items[i]) {
			t.Errorf("item %d:\n got %s\nwant %s", i, items[i], want.String())
		}
	}

	// The TUI's filter syntax.
	var failed []map[string]any
	resp := r.getJSON("/api/requests?filter="+urlq("event:video.failed sig:valid"), &failed)
	if len(failed) != 13 || resp.Header.Get("X-Total-Count") != "13" {
		t.Errorf("event filter: %d items, total %s", len(failed), resp.Header.Get("X-Total-Count"))
	}
	var none []map[string]any
	r.getJSON("/api/requests?filter="+urlq("status:5xx"), &none)
	if len(none) != 0 {
		t.Errorf("status:5xx matched %d never-forwarded requests", len(none))
	}
	if resp := r.do("GET", "/api/requests?filter="+urlq("sig:maybe"), nil, nil); resp.StatusCode != 400 {
		t.Errorf("bad filter: %d", resp.StatusCode)
	}
	// The live head: what came after an id, newest first.
	var newer []map[string]any
	resp = r.getJSON("/api/requests?limit=2&after="+ids[125], &newer)
	if len(newer) != 2 || newer[0]["id"] != ids[127] || newer[1]["id"] != ids[126] || resp.Header.Get("X-More-Newer") == "" {
		t.Errorf("after: %v more=%q", newer, resp.Header.Get("X-More-Newer"))
	}
	if resp := r.do("GET", "/api/requests?cursor=x%27--", nil, nil); resp.StatusCode != 400 {
		t.Errorf("bad cursor: %d", resp.StatusCode)
	}
}

func urlq(s string) string { return strings.NewReplacer(" ", "+", ":", "%3A", "*", "%2A").Replace(s) }

func TestHostileContentComesBackAsData(t *testing.T) {
	r := newRig(t)
	body := []byte(`{"event":"<script>window.__pwned=1</script>","x":"<img src=x onerror=window.__pwned=1>"}` + "\x00\xff")
	id := r.capture1("/%3Cscript%3Ewindow.__pwned=1%3C/script%3E?q=<img/src/onerror=alert(1)>", body,
		"X-Evil", `<img src=x onerror=window.__pwned=1>`)
	resp := r.do("GET", "/api/requests/"+id[:6], nil, nil)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("show: %s", ct)
	}
	var rec map[string]any
	json.NewDecoder(resp.Body).Decode(&rec)
	got, _ := base64.StdEncoding.DecodeString(rec["body_base64"].(string))
	if !bytes.Equal(got, body) || rec["id"] != id {
		t.Fatalf("body not exact: %q", got)
	}
	found := false
	for _, h := range rec["headers"].([]any) {
		if h.(map[string]any)["value"] == `<img src=x onerror=window.__pwned=1>` {
			found = true
		}
	}
	if !found {
		t.Error("the header did not come back as it was sent")
	}

	raw := r.do("GET", "/api/requests/"+id+"/body", nil, nil)
	b, _ := io.ReadAll(raw.Body)
	h := raw.Header
	if !bytes.Equal(b, body) || h.Get("Content-Type") != "application/octet-stream" ||
		!strings.HasPrefix(h.Get("Content-Disposition"), "attachment") || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("body download: %q %v", b, h)
	}
	curl := r.do("GET", "/api/requests/"+id+"/curl", nil, nil)
	cb, _ := io.ReadAll(curl.Body)
	if !strings.HasPrefix(curl.Header.Get("Content-Type"), "text/plain") || !strings.HasPrefix(string(cb), "printf ") {
		t.Errorf("curl: %s %q", curl.Header.Get("Content-Type"), cb)
	}
	if resp := r.do("GET", "/api/requests/zzzzzzzz", nil, nil); resp.StatusCode != 404 {
		t.Errorf("unknown id: %d", resp.StatusCode)
	}
}

// handler is a real HTTP handler that checks signatures as VideoNest says.
type handler struct {
	mu     sync.Mutex
	bodies []string
	bad    int
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	h.bodies = append(h.bodies, string(b))
	if r.Header.Get("X-VideoNest-Signature") != sign(b) {
		h.bad++
	}
	h.mu.Unlock()
	w.Header().Set("X-Handler", "yes")
	w.WriteHeader(201)
	io.WriteString(w, `{"got":true}`)
}

func TestReplayThroughTheSession(t *testing.T) {
	h := &handler{}
	hs := httptest.NewServer(h)
	defer hs.Close()
	r := newRig(t, hs.URL)
	id := r.capture1("/webhooks", []byte(`{"event":"video.processed","data":{"status":"ready"}}`))

	var out map[string]any
	resp := r.do("POST", "/api/requests/"+id+"/replay", nil, nil)
	json.NewDecoder(resp.Body).Decode(&out)
	atts, _ := out["attempts"].([]any)
	if resp.StatusCode != 200 || len(atts) != 1 || atts[0].(map[string]any)["status"] != 201.0 || out["ok"] != true {
		t.Fatalf("replay: %d %v", resp.StatusCode, out)
	}
	edited := `{
  "event": "video.processed",
  "data": {"status": "failed"}
}`
	resp = r.do("POST", "/api/requests/"+id+"/replay", fmt.Appendf(nil, `{"body":%q,"resign":true}`, edited), nil)
	out = nil
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != 200 || out["edited"] != true {
		t.Fatalf("edited replay: %d %v", resp.StatusCode, out)
	}
	h.mu.Lock()
	bodies, bad := append([]string(nil), h.bodies...), h.bad
	h.mu.Unlock()
	// The live forward, the replay, the edited replay: all signed right,
	// the edit compacted as the capture was.
	want := `{"event":"video.processed","data":{"status":"failed"}}`
	if len(bodies) != 3 || bodies[2] != want || bad != 0 {
		t.Fatalf("handler got %q (bad signatures: %d)", bodies, bad)
	}
	var rec map[string]any
	r.getJSON("/api/requests/"+id, &rec)
	if n := len(rec["attempts"].([]any)); n != 3 {
		t.Errorf("%d attempts recorded, want 3", n)
	}
	if resp := r.do("POST", "/api/requests/"+id+"/replay", []byte(`{"bogus":1}`), nil); resp.StatusCode != 400 {
		t.Errorf("unknown field: %d", resp.StatusCode)
	}
}

func TestReplayWithoutTargetSaysSo(t *testing.T) {
	r := newRig(t)
	id := r.capture1("/webhooks", []byte(`{"event":"video.processed"}`))
	resp := r.do("POST", "/api/requests/"+id+"/replay", nil, nil)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusConflict || !bytes.Contains(b, []byte("no target")) {
		t.Errorf("%d %s", resp.StatusCode, b)
	}
}

// events opens the live stream; next returns the data of the next event
// of a type, skipping others.
func (r *rig) events() (next func(want string) map[string]any) {
	t := r.t
	t.Helper()
	req, _ := http.NewRequest("GET", r.web.URL+"/api/events", nil)
	req.Host = r.host
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("content type %q", resp.Header.Get("Content-Type"))
	}
	sc := bufio.NewScanner(resp.Body)
	return func(want string) map[string]any {
		t.Helper()
		event := ""
		for sc.Scan() {
			line := sc.Text()
			if v, ok := strings.CutPrefix(line, "event: "); ok {
				event = v
			}
			if v, ok := strings.CutPrefix(line, "data: "); ok && event == want {
				var m map[string]any
				if err := json.Unmarshal([]byte(v), &m); err != nil {
					t.Fatalf("data %q: %v", v, err)
				}
				return m
			}
		}
		t.Fatalf("stream ended before a %q event: %v", want, sc.Err())
		return nil
	}
}

func TestEventsStreamArrivals(t *testing.T) {
	r := newRig(t)
	next := r.events()
	if h := next("health"); h["state"] != "none" {
		t.Errorf("health without forwarding: %v", h)
	}
	id := r.capture1("/x</script>", []byte("{\"event\":\"video.failed\",\"t\":\"a\\nb\u2028\"}"))
	m := next("request")
	if m["id"] != id || m["type"] != "request" || m["path"] != "/x%3C/script%3E" && m["path"] != "/x</script>" {
		t.Errorf("request event %v", m)
	}
}

// TestEventsSayWhereTheTeamStands: a page opened while the relay cannot
// reach NATS hears so at once, in the words the terminal uses, not only
// at the relay's next change.
func TestEventsSayWhereTheTeamStands(t *testing.T) {
	r := newRigWith(t, func(c *session.Config) {
		c.Relay = &relay.Options{URL: "nats://alice:s3cret@127.0.0.1:1", Publish: true, Subscribe: true, Consumer: "alice"}
	})
	next := r.events()
	m := next("team")
	if m["role"] != "publish+subscribe" || m["behind"] != 0.0 || m["pending"] != 0.0 {
		t.Errorf("team event %v", m)
	}
	sum, _ := m["summary"].(string)
	if !strings.HasPrefix(sum, "team: ") || strings.Contains(sum, "s3cret") {
		t.Errorf("summary %q", sum)
	}
	// Later pages too: the state is sent on every connect.
	if m := r.events()("team"); m["role"] != "publish+subscribe" {
		t.Errorf("second page's team event %v", m)
	}
}

// A request to /api on the capture port is a webhook like any other: the
// inspector is never served there.
func TestCapturePortCapturesAPIPaths(t *testing.T) {
	r := newRig(t)
	id := r.capture1("/api/requests", []byte(`{}`))
	rec, err := r.st.Get(context.Background(), id)
	if err != nil || rec.Path != "/api/requests" {
		t.Fatalf("%v %+v", err, rec)
	}
}

func TestListenTakesTheNextFreePort(t *testing.T) {
	a, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Listen(a.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	pa, pb := a.Addr().(*net.TCPAddr).Port, b.Addr().(*net.TCPAddr).Port
	if pb <= pa || pb > pa+portTries {
		t.Errorf("taken %d, got %d", pa, pb)
	}
	if !Loopback(b) {
		t.Error("127.0.0.1 is loopback")
	}
	if _, err := Listen("nonsense"); err == nil {
		t.Error("a bad address was accepted")
	}
}

var _ = inspect.Captured
