package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

// TestVerifyOnlyRefusalsAreRecorded: --verify-only without a secret would
// refuse everything, so it does not start; with one, a refused request is
// recorded as refused 401 with its body, and replay still sends it.
func TestVerifyOnlyRefusalsAreRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, errOut, code := e.run([]string{"listen", "--port", "0", "--no-tui", "--verify-only"})
	if code != 2 || !strings.Contains(errOut, "--verify-only needs a signing secret") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("verify-only without a secret: exit %d %q", code, errOut)
	}
	h := newHandler(t, "k", 200)
	p := e.start([]string{"listen", "--secret", "k", "--verify-only"})
	code, resp := post(t, p.URL+"/webhooks", []byte(sampleBody), map[string]string{"X-VideoNest-Signature": strings.Repeat("0", 64)})
	if code != 401 {
		t.Fatalf("forged: %d %s", code, resp)
	}
	id := idOf(t, resp)
	if ev := p.next("request"); ev["refused"] != 401.0 || ev["size"] != float64(len(sampleBody)) {
		t.Errorf("--json line: %v", ev)
	}
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &items)
	if len(items) != 1 || items[0]["refused"] != 401.0 {
		t.Errorf("list --json: %v", items)
	}
	if out := e.mustRun("show", id, "--raw"); out != sampleBody {
		t.Errorf("show --raw of a 401: %q", out)
	}
	if out := e.mustRun("show", id); !strings.Contains(out, "(refused 401)") {
		t.Errorf("show:\n%s", out)
	}
	out, errOut, code := e.run([]string{"replay", id, "--to", h.URL})
	if code != 1 || !strings.Contains(errOut, "refused by --verify-only") || h.count() != 1 {
		t.Errorf("replay of a 401: exit %d, stdout %q, stderr %q, handler saw %d", code, out, errOut, h.count())
	}
	if b, _, _, _ := h.last(); !bytes.Equal(b, []byte(sampleBody)) {
		t.Errorf("replayed body %q", b)
	}
}

// TestRefusedBodySizes: a refused body reads "recorded, body not kept" and
// its size is the announced one, never "-1 B".
func TestRefusedBodySizes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--max-body", "1KiB"})
	code, resp := post(t, p.URL+"/big", bytes.Repeat([]byte("a"), 4096), nil)
	var m map[string]any
	json.Unmarshal(resp, &m)
	if code != 413 || m["recorded"] != true || !strings.Contains(m["error"].(string), "recorded, body not kept") || strings.Contains(string(resp), "not captured") {
		t.Errorf("413 answer: %s", resp)
	}
	// CL+TE: refused before the body is read; no length is trusted.
	c := dialListen(t, p)
	c.Write([]byte("POST /ambiguous HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"))
	closedWithin(c, 10e9)
	c.Close()
	p.stop()
	out := e.mustRun("list")
	if strings.Contains(out, "-1 B") || !strings.Contains(out, "4096\t413") {
		t.Errorf("list (piped):\n%s", out)
	}
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &items)
	for _, it := range items {
		if it["path"] == "/ambiguous" {
			show := e.mustRun("show", it["id"].(string))
			if strings.Contains(show, "-1 B") || !strings.Contains(show, "Size       – (refused 400, body not kept)") {
				t.Errorf("show of a CL+TE refusal:\n%s", show)
			}
		}
		if it["path"] == "/big" {
			show := e.mustRun("show", it["id"].(string))
			if !strings.Contains(show, "4.0 KiB announced (refused 413, body not kept)") {
				t.Errorf("show of a 413:\n%s", show)
			}
		}
	}
}

// TestDuplicateMarkInPipedList: the piped list's last column marks a
// duplicate; show words it as what it is (the same body), not a re-send.
func TestDuplicateMarkInPipedList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--path", "/webhooks"})
	if p.Ready["path"] != "/webhooks" {
		t.Errorf("ready line: %v", p.Ready)
	}
	post(t, p.URL+"/webhooks", []byte(sampleBody), nil)
	_, resp := post(t, p.URL+"/webhooks", []byte(sampleBody), nil)
	dup := idOf(t, resp)
	p.stop()
	lines := strings.Split(strings.TrimSpace(e.mustRun("list")), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], dup) {
		t.Fatalf("piped list:\n%s", strings.Join(lines, "\n"))
	}
	orig := strings.Fields(lines[1])[0]
	if !strings.HasSuffix(lines[0], "\tduplicate of "+orig) || strings.Contains(lines[1], "duplicate") {
		t.Errorf("piped list:\n%s", strings.Join(lines, "\n"))
	}
	// Both requests are unsigned: show says what the mark knows, no more.
	if out := e.mustRun("show", dup); !strings.Contains(out, "Duplicate  same body as "+orig+"\n") || strings.Contains(out, "re-sent") {
		t.Errorf("show:\n%s", out)
	}
}

