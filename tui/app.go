// Package tui is hookscope's terminal UI for `hookscope listen`: the root
// model that lays out and routes messages to the components (header,
// list, detail, footer under tui/components), the actions behind keys
// (replay, edit and replay, copy), and Run, which owns the terminal for
// the program's life. Every store read, replay, probe and clipboard write
// runs as a tea.Cmd; Update and View never block. It must not open the
// store, start the capture engine, forward requests or sign anything
// itself: the caller hands all of that in through Options.
package tui

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/tui/components/detail"
	"github.com/hookscope/hookscope/tui/components/footer"
	"github.com/hookscope/hookscope/tui/components/header"
	"github.com/hookscope/hookscope/tui/components/list"
	"github.com/hookscope/hookscope/tui/keys"
	"github.com/hookscope/hookscope/tui/styles"
)

// Backend is what the UI reads; *store.Store satisfies it.
type Backend interface {
	List(ctx context.Context, q inspect.Query) ([]inspect.Record, error)
	Count(ctx context.Context, q inspect.Query) (int, error)
	Get(ctx context.Context, id string) (*inspect.Record, error)
	Attempts(ctx context.Context, id string) ([]inspect.Attempt, error)
	Deliveries(ctx context.Context, id string) ([]inspect.Delivery, error)
}

// Events is a capture bus subscription (*capture.Sub).
type Events interface {
	Ready() <-chan struct{}
	Drain() []inspect.Event
	// Dropped is how many events did not fit the queue since the last
	// call: the UI fell behind, and its live view lost rows.
	Dropped() int
}

// Options is everything the UI shows or calls.
type Options struct {
	Backend Backend
	Events  Events // live arrivals; nil shows only what is stored

	LocalURL, PublicURL string                     // PublicURL "" when there is no tunnel
	Tunnel              <-chan inspect.TunnelEvent // nil when there is no tunnel
	Targets             []string                   // forward targets; empty when not forwarding
	Team                string                     // the team relay's server and consumer; "" without one

	// Health probes the forward target; nil means nothing to probe.
	Health func(ctx context.Context) error
	// Replay delivers request id again: body nil as captured, else the
	// edited body, re-signed by the callee. Nil when there is no target.
	Replay func(ctx context.Context, id string, body []byte) (*inspect.Attempt, error)

	CanResign  bool   // a secret is configured, so edited bodies get a valid signature
	SecretMask string // e.g. "****ab12"; "" when there is no secret
	Now        func() time.Time
}

// MinWidth and MinHeight are the smallest terminal the layout fits.
const (
	MinWidth  = 60
	MinHeight = 12
)

// splitHeight is the terminal height from which list and detail share the
// screen; below it the focused pane takes the whole body.
const splitHeight = 24

type focus int

const (
	focusList focus = iota
	focusDetail
)

// Model is the root model. It lays the components out and routes
// messages to them; the work lives in the components and in actions.go.
type Model struct {
	o    Options
	ctx  context.Context
	keys *keys.KeyMap // shared, never changed: the model is copied on every message
	st   *styles.Styles

	header header.Model
	list   list.Model
	detail detail.Model
	footer footer.Model

	width, height int
	focus         focus
	showHelp      bool

	initCmds []tea.Cmd

	// clipboard writes to the terminal's clipboard; Run sets it, because
	// only Run knows the terminal.
	clipboard func(string) error
	// editorIn/editorOut are the terminal the editor gets; nil lets
	// Bubble Tea hand it the program's own.
	editorIn, editorOut *os.File
}

var errNoClipboard = errors.New("no terminal clipboard here (the UI is not running in a terminal)")

// New returns the root model, for Run and for tests.
func New(o Options) tea.Model {
	m := newModel(context.Background(), o)
	return m
}

func newModel(ctx context.Context, o Options) Model {
	if o.Now == nil {
		o.Now = time.Now
	}
	k, st := new(keys.Default()), new(styles.Default())
	m := Model{
		o: o, ctx: ctx, keys: k, st: st,
		header: header.New(st, header.Config{
			LocalURL: o.LocalURL, PublicURL: o.PublicURL, HasTunnel: o.Tunnel != nil,
			Targets: o.Targets, HasHealth: o.Health != nil, SecretMask: o.SecretMask, Team: o.Team,
		}),
		list:      list.New(ctx, o.Backend, k, st, o.Now),
		detail:    detail.New(ctx, o.Backend, k, st, o.Now, o.SecretMask),
		footer:    footer.New(k, st),
		clipboard: func(string) error { return errNoClipboard },
	}
	m.list.SetFocused(true)
	m.list.SetEmptyHint("Send a webhook to " + m.header.URL())
	if o.Replay == nil {
		m.detail.SetNoAttemptsHint("Not delivered: hookscope is not forwarding (start it with --forward-to URL).")
	} else {
		m.detail.SetNoAttemptsHint("Not delivered yet. r replays it to the forward target.")
	}
	m.initCmds = append(m.initCmds, m.list.Reload())
	if o.Events != nil {
		m.initCmds = append(m.initCmds, waitEvents(ctx, o.Events, time.Time{}))
	}
	if o.Tunnel != nil {
		m.initCmds = append(m.initCmds, waitTunnel(ctx, o.Tunnel))
	}
	if o.Health != nil {
		m.initCmds = append(m.initCmds, probe(ctx, o.Health))
	}
	return m
}

