package conformance

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// verifying is a handler written the way VideoNest's page asks: verify the
// raw body, answer 401 on mismatch, 200 otherwise (duplicates included).
func verifying(secret string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		m := hmac.New(sha256.New, []byte(secret))
		m.Write(b)
		got, _ := hex.DecodeString(r.Header.Get("X-VideoNest-Signature"))
		if !hmac.Equal(m.Sum(nil), got) {
			http.Error(w, `{"error":"bad signature"}`, http.StatusUnauthorized)
			return
		}
		w.WriteHeader(200)
	}
}

func run(t *testing.T, h http.Handler, cfg Config) (map[string]Result, Summary) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL + "/webhooks"
	if cfg.Secret == "" {
		cfg.Secret = "whsec_check"
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 5 * time.Second
	}
	var mu sync.Mutex
	got := map[string]Result{}
	var order []string
	sum := Run(context.Background(), cfg, func(r Result) {
		mu.Lock()
		defer mu.Unlock()
		got[r.Check] = r
		order = append(order, r.Check)
	})
	if len(order) != len(got) {
		t.Errorf("a check ran twice: %v", order)
	}
	return got, sum
}

func TestVerifyingHandlerPasses(t *testing.T) {
	got, sum := run(t, verifying("whsec_check"), Config{})
	if sum.Failed != 0 || sum.Unreachable || sum.Passed != len(got) || sum.Deliveries == 0 || sum.Max < sum.P50 {
		for _, r := range got {
			t.Logf("%s %s: %s", r.Status, r.Check, r.Detail)
		}
		t.Fatalf("summary %+v", sum)
	}
	for _, name := range []string{"deliver video.processed", "deliver distribution.failed", "reject missing signature",
		"reject tampered body", "accept duplicate delivery", "accept concurrent copies", "accept out-of-order events", "latency"} {
		if _, ok := got[name]; !ok {
			t.Errorf("no %q check", name)
		}
	}
	if d := got["accept duplicate delivery"].Detail; !strings.Contains(d, "no timestamp") {
		t.Errorf("idempotency detail %q", d)
	}
	if d := got["reject other secret"].Detail; d != "answered 401" {
		t.Errorf("reject detail %q", d)
	}
}

func TestHandlerThatAcceptsEverythingFails(t *testing.T) {
	got, sum := run(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }), Config{})
	for _, name := range []string{"reject wrong signature", "reject missing signature", "reject other secret", "reject tampered body"} {
		r := got[name]
		if r.Status != Fail || !strings.Contains(r.Detail, "your handler accepts ") || r.HTTPStatus != 200 {
			t.Errorf("%s: %+v", name, r)
		}
	}
	if sum.Failed != 4 || got["deliver video.failed"].Status != Pass {
		t.Errorf("summary %+v", sum)
	}
}

func TestWrongSecretAndSlowHandler(t *testing.T) {
	got, _ := run(t, verifying("another"), Config{})
	if r := got["deliver video.processed"]; r.Status != Fail || r.HTTPStatus != 401 || !strings.Contains(r.Detail, "bad signature") {
		t.Errorf("wrong secret: %+v", r)
	}
	if r := got["latency"]; r.Status != Fail {
		t.Errorf("latency with nothing accepted: %+v", r)
	}

	// Slow on video.failed only: the check waits out its timeout and says
	// VideoNest would retry; the handler stops waiting when the client goes.
	slow := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if strings.Contains(string(b), `"event":"video.failed"`) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}
		verifying("whsec_check")(w, &http.Request{Header: r.Header, Body: io.NopCloser(strings.NewReader(string(b)))})
	}
	got, sum := run(t, http.HandlerFunc(slow), Config{Timeout: 300 * time.Millisecond})
	if r := got["deliver video.failed"]; r.Status != Fail || !strings.Contains(r.Detail, "no answer within 300ms: VideoNest would retry this") {
		t.Errorf("slow: %+v", r)
	}
	if sum.Failed != 1 {
		t.Errorf("summary %+v", sum)
	}
}

func TestUnreachableStopsEarly(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	url := "http://" + ln.Addr().String()
	ln.Close()
	var results []Result
	sum := Run(context.Background(), Config{URL: url, Secret: "k", Timeout: time.Second}, func(r Result) { results = append(results, r) })
	if !sum.Unreachable || len(results) != 1 || !strings.Contains(results[0].Detail, "connection refused") {
		t.Fatalf("%+v %+v", sum, results)
	}
}
