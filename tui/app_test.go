package tui

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/golden"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/internal/storetest"
	"github.com/hookscope/hookscope/tui/internal/tuitest"
)

// fixtureOptions is a store holding the fixtures, forwarding configured.
func fixtureOptions(t testing.TB) (Options, *store.Store) {
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), tuitest.FixtureAttempts())
	return Options{
		Backend: st, LocalURL: "http://127.0.0.1:8080", Targets: []string{"http://localhost:3000/webhooks"},
		SecretMask: "****ab12", CanResign: true, Now: tuitest.Clock,
	}, st
}

func drive(t testing.TB, o Options, w, h int) *tuitest.Driver {
	t.Helper()
	return tuitest.NewDriver(newModel(context.Background(), o), w, h)
}

func root(d *tuitest.Driver) Model { return d.M.(Model) }

// checkScreen asserts the frame is exactly w×h cells and holds nothing a
// terminal would act on.
func checkScreen(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), h, view)
	}
	for i, l := range lines {
		if got := ansi.StringWidth(l); got != w {
			t.Fatalf("line %d is %d cells, want %d: %q", i, got, w, l)
		}
	}
	for _, bad := range []string{"\x1b", "\x07", "\r", "\x00", "\x7f", "\u009b", "\u202e", "\u2066"} {
		if strings.Contains(view, bad) {
			t.Fatalf("%q reached the screen:\n%s", bad, view)
		}
	}
}

// The fixtures list newest first: 8 7 6 5 4 3 2 1. select moves the
// cursor to fixture i.
func selectFixture(i int) []string {
	var keys []string
	for range 8 - i {
		keys = append(keys, "j")
	}
	return keys
}

func TestGoldenScreens(t *testing.T) {
	cases := []struct {
		name  string
		w, h  int
		keys  []string
		typed string
		opts  func(*Options)
	}{
		{name: "list", w: 100, h: 30},
		{name: "payload_json", w: 100, h: 30, keys: append(selectFixture(1), "enter")},
		{name: "payload_hostile_text", w: 100, h: 30, keys: append(selectFixture(3), "enter")},
		{name: "headers_hostile", w: 100, h: 30, keys: append(selectFixture(3), "enter", "2")},
		{name: "signature_invalid", w: 100, h: 30, keys: append(selectFixture(2), "3")},
		{name: "signature_duplicate", w: 100, h: 30, keys: append(selectFixture(7), "3")},
		{name: "attempts", w: 100, h: 30, keys: append(selectFixture(1), "4")},
		{name: "binary", w: 80, h: 24, keys: append(selectFixture(4), "enter")},
		{name: "invalid_utf8", w: 80, h: 24, keys: append(selectFixture(5), "enter")},
		{name: "refused", w: 80, h: 24, keys: selectFixture(6)},
		{name: "help", w: 100, h: 30, keys: []string{"?"}},
		{name: "filter_prompt", w: 100, h: 30, keys: []string{"/"}, typed: "sig:invalid"},
		{name: "filtered", w: 100, h: 30, keys: []string{"/"}, typed: "sig:invalid\n"},
		{name: "minimum_list", w: 60, h: 12},
		{name: "minimum_detail", w: 60, h: 12, keys: []string{"enter"}},
		{name: "too_small", w: 59, h: 12},
		{name: "wide", w: 160, h: 40, keys: selectFixture(3)},
		{name: "no_target_no_secret", w: 100, h: 24, keys: []string{"r"}, opts: func(o *Options) {
			o.Targets, o.Replay, o.SecretMask, o.CanResign = nil, nil, "", false
		}},
		{name: "tunnel_online", w: 100, h: 24, opts: func(o *Options) {
			ch := make(chan inspect.TunnelEvent, 1)
			ch <- inspect.TunnelEvent{State: inspect.TunnelOnline, URL: "https://hook.ngrok.app"}
			o.Tunnel = ch
			o.Health = func(context.Context) error { return nil }
		}},
		{name: "handler_refused", w: 100, h: 24, opts: func(o *Options) {
			o.Health = func(context.Context) error { return fmt.Errorf("dial tcp 127.0.0.1:3000: connect: connection refused") }
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o, _ := fixtureOptions(t)
			if c.opts != nil {
				c.opts(&o)
			}
			d := drive(t, o, c.w, c.h)
			d.Keys(c.keys...)
			if text, enter := strings.CutSuffix(c.typed, "\n"); text != "" {
				d.Type(text)
				if enter {
					d.Keys("enter")
				}
			}
			view := d.View()
			if c.w >= MinWidth && c.h >= MinHeight {
				checkScreen(t, view, c.w, c.h)
			}
			golden.RequireEqual(t, []byte(view))
		})
	}
}

