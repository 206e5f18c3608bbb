// Package detail owns the detail pane of one captured request: the
// pretty, syntax-coloured payload, the request headers, the signature
// verdict and the deliveries to the handler, as tabs over a scrollable
// viewport. It loads through its Source only inside tea.Cmds and shows
// only sanitised text. It must not touch the list, the clipboard, the
// terminal or the network, and it never replays anything itself.
package detail

import (
	"context"
	"strconv"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/tui/keys"
	"github.com/hookscope/hookscope/tui/styles"
)

// Source is the part of the store the pane reads.
type Source interface {
	Get(ctx context.Context, id string) (*inspect.Record, error)
	Attempts(ctx context.Context, id string) ([]inspect.Attempt, error)
	Deliveries(ctx context.Context, id string) ([]inspect.Delivery, error)
}

// Tab is one of the pane's views.
type Tab int

const (
	PayloadTab Tab = iota
	HeadersTab
	SignatureTab
	AttemptsTab
	tabCount
)

var tabNames = [tabCount]string{"Payload", "Headers", "Signature", "Attempts"}

// MaxShown caps the pretty payload kept for display: past it nobody
// scrolls, and wrapping it on every resize would cost more than a frame.
const MaxShown = 256 << 10

// debounce lets the cursor run over many rows while only the row it
// stops on is read and pretty-printed.
const debounce = 40 * time.Millisecond

type showMsg struct{ seq int }

type loadedMsg struct {
	seq      int
	rec      *inspect.Record
	attempts []inspect.Attempt
	owed     []inspect.Delivery
	body     string
	kind     payload.Kind
	err      error
}

// Model is the detail pane.
type Model struct {
	src  Source
	ctx  context.Context
	keys *keys.KeyMap
	st   *styles.Styles
	now  func() time.Time

	width, height int
	focused       bool
	secretMask    string
	noAttempts    string // what to say when nothing was delivered yet

	id      string // the request wanted; rec may still be the previous one
	seq     int
	loading bool
	err     string

	rec      *inspect.Record
	attempts []inspect.Attempt
	owed     []inspect.Delivery // the outbox rows of the shown request
	body     string
	kind     payload.Kind

	tab Tab
	vp  viewport.Model
}

// New returns an empty pane.
func New(ctx context.Context, src Source, k *keys.KeyMap, st *styles.Styles, now func() time.Time, secretMask string) Model {
	if now == nil {
		now = time.Now
	}
	vp := viewport.New()
	return Model{src: src, ctx: ctx, keys: k, st: st, now: now, secretMask: secretMask, vp: vp,
		noAttempts: "Not delivered to a handler yet."}
}

// SetSize gives the pane its area, title and tab bar included.
func (m *Model) SetSize(w, h int) {
	if w == m.width && h == m.height {
		return
	}
	m.width, m.height = w, h
	m.vp.SetWidth(w)
	m.vp.SetHeight(max(0, h-2))
	m.render(false)
}

// SetFocused tells the pane whether keys go to it.
func (m *Model) SetFocused(f bool) { m.focused = f }

// SetNoAttemptsHint is what the Attempts tab says before any delivery.
func (m *Model) SetNoAttemptsHint(s string) { m.noAttempts = s }

// ID is the request the pane shows or is loading.
func (m Model) ID() string { return m.id }

// Record is the loaded request (with body) when it is the one wanted.
func (m Model) Record() (*inspect.Record, []inspect.Attempt, bool) {
	if m.rec == nil || m.rec.ID != m.id {
		return nil, nil, false
	}
	return m.rec, m.attempts, true
}

// Tab is the tab shown.
func (m Model) Tab() Tab { return m.tab }

// Show asks for request id; the read starts once the cursor rests.
func (m *Model) Show(id string) tea.Cmd {
	if id == m.id {
		return nil
	}
	m.id = id
	m.seq++
	if id == "" {
		m.rec, m.attempts, m.body, m.loading, m.err = nil, nil, "", false, ""
		m.render(true)
		return nil
	}
	m.loading = true
	seq := m.seq
	return tea.Tick(debounce, func(time.Time) tea.Msg { return showMsg{seq: seq} })
}

