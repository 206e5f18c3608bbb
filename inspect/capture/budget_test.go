package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"
)

// A body of exactly 64 KiB is of webhook size: it may use the reserve that
// large bodies leave alone, declared or chunked (README: "Bodies of webhook
// size (64 KiB or less) have a reserve of their own"). It took 1 byte more
// than 64 KiB to read the end of it, and that byte made it a large one.
func TestA64KiBBodyUsesTheReserve(t *testing.T) {
	for _, declared := range []bool{true, false} {
		e := New(Config{BodyBudget: 1 << 20, MaxBody: 1 << 20})
		// Large bodies hold everything but the reserve.
		large := e.budget.free - e.budget.reserve
		if !e.budget.acquire(context.Background(), large, 1<<20, 0) {
			t.Fatal("cannot take the budget")
		}
		body := bytes.Repeat([]byte{'x'}, smallBody)
		n := int64(-1)
		if declared {
			n = int64(len(body))
		}
		got, held, tooBig, err := e.readBody(context.Background(), onlyReader{bytes.NewReader(body)}, n, 1<<20)
		if errors.Is(err, errNoRoom) || tooBig || err != nil || !bytes.Equal(got, body) {
			t.Errorf("declared %v: a 64 KiB body with the reserve free: %d bytes, too big %v, %v", declared, len(got), tooBig, err)
		}
		if held > smallBody+1 {
			t.Errorf("declared %v: a 64 KiB body held %d bytes of the budget", declared, held)
		}
		e.budget.release(held)
		e.budget.release(large)
	}
}

// onlyReader hides bytes.Reader's WriterTo, as a request body does.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }

// A body that declares more than 64 KiB is a large one from its first
// byte: growing through 4, 8 … 64 KiB it must not take the reserve kept
// for webhook-sized bodies. Senders that declare 1 MiB and stall after
// 64 KiB took it all, and a 1 KiB webhook then got 503.
func TestDeclaredLargeBodiesLeaveTheReserve(t *testing.T) {
	e := New(Config{BodyBudget: 1 << 20, MaxBody: 1 << 20})
	large := e.budget.free - e.budget.reserve
	if !e.budget.acquire(context.Background(), large, 1<<20, 0) {
		t.Fatal("cannot take the budget")
	}
	defer e.budget.release(large)
	stall := make(chan struct{})
	defer close(stall)
	done := make(chan int64, 4)
	for range 4 { // 4 × 64 KiB: twice the 128 KiB reserve
		go func() {
			rd := io.MultiReader(bytes.NewReader(bytes.Repeat([]byte{'a'}, smallBody)), stalled(stall))
			_, held, _, _ := e.readBody(context.Background(), onlyReader{rd}, 1<<20, 1<<20)
			done <- held
		}()
	}
	time.Sleep(200 * time.Millisecond) // the stalled senders have what they could take
	body := bytes.Repeat([]byte{'w'}, 1<<10)
	got, held, _, err := e.readBody(context.Background(), onlyReader{bytes.NewReader(body)}, int64(len(body)), 1<<20)
	e.budget.release(held)
	if err != nil || !bytes.Equal(got, body) {
		t.Errorf("a 1 KiB webhook beside senders stalled after 64 KiB of a declared 1 MiB: %v", err)
	}
}

// stalled is a reader that gives nothing until stop closes.
type stalled chan struct{}

func (s stalled) Read(p []byte) (int, error) {
	<-s
	return 0, io.ErrUnexpectedEOF
}