// Init starts the first page load and the live feeds.
func (m Model) Init() tea.Cmd { return tea.Batch(m.initCmds...) }

func (m Model) tooSmall() bool { return m.width < MinWidth || m.height < MinHeight }

// layout hands each component its area.
func (m *Model) layout() {
	w := m.width
	m.header.SetWidth(w)
	m.footer.SetWidth(w)
	body := max(0, m.height-header.Height-1)
	listH, detailH := m.paneHeights(body)
	m.list.SetSize(w, listH)
	m.detail.SetSize(w, detailH)
}

func (m Model) paneHeights(body int) (listH, detailH int) {
	if m.height >= splitHeight {
		listH = max(6, body*2/5)
		return listH, body - listH
	}
	if m.focus == focusDetail {
		return 0, body
	}
	return body, 0
}

func (m *Model) setFocus(f focus) {
	m.focus = f
	m.list.SetFocused(f == focusList)
	m.detail.SetFocused(f == focusDetail)
	m.layout()
}

// Update routes: keys to the focused component (after the global ones),
// the wheel to the pane under the pointer, results to their owners.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		return m, nil
	case tea.KeyPressMsg:
		return m.handleKey(msg)
	case tea.MouseMsg:
		if m.tooSmall() || m.showHelp {
			return m, nil
		}
		listH, _ := m.paneHeights(max(0, m.height-header.Height-1))
		var cmd tea.Cmd
		if msg.Mouse().Y < header.Height+listH {
			m.list, cmd = m.list.Update(msg)
			cmds = append(cmds, cmd, m.syncDetail())
		} else {
			m.detail, cmd = m.detail.Update(msg)
			cmds = append(cmds, cmd)
		}
		return m, tea.Batch(cmds...)
	case arrivalsMsg:
		cmds = append(cmds, m.arrivals(msg), waitEvents(m.ctx, m.o.Events, msg.at))
		return m, tea.Batch(cmds...)
	case header.TunnelMsg:
		m.header, _ = m.header.Update(msg)
		m.list.SetEmptyHint("Send a webhook to " + m.header.URL())
		return m, waitTunnel(m.ctx, m.o.Tunnel)
	case header.HealthMsg:
		m.header, _ = m.header.Update(msg)
		return m, tea.Tick(healthEvery, func(time.Time) tea.Msg { return healthTickMsg{} })
	case healthTickMsg:
		return m, probe(m.ctx, m.o.Health)
	case footer.FilterMsg:
		f, err := list.ParseFilter(msg.Text)
		if err != nil {
			return m, m.footer.SetStatus(footer.Failure, err.Error())
		}
		cmds = append(cmds, m.list.SetFilter(f))
		return m, tea.Batch(cmds...)
	case statusMsg:
		return m, m.footer.SetStatus(msg.level, msg.text)
	case replayDoneMsg:
		return m, m.replayDone(msg)
	case editReadyMsg:
		return m, m.openEditor(msg)
	case editDoneMsg:
		return m, m.editDone(msg)
	}
	// Everything else is a component's own result or timer.
	var cmd tea.Cmd
	m.list, cmd = m.list.Update(msg)
	cmds = append(cmds, cmd, m.syncDetail())
	m.detail, cmd = m.detail.Update(msg)
	cmds = append(cmds, cmd)
	m.footer, cmd = m.footer.Update(msg)
	cmds = append(cmds, cmd)
	return m, tea.Batch(cmds...)
}

func (m Model) handleKey(msg tea.KeyPressMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if msg.Keystroke() == "ctrl+c" {
		return m, tea.Quit
	}
	if m.showHelp {
		m.showHelp = false
		return m, nil
	}
	if m.footer.Filtering() {
		var cmd tea.Cmd
		m.footer, cmd = m.footer.Update(msg)
		return m, cmd
	}
	if m.tooSmall() {
		if key.Matches(msg, k.Quit) {
			return m, tea.Quit
		}
		return m, nil
	}
	switch {
	case key.Matches(msg, k.Quit):
		return m, tea.Quit
	case key.Matches(msg, k.Help):
		m.showHelp = true
		return m, nil
	case key.Matches(msg, k.Filter):
		return m, m.footer.StartFilter(m.list.Filter().Text)
	case key.Matches(msg, k.Replay):
		return m, m.replay()
	case key.Matches(msg, k.Edit):
		return m, m.edit()
	case key.Matches(msg, k.CopyCurl):
		return m, m.copyCurl()
	case key.Matches(msg, k.CopyID):
		row, ok := m.list.Selected()
		if !ok {
			return m, m.footer.SetStatus(footer.Warning, "no request selected")
		}
		return m, m.copy("id "+row.Rec.ID, row.Rec.ID)
	case key.Matches(msg, k.CopyURL):
		return m, m.copy("URL "+m.header.URL(), m.header.URL())
	}
	var cmd tea.Cmd
	if m.focus == focusList {
		switch {
		case key.Matches(msg, k.Open):
			if _, ok := m.list.Selected(); ok {
				m.list.Pin()
				m.setFocus(focusDetail)
			}
			return m, nil
		case key.Matches(msg, k.Back):
			if m.list.Filter().Text != "" {
				return m, tea.Batch(m.list.SetFilter(list.Filter{}), m.footer.SetStatus(footer.Info, "filter cleared"))
			}
			return m, nil
		case key.Matches(msg, k.Tab1, k.Tab2, k.Tab3, k.Tab4):
			m.detail.SetFocused(true)
			m.detail, cmd = m.detail.Update(msg)
			m.detail.SetFocused(false)
			return m, cmd
		}
		m.list, cmd = m.list.Update(msg)
		return m, tea.Batch(cmd, m.syncDetail())
	}
	if key.Matches(msg, k.Back) {
		m.setFocus(focusList)
		return m, nil
	}
	m.detail, cmd = m.detail.Update(msg)
	return m, cmd
}