// Reload reads the shown request again at once (after a replay, say).
func (m *Model) Reload() tea.Cmd {
	if m.id == "" {
		return nil
	}
	m.seq++
	m.loading = true
	return m.load()
}

func (m *Model) load() tea.Cmd {
	ctx, src, id, seq, pal := m.ctx, m.src, m.id, m.seq, m.st.Palette()
	return func() tea.Msg {
		msg := loadedMsg{seq: seq}
		msg.rec, msg.err = src.Get(ctx, id)
		if msg.err != nil {
			return msg
		}
		msg.attempts, msg.err = src.Attempts(ctx, id)
		if msg.err == nil {
			msg.owed, msg.err = src.Deliveries(ctx, id)
		}
		msg.body, msg.kind = prepare(msg.rec.Body, pal)
		return msg
	}
}

// prepare pretty-prints and colours a body once per load, off the UI
// goroutine; only wrapping to the width is left for Update.
func prepare(body []byte, pal payload.Palette) (string, payload.Kind) {
	kind := payload.Decode(body).Kind
	pretty := payload.Pretty(body)
	more := ""
	if len(pretty) > MaxShown {
		cut := strings.LastIndexByte(pretty[:MaxShown], '\n')
		if cut < 0 {
			cut = MaxShown
		}
		more = "\n… " + payload.HumanSize(int64(len(pretty)-cut)) + " more not shown: `hookscope show ID --raw` has it all"
		pretty = pretty[:cut]
	}
	if kind == payload.JSON {
		pretty = payload.Highlight(pretty, pal)
	}
	return pretty + more, kind
}

// AddAttempt shows a delivery that finished while the pane is open. It
// reports whether the attempt was new here.
func (m *Model) AddAttempt(a inspect.Attempt) bool {
	if m.rec == nil || a.RequestID != m.rec.ID {
		return false
	}
	for _, b := range m.attempts {
		if sameAttempt(a, b) {
			return false
		}
	}
	m.attempts = append(m.attempts, a)
	m.rec.Forwarded, m.rec.ForwardStatus, m.rec.ForwardError = true, a.Status, a.Error
	m.render(false)
	return true
}

// sameAttempt tells one delivery reported twice (returned by a replay and
// published on the bus): the store id may not be known yet on either.
func sameAttempt(a, b inspect.Attempt) bool {
	if a.ID != 0 && b.ID != 0 {
		return a.ID == b.ID
	}
	return a.At.Equal(b.At) && a.URL == b.URL && a.Replay == b.Replay
}

// Update handles keys (when focused), the wheel and the pane's loads.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case showMsg:
		if msg.seq == m.seq && m.loading {
			return m, m.load()
		}
	case loadedMsg:
		if msg.seq != m.seq {
			return m, nil
		}
		m.loading = false
		if msg.err != nil {
			m.err = msg.err.Error()
			m.render(true)
			return m, nil
		}
		same := m.rec != nil && m.rec.ID == msg.rec.ID
		m.err = ""
		m.rec, m.attempts, m.owed, m.body, m.kind = msg.rec, msg.attempts, msg.owed, msg.body, msg.kind
		m.render(!same)
	case tea.MouseWheelMsg:
		// Scrolled here, not by the viewport: v2's viewport turns a
		// shifted wheel sideways, and the content is wrapped to the width.
		switch msg.Button {
		case tea.MouseWheelDown:
			m.vp.ScrollDown(m.vp.MouseWheelDelta)
		case tea.MouseWheelUp:
			m.vp.ScrollUp(m.vp.MouseWheelDelta)
		}
		return m, nil
	case tea.KeyPressMsg:
		if !m.focused {
			return m, nil
		}
		k := m.keys
		switch {
		case key.Matches(msg, k.NextTab):
			m.setTab((m.tab + 1) % tabCount)
		case key.Matches(msg, k.PrevTab):
			m.setTab((m.tab + tabCount - 1) % tabCount)
		case key.Matches(msg, k.Tab1):
			m.setTab(PayloadTab)
		case key.Matches(msg, k.Tab2):
			m.setTab(HeadersTab)
		case key.Matches(msg, k.Tab3):
			m.setTab(SignatureTab)
		case key.Matches(msg, k.Tab4):
			m.setTab(AttemptsTab)
		case key.Matches(msg, k.Down):
			m.vp.ScrollDown(1)
		case key.Matches(msg, k.Up):
			m.vp.ScrollUp(1)
		case key.Matches(msg, k.PageDown):
			m.vp.PageDown()
		case key.Matches(msg, k.PageUp):
			m.vp.PageUp()
		case key.Matches(msg, k.Top):
			m.vp.GotoTop()
		case key.Matches(msg, k.Bottom):
			m.vp.GotoBottom()
		}
	}
	return m, nil
}

