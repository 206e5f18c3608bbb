package list

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/internal/storetest"
	"github.com/hookscope/hookscope/tui/internal/tuitest"
	"github.com/hookscope/hookscope/tui/keys"
	"github.com/hookscope/hookscope/tui/styles"
)

// model adapts the list to tea.Model for the driver; the pointer lets a
// test call the list's methods between messages.
type model struct{ *Model }

func (m model) Init() tea.Cmd  { return m.Reload() }
func (m model) View() tea.View { return tea.NewView(m.Model.View()) }
func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		m.SetSize(ws.Width, ws.Height)
		return m, nil
	}
	l, cmd := m.Model.Update(msg)
	*m.Model = l
	return m, cmd
}

// newList shows st in a w×h list, with the refresh timer cut short so
// the driver can wait for every command, store reads under -race included.
func newList(t *testing.T, st *store.Store, w, h int) (*tuitest.Driver, func() *Model) {
	t.Helper()
	l := New(context.Background(), st, new(keys.Default()), new(styles.Default()), tuitest.Clock)
	l.SetFocused(true)
	l.refreshDelay = time.Millisecond
	m := model{&l}
	d := &tuitest.Driver{M: m, Patience: 5 * time.Second}
	d.Send(tea.WindowSizeMsg{Width: w, Height: h})
	d.Run(m.Init())
	return d, func() *Model { return m.Model }
}

func TestShowsFixturesNewestFirst(t *testing.T) {
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), tuitest.FixtureAttempts())
	d, get := newList(t, st, 100, 12)
	l := get()
	if l.Len() != 8 {
		t.Fatalf("rows = %d, want 8", l.Len())
	}
	if n, exact := l.Total(); n != 8 || !exact {
		t.Fatalf("total = %d %v", n, exact)
	}
	view := d.View()
	lines := strings.Split(view, "\n")
	if len(lines) != 12 {
		t.Fatalf("%d lines, want 12", len(lines))
	}
	if !strings.Contains(lines[2], "▸") || !strings.Contains(lines[2], "video.transcoding") {
		t.Errorf("first row is not the newest, selected:\n%s", view)
	}
	for _, want := range []string{"✓ valid", "✗ invalid", "– missing", "? unchecked", "↻", "413", "ERR", "500", "1.50s", `\x1b[2J`, `\xff\xfe`} {
		if !strings.Contains(view, want) {
			t.Errorf("view lacks %q:\n%s", want, view)
		}
	}
	if strings.ContainsAny(view, "\x1b\x07\r\u009b\u202e") {
		t.Errorf("raw control bytes reached the view: %q", view)
	}
}

func TestLinesFitEveryWidth(t *testing.T) {
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), tuitest.FixtureAttempts())
	d, get := newList(t, st, 60, 12)
	for w := 40; w <= 200; w += 7 {
		for _, h := range []int{3, 5, 12, 30} {
			get().SetSize(w, h)
			lines := strings.Split(d.View(), "\n")
			if len(lines) != h {
				t.Fatalf("%dx%d: %d lines", w, h, len(lines))
			}
			for i, l := range lines {
				if got := ansi.StringWidth(l); got != w {
					t.Fatalf("%dx%d: line %d is %d wide: %q", w, h, i, got, l)
				}
			}
		}
	}
}

func TestPagesThroughStoreWithBoundedWindow(t *testing.T) {
	const n = 1500
	st := storetest.Open(t)
	storetest.SeedMany(t, st, n, tuitest.GeneratedOf(n), tuitest.GeneratedAttempts(n))
	d, get := newList(t, st, 100, 22)
	if got, _ := get().Total(); got != n {
		t.Fatalf("total %d, want %d", got, n)
	}
	seen := []string{}
	for i := 0; i < n+5; i++ {
		row, ok := get().Selected()
		if !ok {
			t.Fatal("nothing selected")
		}
		if len(seen) == 0 || seen[len(seen)-1] != row.Rec.ID {
			seen = append(seen, row.Rec.ID)
		}
		if get().Len() > MaxRows {
			t.Fatalf("window holds %d rows, cap %d", get().Len(), MaxRows)
		}
		d.Keys("j")
	}
	if len(seen) != n {
		t.Fatalf("visited %d rows, want %d", len(seen), n)
	}
	for i, id := range seen {
		if want := tuitest.GeneratedID(n - 1 - i); id != want {
			t.Fatalf("row %d is %s, want %s", i, id, want)
		}
	}
	if !strings.Contains(d.View(), "1,500/1,500") {
		t.Errorf("position not shown:\n%s", d.View())
	}
	// And back up past the window's top edge, page by page.
	for range n/20 + 2 {
		d.Keys("pgup")
	}
	if row, _ := get().Selected(); row.Rec.ID != tuitest.GeneratedID(n-1) {
		t.Fatalf("after paging up: %s, want the newest", row.Rec.ID)
	}
}

