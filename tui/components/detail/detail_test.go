package detail

import (
	"context"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/internal/storetest"
	"github.com/hookscope/hookscope/tui/internal/tuitest"
	"github.com/hookscope/hookscope/tui/keys"
	"github.com/hookscope/hookscope/tui/styles"
)

type model struct{ *Model }

func (m model) Init() tea.Cmd  { return nil }
func (m model) View() tea.View { return tea.NewView(m.Model.View()) }
func (m model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if ws, ok := msg.(tea.WindowSizeMsg); ok {
		m.SetSize(ws.Width, ws.Height)
		return m, nil
	}
	d, cmd := m.Model.Update(msg)
	*m.Model = d
	return m, cmd
}

func newDetail(t *testing.T, w, h int) (*tuitest.Driver, *Model) {
	t.Helper()
	st := storetest.Open(t)
	storetest.Seed(t, st, tuitest.Fixtures(), tuitest.FixtureAttempts())
	d := New(context.Background(), st, new(keys.Default()), new(styles.Default()), tuitest.Clock, "****ab12")
	d.SetFocused(true)
	m := model{&d}
	drv := &tuitest.Driver{M: m, Patience: 5 * time.Second}
	drv.Send(tea.WindowSizeMsg{Width: w, Height: h})
	return drv, m.Model
}

// unsafe reports the first byte sequence a terminal would act on.
func unsafe(s string) string {
	for _, bad := range []string{"\x1b", "\x07", "\r", "\u009b", "\u202e", "\x00", "\x7f"} {
		if strings.Contains(s, bad) {
			return bad
		}
	}
	return ""
}

func TestEveryTabOfEveryFixtureIsSafeAndFits(t *testing.T) {
	drv, d := newDetail(t, 72, 20)
	for i := range tuitest.Fixtures() {
		drv.Run(d.Show(tuitest.ID(i + 1)))
		if r, _, ok := d.Record(); !ok || r.ID != tuitest.ID(i+1) {
			t.Fatalf("fixture %d not loaded", i+1)
		}
		for tab := range tabCount {
			d.SetTab(tab)
			for _, w := range []int{40, 72, 133} {
				d.SetSize(w, 20)
				view := drv.View()
				if bad := unsafe(view); bad != "" {
					t.Fatalf("fixture %d tab %s width %d: %q reached the view:\n%s", i+1, tabNames[tab], w, bad, view)
				}
				lines := strings.Split(view, "\n")
				if len(lines) != 20 {
					t.Fatalf("fixture %d tab %s: %d lines", i+1, tabNames[tab], len(lines))
				}
				for n, l := range lines {
					if ansi.StringWidth(l) != w {
						t.Fatalf("fixture %d tab %s width %d: line %d is %d wide: %q", i+1, tabNames[tab], w, n, ansi.StringWidth(l), l)
					}
				}
			}
		}
	}
}

func show(t *testing.T, drv *tuitest.Driver, d *Model, i int, tab Tab) string {
	t.Helper()
	drv.Run(d.Show(tuitest.ID(i)))
	d.SetTab(tab)
	return drv.View()
}

func TestPayloadTab(t *testing.T) {
	drv, d := newDetail(t, 90, 30)
	v := show(t, drv, d, 1, PayloadTab)
	// Key order and the exact number text survive pretty-printing.
	for _, want := range []string{"json · 156 B · Content-Type: application/json", `"event": "video.ready",`, `"duration": 12.50,`, `"hd": true,`, `"thumb": null`} {
		if !strings.Contains(v, want) {
			t.Errorf("payload lacks %q:\n%s", want, v)
		}
	}
	if strings.Index(v, `"event"`) > strings.Index(v, `"timestamp"`) {
		t.Error("key order changed")
	}
	v = show(t, drv, d, 3, PayloadTab)
	for _, want := range []string{"text · 52 B", `\x1b[31mred\x1b[0m`, `\u202etxt.exe\r`, `\u009b31m`} {
		if !strings.Contains(v, want) {
			t.Errorf("text body lacks %q:\n%s", want, v)
		}
	}
	v = show(t, drv, d, 4, PayloadTab)
	if !strings.Contains(v, "binary · 56 B · hex dump") || !strings.Contains(v, "00000000  89 50 4e 47 0d 0a 1a 0a") || !strings.Contains(v, "|.PNG....") {
		t.Errorf("binary body:\n%s", v)
	}
	v = show(t, drv, d, 5, PayloadTab)
	if !strings.Contains(v, `caf\xe9 \xff\xfe au lait`) && !strings.Contains(v, "63 61 66 e9") {
		t.Errorf("invalid UTF-8 body:\n%s", v)
	}
	v = show(t, drv, d, 6, PayloadTab)
	if !strings.Contains(v, "Refused with 413") || !strings.Contains(v, "20 MiB announced") {
		t.Errorf("refused:\n%s", v)
	}
}

