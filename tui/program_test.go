package tui

import (
	"bytes"
	"context"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/exp/teatest/v2"
	"github.com/charmbracelet/x/vt"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/internal/storetest"
	"github.com/hookscope/hookscope/tui/internal/tuitest"
)

// TestProgram runs the model in a real Bubble Tea program (teatest):
// first page, a live arrival, keys, and a clean quit.
func TestProgram(t *testing.T) {
	t.Parallel()
	o, st := fixtureOptions(t)
	var bus inspect.Bus
	o.Events = bus.Subscribe()
	tm := teatest.NewTestModel(t, New(o), teatest.WithInitialTermSize(100, 30))
	// v2 redraws only the cells that changed ("received 0" becomes
	// "received 1" by one "1"), so the output is played into a terminal
	// emulator and the test reads the screen a user would see.
	term := vt.NewEmulator(100, 30)
	// Its answers to the program's queries go nowhere: the program's input
	// is teatest's. Closing only the pipe ends the reader without a race.
	go io.Copy(io.Discard, term)
	t.Cleanup(func() { term.InputPipe().(io.Closer).Close() })
	wait := func(s string) {
		t.Helper()
		fed := 0
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			// A tty in cooked mode turns \n into \r\n, and Bubble Tea,
			// whose input here is no tty, counts on it (onlcr).
			term.Write(bytes.ReplaceAll(b[fed:], []byte("\n"), []byte("\r\n")))
			fed = len(b)
			return strings.Contains(term.String(), s)
		}, teatest.WithDuration(10*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	}
	wait("video.transcoding")

	r := &inspect.Record{ReceivedAt: tuitest.Now, Method: "POST", Path: "/live", Event: "video.created",
		Body: []byte(`{"event":"video.created"}`), Size: 25, Signature: signature.Verdict{Status: signature.Valid}}
	if err := st.Insert(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	bus.Publish(inspect.Event{Type: inspect.Captured, Record: r})
	wait("received 1")
	wait("/live")

	tm.Send(tuitest.Key("enter"))
	tm.Type("2")
	wait("Headers (0, as received)")
	tm.Type("q")
	tm.WaitFinished(t, teatest.WithFinalTimeout(10*time.Second))
	m := tm.FinalModel(t).(Model)
	if m.focus != focusDetail || m.detail.Tab() != 1 {
		t.Errorf("final focus %v tab %v", m.focus, m.detail.Tab())
	}
	if row, _ := m.list.Selected(); row.Rec.ID != r.ID {
		t.Errorf("selected %s, want the live arrival %s", row.Rec.ID, r.ID)
	}
}

// TestPagingRealStore scrolls a store of many requests from the root
// model, as a user holding pgdown would.
func TestPagingRealStore(t *testing.T) {
	t.Parallel()
	const n = 2000
	st := storetest.Open(t)
	storetest.SeedMany(t, st, n, tuitest.GeneratedOf(n), tuitest.GeneratedAttempts(n))
	d := drive(t, Options{Backend: st, LocalURL: "http://127.0.0.1:8080", Now: tuitest.Clock}, 120, 40)
	if !strings.Contains(d.View(), "Requests 1/2,000") {
		t.Fatalf("%s", d.View())
	}
	// Past the first, the list's refresh is skipped (it would only add
	// latencies) so that each key costs its page loads and one refresh
	// timer. Patience outlasts a page load on a loaded machine: a load
	// given up on would leave the list stuck at its window's edge.
	d.Skip = func(msg tea.Msg) bool { return reflect.TypeOf(msg).String() == "list.refreshTickMsg" }
	d.Patience = 5 * time.Second
	for range n / 10 {
		d.Keys("pgdown")
		if l := root(d).list.Len(); l > 400 {
			t.Fatalf("window holds %d rows", l)
		}
		if row, _ := root(d).list.Selected(); row.Rec.ID == tuitest.GeneratedID(0) {
			break
		}
	}
	if row, _ := root(d).list.Selected(); row.Rec.ID != tuitest.GeneratedID(0) {
		t.Fatalf("after paging down: %s, want the oldest", row.Rec.ID)
	}
	checkScreen(t, d.View(), 120, 40)
	if !strings.Contains(d.View(), "2,000/2,000") || !strings.Contains(d.View(), tuitest.GeneratedID(0)) {
		t.Errorf("bottom:\n%s", d.View())
	}
}
