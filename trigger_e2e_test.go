package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestTriggerIntoListenShowsInList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k", "--path", "/webhooks"})
	out := e.mustRun("trigger", "video.processed", "--secret", "k", "--set", "data.title=From the e2e test")
	if !strings.Contains(out, "video.processed → "+p.URL+"/webhooks  200") || !strings.Contains(out, "stored as ") {
		t.Errorf("trigger said %q", out)
	}
	req := p.next("request")
	if req["event"] != "video.processed" || req["signature"] != "valid" || req["path"] != "/webhooks" {
		t.Errorf("listen saw %v", req)
	}
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &items)
	if len(items) != 1 || items[0]["event"] != "video.processed" || items[0]["signature"] != "valid" || items[0]["id"] != req["id"] {
		t.Fatalf("list: %v", items)
	}
	var body struct {
		Event string
		Data  struct{ ID, Title, Status string }
	}
	json.Unmarshal([]byte(e.mustRun("show", req["id"].(string), "--raw")), &body)
	if body.Data.Title != "From the e2e test" || body.Data.Status != "ready" || !strings.HasPrefix(body.Data.ID, "vid_") {
		t.Errorf("stored body %+v", body)
	}
	// --to naming that listen: stored once, by listen.
	e.mustRun("trigger", "video.published", "--secret", "k", "--to", p.URL+"/webhooks")
	p.next("request")
	if n := strings.Count(e.mustRun("list", "--json"), `"id"`); n != 2 {
		t.Errorf("trigger --to the listen stored %d requests, want 2 in all", n)
	}
	// Every documented event, each with a fresh id.
	for _, ev := range []string{"video.published", "video.failed", "distribution.completed", "distribution.failed"} {
		e.mustRun("trigger", ev, "--secret", "k")
		if got := p.next("request"); got["event"] != ev {
			t.Errorf("triggered %s, listen saw %v", ev, got)
		}
	}

	// listen gone (killed, so its state file stays behind): trigger says so.
	p.kill()
	_, errOut, code := e.run([]string{"trigger", "video.processed", "--secret", "k"})
	if code != 1 || !strings.Contains(errOut, "no hookscope listen is running") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Errorf("no listen: exit %d %q", code, errOut)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(e.db), "listening", "*.json")); len(left) != 0 {
		t.Errorf("stale listen records kept: %v", left)
	}
}

func TestTriggerListAndUsage(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, cmd := range []string{"trigger", "check", "verify", "export", "import"} {
		if out := e.mustRun(cmd, "--help"); !strings.Contains(out, "Examples:") {
			t.Errorf("hookscope %s --help has no examples", cmd)
		}
	}
	out := e.mustRun("trigger", "--list")
	for _, ev := range []string{"video.processed", "video.published", "video.failed", "distribution.completed", "distribution.failed"} {
		if !strings.Contains(out, ev+" ") {
			t.Errorf("--list lacks %s:\n%s", ev, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 5 {
		t.Errorf("--list has %d lines", n)
	}
	for _, args := range [][]string{
		{"trigger"},
		{"trigger", "video.deleted"},
		{"trigger", "video.processed", "--time-scale", "600"},
		{"trigger", "video.processed", "--retry-schedule", "stripe"},
		{"trigger", "video.processed", "--set", "data"},
	} {
		_, errOut, code := e.run(args)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
}

func TestTriggerRetryScheduleAgainstAFailingHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := newHandler(t, "k", 500)
	out, _, code := e.run([]string{"trigger", "video.failed", "--to", h.URL + "/hooks", "--secret", "k",
		"--retry-schedule", "videonest", "--time-scale", "6000"})
	if code != 1 || h.count() != 4 {
		t.Fatalf("exit %d, handler saw %d deliveries:\n%s", code, h.count(), out)
	}
	for _, want := range []string{"attempt 1/4", "retries in 1 min", "retries in 5 min", "retries in 30 min", "attempt 4/4",
		"undelivered after 4 attempts"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// Every attempt carries the same signed bytes, as VideoNest's retries do.
	body, valid, path, _ := h.last()
	if !valid || path != "/hooks" || !strings.Contains(string(body), `"event":"video.failed"`) {
		t.Errorf("handler saw %s valid=%v path=%s", body, valid, path)
	}
	// Stored before sending, with every attempt.
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &items)
	if len(items) != 1 || items[0]["signature"] != "valid" || items[0]["forward_status"] != float64(500) {
		t.Fatalf("list: %v", items)
	}
	var rec struct{ Attempts []struct{ Status int } }
	json.Unmarshal([]byte(e.mustRun("show", items[0]["id"].(string), "--json")), &rec)
	if len(rec.Attempts) != 4 {
		t.Errorf("stored attempts %+v", rec.Attempts)
	}

	// A handler that recovers: delivered on the third attempt, exit 0.
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) < 3 {
			w.WriteHeader(503)
		}
	}))
	defer flaky.Close()
	out, _, code = e.run([]string{"trigger", "distribution.completed", "--to", flaky.URL, "--secret", "k",
		"--retry-schedule", "videonest", "--time-scale", "6000"})
	if code != 0 || calls.Load() != 3 || !strings.Contains(out, "delivered on attempt 3 of 4") {
		t.Errorf("flaky: exit %d, %d calls:\n%s", code, calls.Load(), out)
	}
}

func TestTriggerSlowHandlerIsAFailedDelivery(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Reading the body lets net/http notice the client hanging up.
		io.Copy(io.Discard, r.Body)
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	out, _, code := e.run([]string{"trigger", "video.processed", "--to", slow.URL + "/webhooks", "--secret", "k", "--timeout", "200ms"})
	if code != 1 || !strings.Contains(out, "did not answer within 200ms (--timeout)") || !strings.Contains(out, "VideoNest would retry this") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestTriggerPayloadFile(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := newHandler(t, "k", 200)
	file := filepath.Join(e.dir, "mine.json")
	os.WriteFile(file, []byte(`{"event":"video.published","data":{"id":"vid_mine"}}`), 0o644)
	e.mustRun("trigger", "--payload", file, "--to", h.URL, "--secret", "k", "--set", "data.status=published")
	body, valid, _, _ := h.last()
	if !valid || string(body) != `{"event":"video.published","data":{"id":"vid_mine","status":"published"}}` {
		t.Errorf("handler saw %s valid=%v", body, valid)
	}
}
