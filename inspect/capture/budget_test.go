package capture

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
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
