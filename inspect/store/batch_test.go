package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
)

func sized(n int) *job {
	return &job{rec: &inspect.Record{Body: make([]byte, n)}}
}

func TestBatchPlan(t *testing.T) {
	const mb = 1 << 20
	cases := []struct {
		name  string
		sizes []int
		// want lists the batches, by the indexes of sizes, in commit order.
		want string
	}{
		{"small rows share one batch", []int{100, 200, 300}, "[0 1 2]"},
		{"large rows split at the byte cap", []int{10 * mb, 10 * mb, 10 * mb, 10 * mb}, "[0 1 2] [3]"},
		{"one row over the cap still goes, alone", []int{40 * mb, 10 * mb}, "[0] [1]"},
		{"small rows overtake held large ones", []int{20 * mb, 20 * mb, 100, 20 * mb, 100}, "[0 2 4] [1] [3]"},
		{"held large rows keep their order", []int{30 * mb, 8 * mb, 1 * mb}, "[0] [1 2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := &batchPlan{maxBytes: 32 * mb}
			index := map[*job]int{}
			for i, n := range c.sizes {
				j := sized(n)
				index[j] = i
				if i == 0 {
					p.start()
				}
				p.add(j)
			}
			var got []string
			for len(p.jobs) > 0 {
				var ids []string
				for _, j := range p.jobs {
					ids = append(ids, fmt.Sprint(index[j]))
				}
				got = append(got, "["+strings.Join(ids, " ")+"]")
				p.start()
			}
			if g := strings.Join(got, " "); g != c.want {
				t.Errorf("batches %s, want %s", g, c.want)
			}
		})
	}
}

func TestBatchPlanDropsWithdrawnRows(t *testing.T) {
	p := &batchPlan{maxBytes: 1 << 20}
	p.start()
	a, b, c := sized(1<<20), sized(1<<20), sized(1<<20)
	p.add(a)
	p.add(b)
	p.add(c)
	if !b.abandon() {
		t.Fatal("a queued row could not be withdrawn")
	}
	p.start()
	if len(p.jobs) != 1 || p.jobs[0] != c || len(p.held) != 0 {
		t.Errorf("after withdrawing the held row: batch %d rows, held %d; want only the third", len(p.jobs), len(p.held))
	}
}

// A waiter whose deadline passes before the writer takes its row gets a 503
// and the row is never written, even once the writer gets to it.
func TestDeadlineBeforeTheTransactionWithdrawsTheRow(t *testing.T) {
	s := open(t)
	s.commitMu.Lock() // the writer is stuck in "a commit"
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	late := rec("/late", "{}")
	err := s.Insert(ctx, late)
	s.commitMu.Unlock()
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("insert past its deadline: %v, want ErrUnavailable", err)
	}
	if err := s.Insert(context.Background(), rec("/next", "{}")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), late.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("a row answered 503 is in the store (get: %v)", err)
	}
}

// A waiter whose deadline passes while its row is in a transaction waits for
// the transaction and reports what really happened: stored.
func TestDeadlineInsideTheTransactionWaitsForTheOutcome(t *testing.T) {
	s := open(t)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	s.inTx = func() { <-ctx.Done() }
	r := rec("/slow-commit", "{}")
	if err := s.Insert(ctx, r); err != nil {
		t.Fatalf("insert whose row was committed after its deadline: %v, want success", err)
	}
	if _, err := s.Get(context.Background(), r.ID); err != nil {
		t.Errorf("the row acknowledged is not in the store: %v", err)
	}
}

// A body whose hash matches an earlier capture's but whose bytes differ (a
// crafted collision of the stored 64 bits) is not marked as a re-send.
func TestDuplicateMarkNeedsTheSameBytes(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	first := rec("/first", `{"a":1}`)
	if err := s.Insert(ctx, first); err != nil {
		t.Fatal(err)
	}
	forged := rec("/forged", `{"a":2}`)
	// Make the writer believe forged's hash is first's: what a collision
	// in the stored bits would look like, once as a row loaded from the
	// store (64 bits known: the bytes are compared) and once as a row this
	// process stored (128 bits known: the second half differs).
	key, _ := idNumber(first.ID)
	_, firstTail := bodyHashes(first.Body)
	s.commitMu.Lock()
	s.dups.first[BodyHash(forged.Body)] = dupEntry{key: key}
	s.commitMu.Unlock()
	if err := s.Insert(ctx, forged); err != nil {
		t.Fatal(err)
	}
	forged2 := rec("/forged", `{"a":3}`)
	s.commitMu.Lock()
	s.dups.first[BodyHash(forged2.Body)] = dupEntry{key: key, tail: firstTail}
	s.commitMu.Unlock()
	if err := s.Insert(ctx, forged2); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, forged2.ID); got.Duplicate {
		t.Error("a body matching 64 bits but not the next 64 was marked a duplicate")
	}
	again := rec("/again", `{"a":1}`)
	if err := s.Insert(ctx, again); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, want string
	}{{forged.ID, ""}, {again.ID, first.ID}} {
		got, err := s.Get(ctx, c.id)
		if err != nil {
			t.Fatal(err)
		}
		if got.DuplicateOf != c.want || got.Duplicate != (c.want != "") {
			t.Errorf("%s: duplicate %v of %q, want of %q", got.Path, got.Duplicate, got.DuplicateOf, c.want)
		}
	}
}