func TestEveryScreenIsSafeAndExact(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	d := drive(t, o, 100, 30)
	for _, size := range [][2]int{{60, 12}, {80, 24}, {100, 30}, {161, 47}} {
		d.Send(tea.WindowSizeMsg{Width: size[0], Height: size[1]})
		d.Keys("g")
		for row := 1; row <= 8; row++ {
			for _, tab := range []string{"1", "2", "3", "4"} {
				d.Keys(tab, "enter")
				checkScreen(t, d.View(), size[0], size[1])
				d.Keys("esc")
				checkScreen(t, d.View(), size[0], size[1])
			}
			d.Keys("j")
		}
	}
}

func TestResizeReflows(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	d := drive(t, o, 100, 30)
	d.Keys(selectFixture(1)...)
	d.Keys("enter")
	for _, s := range [][2]int{{200, 60}, {61, 13}, {59, 40}, {60, 12}, {120, 11}, {90, 25}, {300, 100}, {80, 24}} {
		d.Send(tea.WindowSizeMsg{Width: s[0], Height: s[1]})
		v := d.View()
		if s[0] < MinWidth || s[1] < MinHeight {
			if !strings.Contains(v, "Terminal too small") || len(strings.Split(v, "\n")) != s[1] {
				t.Fatalf("%v: %q", s, v)
			}
			continue
		}
		checkScreen(t, v, s[0], s[1])
		if !strings.Contains(v, `"event": "video.ready"`) && s[1] >= splitHeight {
			t.Fatalf("%v: the payload did not reflow:\n%s", s, v)
		}
	}
	// Keys other than quit do nothing while the screen is too small.
	d.Send(tea.WindowSizeMsg{Width: 40, Height: 10})
	d.Keys("r", "j", "/")
	if root(d).footer.Filtering() {
		t.Fatal("a key acted on a screen too small to show it")
	}
	d.Keys("q")
	if !d.Quit {
		t.Fatal("q does not quit a too-small screen")
	}
}

func TestQuitAndHelp(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	for _, k := range []string{"q", "ctrl+c"} {
		d := drive(t, o, 80, 24)
		d.Keys(k)
		if !d.Quit {
			t.Errorf("%s did not quit", k)
		}
	}
	d := drive(t, o, 80, 24)
	d.Keys("?")
	if !strings.Contains(d.View(), "any key closes this help") {
		t.Fatal("no help")
	}
	d.Keys("q")
	if d.Quit || strings.Contains(d.View(), "any key closes") {
		t.Fatal("a key should close the help, not quit")
	}
}

func TestFocusAndTabs(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	d := drive(t, o, 60, 12) // single pane: focus decides what is shown
	if !strings.Contains(d.View(), "Requests") {
		t.Fatal("list not shown")
	}
	d.Keys("tab")
	if root(d).focus != focusDetail || !strings.Contains(d.View(), "━ Detail") {
		t.Fatalf("tab did not open the detail:\n%s", d.View())
	}
	d.Keys("tab")
	if !strings.Contains(d.View(), "[2 Headers]") {
		t.Fatalf("tab in the detail should switch tabs:\n%s", d.View())
	}
	d.Keys("esc")
	if root(d).focus != focusList {
		t.Fatal("esc did not go back")
	}
}

