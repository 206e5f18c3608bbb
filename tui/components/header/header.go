// Package header owns the top of the screen: the URL to register with
// VideoNest and the tunnel's state, the forward target and its health,
// the secret in use (masked) and the session's counters. It only draws
// what it is told through messages and setters; it must not probe the
// handler, read the store or write to the terminal itself.
package header

import (
	"fmt"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/tui/styles"
)

// Height is how many lines the header takes.
const Height = 3

// TunnelMsg is a tunnel state change.
type TunnelMsg inspect.TunnelEvent

// HealthMsg is the outcome of one probe of the forward target.
type HealthMsg struct{ Err error }

// Counts are this session's tallies.
type Counts struct {
	Received, Valid, Invalid, Missing, Unchecked int
	ForwardOK, ForwardFailed                     int
	StoreFailed                                  int
}

type health int

const (
	healthUnknown health = iota
	healthUp
	healthDown
)

// Config is what the header shows that never changes during a session.
type Config struct {
	LocalURL, PublicURL string
	HasTunnel           bool
	Targets             []string
	HasHealth           bool
	SecretMask          string
	// Team names the relay's server and consumer ("" without a relay).
	Team string
}

// Model is the header.
type Model struct {
	st    *styles.Styles
	cfg   Config
	width int

	team           *inspect.TeamState // nil until the relay says where it stands
	tunnelState    inspect.TunnelState
	tunnelKnown    bool
	tunnelErr      string
	tunnelRetrying bool

	health    health
	healthErr string

	counts Counts
}

// New returns the header.
func New(st *styles.Styles, cfg Config) Model {
	return Model{st: st, cfg: cfg}
}

// SetWidth gives the header its width.
func (m *Model) SetWidth(w int) { m.width = w }

// URL is the address to register with VideoNest: the public one when a
// tunnel gave one, else the local one.
func (m Model) URL() string {
	if m.cfg.PublicURL != "" {
		return m.cfg.PublicURL
	}
	return m.cfg.LocalURL
}

// Counts are the session's tallies so far.
func (m Model) Counts() Counts { return m.counts }

// Count tallies one batch of engine events. Replays are not counted: the
// counters say what VideoNest sent and how the handler took it live.
func (m *Model) Count(evs []inspect.Event) {
	for _, e := range evs {
		switch e.Type {
		case inspect.Captured:
			if e.Record == nil {
				continue
			}
			m.counts.Received++
			switch e.Record.Signature.Status {
			case signature.Valid:
				m.counts.Valid++
			case signature.Invalid:
				m.counts.Invalid++
			case signature.Missing:
				m.counts.Missing++
			default:
				m.counts.Unchecked++
			}
		case inspect.Forwarded:
			if e.Attempt == nil || e.Attempt.Replay {
				continue
			}
			if e.Attempt.Status >= 200 && e.Attempt.Status < 300 {
				m.counts.ForwardOK++
			} else {
				m.counts.ForwardFailed++
			}
		case inspect.StoreFail:
			m.counts.StoreFailed++
		case inspect.Team:
			if e.Team != nil {
				t := *e.Team
				m.team = &t
			}
		}
	}
}

// Update takes tunnel and health news.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case TunnelMsg:
		m.tunnelState, m.tunnelKnown, m.tunnelErr, m.tunnelRetrying = msg.State, true, msg.Err, msg.Retrying
		if msg.URL != "" {
			m.cfg.PublicURL = msg.URL
		}
	case HealthMsg:
		if msg.Err == nil {
			m.health, m.healthErr = healthUp, ""
		} else {
			m.health, m.healthErr = healthDown, msg.Err.Error()
		}
	}
	return m, nil
}

// View draws the three header lines.
func (m Model) View() string {
	lines := []string{m.urlLine(), m.forwardLine(), m.countLine()}
	for i, l := range lines {
		l = ansi.Truncate(l, m.width, "…")
		if n := ansi.StringWidth(l); n < m.width {
			l += strings.Repeat(" ", m.width-n)
		}
		lines[i] = l
	}
	return strings.Join(lines, "\n")
}

func (m Model) urlLine() string {
	st := m.st
	head := st.Title.Render("hookscope") + "  "
	var url, badge, hint string
	if m.cfg.PublicURL != "" {
		url, badge = m.cfg.PublicURL, m.tunnelBadge()
	} else {
		url = m.cfg.LocalURL
		if m.cfg.HasTunnel {
			badge = m.tunnelBadge()
		} else {
			hint = "local only: set NGROK_AUTHTOKEN for a public URL"
		}
	}
	head += st.URL.Render(payload.SanitizeLine(url))
	// The URL is what matters: the rest gives way, longest first.
	tails := []string{"  " + st.Muted.Render("(u copies)"), ""}
	var notes []string
	switch {
	case badge != "":
		notes = []string{"  " + badge}
	case hint != "":
		notes = []string{"  " + st.Hint.Render(hint), "  " + st.Hint.Render("set NGROK_AUTHTOKEN"), ""}
	default:
		notes = []string{""}
	}
	for _, n := range notes {
		for _, t := range tails {
			if l := head + n + t; ansi.StringWidth(l) <= m.width {
				return l
			}
		}
	}
	return head + notes[len(notes)-1]
}

