package tui

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/internal/storetest"
	"github.com/hookscope/hookscope/tui/internal/tuitest"
)

// Benchmark stores are seeded once per process (100 000 rows take a few
// seconds through group commit) and removed by TestMain.
var benchStores struct {
	sync.Mutex
	byN     map[int]*store.Store
	cleanup []func()
}

func benchStore(b *testing.B, n int) *store.Store {
	b.Helper()
	benchStores.Lock()
	defer benchStores.Unlock()
	if st, ok := benchStores.byN[n]; ok {
		return st
	}
	dir, err := mkdirTemp()
	if err != nil {
		b.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "bench.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	storetest.SeedMany(b, st, n, tuitest.GeneratedOf(n), tuitest.GeneratedAttempts(n))
	b.Logf("seeded %d requests in %v", n, time.Since(start).Round(time.Millisecond))
	if benchStores.byN == nil {
		benchStores.byN = map[int]*store.Store{}
	}
	benchStores.byN[n] = st
	benchStores.cleanup = append(benchStores.cleanup, func() { st.Close(); removeAll(dir) })
	return st
}

func cleanupBenchStores() {
	for _, f := range benchStores.cleanup {
		f()
	}
}

// loaded is the root model showing st at w×h, first page and detail in.
func loaded(b *testing.B, st *store.Store, w, h int) *tuitest.Driver {
	b.Helper()
	d := tuitest.NewDriver(newModel(context.Background(), Options{
		Backend: st, LocalURL: "http://127.0.0.1:8080", Targets: []string{"http://localhost:3000/webhooks"},
		SecretMask: "****ab12", Now: tuitest.Clock,
	}), w, h)
	if root(d).list.Len() == 0 {
		b.Fatal("nothing loaded")
	}
	return d
}

// BenchmarkFrame is one whole-screen View with 100 000 requests stored.
func BenchmarkFrame(b *testing.B) {
	d := loaded(b, benchStore(b, 100_000), 120, 40)
	m := d.M
	b.ReportAllocs()
	for b.Loop() {
		_ = m.View()
	}
}

// BenchmarkKey is Update for one down-arrow with 100 000 requests stored.
// The commands a key returns (page loads, the detail's read) run off the
// clock on their own goroutines and come back as messages, as in the
// real program; at the window's edge the loop waits, off the clock, for
// the next page so every timed key really moves the cursor.
func BenchmarkKey(b *testing.B) {
	d := loaded(b, benchStore(b, 100_000), 120, 40)
	var m tea.Model = d.M
	results := make(chan tea.Msg, 4096)
	var run func(tea.Cmd)
	run = func(cmd tea.Cmd) {
		if cmd == nil {
			return
		}
		go func() {
			msg := cmd()
			if batch, ok := msg.(tea.BatchMsg); ok {
				for _, c := range batch {
					run(c)
				}
				return
			}
			results <- msg
		}()
	}
	apply := func(msg tea.Msg) {
		var cmd tea.Cmd
		m, cmd = m.Update(msg)
		run(cmd)
	}
	selected := func() string { r, _ := m.(Model).list.Selected(); return r.Rec.ID }
	down, top := tuitest.Key("down"), tuitest.Key("g")
	b.ReportAllocs()
	for b.Loop() {
		before := selected()
		var cmd tea.Cmd
		m, cmd = m.Update(down)
		b.StopTimer()
		run(cmd)
		for moved := selected() != before; ; {
			select {
			case msg := <-results:
				apply(msg)
				continue
			default:
			}
			if moved {
				break
			}
			if selected() == tuitest.GeneratedID(0) {
				apply(top) // the oldest: start over from the newest
			}
			select {
			case msg := <-results:
				apply(msg)
			case <-time.After(2 * time.Second):
				b.Fatal("no page came")
			}
			moved = true // retry the key on the next iteration
		}
		b.StartTimer()
	}
}

// BenchmarkHeap reports the heap the loaded UI holds: the same with 100 or
// 100 000 requests stored, because only a window of rows is kept.
func BenchmarkHeap(b *testing.B) {
	for _, n := range []int{100, 100_000} {
		b.Run(itoa(n), func(b *testing.B) {
			st := benchStore(b, n)
			before := heapInUse()
			d := loaded(b, st, 120, 40)
			d.Patience = 100 * time.Millisecond
			for range 40 {
				d.Keys("pgdown") // fill the window as far as it goes
			}
			after := heapInUse()
			for b.Loop() {
				_ = d.M.View()
			}
			// Reported after the loop: b.Loop resets metrics reported before it.
			b.ReportMetric(float64(after)/(1<<20), "heap-inuse-MiB")
			b.ReportMetric(float64(int64(after)-int64(before))/(1<<20), "ui-heap-MiB")
			b.ReportMetric(float64(root(d).list.Len()), "rows-held")
			runtime.KeepAlive(d)
		})
	}
}

func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

// BenchmarkArrivals is Update for a burst of 1 000 captures (a third of
// them forwarded), delivered as the event pump delivers a burst, in one
// batch, against the same events one batch each: the batch should cost a
// small fraction of the singles.
func BenchmarkArrivals(b *testing.B) {
	const n = 1000
	var events []inspect.Event
	for i := range n {
		r := &inspect.Record{ID: fmt.Sprintf("03%010d", i), ReceivedAt: tuitest.Now, Method: "POST", Path: "/webhooks",
			Event: "video.ready", Size: 23, Signature: signature.Verdict{Status: []signature.Status{signature.Valid, signature.Invalid}[i%2]}}
		events = append(events, inspect.Event{Type: inspect.Captured, Record: r})
		if i%3 == 0 {
			events = append(events, inspect.Event{Type: inspect.Forwarded, Record: r,
				Attempt: &inspect.Attempt{RequestID: r.ID, Status: 200, Latency: time.Millisecond}})
		}
	}
	o, _ := fixtureOptions(b)
	for _, bc := range []struct {
		name    string
		batches [][]inspect.Event
	}{
		{"one_batch", [][]inspect.Event{events}},
		{"singles", func() (out [][]inspect.Event) {
			for _, e := range events {
				out = append(out, []inspect.Event{e})
			}
			return out
		}()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				d := drive(b, o, 120, 40)
				m := d.M
				b.StartTimer()
				for _, batch := range bc.batches {
					m, _ = m.Update(arrivalsMsg{events: batch})
				}
			}
		})
	}
}
