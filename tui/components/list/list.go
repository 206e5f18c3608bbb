// Package list owns the request list pane: a bounded window of rows
// around the cursor, paged in from the store in both directions (never the
// whole store), live arrivals merged at the head, and the filter that
// selects rows. It reads only through its Source and only inside tea.Cmds.
// It must not touch the detail pane, the clipboard, the terminal or the
// network, and it draws nothing outside the width and height it is given.
package list

import (
	"context"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/tui/keys"
	"github.com/hookscope/hookscope/tui/styles"
)

// PageSize is how many rows one store read brings.
const PageSize = 100

// MaxRows caps the window: memory stays the same with 100 or 100 000
// stored requests.
const MaxRows = 4 * PageSize

// Source is the part of the store the list reads.
type Source interface {
	List(ctx context.Context, q inspect.Query) ([]inspect.Record, error)
	Count(ctx context.Context, q inspect.Query) (int, error)
	Attempts(ctx context.Context, id string) ([]inspect.Attempt, error)
}

// Row is one listed request (no body, no headers) and, once known, the
// latency of its latest delivery, which the store's list query lacks.
type Row struct {
	Rec        inspect.Record
	Latency    time.Duration
	HasLatency bool
}

// Delivery is one finished delivery reported live.
type Delivery struct {
	Rec inspect.Record
	Att inspect.Attempt
}

// Model is the list pane.
type Model struct {
	src  Source
	ctx  context.Context
	keys *keys.KeyMap
	st   *styles.Styles
	now  func() time.Time

	width, height int
	focused       bool
	emptyHint     string

	filter Filter
	gen    int // bumped whenever the window is replaced; older pages are dropped
	gctx   context.Context
	cancel context.CancelFunc

	rows       []Row // newest first
	start      int   // position of rows[0] among all matching requests (0 = newest)
	head, tail bool  // rows reach the newest / the oldest matching request
	newerFrom  string
	olderFrom  string
	cursor     int  // index into rows
	follow     bool // the cursor rides on the newest row as arrivals come
	offset     int  // index into rows of the first visible row
	total      int
	totalExact bool

	resetting    bool
	loadingOlder bool
	loadingNewer bool
	pending      []Row // arrivals held while the window is being replaced

	refreshDelay     time.Duration
	refreshSeq       int
	refreshScheduled bool
	refreshInFlight  bool
	refreshAgain     bool
	countDirty       bool
	lastCount        time.Time

	err string
}

// New returns an empty list; Reload fetches the first page.
func New(ctx context.Context, src Source, k *keys.KeyMap, st *styles.Styles, now func() time.Time) Model {
	if now == nil {
		now = time.Now
	}
	return Model{src: src, ctx: ctx, keys: k, st: st, now: now, cancel: func() {}, head: true, follow: true,
		refreshDelay: refreshDelay}
}

// SetSize gives the pane its area; height includes the title and the
// column header.
func (m *Model) SetSize(w, h int) {
	m.width, m.height = w, h
	m.ensureVisible()
}

// SetFocused tells the list whether keys go to it; only a focused list at
// its top follows new arrivals.
func (m *Model) SetFocused(f bool) { m.focused = f }

// SetEmptyHint is shown when nothing has been captured yet.
func (m *Model) SetEmptyHint(s string) { m.emptyHint = s }

// Filter is the filter in force.
func (m Model) Filter() Filter { return m.filter }

// SetFilter replaces the filter and reloads from the newest match.
func (m *Model) SetFilter(f Filter) tea.Cmd {
	m.filter = f
	return m.Reload()
}

// Total is how many requests match, and whether that number is exact.
func (m Model) Total() (int, bool) { return m.total, m.totalExact }

// Selected is the row under the cursor.
func (m Model) Selected() (Row, bool) {
	if m.cursor < 0 || m.cursor >= len(m.rows) {
		return Row{}, false
	}
	return m.rows[m.cursor], true
}

