package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Retention: deleting captures on request (delete ID…, prune) and in the
// background (listen --retention). A request's attempts and outbox rows go
// with it (ON DELETE CASCADE; foreign_keys is on for every connection).
// SQLite reuses the freed pages for later captures, so a store pruned
// regularly stops growing; the file itself shrinks only with VACUUM, which
// needs the store to itself and is left to the user.

// pruneBatch bounds one delete transaction, so a prune from another
// process never holds the write lock long enough to delay a capture.
const pruneBatch = 500

// Delete removes the requests with these full ids and everything recorded
// about them; it returns how many existed.
func (s *Store) Delete(ctx context.Context, ids []string) (int, error) {
	if err := s.Check(ctx); err != nil {
		return 0, err
	}
	total := 0
	for len(ids) > 0 {
		n := min(len(ids), pruneBatch)
		args := make([]any, 0, n)
		for _, id := range ids[:n] {
			key, ok := idNumber(id)
			if !ok {
				return total, fmt.Errorf("%q is not a request id: %w", id, ErrNotFound)
			}
			args = append(args, key)
		}
		ids = ids[n:]
		res, err := s.w.ExecContext(ctx, `DELETE FROM requests WHERE id IN (?`+strings.Repeat(",?", len(args)-1)+`)`, args...)
		if err != nil {
			return total, fmt.Errorf("cannot delete from the store: %s", describe(err))
		}
		d, _ := res.RowsAffected()
		total += int(d)
		s.dirty.Store(true)
	}
	return total, nil
}

// Prune deletes requests received before olderThan (zero: no age limit)
// and all but the newest keep (0: no count limit), oldest first, in small
// transactions. It returns how many it deleted.
func (s *Store) Prune(ctx context.Context, olderThan time.Time, keep int) (int, error) {
	if olderThan.IsZero() && keep <= 0 {
		return 0, nil
	}
	if err := s.Check(ctx); err != nil {
		return 0, err
	}
	var conds []string
	var args []any
	if !olderThan.IsZero() {
		conds = append(conds, "received_ns < ?")
		args = append(args, olderThan.UnixNano())
	}
	if keep > 0 {
		// Ids sort by arrival: everything below the keep-th newest goes.
		conds = append(conds, "id < (SELECT id FROM requests ORDER BY id DESC LIMIT 1 OFFSET ?)")
		args = append(args, keep-1)
	}
	q := `DELETE FROM requests WHERE id IN (SELECT id FROM requests WHERE ` + strings.Join(conds, " AND ") +
		` ORDER BY id LIMIT ` + fmt.Sprint(pruneBatch) + `)`
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res, err := s.w.ExecContext(ctx, q, args...)
		if err != nil {
			return total, fmt.Errorf("cannot prune the store: %s", describe(err))
		}
		n, _ := res.RowsAffected()
		total += int(n)
		if n > 0 {
			s.dirty.Store(true)
		}
		if n < pruneBatch {
			return total, nil
		}
	}
}