// syncDetail points the detail pane at the list's selection.
func (m *Model) syncDetail() tea.Cmd {
	row, ok := m.list.Selected()
	id := ""
	if ok {
		id = row.Rec.ID
	}
	if id == "" && m.focus == focusDetail {
		m.setFocus(focusList)
	}
	return m.detail.Show(id)
}

// arrivals fans one batch of engine events out to the components.
func (m *Model) arrivals(msg arrivalsMsg) tea.Cmd {
	m.header.Count(msg.events)
	var recs []inspect.Record
	var cmds []tea.Cmd
	if msg.dropped > 0 {
		// The rows are stored: reload the list from the store rather than
		// show a live view with holes.
		cmds = append(cmds, m.list.Reload(), m.footer.SetStatus(footer.Warning,
			fmt.Sprintf("%d live events were skipped while the screen fell behind; the list was reloaded from the store", msg.dropped)))
	}
	var ds []list.Delivery
	for _, e := range msg.events {
		switch e.Type {
		case inspect.Captured:
			if e.Record != nil {
				r := *e.Record
				r.Body, r.Headers = nil, nil
				recs = append(recs, r)
			}
		case inspect.Forwarded:
			if e.Attempt == nil {
				continue
			}
			d := list.Delivery{Att: *e.Attempt}
			if e.Record != nil {
				d.Rec = *e.Record
				d.Rec.Body, d.Rec.Headers = nil, nil
			}
			if d.Att.RequestID == "" {
				d.Att.RequestID = d.Rec.ID
			}
			ds = append(ds, d)
			m.detail.AddAttempt(d.Att)
		case inspect.StoreFail:
			cmds = append(cmds, m.footer.SetStatus(footer.Failure, "a webhook could not be stored and got a 503: "+e.Err))
		}
	}
	cmds = append(cmds, m.list.Arrive(recs), m.list.Forwarded(ds), m.syncDetail())
	return tea.Batch(cmds...)
}

// View is the whole screen, full-screen with the mouse wheel on. Every
// frame asks for both: in v2 the view, not the program, owns them.
func (m Model) View() tea.View {
	v := tea.NewView(m.screen())
	v.AltScreen = true
	v.MouseMode = tea.MouseModeCellMotion
	return v
}

// screen lays out header, list, detail and footer, each exactly its size.
func (m Model) screen() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.tooSmall() {
		return tooSmallView(m.width, m.height)
	}
	parts := []string{m.header.View()}
	body := m.height - header.Height - 1
	if m.showHelp {
		parts = append(parts, m.footer.FullHelp(m.width, body))
	} else {
		listH, detailH := m.paneHeights(body)
		if listH > 0 {
			parts = append(parts, m.list.View())
		}
		if detailH > 0 {
			parts = append(parts, m.detail.View())
		}
	}
	var help []key.Binding
	switch {
	case m.footer.Filtering():
		help = m.keys.FilterHelp()
	case m.focus == focusDetail:
		help = m.keys.DetailHelp()
	default:
		help = m.keys.ListHelp()
	}
	parts = append(parts, m.footer.View(help))
	return strings.Join(parts, "\n")
}

func tooSmallView(w, h int) string {
	msg := []string{
		"Terminal too small",
		"hookscope needs at least " + itoa(MinWidth) + "×" + itoa(MinHeight) + "; this one is " + itoa(w) + "×" + itoa(h) + ".",
		"Enlarge the window, or press q to quit.",
	}
	lines := make([]string, h)
	top := max(0, (h-len(msg))/2)
	for i := range lines {
		l := ""
		if j := i - top; j >= 0 && j < len(msg) {
			l = ansi.Truncate(msg[j], w, "…")
			l = strings.Repeat(" ", max(0, (w-ansi.StringWidth(l))/2)) + l
		}
		lines[i] = l + strings.Repeat(" ", max(0, w-ansi.StringWidth(l)))
	}
	return strings.Join(lines, "\n")
}