// Pin stops following new arrivals, so the row just acted on (replayed,
// opened) stays selected while webhooks keep coming. Moving back to the
// top follows again.
func (m *Model) Pin() { m.follow = false }

// Following reports whether the cursor rides on the newest row.
func (m Model) Following() bool { return m.follow && m.head && m.cursor == 0 }

// Len is how many rows the window holds (never more than MaxRows).
func (m Model) Len() int { return len(m.rows) }

// Reload replaces the window with the newest matching page.
func (m *Model) Reload() tea.Cmd {
	return m.replace(pageNewest)
}

func (m *Model) replace(kind pageKind) tea.Cmd {
	m.cancel()
	ctx, cancel := context.WithCancel(m.ctx)
	m.gen++
	m.gctx, m.cancel = ctx, cancel
	m.resetting = true
	m.loadingOlder, m.loadingNewer = false, false
	m.pending = nil
	m.refreshInFlight, m.refreshScheduled = false, false
	src, f, gen := m.src, m.filter, m.gen
	return func() tea.Msg { return loadPage(ctx, src, f, gen, kind, "", PageSize) }
}

// Update handles keys (when focused), the mouse wheel and the list's own
// store results.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.KeyPressMsg:
		if !m.focused {
			return m, nil
		}
		k := m.keys
		switch {
		case key.Matches(msg, k.Down):
			return m, m.move(1)
		case key.Matches(msg, k.Up):
			return m, m.move(-1)
		case key.Matches(msg, k.PageDown):
			return m, m.move(m.visible())
		case key.Matches(msg, k.PageUp):
			return m, m.move(-m.visible())
		case key.Matches(msg, k.Top):
			if m.head {
				return m, m.move(-len(m.rows))
			}
			return m, m.replace(pageNewest)
		case key.Matches(msg, k.Bottom):
			if m.tail {
				return m, m.move(len(m.rows))
			}
			return m, m.replace(pageOldest)
		}
	case tea.MouseWheelMsg:
		switch msg.Button {
		case tea.MouseWheelDown:
			return m, m.move(3)
		case tea.MouseWheelUp:
			return m, m.move(-3)
		}
	case pageMsg:
		return m, m.applyPage(msg)
	case foundMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		return m, m.arrive(msg.rows)
	case refreshTickMsg:
		if msg.gen != m.gen || msg.seq != m.refreshSeq {
			return m, nil
		}
		m.refreshScheduled = false
		return m, m.startRefresh()
	case refreshMsg:
		if msg.gen != m.gen {
			return m, nil
		}
		m.applyRefresh(msg)
		m.refreshInFlight = false
		if m.refreshAgain {
			m.refreshAgain = false
			return m, m.scheduleRefresh()
		}
	}
	return m, nil
}

// visible is how many rows fit under the title and column header.
func (m Model) visible() int { return max(1, m.height-2) }

func (m *Model) move(n int) tea.Cmd {
	if len(m.rows) == 0 {
		return nil
	}
	m.cursor = min(max(m.cursor+n, 0), len(m.rows)-1)
	m.follow = m.cursor == 0 && m.head
	m.ensureVisible()
	return tea.Batch(m.prefetch(), m.scheduleRefresh())
}

func (m *Model) ensureVisible() {
	vis := m.visible()
	if m.cursor < m.offset {
		m.offset = m.cursor
	}
	if m.cursor >= m.offset+vis {
		m.offset = m.cursor - vis + 1
	}
	m.offset = min(max(m.offset, 0), max(0, len(m.rows)-vis))
	if m.offset > m.cursor {
		m.offset = m.cursor
	}
	m.offset = max(m.offset, 0)
}