func TestMouseWheel(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	d := drive(t, o, 100, 30)
	d.Send(tea.MouseWheelMsg{X: 10, Y: 7, Button: tea.MouseWheelDown})
	if r, _ := root(d).list.Selected(); r.Rec.ID != tuitest.ID(5) {
		t.Fatalf("wheel over the list: selected %s", r.Rec.ID)
	}
	d.Keys(selectFixture(1)...)
	d.Send(tea.MouseWheelMsg{X: 10, Y: 25, Button: tea.MouseWheelDown})
	if !strings.Contains(d.View(), `"data": {`) || strings.Contains(d.View(), "json · 156 B") {
		t.Fatalf("wheel over the detail did not scroll it:\n%s", d.View())
	}
}

func TestFilterKeys(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	d := drive(t, o, 100, 30)
	d.Keys("/")
	d.Type("status:5xx")
	d.Keys("enter")
	if n := root(d).list.Len(); n != 1 {
		t.Fatalf("status:5xx lists %d rows, want 1:\n%s", n, d.View())
	}
	d.Keys("esc")
	if n := root(d).list.Len(); n != 8 || root(d).list.Filter().Text != "" {
		t.Fatalf("esc did not clear the filter: %d rows", n)
	}
	d.Keys("/")
	d.Type("sig:bogus")
	d.Keys("enter")
	if s := root(d).footer.Status(); !strings.Contains(s, "is not a verdict") {
		t.Fatalf("a bad filter is not explained: %q", s)
	}
	// A paste is one message in v2: it lands in the prompt, and outside
	// it no pasted letter acts as a key (a "q" would quit).
	d.Keys("/", "ctrl+u")
	d.Send(tea.PasteMsg{Content: "sig:invalid\n"})
	d.Keys("enter")
	if f := root(d).list.Filter().Text; f != "sig:invalid" {
		t.Fatalf("pasted filter %q", f)
	}
	d.Send(tea.PasteMsg{Content: "q"})
	if d.Quit {
		t.Fatal("a pasted q quit")
	}
}

// recorder stands in for the forwarder: it records each replay in the
// store as the real one does.
type recorder struct {
	st     *store.Store
	bodies [][]byte
	status int
	block  chan struct{}
}

func (r *recorder) replay(ctx context.Context, id string, body []byte) (*inspect.Attempt, error) {
	if r.block != nil {
		<-r.block
	}
	r.bodies = append(r.bodies, body)
	a := &inspect.Attempt{RequestID: id, At: tuitest.Now.Add(time.Duration(len(r.bodies)) * time.Second), URL: "http://localhost:3000/webhooks",
		Status: r.status, Latency: 9 * time.Millisecond, Replay: true}
	return a, r.st.AddAttempt(ctx, a)
}