func TestHeadersTab(t *testing.T) {
	drv, d := newDetail(t, 90, 30)
	v := show(t, drv, d, 3, HeadersTab)
	for _, want := range []string{`POST /hook/\x1b[2J\x1b]0;pwned\x07?a=\x1b[31mred HTTP/1.1`, `X-Evil: \x1b]52;c;cm0gLXJmIH4=\x07`,
		"Headers (2, as received)", "Received 2025-06-01 11:53:00.000 UTC (7m ago)", "From     127.0.0.1:51002"} {
		if !strings.Contains(v, want) {
			t.Errorf("headers lack %q:\n%s", want, v)
		}
	}
	v = show(t, drv, d, 5, HeadersTab)
	if !strings.Contains(v, `X-Bytes: caf\xe9`) {
		t.Errorf("invalid UTF-8 header:\n%s", v)
	}
}

func TestSignatureTab(t *testing.T) {
	drv, d := newDetail(t, 110, 30)
	v := show(t, drv, d, 2, SignatureTab)
	for _, want := range []string{"✗ invalid   scheme videonest", "expected  1a2b3c4d…", "received  deadbeef…", "secret    ****ab12",
		"X-VideoNest-Signature: deadbeef0011", "The body or the secret differs"} {
		if !strings.Contains(v, want) {
			t.Errorf("invalid verdict lacks %q:\n%s", want, v)
		}
	}
	v = show(t, drv, d, 7, SignatureTab)
	for _, want := range []string{"✓ valid", "matched secret #2", "↻ same body as an earlier request"} {
		if !strings.Contains(v, want) {
			t.Errorf("valid verdict lacks %q:\n%s", want, v)
		}
	}
	v = show(t, drv, d, 3, SignatureTab)
	if !strings.Contains(v, "– missing") || !strings.Contains(v, "No X-VideoNest-Signature header") {
		t.Errorf("missing verdict:\n%s", v)
	}
	v = show(t, drv, d, 5, SignatureTab)
	if !strings.Contains(v, "? unchecked") || !strings.Contains(v, "VIDEONEST_WEBHOOK_SECRET") {
		t.Errorf("unchecked verdict:\n%s", v)
	}
}

func TestAttemptsTabLiveAndDeduplicated(t *testing.T) {
	drv, d := newDetail(t, 100, 30)
	v := show(t, drv, d, 1, AttemptsTab)
	for _, want := range []string{"4 Attempts (2)", "#2 replay", "202 in 11s", "VideoNest's 10 s limit", "#1 live", "200 in 12ms", `"ok": true`} {
		if !strings.Contains(v, want) {
			t.Errorf("attempts lack %q:\n%s", want, v)
		}
	}
	v = show(t, drv, d, 2, AttemptsTab)
	if !strings.Contains(v, `X-Trace: \x1b[5mblink`) || !strings.Contains(v, `boom\x1b[2J`) {
		t.Errorf("hostile answer not escaped:\n%s", v)
	}
	v = show(t, drv, d, 7, AttemptsTab)
	if !strings.Contains(v, "ERR no answer: connection refused") {
		t.Errorf("no answer:\n%s", v)
	}
	a := inspect.Attempt{RequestID: tuitest.ID(7), At: tuitest.Now, URL: "http://localhost:3000/webhooks", Status: 204, Replay: true}
	if !d.AddAttempt(a) || d.AddAttempt(a) {
		t.Fatal("a replay reported twice must show once")
	}
	if d.AddAttempt(inspect.Attempt{RequestID: tuitest.ID(1), Status: 200}) {
		t.Fatal("an attempt of another request was added")
	}
	v = drv.View()
	if !strings.Contains(v, "4 Attempts (2)") || !strings.Contains(v, "#2 replay") || !strings.Contains(v, "204") {
		t.Errorf("live attempt not shown first:\n%s", v)
	}
	v = show(t, drv, d, 4, AttemptsTab)
	if !strings.Contains(v, "Not delivered to a handler yet.") {
		t.Errorf("no attempts:\n%s", v)
	}
}