// TestEventsOfOtherProviders: each provider's event is read where that
// provider puts it, so --event filters work for them.
func TestEventsOfOtherProviders(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "s"})
	cases := []struct {
		event string
		body  string
		hdr   map[string]string
	}{
		{"push", `{"ref":"main"}`, map[string]string{"X-Hub-Signature-256": "sha256=00", "X-GitHub-Event": "push"}},
		{"orders/create", `{"id":1}`, map[string]string{"X-Shopify-Hmac-Sha256": "AA==", "X-Shopify-Topic": "orders/create"}},
		{"invoice.paid", `{"id":"evt_1","type":"invoice.paid"}`, map[string]string{"Stripe-Signature": "t=1,v1=00"}},
		{"user.created", `{"type":"user.created"}`, map[string]string{"webhook-id": "m", "webhook-timestamp": "1", "webhook-signature": "v1,AA=="}},
		{"video.failed", `{"event":"video.failed"}`, nil},
	}
	for _, c := range cases {
		post(t, p.URL+"/hooks", []byte(c.body), c.hdr)
		if got := p.next("request"); got["event"] != c.event {
			t.Errorf("%s: request line %v", c.event, got)
		}
	}
	p.stop()
	for _, c := range cases {
		var items []map[string]any
		json.Unmarshal([]byte(e.mustRun("list", "--json", "--event", c.event)), &items)
		if len(items) != 1 {
			t.Errorf("list --event %s: %v", c.event, items)
		}
	}
	// Import derives the same way (an export without events, as a hand-made fixture would be).
	jsonl := e.mustRun("export")
	var stripped []string
	for _, line := range strings.Split(strings.TrimSpace(jsonl), "\n") {
		var m map[string]any
		json.Unmarshal([]byte(line), &m)
		delete(m, "event")
		delete(m, "signature")
		delete(m, "id")
		b, _ := json.Marshal(m)
		stripped = append(stripped, string(b))
	}
	dst := newEnv(t)
	os.WriteFile(dst.dir+"/in.jsonl", []byte(strings.Join(stripped, "\n")+"\n"), 0o600)
	dst.mustRun("import", dst.dir+"/in.jsonl")
	var items []map[string]any
	json.Unmarshal([]byte(dst.mustRun("list", "--json", "--event", "orders/create")), &items)
	if len(items) != 1 {
		t.Errorf("imported shopify capture: %v", items)
	}
}

// TestFanOutListShowsTheSendersAnswer: with fan-out, list's forward column
// is the answer the sender got, whichever copy finished last; show says it
// and prints each handler's answer whole, while replay's summary is cut and
// says where the rest is.
func TestFanOutListShowsTheSendersAnswer(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	long := strings.Repeat("line of the handler's answer\n", 40)
	first := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(500)
		io.WriteString(w, long)
	}))
	defer first.Close()
	second := newHandler(t, "other-secret", 200) // answers 401: wrong secret
	p := e.start([]string{"forward", "--to", first.URL, "--to", second.URL, "--retry-schedule", "1h"})
	body := []byte(sampleBody)
	code, _ := post(t, p.URL+"/fan", body, map[string]string{"X-VideoNest-Signature": sign(body, "k")})
	if code != 500 {
		t.Fatalf("sender got %d", code)
	}
	seen := map[float64]bool{}
	for len(seen) < 2 {
		seen[p.next("forward")["status"].(float64)] = true
	}
	p.stop()
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &items)
	if len(items) != 1 || items[0]["forward_status"] != 500.0 {
		t.Fatalf("list --json forward_status: %v", items)
	}
	id := items[0]["id"].(string)
	show := e.mustRun("show", id)
	if !strings.Contains(show, "Answered   500 (the sender got the handler's answer: "+first.URL+"/fan)") ||
		strings.Count(show, "line of the handler's answer") != 40 || !strings.Contains(show, "401") {
		t.Errorf("show:\n%s", show)
	}
	out, _, _ := e.run([]string{"replay", id, "--to", first.URL})
	if strings.Count(out, "line of the handler's answer") != 5 || !strings.Contains(out, "… 35 more lines: hookscope show "+id) {
		t.Errorf("replay summary:\n%s", out)
	}
}