func TestBottomAndTop(t *testing.T) {
	const n = 1200
	st := storetest.Open(t)
	storetest.SeedMany(t, st, n, tuitest.GeneratedOf(n), tuitest.GeneratedAttempts(n))
	d, get := newList(t, st, 100, 22)
	d.Keys("G")
	if row, _ := get().Selected(); row.Rec.ID != tuitest.GeneratedID(0) {
		t.Fatalf("G selects %s, want the oldest", row.Rec.ID)
	}
	if !strings.Contains(d.View(), "1,200/1,200") {
		t.Errorf("G position:\n%s", d.View())
	}
	d.Keys("k", "k")
	if row, _ := get().Selected(); row.Rec.ID != tuitest.GeneratedID(2) {
		t.Fatalf("k after G: %s", row.Rec.ID)
	}
	d.Keys("g")
	if row, _ := get().Selected(); row.Rec.ID != tuitest.GeneratedID(n-1) {
		t.Fatalf("g selects %s, want the newest", row.Rec.ID)
	}
	if get().Len() > MaxRows {
		t.Fatal("window over cap")
	}
}

func TestStatusFilterPagesFromTheStore(t *testing.T) {
	const n = 3000
	st := storetest.Open(t)
	storetest.SeedMany(t, st, n, tuitest.GeneratedOf(n), tuitest.GeneratedAttempts(n)) // the newest 2000 carry a delivery every 10th; every 4th of those is a 500
	d, get := newList(t, st, 100, 22)
	f, err := ParseFilter("status:500")
	if err != nil {
		t.Fatal(err)
	}
	d.Run(get().SetFilter(f))
	for range 60 {
		d.Keys("j")
	}
	l := get()
	if l.Len() != 50 {
		t.Fatalf("%d rows match status:500, want 50: %v", l.Len(), ids(l.rows))
	}
	for _, r := range l.rows {
		if r.Rec.ForwardStatus != 500 {
			t.Fatalf("row %s has status %d", r.Rec.ID, r.Rec.ForwardStatus)
		}
	}
	if n, exact := l.Total(); n != 50 || !exact {
		t.Errorf("total %d exact=%v, want 50 exact", n, exact)
	}
}

func rec(id string, ev string, st signature.Status) inspect.Record {
	return inspect.Record{ID: id, Method: "POST", Path: "/webhooks", Event: ev, ReceivedAt: tuitest.Now,
		Signature: signature.Verdict{Status: st}, Body: []byte("body dropped"), Headers: []inspect.Header{{Name: "A", Value: "b"}}}
}

func TestArrivalsMergeFollowAndPin(t *testing.T) {
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), nil)
	d, get := newList(t, st, 100, 14)

	// Out of order within one batch, one already listed: sorted, deduplicated.
	d.Run(get().Arrive([]inspect.Record{rec("03b", "video.ready", signature.Valid), rec("03a", "video.failed", signature.Invalid), rec(tuitest.ID(8), "x", signature.Valid)}))
	l := get()
	if l.Len() != 10 || l.rows[0].Rec.ID != "03b" || l.rows[1].Rec.ID != "03a" {
		t.Fatalf("merge: %v", ids(l.rows))
	}
	if l.rows[0].Rec.Body != nil || l.rows[0].Rec.Headers != nil {
		t.Error("arrivals keep their body in the list")
	}
	if row, _ := l.Selected(); row.Rec.ID != "03b" {
		t.Fatalf("following: selected %s, want the newest", row.Rec.ID)
	}
	if n, _ := l.Total(); n != 10 {
		t.Errorf("total %d, want 10", n)
	}

	// Pinned (the user acted on the row): the selection stays put.
	get().Pin()
	d.Run(get().Arrive([]inspect.Record{rec("03c", "video.ready", signature.Valid)}))
	if row, _ := get().Selected(); row.Rec.ID != "03b" {
		t.Fatalf("pinned: selected %s, want 03b", row.Rec.ID)
	}
	// Moved away: the selection stays too.
	d.Keys("j", "j")
	sel, _ := get().Selected()
	d.Run(get().Arrive([]inspect.Record{rec("03d", "video.ready", signature.Valid)}))
	if row, _ := get().Selected(); row.Rec.ID != sel.Rec.ID {
		t.Fatalf("moved: selected %s, want %s", row.Rec.ID, sel.Rec.ID)
	}
	// Back at the top it follows again.
	d.Keys("g")
	d.Run(get().Arrive([]inspect.Record{rec("03e", "video.ready", signature.Valid)}))
	if row, _ := get().Selected(); row.Rec.ID != "03e" {
		t.Fatalf("back on top: selected %s, want 03e", row.Rec.ID)
	}
}