// prefetch asks for the next page before the cursor reaches the window's
// edge, so holding a key scrolls without stalls.
func (m *Model) prefetch() tea.Cmd {
	if m.resetting || len(m.rows) == 0 {
		return nil
	}
	margin := max(2*m.visible(), PageSize/2)
	var cmds []tea.Cmd
	if !m.tail && !m.loadingOlder && len(m.rows)-1-m.cursor < margin {
		m.loadingOlder = true
		src, f, gen, from, ctx := m.src, m.filter, m.gen, m.olderFrom, m.genCtx()
		cmds = append(cmds, func() tea.Msg { return loadPage(ctx, src, f, gen, pageOlder, from, PageSize) })
	}
	if !m.head && !m.loadingNewer && m.cursor < margin {
		m.loadingNewer = true
		src, f, gen, from, ctx := m.src, m.filter, m.gen, m.newerFrom, m.genCtx()
		cmds = append(cmds, func() tea.Msg { return loadPage(ctx, src, f, gen, pageNewer, from, PageSize) })
	}
	return tea.Batch(cmds...)
}

// genCtx is the context loads of the current generation run under; a
// newer generation cancels it.
func (m *Model) genCtx() context.Context {
	if m.gctx == nil {
		return m.ctx
	}
	return m.gctx
}

func (m *Model) applyPage(p pageMsg) tea.Cmd {
	if p.gen != m.gen {
		return nil
	}
	if p.err != nil {
		if p.kind == pageNewest || p.kind == pageOldest {
			m.resetting = false
		}
		m.loadingOlder, m.loadingNewer = false, false
		m.err = p.err.Error()
		return nil
	}
	m.err = ""
	switch p.kind {
	case pageNewest, pageOldest:
		m.resetting = false
		m.rows = p.rows
		m.total, m.totalExact = p.total, p.counted
		m.countDirty, m.lastCount = false, m.now()
		if p.kind == pageNewest {
			m.head, m.tail = true, !p.more
			m.start, m.cursor, m.offset = 0, 0, 0
			m.follow = true
			m.newerFrom = firstID(p.rows)
			m.olderFrom = p.from
		} else {
			m.head, m.tail = !p.more, true
			m.start = max(0, m.total-len(p.rows))
			m.cursor = max(0, len(p.rows)-1)
			m.offset = 0
			m.olderFrom = lastID(p.rows)
			m.newerFrom = p.from
			if m.head {
				m.start = 0
			}
		}
		pending := m.pending
		m.pending = nil
		if len(pending) > 0 {
			m.merge(pending)
		}
		m.ensureVisible()
	case pageOlder:
		m.loadingOlder = false
		last := lastID(m.rows)
		for _, r := range p.rows {
			if last == "" || r.Rec.ID < last {
				m.rows = append(m.rows, r)
			}
		}
		if p.from != "" {
			m.olderFrom = p.from
		}
		m.tail = !p.more
		m.trim()
	case pageNewer:
		m.loadingNewer = false
		first := firstID(m.rows)
		var add []Row
		for _, r := range p.rows {
			if first == "" || r.Rec.ID > first {
				add = append(add, r)
			}
		}
		m.rows = append(add, m.rows...)
		m.cursor += len(add)
		m.offset += len(add)
		m.start -= len(add)
		if p.from != "" {
			m.newerFrom = p.from
		}
		if !p.more {
			m.head = true
			m.start = 0 // arrivals may have been miscounted; the head is the truth
		}
		m.start = max(m.start, 0)
		m.trim()
	}
	return tea.Batch(m.prefetch(), m.scheduleRefresh())
}

// trim keeps the window at MaxRows, dropping rows on the side away from
// the cursor.
func (m *Model) trim() {
	extra := len(m.rows) - MaxRows
	if extra <= 0 {
		return
	}
	if m.cursor < len(m.rows)/2 {
		m.rows = slices.Clone(m.rows[:MaxRows])
		m.tail = false
		m.olderFrom = lastID(m.rows)
		return
	}
	m.rows = slices.Clone(m.rows[extra:])
	m.cursor -= extra
	m.offset = max(0, m.offset-extra)
	m.start += extra
	m.head = false
	m.newerFrom = firstID(m.rows)
	m.ensureVisible()
}

