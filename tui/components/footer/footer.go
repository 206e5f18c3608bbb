// Package footer owns the bottom line: the one-line key help, transient
// status messages (copied, replayed, errors) and the filter prompt while
// `/` is typed, plus the full-screen help that `?` opens. It never runs
// the actions it describes; the root model does.
package footer

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/tui/keys"
	"github.com/hookscope/hookscope/tui/styles"
)

// Level says how a status message is coloured.
type Level int

const (
	Info Level = iota
	Success
	Warning
	Failure
)

// FilterMsg is sent when a filter is typed and entered.
type FilterMsg struct{ Text string }

type clearMsg struct{ seq int }

// statusFor is how long a message stays before the key help returns.
const statusFor = 6 * time.Second

// Model is the footer.
type Model struct {
	keys  *keys.KeyMap
	st    *styles.Styles
	help  help.Model
	input prompt
	width int

	filtering bool
	status    string
	level     Level
	seq       int
}

// New returns the footer.
func New(k *keys.KeyMap, st *styles.Styles) Model {
	h := help.New()
	h.Styles = st.Help
	in := prompt{prefix: "/", hint: "event:video.* sig:invalid status:5xx text   (enter applies, esc cancels)",
		styles: promptStyles{prefix: st.FilterPrompt, hint: st.Muted, cursor: st.Selected}}
	return Model{keys: k, st: st, help: h, input: in}
}

// SetWidth gives the footer its width.
func (m *Model) SetWidth(w int) {
	m.width = w
	m.help.SetWidth(w)
	m.input.width = w
}

// Filtering reports whether the filter prompt has the keyboard.
func (m Model) Filtering() bool { return m.filtering }

// StartFilter opens the prompt holding the current filter.
func (m *Model) StartFilter(current string) tea.Cmd {
	m.filtering = true
	m.input.set(current)
	return nil
}

// SetStatus shows a message for a while.
func (m *Model) SetStatus(l Level, text string) tea.Cmd {
	m.status, m.level = text, l
	m.seq++
	seq := m.seq
	return tea.Tick(statusFor, func(time.Time) tea.Msg { return clearMsg{seq: seq} })
}

// Status is the message shown, if any.
func (m Model) Status() string { return m.status }

// Update drives the filter prompt and expires status messages.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case clearMsg:
		if msg.seq == m.seq {
			m.status = ""
		}
		return m, nil
	case tea.KeyPressMsg:
		if !m.filtering {
			return m, nil
		}
		switch {
		case key.Matches(msg, m.keys.Apply):
			m.filtering = false
			text := m.input.text()
			return m, func() tea.Msg { return FilterMsg{Text: text} }
		case key.Matches(msg, m.keys.Cancel):
			m.filtering = false
			return m, nil
		}
		m.input = m.input.update(msg)
	case tea.PasteMsg:
		// v2 delivers a bracketed paste as one message, not as keys.
		if m.filtering {
			m.input = m.input.insert(msg.Content)
		}
	}
	return m, nil
}

// View draws the footer line with the bindings that apply now.
func (m Model) View(bindings []key.Binding) string {
	var line string
	switch {
	case m.filtering:
		line = m.input.view()
	case m.status != "":
		st := m.st.Muted
		switch m.level {
		case Success:
			st = m.st.OK
		case Warning:
			st = m.st.Warn
		case Failure:
			st = m.st.Error
		}
		line = st.Render(ansi.Truncate(payload.SanitizeLine(m.status), m.width, "…"))
	default:
		line = m.help.ShortHelpView(bindings)
	}
	line = ansi.Truncate(line, m.width, "")
	if n := ansi.StringWidth(line); n < m.width {
		line += strings.Repeat(" ", m.width-n)
	}
	return line
}

// FullHelp draws the `?` screen in w×h.
func (m Model) FullHelp(w, h int) string {
	hm := m.help
	hm.SetWidth(w)
	var b strings.Builder
	b.WriteString(m.st.Title.Render("hookscope — keys") + "\n\n")
	b.WriteString(hm.FullHelpView(m.keys.FullHelp()) + "\n\n")
	legend := []string{
		"Signature: ✓ valid  ✗ invalid  – missing  ? unchecked (no secret)",
		"↻  duplicate delivery: an earlier request had the same body",
		"Handler: status and latency of the latest delivery; – not forwarded, ERR no answer",
		"Filter: event:video.*  sig:invalid  status:5xx|500|failed|err|none|pending  text (body, headers, path, id)",
		"Edit (e) opens $VISUAL/$EDITOR on the body; saving a change replays it, re-signed when a secret is set.",
		"Copy (c, y, u) goes to the terminal's clipboard (OSC 52); some terminals and tmux need it enabled.",
	}
	for _, l := range legend {
		b.WriteString(m.st.Muted.Render(l) + "\n")
	}
	b.WriteString("\n" + m.st.Hint.Render("any key closes this help"))
	lines := strings.Split(b.String(), "\n")
	if len(lines) > h {
		lines = lines[:h]
	}
	for i, l := range lines {
		l = ansi.Truncate(l, w, "…")
		if n := ansi.StringWidth(l); n < w {
			l += strings.Repeat(" ", w-n)
		}
		lines[i] = l
	}
	for len(lines) < h {
		lines = append(lines, strings.Repeat(" ", w))
	}
	return strings.Join(lines, "\n")
}