// TestRetention: prune by age and count, delete by id, and listen
// --retention, with days as the unit people use.
func TestRetention(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// Old captures come in through import (received_at in the past).
	var lines []string
	for i := range 5 {
		at := time.Now().Add(-time.Duration(10-i) * 24 * time.Hour).UTC().Format(time.RFC3339Nano)
		lines = append(lines, fmt.Sprintf(`{"received_at":%q,"method":"POST","path":"/old%d","body_base64":"e30="}`, at, i))
	}
	for i := range 3 {
		lines = append(lines, fmt.Sprintf(`{"received_at":%q,"method":"POST","path":"/new%d","body_base64":"e30="}`, time.Now().UTC().Format(time.RFC3339Nano), i))
	}
	os.WriteFile(e.dir+"/in.jsonl", []byte(strings.Join(lines, "\n")+"\n"), 0o600)
	ids := strings.Fields(e.mustRun("import", e.dir+"/in.jsonl"))
	if len(ids) != 8 {
		t.Fatalf("imported %v", ids)
	}
	if _, errOut, code := e.run([]string{"prune"}); code != 2 || !strings.Contains(errOut, "--older-than") {
		t.Errorf("prune without a rule: %d %q", code, errOut)
	}
	if _, errOut, code := e.run([]string{"prune", "--older-than", "7d"}); code != 0 || !strings.Contains(errOut, "Deleted 4 requests.") {
		t.Errorf("prune --older-than 7d: %d %q", code, errOut)
	}
	if _, errOut, code := e.run([]string{"prune", "--keep", "3"}); code != 0 || !strings.Contains(errOut, "Deleted 1 request.") {
		t.Errorf("prune --keep 3: %d %q", code, errOut)
	}
	if out := e.mustRun("list", "--since", "2d"); strings.Count(out, "\n") != 3 {
		t.Errorf("list --since 2d:\n%s", out)
	}
	out, errOut, code := e.run([]string{"delete", ids[7]})
	if code != 0 || strings.TrimSpace(out) != ids[7] || !strings.Contains(errOut, "Deleted 1 request.") {
		t.Errorf("delete: %d %q %q", code, out, errOut)
	}
	if _, errOut, code := e.run([]string{"show", ids[7]}); code != 1 || !strings.Contains(errOut, "no request") {
		t.Errorf("show after delete: %d %q", code, errOut)
	}
	// listen --retention prunes at start.
	os.WriteFile(e.dir+"/old.jsonl", []byte(lines[0]+"\n"), 0o600)
	old := strings.TrimSpace(e.mustRun("import", e.dir+"/old.jsonl"))
	p := e.start([]string{"listen", "--retention", "1d"})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, _, code := e.run([]string{"show", old}); code == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("listen --retention 1d kept a 10-day-old capture")
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop()
	if n := strings.Count(e.mustRun("list"), "\n"); n != 2 {
		t.Errorf("--retention deleted recent captures: %d left", n)
	}
}

// TestVerifyNamesTheLikelyMistake: an editor's trailing newline and a
// GitHub-style prefix are named, not just reported as a mismatch.
func TestVerifyNamesTheLikelyMistake(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := e.dir + "/body.json"
	os.WriteFile(file, []byte(sampleBody+"\n"), 0o644)
	good := sign([]byte(sampleBody), "k")
	out, _, code := e.run([]string{"verify", "--secret", "k", "--signature", good, file})
	if code != 1 || !strings.Contains(out, "invalid: mismatch") || !strings.Contains(out, "likely cause: the signature matches the body without its trailing newline") {
		t.Errorf("trailing newline: %d %q", code, out)
	}
	os.WriteFile(file, []byte(sampleBody), 0o644)
	out, _, code = e.run([]string{"verify", "--secret", "k", "--signature", "sha256=" + good, file})
	if code != 1 || !strings.Contains(out, "without its sha256= prefix") {
		t.Errorf("prefix: %d %q", code, out)
	}
	out, _, code = e.run([]string{"verify", "--secret", "k", "--signature", strings.ToUpper(good), file})
	if code != 0 || !strings.Contains(out, "upper-case") {
		t.Errorf("upper-case: %d %q", code, out)
	}
}