// Arrive merges requests captured live (in bus order) into the list.
// A live record carries no body (and, from the app, no headers): one that
// passes every filter but the free text is looked up in the store, which
// searches its body and headers.
func (m *Model) Arrive(recs []inspect.Record) tea.Cmd {
	var in []Row
	var maybe []string
	for i := range recs {
		r := recs[i]
		switch {
		case m.filter.Match(&r):
			r.Body, r.Headers = nil, nil
			in = append(in, Row{Rec: r})
		case m.filter.Query.Text != "" && m.filter.MatchSansBody(&r):
			maybe = append(maybe, r.ID)
		}
	}
	return tea.Batch(m.arrive(in), m.lookUp(maybe))
}

// foundMsg carries arrivals the store found the free text in.
type foundMsg struct {
	gen  int
	rows []Row
}

// lookUp asks the store which of ids (live arrivals, oldest first) the
// filter selects. The read starts at the first one's 11-character prefix,
// so it scans this batch and a few neighbours, never the whole table.
func (m *Model) lookUp(ids []string) tea.Cmd {
	if len(ids) == 0 {
		return nil
	}
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[id] = true
	}
	first := slices.Min(ids)
	q := m.filter.Query
	q.Before, q.After, q.Oldest = "", first[:len(first)-1], true
	q.Limit = len(ids) + 64
	src, gen, ctx := m.src, m.gen, m.genCtx()
	return func() tea.Msg {
		recs, err := src.List(ctx, q)
		if err != nil {
			return nil // the next reload shows them
		}
		msg := foundMsg{gen: gen}
		for _, r := range recs {
			if want[r.ID] {
				msg.rows = append(msg.rows, Row{Rec: r})
			}
		}
		return msg
	}
}

func (m *Model) arrive(in []Row) tea.Cmd {
	if len(in) == 0 {
		return nil
	}
	slices.SortFunc(in, func(a, b Row) int { return strings.Compare(b.Rec.ID, a.Rec.ID) })
	if m.resetting {
		m.pending = append(in, m.pending...)
		if len(m.pending) > MaxRows {
			m.pending = m.pending[:MaxRows]
		}
		return nil
	}
	m.countDirty = true
	if !m.head {
		// Everything new sorts above the window: only its position moves.
		m.start += len(in)
		m.total += len(in)
		return m.scheduleRefresh()
	}
	m.merge(in)
	return tea.Batch(m.scheduleRefresh(), m.prefetch())
}

// merge inserts rows (newest first) into a window that reaches the head.
func (m *Model) merge(in []Row) {
	sel, hadSel := m.Selected()
	follow := m.focused && m.follow && m.cursor == 0 && m.offset == 0
	out := make([]Row, 0, len(in)+len(m.rows))
	i, j, added := 0, 0, 0
	for i < len(in) || j < len(m.rows) {
		switch {
		case j == len(m.rows) || (i < len(in) && in[i].Rec.ID > m.rows[j].Rec.ID):
			if len(out) == 0 || out[len(out)-1].Rec.ID != in[i].Rec.ID {
				out = append(out, in[i])
				added++
			}
			i++
		case i < len(in) && in[i].Rec.ID == m.rows[j].Rec.ID:
			i++ // already listed (a page raced the event)
		default:
			out = append(out, m.rows[j])
			j++
		}
	}
	m.rows = out
	m.total += added
	if added == 0 {
		return
	}
	m.newerFrom = firstID(m.rows)
	if len(m.rows) == added {
		m.olderFrom = lastID(m.rows)
	}
	switch {
	case follow || !hadSel:
		m.cursor, m.offset = 0, 0
	default:
		old := m.cursor
		for k := m.cursor; k < len(m.rows); k++ {
			if m.rows[k].Rec.ID == sel.Rec.ID {
				m.cursor = k
				break
			}
		}
		if m.offset > 0 {
			m.offset += m.cursor - old
		}
	}
	m.trim()
	m.ensureVisible()
}

