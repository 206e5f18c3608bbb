package list

import (
	"context"
	"slices"
	"time"

	tea "charm.land/bubbletea/v2"
)

type pageKind int

const (
	pageNewest pageKind = iota // the head: g, a new filter, start-up
	pageOldest                 // the tail: G
	pageOlder                  // scrolling down past the window
	pageNewer                  // scrolling back up past the window
)

// pageMsg carries one page from the store. Rows are newest first.
type pageMsg struct {
	gen  int
	kind pageKind
	rows []Row
	// more: rows may lie beyond the far end of this page; from: the last
	// id the store gave back (matching or not), where the next page of the
	// same direction starts.
	more    bool
	from    string
	total   int
	counted bool
	err     error
}

// loadPage reads up to want rows in direction kind, starting after from.
// It runs inside a tea.Cmd, never in Update.
func loadPage(ctx context.Context, src Source, f Filter, gen int, kind pageKind, from string, want int) tea.Msg {
	msg := pageMsg{gen: gen, kind: kind}
	q := f.Query
	switch kind {
	case pageOlder:
		q.Before = from
	case pageNewer:
		q.After, q.Oldest = from, true
	case pageOldest:
		q.Oldest = true
	}
	q.Limit = want
	recs, err := src.List(ctx, q)
	if err != nil {
		msg.err = err
		return msg
	}
	for i := range recs {
		msg.rows = append(msg.rows, Row{Rec: recs[i]})
	}
	if len(recs) > 0 {
		msg.from = recs[len(recs)-1].ID
	}
	msg.more = len(recs) == want
	if q.Oldest {
		slices.Reverse(msg.rows)
	}
	if kind == pageNewest || kind == pageOldest {
		if !msg.more {
			// Everything matching is on this page: no second scan to count.
			msg.total, msg.counted = len(msg.rows), true
		} else if n, err := src.Count(ctx, f.Query); err == nil {
			msg.total, msg.counted = n, true
		}
	}
	return msg
}

// refreshMsg patches rows already shown with what the store knows now:
// duplicate marks, the latest delivery and its latency, and the total.
type refreshMsg struct {
	gen     int
	patch   map[string]Row
	total   int
	counted bool
}

type refreshTickMsg struct{ gen, seq int }

// refreshDelay batches scrolling and arrivals into one store read.
const refreshDelay = 150 * time.Millisecond

// countEvery bounds how often a live list recounts: a filtered count
// scans the table.
const countEvery = 2 * time.Second

func loadRefresh(ctx context.Context, src Source, f Filter, gen int, firstID string, n int, needLatency map[string]bool, count bool) tea.Msg {
	msg := refreshMsg{gen: gen, patch: map[string]Row{}}
	q := f.Query
	q.Before = firstID + "~" // ids share one length; "~" sorts after every id character
	q.Limit = n
	if recs, err := src.List(ctx, q); err == nil {
		for _, r := range recs {
			msg.patch[r.ID] = Row{Rec: r}
		}
	}
	for id := range needLatency {
		row, ok := msg.patch[id]
		if !ok {
			row = Row{}
		}
		if ok && !row.Rec.Forwarded {
			continue
		}
		atts, err := src.Attempts(ctx, id)
		if err != nil || len(atts) == 0 {
			continue
		}
		last := atts[len(atts)-1]
		row.Latency, row.HasLatency = last.Latency, true
		if !ok {
			row.Rec.ID = id
			row.Rec.Forwarded, row.Rec.ForwardStatus, row.Rec.ForwardError = true, last.Status, last.Error
		}
		msg.patch[id] = row
	}
	if count {
		if c, err := src.Count(ctx, f.Query); err == nil {
			msg.total, msg.counted = c, true
		}
	}
	return msg
}
