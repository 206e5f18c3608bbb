package capture

import (
	"context"
	"sync"
	"time"
)

// DefaultBodyBudget bounds the body bytes held in memory across every
// request being read at once.
const DefaultBodyBudget = 128 << 20

// smallBody is what every body may take from the reserve: a webhook of a
// usual size is never refused because large ones fill the budget.
const smallBody = 64 << 10

// budgetWait is how long a body waits for room before it is refused with
// a 503 (not stored): well inside VideoNest's 10 s.
const budgetWait = time.Second

// budget is one ceiling for in-flight body bytes across all connections.
// Bodies take it as their bytes arrive, never for a declared length, and
// the last reserve bytes are kept for bodies no larger than smallBody.
type budget struct {
	mu      sync.Mutex
	free    int64
	reserve int64
	changed chan struct{} // closed and replaced on every release
}

func newBudget(total int64) *budget {
	return &budget{free: total, reserve: min(total/8, 16<<20), changed: make(chan struct{})}
}

// acquire takes n bytes for a body that will then hold total bytes, waiting
// at most wait for room. It reports false when there was none.
func (b *budget) acquire(ctx context.Context, n, total int64, wait time.Duration) bool {
	var timer *time.Timer
	for {
		b.mu.Lock()
		floor := b.reserve
		if total <= smallBody {
			floor = 0
		}
		if b.free-n >= floor {
			b.free -= n
			b.mu.Unlock()
			if timer != nil {
				timer.Stop()
			}
			return true
		}
		ch := b.changed
		b.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(wait)
		}
		select {
		case <-ch:
		case <-timer.C:
			return false
		case <-ctx.Done():
			timer.Stop()
			return false
		}
	}
}

func (b *budget) release(n int64) {
	if n == 0 {
		return
	}
	b.mu.Lock()
	b.free += n
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}
