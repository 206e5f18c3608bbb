// Package storetest gives the terminal UI's tests a real store on a temp
// dir, seeded with fixtures or many generated requests. It lives outside
// tui/ so the UI's packages never link the SQLite driver, not even through
// a test helper.
package storetest

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/store"
)

// Open opens a fresh store in a temp dir, closed when the test ends.
func Open(tb testing.TB) *store.Store {
	tb.Helper()
	st, err := store.Open(filepath.Join(tb.TempDir(), "hookscope.db"), store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// Seed inserts recs and then atts.
func Seed(tb testing.TB, st *store.Store, recs []inspect.Record, atts []inspect.Attempt) {
	tb.Helper()
	ctx := context.Background()
	for i := range recs {
		r := recs[i]
		if err := st.Insert(ctx, &r); err != nil {
			tb.Fatal(err)
		}
	}
	for i := range atts {
		a := atts[i]
		if err := st.AddAttempt(ctx, &a); err != nil {
			tb.Fatal(err)
		}
	}
}

// SeedMany inserts gen(0) … gen(n-1) through the store's group commit from
// many goroutines, then atts.
func SeedMany(tb testing.TB, st *store.Store, n int, gen func(i int) inspect.Record, atts []inspect.Attempt) {
	tb.Helper()
	ctx := context.Background()
	const workers = 64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < n; i += workers {
				r := gen(i)
				if err := st.Insert(ctx, &r); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		tb.Fatal(err)
	}
	Seed(tb, st, nil, atts)
}