// TestRespond: --respond makes hookscope answer what a developer asks for,
// after storing the request, and the record says what was answered.
func TestRespond(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{
		{"listen", "--respond", "99"}, {"listen", "--respond", "500,soon"}, {"listen", "--respond", "500,1h"},
		{"forward", "--to", ":1", "--respond", "500"},
	} {
		if _, errOut, code := e.run(append(args, "--port", "0", "--no-tui")); code != 2 || !strings.Contains(errOut, "--respond") {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
	p := e.start([]string{"listen", "--respond", "503,200ms,busy, try later"})
	code, resp := post(t, p.URL+"/hooks", []byte(sampleBody), nil)
	if code != 503 || string(resp) != "busy, try later" {
		t.Errorf("answer %d %q", code, resp)
	}
	if ev := p.next("request"); ev["answered"] != "answered by hookscope: --respond 503 after 200ms" {
		t.Errorf("--json line: %v", ev)
	}
	// A sender that gives up first (as VideoNest does at 10 s) is noted.
	p2 := e.start([]string{"listen", "--respond", "500,3s"})
	c := &http.Client{Timeout: 300 * time.Millisecond}
	if _, err := c.Post(p2.URL+"/hooks", "application/json", strings.NewReader(sampleBody)); err == nil {
		t.Fatal("the 3s answer came within 300ms")
	}
	id := p2.next("request")["id"].(string)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(e.mustRun("show", id), "the sender hung up after") {
		if time.Now().After(deadline) {
			t.Fatalf("show never said the sender hung up:\n%s", e.mustRun("show", id))
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.stop()
	p2.stop()
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &items)
	if len(items) != 2 || !strings.HasPrefix(items[1]["answered"].(string), "answered by hookscope: --respond 503") {
		t.Errorf("list --json: %v", items)
	}
}

// TestEndpointCheckWhileHandlerDown: VideoNest's check of a new endpoint
// (no documented event) is answered 200 by hookscope when the handler is
// not running, and marked; a real event still gets the 502.
func TestEndpointCheckWhileHandlerDown(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	down := "127.0.0.1:" + freeLoopbackPort(t)
	p := e.start([]string{"forward", "--to", down})
	code, resp := post(t, p.URL+"/webhooks", []byte(`{"type":"endpoint.test","id":"ping_1"}`), nil)
	if code != 200 || !strings.Contains(string(resp), "endpoint check") {
		t.Fatalf("ping with the handler down: %d %s", code, resp)
	}
	ping := idOf(t, resp)
	if code, _ := post(t, p.URL+"/webhooks", []byte(sampleBody), nil); code != 502 {
		t.Errorf("a documented event with the handler down: %d, want 502", code)
	}
	p.stop()
	if out := e.mustRun("show", ping); !strings.Contains(out, "Answered   answered by hookscope: handler down, looks like VideoNest's endpoint check") {
		t.Errorf("show:\n%s", out)
	}
	// A handler that answers (even 404 to an event it does not know) answers.
	h := newHandler(t, "k", 200)
	p = e.start([]string{"forward", "--to", h.URL})
	if code, _ := post(t, p.URL+"/webhooks", []byte(`{"type":"endpoint.test"}`), nil); code != 401 {
		t.Errorf("ping with the handler up: %d, want the handler's 401", code)
	}
}

// TestLiveLinesMarkDuplicates: listen --json says, as the request arrives,
// that a body was captured before, and names the first one.
func TestLiveLinesMarkDuplicates(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k"})
	body := []byte(sampleBody)
	hdr := map[string]string{"X-VideoNest-Signature": sign(body, "k")}
	_, first := post(t, p.URL+"/webhooks", body, hdr)
	firstID := idOf(t, first)
	if m := p.next("request"); m["duplicate"] == true {
		t.Fatalf("the first copy is marked a duplicate: %v", m)
	}
	post(t, p.URL+"/webhooks", body, hdr)
	if m := p.next("request"); m["duplicate"] != true || m["duplicate_of"] != firstID {
		t.Errorf("the second copy's live line: %v; want duplicate_of %s", m, firstID)
	}
}
