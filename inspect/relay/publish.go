package relay

import (
	"context"
	"errors"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookscope/hookscope/inspect"
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
func (r *Relay) publishBatch(ctx context.Context, js jetstream.JetStream) (int, error) {
	rows, err := r.o.Store.Due(ctx, time.Now().Add(time.Hour), publishWindow, inspect.SinkPublish)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	type sent struct {
		row inspect.Delivery
		fut jetstream.PubAckFuture
	}
	var out []sent
	var firstErr error
	var gone []inspect.Delivery
	for _, row := range rows {
		rec := r.committed(row.RequestID)
		if rec == nil {
			rec, err = r.o.Store.Get(ctx, row.RequestID)
			if errors.Is(err, store.ErrNotFound) {
				gone = append(gone, row)
				continue
			}
			if err != nil {
				firstErr = err
				break
			}
		}
		fut, err := js.PublishMsgAsync(encode(r.o.Channel, r.o.Instance, rec), jetstream.WithMsgID(rec.ID))
		if err != nil {
			firstErr = err
			break
		}
		out = append(out, sent{row, fut})
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
	fin := make([]*inspect.Delivery, 0, len(done)+len(gone))
	finish := func(row inspect.Delivery, state inspect.DeliveryState, status int, why string) {
		row.Tries++
		row.State, row.DoneAt, row.LastStatus, row.LastError = state, now, status, why
		fin = append(fin, &row)
	}
	for _, row := range done {
		finish(row, inspect.Delivered, 200, "")
	}
	for _, row := range gone {
		finish(row, inspect.Undelivered, 0, "the request was deleted from the store")
	}
	// Should this fail, the rows go again and the stream drops them by
	// Nats-Msg-Id.
	r.o.Store.FinishDeliveries(context.WithoutCancel(ctx), fin)
	if firstErr != nil {
		r.unreachable(firstErr)
	}
	return len(done), firstErr
}