// Forwarded records live deliveries on the rows that show them. Under a
// status filter a request appears once its delivery makes it match.
func (m *Model) Forwarded(ds []Delivery) tea.Cmd {
	if len(ds) == 0 {
		return nil
	}
	latest := make(map[string]int, len(ds))
	for i, d := range ds {
		latest[d.Att.RequestID] = i
	}
	for i := range m.rows {
		k, ok := latest[m.rows[i].Rec.ID]
		if !ok {
			continue
		}
		a := ds[k].Att
		r := &m.rows[i]
		r.Rec.Forwarded, r.Rec.ForwardStatus, r.Rec.ForwardError = true, a.Status, a.Error
		r.Latency, r.HasLatency = a.Latency, true
		delete(latest, r.Rec.ID)
	}
	if !m.filter.Query.Status.Active() || len(latest) == 0 {
		return nil
	}
	var in []Row
	var maybe []string
	for _, k := range latest {
		d := ds[k]
		r := d.Rec
		r.Forwarded, r.ForwardStatus, r.ForwardError = true, d.Att.Status, d.Att.Error
		switch {
		case m.filter.Match(&r):
			r.Body, r.Headers = nil, nil
			in = append(in, Row{Rec: r, Latency: d.Att.Latency, HasLatency: true})
		case m.filter.Query.Text != "" && m.filter.MatchSansBody(&r):
			maybe = append(maybe, r.ID)
		}
	}
	slices.Sort(maybe)
	return tea.Batch(m.arrive(in), m.lookUp(maybe))
}

func (m *Model) scheduleRefresh() tea.Cmd {
	if m.refreshInFlight {
		m.refreshAgain = true
		return nil
	}
	if m.refreshScheduled || len(m.rows) == 0 {
		return nil
	}
	m.refreshScheduled = true
	m.refreshSeq++
	gen, seq := m.gen, m.refreshSeq
	return tea.Tick(m.refreshDelay, func(time.Time) tea.Msg { return refreshTickMsg{gen: gen, seq: seq} })
}

func (m *Model) startRefresh() tea.Cmd {
	if len(m.rows) == 0 {
		return nil
	}
	end := min(len(m.rows), m.offset+m.visible())
	need := map[string]bool{}
	for _, r := range m.rows[m.offset:end] {
		if !r.HasLatency {
			need[r.Rec.ID] = true
		}
	}
	count := m.countDirty && m.now().Sub(m.lastCount) >= countEvery
	if count {
		m.lastCount = m.now()
	}
	m.refreshInFlight = true
	src, f, gen, first, n, ctx := m.src, m.filter, m.gen, m.rows[m.offset].Rec.ID, end-m.offset, m.genCtx()
	return func() tea.Msg { return loadRefresh(ctx, src, f, gen, first, n, need, count) }
}

func (m *Model) applyRefresh(msg refreshMsg) {
	for i := range m.rows {
		p, ok := msg.patch[m.rows[i].Rec.ID]
		if !ok {
			continue
		}
		r := &m.rows[i]
		if p.Rec.Method != "" { // a full row from List, not only a latency
			r.Rec.Duplicate = p.Rec.Duplicate
		}
		if p.Rec.Forwarded && !r.HasLatency {
			r.Rec.Forwarded, r.Rec.ForwardStatus, r.Rec.ForwardError = true, p.Rec.ForwardStatus, p.Rec.ForwardError
		}
		if p.HasLatency && !r.HasLatency {
			r.Latency, r.HasLatency = p.Latency, true
		}
	}
	if msg.counted {
		m.countDirty = false
		m.total, m.totalExact = msg.total, true
		if m.head {
			m.start = 0
		}
	}
}

func firstID(rows []Row) string {
	if len(rows) == 0 {
		return ""
	}
	return rows[0].Rec.ID
}

func lastID(rows []Row) string {
	if len(rows) == 0 {
		return ""
	}
	return rows[len(rows)-1].Rec.ID
}
