package list

import (
	"fmt"
	"github.com/hookscope/hookscope/inspect"
	"strconv"
	"strings"
	"time"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/hookscope/hookscope/inspect/payload"
)

// layout is the column widths for one terminal width; columns that do not
// fit are dropped (0) so path and event keep room to be read.
type layout struct {
	time, method, path, event, sig, status, latency, size int
}

const (
	markW = 2 // cursor and duplicate marks
	gap   = 1
)

func columns(width int) layout {
	l := layout{time: 8, method: 6, sig: 11, status: 4, latency: 6, size: 8}
	if width >= 110 {
		l.time = 12
	}
	fixed := func() int {
		n := markW
		for _, w := range []int{l.time, l.method, l.sig, l.status, l.latency, l.size} {
			if w > 0 {
				n += w + gap
			}
		}
		return n + 2*gap // the gaps after path and event
	}
	for _, drop := range []*int{&l.size, &l.method, &l.latency} {
		if width-fixed() >= 30 {
			break
		}
		*drop = 0
	}
	rest := max(width-fixed(), 8)
	l.event = min(max(rest*2/5, 6), 28)
	l.path = rest - l.event
	return l
}

// View draws the pane: a title rule, the column header and the visible rows.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	lines := make([]string, 0, m.height)
	lines = append(lines, m.title())
	l := columns(m.width)
	if m.height > 1 {
		lines = append(lines, m.st.ColumnHeader.Render(pad(ansi.Truncate(m.header(l), m.width, ""), m.width)))
	}
	vis := m.height - len(lines)
	switch {
	case len(m.rows) == 0 && m.resetting:
		lines = append(lines, m.st.Muted.Render(pad("  loading…", m.width)))
	case len(m.rows) == 0 && m.filter.Text != "":
		lines = append(lines, m.st.Muted.Render(pad("  No request matches this filter (esc clears it).", m.width)))
	case len(m.rows) == 0:
		hint := "  No requests yet."
		if m.emptyHint != "" {
			hint += " " + m.emptyHint
		}
		lines = append(lines, m.st.Muted.Render(pad(ansi.Truncate(hint, m.width, "…"), m.width)))
	}
	now := m.now()
	for i := m.offset; i < len(m.rows) && len(lines) < m.height && i < m.offset+vis; i++ {
		lines = append(lines, m.row(l, m.rows[i], i == m.cursor, now))
	}
	if len(lines) < m.height && len(m.rows) > 0 && (m.loadingOlder || (m.offset+vis > len(m.rows) && !m.tail)) {
		lines = append(lines, m.st.Muted.Render(pad("  loading…", m.width)))
	}
	for len(lines) < m.height {
		lines = append(lines, strings.Repeat(" ", m.width))
	}
	return strings.Join(lines, "\n")
}

func (m Model) title() string {
	var b strings.Builder
	b.WriteString("─ Requests ")
	switch {
	case len(m.rows) == 0:
		if m.totalExact {
			b.WriteString("0 ")
		}
	case m.totalExact:
		fmt.Fprintf(&b, "%s/%s ", thousands(m.start+m.cursor+1), thousands(m.total))
	default:
		fmt.Fprintf(&b, "%s/? ", thousands(m.start+m.cursor+1))
	}
	if m.filter.Text != "" {
		b.WriteString("─ filter: " + payload.SanitizeLine(m.filter.Text) + " ")
	}
	if m.resetting {
		b.WriteString("─ loading… ")
	} else if m.focused && m.Following() {
		b.WriteString("─ following newest ")
	}
	t := b.String()
	if m.err != "" {
		t += "─ "
		errText := "store error: " + payload.SanitizeLine(m.err)
		t = m.st.Rule.Render(t) + m.st.Error.Render(ansi.Truncate(errText, max(0, m.width-ansi.StringWidth(t)-1), "…")) + " "
		return t + m.st.Rule.Render(strings.Repeat("─", max(0, m.width-ansi.StringWidth(t))))
	}
	t = ansi.Truncate(t, m.width, "…")
	return m.st.Rule.Render(t + strings.Repeat("─", max(0, m.width-ansi.StringWidth(t))))
}