func TestKeysSwitchTabsAndScroll(t *testing.T) {
	drv, d := newDetail(t, 80, 8)
	drv.Run(d.Show(tuitest.ID(1)))
	drv.Keys("l")
	if d.Tab() != HeadersTab {
		t.Fatalf("l: tab %v", d.Tab())
	}
	drv.Keys("shift+tab", "shift+tab")
	if d.Tab() != AttemptsTab {
		t.Fatalf("shift+tab twice: tab %v", d.Tab())
	}
	drv.Keys("1")
	top := drv.View()
	drv.Keys("j", "j")
	if drv.View() == top || d.vp.YOffset() != 2 {
		t.Fatalf("j did not scroll: offset %d", d.vp.YOffset())
	}
	drv.Keys("G")
	if !d.vp.AtBottom() || !strings.Contains(drv.View(), "100%") {
		t.Fatalf("G: not at the bottom:\n%s", drv.View())
	}
	drv.Keys("g")
	if d.vp.YOffset() != 0 {
		t.Fatal("g: not at the top")
	}
	drv.Send(tea.MouseWheelMsg{Button: tea.MouseWheelDown})
	if d.vp.YOffset() == 0 {
		t.Fatal("the wheel does not scroll")
	}
	d.SetFocused(false)
	drv.Keys("2")
	if d.Tab() != PayloadTab {
		t.Fatal("an unfocused pane took a key")
	}
}

func TestDebounceLoadsOnlyTheRowTheCursorStopsOn(t *testing.T) {
	drv, d := newDetail(t, 60, 10)
	var cmds []tea.Cmd
	for i := 1; i <= 5; i++ {
		cmds = append(cmds, d.Show(tuitest.ID(i)))
	}
	drv.Run(tea.Batch(cmds...))
	if r, _, ok := d.Record(); !ok || r.ID != tuitest.ID(5) {
		t.Fatalf("loaded %v, want the last one shown", r)
	}
	if d.loading {
		t.Fatal("still loading")
	}
}

func TestMissingRecordSaysSo(t *testing.T) {
	drv, d := newDetail(t, 60, 10)
	drv.Run(d.Show("nope"))
	if !strings.Contains(drv.View(), "cannot read this request") {
		t.Errorf("%s", drv.View())
	}
}

func TestWrapWordsForProse(t *testing.T) {
	out := wrap("the quick brown fox jumps", 10, true)
	if out != "the quick\nbrown fox\njumps" {
		t.Fatalf("%q", out)
	}
	if out := wrap(strings.Repeat("x", 25), 10, true); out != "xxxxxxxxxx\nxxxxxxxxxx\nxxxxx" {
		t.Fatalf("a long word must still be cut: %q", out)
	}
}

func TestPrepareCapsHugeBodies(t *testing.T) {
	big := []byte(`{"a":"` + strings.Repeat("x", MaxShown) + `"}`)
	out, kind := prepare(big, payload.Palette{})
	if kind != payload.JSON || len(out) > MaxShown+200 || !strings.Contains(out, "more not shown") {
		t.Fatalf("kind %v, %d bytes", kind, len(out))
	}
}

func TestWrapKeepsStylesOnTheirLines(t *testing.T) {
	green := "\x1b[32m"
	in := "ab " + green + strings.Repeat("x", 25) + "\x1b[0m" + " tail"
	out := wrap(in, 10, false)
	lines := strings.Split(out, "\n")
	if len(lines) != 4 {
		t.Fatalf("%d lines: %q", len(lines), out)
	}
	for i, l := range lines {
		if ansi.StringWidth(l) > 10 {
			t.Errorf("line %d too wide: %q", i, l)
		}
		if strings.Contains(l, green) && !strings.HasSuffix(l, ansi.ResetStyle) && !strings.Contains(l, "\x1b[0m") {
			t.Errorf("line %d leaves its style open: %q", i, l)
		}
	}
	if !strings.HasPrefix(lines[1], green) || !strings.HasPrefix(lines[2], green) {
		t.Errorf("style not carried onto continuation lines: %q", lines)
	}
	if ansi.Strip(strings.Join(lines, "")) != ansi.Strip(in) {
		t.Errorf("text changed: %q", out)
	}
}

// TestOutboxRows: the Attempts tab says where each owed delivery stands,
// in the words show uses, a hostile target made safe.
func TestOutboxRows(t *testing.T) {
	now := tuitest.Now
	owed := []inspect.Delivery{
		{Sink: inspect.SinkForward, Target: "http://localhost:3000/a", State: inspect.Pending, Tries: 1,
			NextAt: now.Add(40 * time.Second), LastError: "the handler refused the connection"},
		{Sink: inspect.SinkForward, Target: "http://localhost:3000/\x1b[2Jb", State: inspect.Undelivered, Tries: 4, LastStatus: 500},
		{Sink: inspect.SinkForward, Target: "http://localhost:3000/c", State: inspect.Delivered, Tries: 2, LastStatus: 200},
	}
	out := tuitest.Plain(renderOwed(new(styles.Default()), owed, now))
	for _, want := range []string{
		"pending, next try in 40s, 1 try so far (last: the handler refused the connection)",
		`forward → http://localhost:3000/\x1b[2Jb  undelivered: gave up after 4 tries (last: 500)`,
		"delivered (200) after 2 tries",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
	if renderOwed(new(styles.Default()), nil, now) != "" {
		t.Error("a request that owes nothing shows an outbox")
	}
}
