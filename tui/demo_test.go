package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/internal/storetest"
	"github.com/hookscope/hookscope/tui/internal/tuitest"
)

// TestDemo runs the real UI on a seeded store, with a webhook arriving
// every HOOKSCOPE_TUI_DEMO_EVERY (default 1s), for trying it by hand in a
// terminal:
//
//	go test -c -o /tmp/tui.test ./tui
//	HOOKSCOPE_TUI_DEMO=1 HOOKSCOPE_TUI_DEMO_N=100000 /tmp/tui.test -test.run TestDemo
func TestDemo(t *testing.T) {
	if os.Getenv("HOOKSCOPE_TUI_DEMO") == "" {
		t.Skip("set HOOKSCOPE_TUI_DEMO=1 and run the test binary in a terminal")
	}
	st := storetest.Open(t)
	if n, _ := strconv.Atoi(os.Getenv("HOOKSCOPE_TUI_DEMO_N")); n > 0 {
		storetest.SeedMany(t, st, n, tuitest.GeneratedOf(n), tuitest.GeneratedAttempts(n))
	}
	storetest.Seed(t, st, tuitest.Fixtures(), tuitest.FixtureAttempts())
	every := time.Second
	if d, err := time.ParseDuration(os.Getenv("HOOKSCOPE_TUI_DEMO_EVERY")); err == nil {
		every = d
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var bus inspect.Bus
	sub := bus.Subscribe()
	tun := make(chan inspect.TunnelEvent, 4)
	tun <- inspect.TunnelEvent{State: inspect.TunnelOnline, URL: "https://demo.ngrok.app"}
	up := true
	go func() {
		tick := time.NewTicker(every)
		defer tick.Stop()
		for i := 0; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			body := fmt.Sprintf(`{"event":"video.ready","data":{"id":"live_%d"}}`, i)
			rec := &inspect.Record{ReceivedAt: time.Now(), Method: "POST", Path: "/webhooks", Body: []byte(body),
				Size: int64(len(body)), Event: "video.ready",
				Headers:   []inspect.Header{{Name: "Content-Type", Value: "application/json"}},
				Signature: signature.Verdict{Status: signature.Valid, Scheme: "videonest", SecretIndex: 0}}
			if err := st.Insert(ctx, rec); err != nil {
				return
			}
			bus.Publish(inspect.Event{Type: inspect.Captured, Record: rec})
			a := &inspect.Attempt{RequestID: rec.ID, At: time.Now(), URL: "http://localhost:3000/webhooks", Status: 200, Latency: 7 * time.Millisecond}
			st.AddAttempt(ctx, a)
			bus.Publish(inspect.Event{Type: inspect.Forwarded, Record: rec, Attempt: a})
		}
	}()
	err := Run(ctx, Options{
		Backend: st, Events: sub, LocalURL: "http://127.0.0.1:8080", PublicURL: "", Tunnel: tun,
		Targets: []string{"http://localhost:3000/webhooks"},
		Health: func(context.Context) error {
			up = !up
			if up {
				return nil
			}
			return errors.New("dial tcp 127.0.0.1:3000: connect: connection refused")
		},
		Replay: func(ctx context.Context, id string, body []byte) (*inspect.Attempt, error) {
			time.Sleep(800 * time.Millisecond) // a slow handler must not freeze the screen
			a := &inspect.Attempt{RequestID: id, At: time.Now(), URL: "http://localhost:3000/webhooks", Status: 201,
				Latency: 800 * time.Millisecond, Replay: true, RespBody: []byte(`{"replayed":` + strconv.Itoa(len(body)) + `}`)}
			return a, st.AddAttempt(ctx, a)
		},
		CanResign: true, SecretMask: "****ab12",
	})
	if err != nil {
		t.Fatal(err)
	}
}