func (m Model) header(l layout) string {
	cells := []string{strings.Repeat(" ", markW)}
	add := func(w int, s string) {
		if w > 0 {
			cells = append(cells, pad(fit(s, w), w))
		}
	}
	add(l.time, "TIME")
	add(l.method, "METHOD")
	add(l.path, "PATH")
	add(l.event, "EVENT")
	add(l.sig, "SIGNATURE")
	if l.latency > 0 {
		add(l.status+gap+l.latency, "HANDLER")
	} else {
		add(l.status, "HTTP")
	}
	add(l.size, "SIZE")
	return strings.Join(cells, " ")
}

// row draws one request. Every field came off the network and is
// sanitised before it is measured or drawn.
func (m Model) row(l layout, r Row, selected bool, now time.Time) string {
	rec := &r.Rec
	style := func(st lipgloss.Style, s string) string {
		if selected {
			return s // the whole row is styled at once below
		}
		return st.Render(s)
	}
	var cells []string
	mark := " "
	if selected {
		mark = "▸"
	}
	dup := " "
	if rec.Duplicate {
		dup = style(m.st.Duplicate, "↻")
	}
	cells = append(cells, mark+dup)
	if l.time > 0 {
		cells = append(cells, style(m.st.Muted, pad(stamp(rec.ReceivedAt, now, l.time), l.time)))
	}
	if l.method > 0 {
		cells = append(cells, pad(fit(payload.SanitizeLine(rec.Method), l.method), l.method))
	}
	cells = append(cells, pad(fit(payload.SanitizeLine(rec.URI()), l.path), l.path))
	ev := payload.SanitizeLine(rec.Event)
	if ev == "" {
		ev = "–"
	}
	cells = append(cells, style(m.st.Strong, pad(fit(ev, l.event), l.event)))
	cells = append(cells, style(m.st.Verdict(rec.Signature.Status), pad(rec.Signature.Status.Label(), l.sig)))
	status, stStyle := m.statusCell(r)
	cells = append(cells, style(stStyle, pad(status, l.status)))
	if l.latency > 0 {
		lat := ""
		if r.HasLatency && rec.Forwarded {
			lat = Latency(r.Latency)
		}
		cells = append(cells, style(m.st.Muted, padLeft(lat, l.latency)))
	}
	if l.size > 0 {
		cells = append(cells, padLeft(sizeCell(rec), l.size))
	}
	line := strings.Join(cells, " ")
	line = pad(ansi.Truncate(line, m.width, ""), m.width)
	if selected {
		return m.st.Selected.Render(line)
	}
	return line
}

func (m Model) statusCell(r Row) (string, lipgloss.Style) {
	rec := &r.Rec
	switch {
	case rec.Refused != 0:
		return strconv.Itoa(rec.Refused), m.st.Error
	case !rec.Forwarded:
		return "–", m.st.Muted
	case rec.ForwardStatus == 0:
		return "ERR", m.st.NoAnswer
	}
	return strconv.Itoa(rec.ForwardStatus), m.st.HTTPStatus(rec.ForwardStatus)
}

// stamp is the arrival time: the time of day for today, the date otherwise.
func stamp(t, now time.Time, w int) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(now.Location())
	ty, tm, td := t.Date()
	ny, nm, nd := now.Date()
	today := ty == ny && tm == nm && td == nd
	switch {
	case today && w >= 12:
		return t.Format("15:04:05.000")
	case today:
		return t.Format("15:04:05")
	case w >= 12:
		return t.Format("Jan 02 15:04")
	}
	return t.Format("Jan 02")
}

// Latency is a handler's answer time in at most six columns.
func Latency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	case d < time.Second:
		return fmt.Sprintf("%dms", d/time.Millisecond)
	case d < 10*time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d < 100*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return fmt.Sprintf("%ds", int(d.Seconds()))
}

func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	return ansi.Truncate(s, w, "…")
}

func pad(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return s + strings.Repeat(" ", w-n)
	}
	return s
}

func padLeft(s string, w int) string {
	if n := ansi.StringWidth(s); n < w {
		return strings.Repeat(" ", w-n) + s
	}
	return ansi.Truncate(s, w, "")
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// sizeCell is the size column: a refused body whose sender announced no
// length reads "–", not "-1 B".
func sizeCell(rec *inspect.Record) string {
	if rec.Size < 0 {
		return "–"
	}
	return payload.HumanSize(rec.Size)
}
