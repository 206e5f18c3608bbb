package store

import (
	"context"
	"fmt"
)

// SetAnswered notes what hookscope answered the sender itself (see
// inspect.Record.Answered). It runs after the capture's commit, off the
// group-commit path: only --respond and the endpoint-check answer use it.
func (s *Store) SetAnswered(ctx context.Context, id, note string) error {
	key, ok := idNumber(id)
	if !ok {
		return fmt.Errorf("no request with id %q: %w", id, ErrNotFound)
	}
	if _, err := s.w.ExecContext(ctx, `UPDATE requests SET answered = ? WHERE id = ?`, note, key); err != nil {
		return fmt.Errorf("cannot record what hookscope answered for %s: %s", id, describe(err))
	}
	s.dirty.Store(true)
	return nil
}