func TestArrivalsRespectFilter(t *testing.T) {
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), nil)
	d, get := newList(t, st, 100, 14)
	f, _ := ParseFilter("event:video.* sig:invalid")
	d.Run(get().SetFilter(f))
	before := get().Len()
	d.Run(get().Arrive([]inspect.Record{rec("03a", "video.ready", signature.Valid), rec("03b", "video.failed", signature.Invalid), rec("03c", "upload.done", signature.Invalid)}))
	if get().Len() != before+1 || get().rows[0].Rec.ID != "03b" {
		t.Fatalf("filtered arrivals: %v", ids(get().rows))
	}
}

// A live record carries no body: one whose body holds the filter's text
// is found by asking the store, one without it stays out.
func TestArrivalsFoundInTheStoreByBody(t *testing.T) {
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), nil)
	d, get := newList(t, st, 100, 14)
	f, _ := ParseFilter("captions")
	d.Run(get().SetFilter(f))
	if get().Len() != 0 {
		t.Fatalf("no fixture mentions captions: %v", ids(get().rows))
	}
	ctx := context.Background()
	var live []inspect.Record
	for _, body := range []string{`{"track":"CAPTIONS-en"}`, `{"track":"audio"}`} {
		r := rec("", "video.ready", signature.Valid)
		r.ID, r.Body = "", []byte(body)
		if err := st.Insert(ctx, &r); err != nil {
			t.Fatal(err)
		}
		r.Body, r.Headers = nil, nil // what the bus and the app hand over
		live = append(live, r)
	}
	d.Run(get().Arrive(live))
	l := get()
	if l.Len() != 1 || l.rows[0].Rec.ID != live[0].ID {
		t.Fatalf("arrivals listed %v, want only %s", ids(l.rows), live[0].ID)
	}
	if n, exact := l.Total(); n != 1 || !exact {
		t.Errorf("total %d exact=%v", n, exact)
	}
}

func TestArrivalsAboveWindowShiftPosition(t *testing.T) {
	const n = 1000
	st := storetest.Open(t)
	storetest.SeedMany(t, st, n, tuitest.GeneratedOf(n), tuitest.GeneratedAttempts(n))
	d, get := newList(t, st, 100, 22)
	d.Keys("G")
	sel, _ := get().Selected()
	d.Run(get().Arrive([]inspect.Record{rec("03a", "e", signature.Valid), rec("03b", "e", signature.Valid)}))
	if row, _ := get().Selected(); row.Rec.ID != sel.Rec.ID {
		t.Fatal("selection moved")
	}
	if !strings.Contains(d.View(), "1,002/1,002") {
		t.Errorf("position after arrivals above the window:\n%s", d.View())
	}
}

func TestForwardedUpdatesRows(t *testing.T) {
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), nil)
	d, get := newList(t, st, 100, 14)
	r := tuitest.Fixtures()[3]
	d.Run(get().Forwarded([]Delivery{{Rec: r, Att: inspect.Attempt{RequestID: r.ID, Status: 503, Latency: 42 * time.Millisecond}}}))
	if !strings.Contains(d.View(), "503    42ms") {
		t.Errorf("delivery not shown:\n%s", d.View())
	}
	// Under a status filter a request shows up once a delivery matches.
	f, _ := ParseFilter("status:5xx")
	d.Run(get().SetFilter(f))
	n := get().Len()
	x := rec("03a", "video.ready", signature.Valid)
	d.Run(get().Forwarded([]Delivery{{Rec: x, Att: inspect.Attempt{RequestID: "03a", Status: 502, Latency: time.Millisecond}}}))
	if get().Len() != n+1 || get().rows[0].Rec.ID != "03a" {
		t.Fatalf("status-filtered arrival: %v", ids(get().rows))
	}
}

func TestEmptyStates(t *testing.T) {
	st := storetest.Open(t)
	d, get := newList(t, st, 80, 6)
	get().SetEmptyHint("Send a webhook to http://127.0.0.1:8080")
	if !strings.Contains(d.View(), "No requests yet. Send a webhook to http://127.0.0.1:8080") {
		t.Errorf("empty:\n%s", d.View())
	}
	f, _ := ParseFilter("nothing")
	d.Run(get().SetFilter(f))
	if !strings.Contains(d.View(), "No request matches this filter") {
		t.Errorf("no match:\n%s", d.View())
	}
}

func TestStoreErrorShown(t *testing.T) {
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), nil)
	d, get := newList(t, st, 100, 10)
	st.Close()
	d.Run(get().Reload())
	if !strings.Contains(d.View(), "store error") {
		t.Errorf("a failed read is not shown:\n%s", d.View())
	}
}

func ids(rows []Row) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Rec.ID)
	}
	return out
}

func TestLatency(t *testing.T) {
	for d, want := range map[time.Duration]string{
		400 * time.Microsecond: "0.4ms", 12 * time.Millisecond: "12ms", 1500 * time.Millisecond: "1.50s",
		15 * time.Second: "15.0s", 200 * time.Second: "200s",
	} {
		if got := Latency(d); got != want {
			t.Errorf("Latency(%v) = %q, want %q", d, got, want)
		}
	}
}
