package session

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/store"
)

const secret = "whsec_test"

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// handler is a real HTTP handler that checks each delivery's signature the
// way VideoNest's page says to, and counts what it got per body.
type handler struct {
	mu     sync.Mutex
	got    map[string]int
	bad    int
	status int
}

func newHandler(status int) *handler { return &handler{got: map[string]int{}, status: status} }

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	h.mu.Lock()
	if !hmac.Equal([]byte(sign(b)), []byte(r.Header.Get("X-VideoNest-Signature"))) {
		h.bad++
	}
	h.got[string(b)]++
	st := h.status
	h.mu.Unlock()
	w.WriteHeader(st)
	io.WriteString(w, `{"ok":true}`)
}

func (h *handler) snapshot() (map[string]int, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := map[string]int{}
	for k, v := range h.got {
		out[k] = v
	}
	return out, h.bad
}

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "hookscope.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// start runs a session on a loopback listener and returns its URL.
func start(t *testing.T, cfg Config) (*Session, string) {
	t.Helper()
	s := New(cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Serve(ln, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Error("the session did not stop within 15s of being cancelled")
		}
	})
	return s, "http://" + ln.Addr().String()
}

func send(t *testing.T, url string, body []byte) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/webhooks", bytes.NewReader(body))
	req.Header.Set("X-VideoNest-Signature", sign(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func body(i int) []byte {
	return fmt.Appendf(nil, `{"event":"video.processed","data":{"id":"vid_%d"}}`, i)
}

// waitFor polls cond every 20 ms for at most d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out after %s waiting for %s", d, what)
}

func target(t *testing.T, raw string) forward.Target {
	t.Helper()
	tg, err := forward.ParseTarget(raw)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestAckOutboxWaitsForDownHandler: under --ack a handler that is down
// costs nothing but a pending row; when it comes back, the probe brings
// the rows forward long before VideoNest's schedule would, and each
// arrives once, signature intact.
func TestAckOutboxWaitsForDownHandler(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	addr := freePort(t)
	_, url := start(t, Config{Store: st, Secrets: []string{secret}, Ack: true,
		Targets: []forward.Target{target(t, "http://"+addr+"/hook")},
		Retry:   forward.Retry{Schedule: []time.Duration{time.Hour}}})
	const n = 5
	for i := range n {
		if resp := send(t, url, body(i)); resp.StatusCode != 200 {
			t.Fatalf("capture %d: %d, want 200 under --ack", i, resp.StatusCode)
		}
	}
	ctx := context.Background()
	waitFor(t, 10*time.Second, "every delivery tried once against the down handler", func() bool {
		recs, _ := st.List(ctx, inspect.Query{})
		for _, r := range recs {
			ds, _ := st.Deliveries(ctx, r.ID)
			if len(ds) != 1 || ds[0].Tries != 1 || ds[0].State != inspect.Pending {
				return false
			}
		}
		return len(recs) == n
	})
	recs, _ := st.List(ctx, inspect.Query{})
	ds, _ := st.Deliveries(ctx, recs[0].ID)
	if s := inspect.DeliverySummary(&ds[0], time.Now()); !strings.Contains(s, "pending, next try in") {
		t.Errorf("summary of a pending row: %q", s)
	}

	h := newHandler(200)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the handler's port was taken meanwhile: %v", err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	defer srv.Close()
	waitFor(t, 10*time.Second, "the probe to bring the deliveries forward", func() bool {
		got, _ := h.snapshot()
		return len(got) == n
	})
	// A little longer: nothing may come twice.
	time.Sleep(300 * time.Millisecond)
	got, bad := h.snapshot()
	for i := range n {
		if got[string(body(i))] != 1 {
			t.Errorf("body %d arrived %d times, want once", i, got[string(body(i))])
		}
	}
	if bad != 0 {
		t.Errorf("%d deliveries failed the handler's signature check", bad)
	}
	waitFor(t, 5*time.Second, "every row delivered", func() bool {
		recs, _ := st.List(ctx, inspect.Query{})
		for _, r := range recs {
			if r.Delivery != inspect.Delivered {
				return false
			}
		}
		return true
	})
}

// TestOutboxGivesUp: a handler that always fails gets exactly MaxAttempts
// tries, each recorded, and the row ends undelivered.
func TestOutboxGivesUp(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	h := newHandler(500)
	hs := httptest.NewServer(h)
	defer hs.Close()
	_, url := start(t, Config{Store: st, Secrets: []string{secret}, Ack: true,
		Targets: []forward.Target{target(t, hs.URL+"/hook")},
		Retry:   forward.Retry{Schedule: []time.Duration{20 * time.Millisecond}, MaxAttempts: 3}})
	send(t, url, body(1))
	ctx := context.Background()
	var rec inspect.Record
	waitFor(t, 10*time.Second, "the row to be given up", func() bool {
		recs, _ := st.List(ctx, inspect.Query{})
		if len(recs) == 1 {
			rec = recs[0]
		}
		return len(recs) == 1 && recs[0].Delivery == inspect.Undelivered
	})
	atts, _ := st.Attempts(ctx, rec.ID)
	if len(atts) != 3 {
		t.Fatalf("%d attempts recorded, want 3", len(atts))
	}
	for _, a := range atts {
		if a.Status != 500 || a.DeliveryID == 0 {
			t.Errorf("attempt %+v: want a 500 worked off an outbox row", a)
		}
	}
	ds, _ := st.Deliveries(ctx, rec.ID)
	if s := inspect.DeliverySummary(&ds[0], time.Now()); s != "undelivered: gave up after 3 tries (last: 500)" {
		t.Errorf("summary: %q", s)
	}
	if got, _ := h.snapshot(); got[string(body(1))] != 3 {
		t.Errorf("the handler got %d tries, want 3", got[string(body(1))])
	}
}

// TestRelayModeAnswersWithHandler: without --ack the sender gets the first
// handler's own answer; a fan-out copy is owed to the outbox and delivered.
func TestRelayModeAnswersWithHandler(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	h1, h2 := newHandler(202), newHandler(200)
	s1, s2 := httptest.NewServer(h1), httptest.NewServer(h2)
	defer s1.Close()
	defer s2.Close()
	_, url := start(t, Config{Store: st, Secrets: []string{secret},
		Targets: []forward.Target{target(t, s1.URL+"/a"), target(t, s2.URL+"/b")}})
	resp := send(t, url, body(7))
	if resp.StatusCode != 202 || resp.Header.Get("X-Hookscope-Id") == "" {
		t.Fatalf("sender got %d (id %q), want the handler's 202 with the capture id", resp.StatusCode, resp.Header.Get("X-Hookscope-Id"))
	}
	id := resp.Header.Get("X-Hookscope-Id")
	ctx := context.Background()
	waitFor(t, 10*time.Second, "the fan-out copy", func() bool {
		ds, _ := st.Deliveries(ctx, id)
		return len(ds) == 1 && ds[0].State == inspect.Delivered
	})
	// The live attempt is recorded after the sender has its answer, in
	// whichever commit comes next: it may land after the copy's.
	waitFor(t, 10*time.Second, "both attempts", func() bool { atts, _ := st.Attempts(ctx, id); return len(atts) >= 2 })
	atts, _ := st.Attempts(ctx, id)
	if len(atts) != 2 {
		t.Fatalf("%d attempts, want the live one and the fan-out copy", len(atts))
	}
	for _, h := range []*handler{h1, h2} {
		if got, bad := h.snapshot(); got[string(body(7))] != 1 || bad != 0 {
			t.Errorf("handler got %v (%d bad signatures), want the body once", got, bad)
		}
	}
}

// TestEventsAreBoundedMetadata: a front end that never drains loses the
// rows past its queue, is told how many, and never holds a body.
func TestEventsAreBoundedMetadata(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	s, url := start(t, Config{Store: st, Secrets: []string{secret}, EventQueue: 10})
	sub := s.Subscribe()
	defer sub.Close()
	for i := range 15 {
		send(t, url, body(i))
	}
	evs := sub.Drain()
	if len(evs) != 10 || sub.Dropped() != 5 {
		t.Fatalf("%d events queued, want 10 (and 5 dropped)", len(evs))
	}
	for _, e := range evs {
		if e.Record == nil || e.Record.Body != nil || e.Record.ID == "" {
			t.Fatalf("event %+v: want metadata without the body", e.Record)
		}
	}
	if n, _ := st.Count(context.Background(), inspect.Query{}); n != 15 {
		t.Errorf("%d stored, want all 15: a slow front end must not lose captures", n)
	}
}

// TestReplayEditedIsResignedAndRecorded: the one replayer applies the edit,
// re-signs with the session's secret, and records what it sent.
func TestReplayEditedIsResignedAndRecorded(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	h := newHandler(200)
	hs := httptest.NewServer(h)
	defer hs.Close()
	s, url := start(t, Config{Store: st, Secrets: []string{secret}, Ack: true,
		Targets: []forward.Target{target(t, hs.URL+"/hook")}})
	id := send(t, url, body(3)).Header.Get("X-Hookscope-Id")
	ctx := context.Background()
	out, err := s.Replay(ctx, forward.ReplayRequest{ID: id, Edit: forward.Edit{Sets: []string{"data.status=failed"}}})
	if err != nil {
		t.Fatal(err)
	}
	if !out.Edited || len(out.Results) != 1 || out.Results[0].Attempt.Status != 200 {
		t.Fatalf("replay: edited %v, %d results", out.Edited, len(out.Results))
	}
	want := `{"event":"video.processed","data":{"id":"vid_3","status":"failed"}}`
	got, bad := h.snapshot()
	if got[want] != 1 || bad != 0 {
		t.Fatalf("handler got %v with %d bad signatures, want the edited body once, signed", got, bad)
	}
	atts, _ := st.Attempts(ctx, id)
	var last inspect.Attempt
	for _, a := range atts {
		if a.Replay {
			last = a
		}
	}
	if !last.Replay || !last.Edited || string(last.SentBody) != want {
		t.Errorf("recorded attempt: replay %v edited %v sent %q", last.Replay, last.Edited, last.SentBody)
	}
	rec, _ := st.Get(ctx, id)
	if string(rec.Body) != string(body(3)) {
		t.Errorf("the captured body changed: %q", rec.Body)
	}
}

// TestStopDoesNotWaitForSilentHandler: a handler that never answers must
// not hold the session open: Run returns once cancelled, and the row stays
// pending for the next start.
func TestStopDoesNotWaitForSilentHandler(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	block := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer hs.Close()
	defer close(block)
	s := New(Config{Store: st, Secrets: []string{secret}, Ack: true,
		Targets: []forward.Target{target(t, hs.URL+"/hook")}, ShutdownGrace: time.Second})
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	s.Serve(ln, true)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	send(t, "http://"+ln.Addr().String(), body(9))
	time.Sleep(200 * time.Millisecond) // the try is in flight
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of cancel while a handler hung")
	}
	recs, _ := st.List(context.Background(), inspect.Query{})
	if len(recs) != 1 || recs[0].Delivery != inspect.Pending {
		t.Fatalf("after stop: %+v, want the row still pending", recs)
	}
}
