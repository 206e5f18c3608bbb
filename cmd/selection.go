package cmd

import (
	"context"
	"fmt"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
)

// selection is how replay and export pick requests: ids (any unique
// prefix), or --last/--event/--since/--signature/--status/--search.
type selection struct {
	last   int
	event  string
	since  time.Duration
	status signature.Status
	answer inspect.StatusFilter // --status: the latest delivery's answer
	search string
}

func (s selection) filtered() bool {
	return s.last > 0 || s.event != "" || s.since > 0 || s.status != "" || s.answer.Active() || s.search != ""
}

// ids resolves the selection to ids, oldest first as they arrived. Without
// --last, at most limit+1 are returned (limit 0: all), so the caller can
// tell a batch that is too big.
func (s selection) ids(ctx context.Context, st *store.Store, args []string, limit int) ([]string, error) {
	var ids []string
	if len(args) > 0 {
		for _, a := range args {
			id, err := st.Resolve(ctx, a)
			if err != nil {
				return nil, err
			}
			ids = append(ids, id)
		}
		return ids, nil
	}
	q := store.Query{Limit: s.last, Event: s.event, Signature: s.status, Status: s.answer, Text: s.search}
	if q.Limit == 0 && limit > 0 {
		q.Limit = limit + 1
	}
	if s.since > 0 {
		q.Since = time.Now().Add(-s.since)
	}
	recs, err := st.List(ctx, q)
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		if s.filtered() {
			return nil, fmt.Errorf("no captured request matches that selection")
		}
		return nil, fmt.Errorf("the store has no requests yet; capture some with `hookscope listen` first")
	}
	for i := len(recs) - 1; i >= 0; i-- {
		ids = append(ids, recs[i].ID)
	}
	return ids, nil
}