func (m Model) tunnelBadge() string {
	st := m.st
	if !m.tunnelKnown {
		if m.cfg.HasTunnel {
			return st.Muted.Render("○ connecting…")
		}
		return ""
	}
	switch m.tunnelState {
	case inspect.TunnelOnline:
		return st.OK.Render("● online")
	case inspect.TunnelOffline:
		// Only say it comes back by itself when it does.
		s := "✗ offline, local capture only"
		if m.tunnelRetrying {
			s = "✗ offline, reconnecting"
		}
		if m.tunnelErr != "" {
			s += " (" + payload.SanitizeLine(m.tunnelErr) + ")"
		}
		return st.Error.Render(s)
	case inspect.TunnelClosed:
		return st.Muted.Render("○ closed")
	}
	return st.Muted.Render("○ connecting…")
}

func (m Model) forwardLine() string {
	st := m.st
	var b string
	if len(m.cfg.Targets) == 0 {
		b = st.Muted.Render("not forwarding (--forward-to URL sends each webhook to your handler)")
	} else {
		b = "forward → " + st.Strong.Render(payload.SanitizeLine(m.cfg.Targets[0]))
		if n := len(m.cfg.Targets) - 1; n > 0 {
			b += st.Muted.Render(fmt.Sprintf(" (+%d more)", n))
		}
		if m.cfg.HasHealth {
			switch m.health {
			case healthUp:
				b += "  " + st.OK.Render("● up")
			case healthDown:
				b += "  " + st.Error.Render("✗ refused")
				if m.healthErr != "" {
					b += st.Muted.Render(" " + shorten(payload.SanitizeLine(m.healthErr), 40))
				}
			default:
				b += "  " + st.Muted.Render("○ checking…")
			}
		}
	}
	b += "   "
	if m.cfg.SecretMask == "" {
		b += st.Warn.Render("no secret: signatures unchecked")
	} else {
		b += st.Muted.Render("secret ") + payload.SanitizeLine(m.cfg.SecretMask)
	}
	return b
}

func (m Model) countLine() string {
	st := m.st
	c := m.counts
	n := func(s lipgloss.Style, v int, label string) string {
		return s.Render(label + " " + strconv.Itoa(v))
	}
	long := []string{
		"received " + st.Strong.Render(strconv.Itoa(c.Received)),
		n(st.Valid, c.Valid, "✓ valid"),
		n(st.Invalid, c.Invalid, "✗ invalid"),
	}
	short := []string{"recv " + st.Strong.Render(strconv.Itoa(c.Received)),
		n(st.Valid, c.Valid, "✓"), n(st.Invalid, c.Invalid, "✗")}
	if c.Missing > 0 {
		long = append(long, n(st.Missing, c.Missing, "– missing"))
		short = append(short, n(st.Missing, c.Missing, "–"))
	}
	if c.Unchecked > 0 {
		long = append(long, n(st.Unchecked, c.Unchecked, "? unchecked"))
		short = append(short, n(st.Unchecked, c.Unchecked, "?"))
	}
	lines := []string{strings.Join(long, "  "), strings.Join(short, " ")}
	if len(m.cfg.Targets) > 0 {
		lines[0] += "   forwarded " + n(st.OK, c.ForwardOK, "ok") + "  " + n(st.Error, c.ForwardFailed, "failed")
		lines[1] += "  fwd " + n(st.OK, c.ForwardOK, "ok") + " " + n(st.Error, c.ForwardFailed, "fail")
	}
	if c.StoreFailed > 0 {
		lines[0] += "   " + n(st.Error, c.StoreFailed, "not stored (503)")
		lines[1] += " " + n(st.Error, c.StoreFailed, "503")
	}
	if t := m.team; t != nil {
		style := st.Muted
		switch t.State {
		case "connected":
			style = st.OK
		case "unreachable", "error":
			style = st.Error
		}
		text := t.Summary()
		if m.cfg.Team != "" {
			text += " (" + m.cfg.Team + ")"
		}
		sum := style.Render(payload.SanitizeLine(text))
		lines[0] += "   " + sum
		lines[1] += "  " + sum
	}
	if ansi.StringWidth(lines[0]) <= m.width {
		return lines[0]
	}
	return lines[1]
}

func shorten(s string, w int) string { return ansi.Truncate(s, w, "…") }
