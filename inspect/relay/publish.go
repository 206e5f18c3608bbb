package relay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/store"
)

// publishWindow is how many publishes wait for their acknowledgement at
// once: one round trip carries a burst, and since they leave in order on
// one connection the stream holds them in arrival order.
const publishWindow = 256

// retryWait is the pause after a failed publish. NATS outages are not a
// handler's bad answer: the relay retries for as long as it runs, and a
// reconnect wakes it at once.
const retryWait = 250 * time.Millisecond

// publishLoop works off the outbox's publish rows, oldest first, until ctx
// ends. It is the only worker for them: the Deliverer leaves rows of sinks
// it does not run alone.
func (r *Relay) publishLoop(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) {
	var stream bool
	for {
		wait := time.Second
		if nc.IsConnected() {
			if !stream {
				_, err := r.ensureStream(ctx, js)
				r.refused(err)
				stream = err == nil
			}
			if stream {
				n, err := r.publishBatch(ctx, js)
				switch {
				case err != nil:
					wait = retryWait
					if errors.Is(err, jetstream.ErrNoStreamResponse) {
						stream = false // deleted under us: create it again
					}
				case n > 0:
					continue // more may be due
				}
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-r.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// publishBatch publishes up to publishWindow due rows and marks those the
// server acknowledged as delivered. It returns how many were delivered, and
// the first failure (the rows from it on stay pending, to go out in order).
// A row that can never be published (deleted meanwhile, or larger than
// the server or the stream takes) is given up with the reason, so it does
// not hold back every capture after it.
func (r *Relay) publishBatch(ctx context.Context, js jetstream.JetStream) (int, error) {
	rows, err := r.o.Store.Due(ctx, time.Now().Add(time.Hour), publishWindow, inspect.SinkPublish)
	if err != nil || len(rows) == 0 {
		if err == nil {
			r.published(nil) // nothing waits: nothing is failing
		}
		return 0, err
	}
	type sent struct {
		row inspect.Delivery
		msg *nats.Msg
		fut jetstream.PubAckFuture
	}
	var out []sent
	var firstErr error
	type refusal struct {
		row      inspect.Delivery
		why      string
		tooLarge bool
	}
	var refused []refusal
	for _, row := range rows {
		rec := r.committed(row.RequestID)
		if rec == nil {
			rec, err = r.o.Store.Get(ctx, row.RequestID)
			if errors.Is(err, store.ErrNotFound) {
				refused = append(refused, refusal{row, "the request was deleted from the store", false})
				continue
			}
			if err != nil {
				firstErr = err
				break
			}
		}
		m := encode(r.o.Channel, r.o.Instance, rec)
		fut, err := js.PublishMsgAsync(m, jetstream.WithMsgID(rec.ID))
		if errors.Is(err, nats.ErrMaxPayload) {
			refused = append(refused, refusal{row, fmt.Sprintf("not published: %s with its headers is over the NATS server's max_payload of %s (raise max_payload in the server's configuration, up to 64 MiB)",
				payload.HumanSize(int64(msgSize(m))), payload.HumanSize(js.Conn().MaxPayload())), true})
			continue
		}
		if err != nil {
			firstErr = err
			break
		}
		out = append(out, sent{row, m, fut})
	}
	var done []inspect.Delivery
	for _, s := range out {
		var err error
		select {
		case <-s.fut.Ok():
		case err = <-s.fut.Err():
		case <-ctx.Done():
			err = ctx.Err()
		}
		if errors.Is(err, jetstream.ErrStreamMessageExceedsMaximum) {
			refused = append(refused, refusal{s.row, fmt.Sprintf("not published: the stream %s refuses a message of %s (its max_msg_size)",
				r.o.Stream, payload.HumanSize(int64(msgSize(s.msg)))), true})
			continue
		}
		if err != nil {
			// The server may still have stored some after this one: they
			// go again, and the stream drops them by Nats-Msg-Id.
			if firstErr == nil {
				firstErr = err
			}
			break
		}
		done = append(done, s.row)
	}
	now := time.Now()
	fin := make([]*inspect.Delivery, 0, len(done)+len(refused))
	finish := func(row inspect.Delivery, state inspect.DeliveryState, status int, why string) {
		row.Tries++
		row.State, row.DoneAt, row.LastStatus, row.LastError = state, now, status, why
		fin = append(fin, &row)
	}
	for _, row := range done {
		finish(row, inspect.Delivered, 200, "")
	}
	tooLarge := 0
	for _, x := range refused {
		finish(x.row, inspect.Undelivered, 0, x.why)
		if x.tooLarge {
			tooLarge++
		}
	}
	if tooLarge > 0 {
		r.mu.Lock()
		r.tooLarge += tooLarge
		r.mu.Unlock()
		r.poke()
	}
	// Should this fail, the rows go again and the stream drops them by
	// Nats-Msg-Id.
	r.o.Store.FinishDeliveries(context.WithoutCancel(ctx), fin)
	r.published(firstErr)
	return len(done), firstErr
}

// msgSize is what a message weighs against the server's max_payload: its
// body and its header block.
func msgSize(m *nats.Msg) int {
	n := len(m.Data)
	for k, vs := range m.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 4 // "k: v\r\n"
		}
	}
	return n + 12 // "NATS/1.0\r\n" and the closing "\r\n"
}