// SetTab switches to tab t.
func (m *Model) SetTab(t Tab) { m.setTab(t) }

func (m *Model) setTab(t Tab) {
	if t == m.tab {
		return
	}
	m.tab = t
	m.render(true)
}

// render rebuilds the viewport's content for the tab and width; top
// scrolls back to the first line.
func (m *Model) render(top bool) {
	if m.width <= 0 {
		return
	}
	w := m.width
	var s string
	switch {
	case m.rec == nil && m.err != "":
		s = m.st.Error.Render("cannot read this request: " + payload.SanitizeLine(m.err))
	case m.rec == nil:
		s = ""
	default:
		switch m.tab {
		case PayloadTab:
			s = renderPayload(m.st, m.rec, m.body, m.kind)
		case HeadersTab:
			s = renderHeaders(m.st, m.rec, m.now())
		case SignatureTab:
			s = renderSignature(m.st, m.rec, m.secretMask)
		case AttemptsTab:
			s = renderOwed(m.st, m.owed, m.now()) + renderAttempts(m.st, m.attempts, m.noAttempts)
		}
	}
	m.vp.SetContent(wrap(s, w, m.tab != PayloadTab))
	if top {
		m.vp.GotoTop()
	}
}

// View draws the title rule, the tab bar and the viewport.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	lines := []string{m.title()}
	if m.height > 1 {
		lines = append(lines, m.tabBar())
	}
	if m.height > 2 {
		lines = append(lines, m.vp.View())
	}
	return strings.Join(lines, "\n")
}

func (m Model) title() string {
	rule := "─"
	if m.focused {
		rule = "━"
	}
	t := rule + " Detail "
	if m.rec != nil {
		r := m.rec
		t += rule + " " + r.ID + " · " + payload.SanitizeLine(r.Method) + " " + payload.SanitizeLine(r.URI()) + " "
		if r.Event != "" {
			t += "· " + payload.SanitizeLine(r.Event) + " "
		}
	}
	if m.loading {
		t += rule + " loading… "
	}
	t = ansi.Truncate(t, m.width, "…")
	return m.st.Rule.Render(t + strings.Repeat(rule, max(0, m.width-ansi.StringWidth(t))))
}

func (m Model) tabBar() string {
	var parts []string
	for t := Tab(0); t < tabCount; t++ {
		label := string(rune('1'+t)) + " " + tabNames[t]
		switch {
		case t == SignatureTab && m.rec != nil:
			label += " " + m.rec.Signature.Status.Symbol()
		case t == AttemptsTab && len(m.attempts) > 0:
			label += " (" + strconv.Itoa(len(m.attempts)) + ")"
		}
		if t == m.tab {
			parts = append(parts, m.st.TabActive.Render("["+label+"]"))
		} else {
			parts = append(parts, m.st.TabInactive.Render(" "+label+" "))
		}
	}
	bar := " " + strings.Join(parts, " ")
	if m.vp.TotalLineCount() > m.vp.Height() && m.vp.Height() > 0 {
		pct := strconv.Itoa(int(m.vp.ScrollPercent()*100+0.5)) + "% "
		if gapW := m.width - ansi.StringWidth(bar) - len(pct); gapW > 0 {
			bar += strings.Repeat(" ", gapW) + m.st.Muted.Render(pct)
		}
	}
	bar = ansi.Truncate(bar, m.width, "")
	if n := ansi.StringWidth(bar); n < m.width {
		bar += strings.Repeat(" ", m.width-n)
	}
	return bar
}