func TestReplayShowsNewAttemptLive(t *testing.T) {
	t.Parallel()
	o, st := fixtureOptions(t)
	rec := &recorder{st: st, status: 201}
	o.Replay = rec.replay
	d := drive(t, o, 100, 30)
	d.Keys(selectFixture(1)...)
	d.Keys("4", "r")
	if len(rec.bodies) != 1 || rec.bodies[0] != nil {
		t.Fatalf("replay calls: %q", rec.bodies)
	}
	v := d.View()
	for _, want := range []string{"replay of " + tuitest.ID(1) + " → 201 in 9ms", "4 Attempts (3)]", "#3 replay", "201 in 9ms"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
	if !strings.Contains(strings.Split(v, "\n")[12], "201     9ms") {
		t.Errorf("the list row does not show the new delivery:\n%s", v)
	}
	// The same attempt published on the bus is not shown twice.
	a := inspect.Attempt{RequestID: tuitest.ID(1), At: tuitest.Now.Add(time.Second), URL: "http://localhost:3000/webhooks", Status: 201, Replay: true}
	d.Send(arrivalsMsg{events: []inspect.Event{{Type: inspect.Forwarded, Record: &tuitest.Fixtures()[0], Attempt: &a}}})
	if !strings.Contains(d.View(), "4 Attempts (3)]") {
		t.Errorf("a replay reported twice shows twice:\n%s", d.View())
	}
	if root(d).header.Counts().ForwardOK != 0 {
		t.Error("a replay counted as a live delivery")
	}
}

func TestSlowReplayDoesNotBlock(t *testing.T) {
	o, st := fixtureOptions(t)
	rec := &recorder{st: st, status: 200, block: make(chan struct{})}
	defer close(rec.block)
	o.Replay = rec.replay
	d := drive(t, o, 100, 30)
	// The handler never answers while this test runs: an Update that
	// waited for it would never return.
	type updated struct {
		m   tea.Model
		cmd tea.Cmd
	}
	done := make(chan updated, 1)
	go func() { m, cmd := d.M.Update(tuitest.Key("r")); done <- updated{m, cmd} }()
	var m tea.Model
	select {
	case u := <-done:
		if u.cmd == nil {
			t.Fatal("r started no replay")
		}
		m = u.m
	case <-time.After(10 * time.Second):
		t.Fatal("Update waited for the handler")
	}
	if s := m.(Model).footer.Status(); !strings.Contains(s, "replaying") {
		t.Errorf("status %q", s)
	}
	m, _ = m.Update(tuitest.Key("j"))
	if r, _ := m.(Model).list.Selected(); r.Rec.ID != tuitest.ID(7) {
		t.Fatal("keys stop working while a replay runs")
	}
}

func TestReplayWithoutTarget(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	o.Replay = nil
	d := drive(t, o, 100, 30)
	d.Keys("r")
	if s := root(d).footer.Status(); !strings.Contains(s, "not forwarding") || !strings.Contains(s, "--forward-to") {
		t.Fatalf("r without a target: %q", s)
	}
	d.Keys("e")
	if s := root(d).footer.Status(); !strings.Contains(s, "not forwarding") {
		t.Fatalf("e without a target: %q", s)
	}
}

func TestArrivalsBurst(t *testing.T) {
	o, _ := fixtureOptions(t)
	var bus inspect.Bus
	sub := bus.Subscribe()
	d := drive(t, o, 120, 40)
	// Subscribed after Init, so no waiting command of the driver's drains
	// the burst before this test does.
	m0 := root(d)
	m0.o.Events = sub
	d.M = m0
	const n = 1000
	for i := range n {
		r := &inspect.Record{ID: fmt.Sprintf("03%010d", i), ReceivedAt: tuitest.Now, Method: "POST", Path: "/webhooks",
			Event: "video.ready", Body: []byte(`{"event":"video.ready"}`), Size: 23,
			Signature: signature.Verdict{Status: []signature.Status{signature.Valid, signature.Invalid}[i%2]}}
		bus.Publish(inspect.Event{Type: inspect.Captured, Record: r})
		if i%3 == 0 {
			bus.Publish(inspect.Event{Type: inspect.Forwarded, Record: r, Attempt: &inspect.Attempt{RequestID: r.ID, Status: 200, Latency: time.Millisecond}})
		}
	}
	// One wait, one drain: the whole burst is one message.
	msg := waitEvents(context.Background(), sub, time.Time{})()
	batch, ok := msg.(arrivalsMsg)
	if !ok || len(batch.events) != n+n/3+1 {
		t.Fatalf("got %T with %d events", msg, len(batch.events))
	}
	// (How long Update takes for it: BenchmarkArrivals.)
	m, _ := d.M.Update(batch)
	d.M = m
	v := d.View()
	checkScreen(t, v, 120, 40)
	for _, want := range []string{"received 1000", "✓ valid 500", "✗ invalid 500", "forwarded ok 334", "Requests 1/1,008"} {
		if !strings.Contains(v, want) {
			t.Errorf("lacks %q:\n%s", want, v)
		}
	}
	if r, _ := root(d).list.Selected(); r.Rec.ID != fmt.Sprintf("03%010d", n-1) {
		t.Errorf("not following the newest: %s", r.Rec.ID)
	}
	if root(d).list.Len() > 400 {
		t.Errorf("window grew to %d rows", root(d).list.Len())
	}
}

func TestArrivalsArePaced(t *testing.T) {
	var bus inspect.Bus
	sub := bus.Subscribe()
	bus.Publish(inspect.Event{Type: inspect.StoreFail, Err: "x"})
	last := time.Now()
	done := make(chan tea.Msg)
	go func() { done <- waitEvents(context.Background(), sub, last)() }()
	time.Sleep(10 * time.Millisecond)
	bus.Publish(inspect.Event{Type: inspect.StoreFail, Err: "y"}) // joins the same batch
	msg := (<-done).(arrivalsMsg)
	if time.Since(last) < batchGap || len(msg.events) != 2 {
		t.Fatalf("batch of %d after %v", len(msg.events), time.Since(last))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if waitEvents(ctx, sub, time.Time{})() != nil {
		t.Fatal("a cancelled wait returned events")
	}
}

func TestStoreFailureShown(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	d := drive(t, o, 100, 30)
	d.Send(arrivalsMsg{events: []inspect.Event{{Type: inspect.StoreFail, Err: "disk full\x1b[2J"}}})
	v := d.View()
	checkScreen(t, v, 100, 30)
	if !strings.Contains(v, `could not be stored and got a 503: disk full\x1b[2J`) || !strings.Contains(v, "not stored (503) 1") {
		t.Errorf("%s", v)
	}
}

func TestTunnelEventsReachHeader(t *testing.T) {
	o, _ := fixtureOptions(t)
	ch := make(chan inspect.TunnelEvent, 2)
	o.Tunnel = ch
	m := newModel(context.Background(), o)
	m.width, m.height = 100, 30
	m.layout()
	if v := tuitest.Plain(m.screen()); !strings.Contains(v, "○ connecting…") {
		t.Fatalf("%s", v)
	}
	ch <- inspect.TunnelEvent{State: inspect.TunnelOnline, URL: "https://x.ngrok.app"}
	d := tuitest.NewDriver(m, 100, 30)
	if !strings.Contains(d.View(), "https://x.ngrok.app  ● online") {
		t.Fatalf("%s", d.View())
	}
	ch <- inspect.TunnelEvent{State: inspect.TunnelOffline, Err: "connection lost (EOF)"}
	time.Sleep(100 * time.Millisecond) // the driver's waiting command takes it
	close(ch)
	if waitTunnel(context.Background(), ch)() != nil {
		t.Fatal("a closed channel should end the wait")
	}
}

// TestArrivalsOverflowReloads: a screen that fell behind its bounded queue
// says how many live events it missed and reloads the list from the store,
// where every request is.
func TestArrivalsOverflowReloads(t *testing.T) {
	o, st := fixtureOptions(t)
	bus := inspect.Bus{Queue: 3}
	sub := bus.Subscribe()
	d := drive(t, o, 120, 40)
	m0 := root(d)
	m0.o.Events = sub
	d.M = m0
	recs := []inspect.Record{}
	for i := range 8 {
		r := inspect.Record{ID: fmt.Sprintf("03%010d", i), ReceivedAt: tuitest.Now, Method: "POST", Path: "/webhooks",
			Event: "video.ready", Body: []byte(`{"event":"video.ready"}`), Size: 23,
			Signature: signature.Verdict{Status: signature.Valid}}
		recs = append(recs, r)
		bus.Publish(inspect.Event{Type: inspect.Captured, Record: &r})
	}
	storetest.Seed(t, st, recs, nil)
	msg := waitEvents(context.Background(), sub, time.Time{})()
	batch, ok := msg.(arrivalsMsg)
	if !ok || len(batch.events) != 3 || batch.dropped != 5 {
		t.Fatalf("got %T: %d events, %d dropped; want 3 and 5", msg, len(batch.events), batch.dropped)
	}
	d.Send(batch)
	if s := root(d).footer.Status(); !strings.Contains(s, "5 live events were skipped") {
		t.Errorf("status %q", s)
	}
	if v := d.View(); !strings.Contains(v, "Requests 1/16") {
		t.Errorf("the list was not reloaded with every stored request:\n%s", v)
	}
}
