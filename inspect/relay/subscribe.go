package relay

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
)

// storing bounds the messages being stored at once: enough for the store's
// writer to commit many in one transaction, few enough that a redelivery
// after a crash is small.
const storing = 128

// AckWait is how long the server waits for a message's ack before it sends
// it again: a subscriber killed mid-commit gets its message back after it.
const AckWait = 10 * time.Second

// subscribeLoop stores the channel's messages until ctx ends, starting over
// whenever the consumer or the stream goes away.
func (r *Relay) subscribeLoop(ctx context.Context, nc *nats.Conn, js jetstream.JetStream) {
	for ctx.Err() == nil {
		if nc.IsConnected() {
			if err := r.consume(ctx, js); err != nil && ctx.Err() == nil {
				r.unreachable(err)
			}
		}
		t := time.NewTimer(retryWait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
}

// consumer opens the durable consumer, creating it when missing. An
// existing consumer keeps its place: --since only says where a new one
// starts.
func (r *Relay) consumer(ctx context.Context, js jetstream.JetStream) (jetstream.Consumer, error) {
	s, err := r.ensureStream(ctx, js)
	if err != nil {
		return nil, err
	}
	filter := "hookscope." + token(r.o.Channel) + ".>"
	c, err := s.Consumer(ctx, r.o.Consumer)
	if err == nil {
		// A new --channel for the same consumer: follow it from where the
		// consumer stands, rather than silently read the old channel.
		if cfg := c.CachedInfo().Config; cfg.FilterSubject != filter {
			cfg.FilterSubject = filter
			return s.UpdateConsumer(ctx, cfg)
		}
		return c, nil
	}
	if !errors.Is(err, jetstream.ErrConsumerNotFound) {
		return nil, err
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       r.o.Consumer,
		Description:   "hookscope team relay subscriber",
		FilterSubject: filter,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       AckWait,
		MaxAckPending: 4 * storing,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	if r.o.Since > 0 {
		start := time.Now().Add(-r.o.Since)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
	}
	return s.CreateOrUpdateConsumer(ctx, cfg)
}

func (r *Relay) consume(ctx context.Context, js jetstream.JetStream) error {
	c, err := r.consumer(ctx, js)
	if nc := js.Conn(); nc.IsConnected() {
		r.refused(err) // only a connected server can refuse
	}
	if err != nil {
		return err
	}
	it, err := c.Messages(jetstream.PullMaxMessages(storing))
	if err != nil {
		return err
	}
	defer giveBack(js.Conn(), it)
	r.setConsumer(c)
	defer r.setConsumer(nil)
	r.poke() // say how far behind it starts
	sem := make(chan struct{}, storing)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return err
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			msg.Nak() // pulled, not stored: the next start takes it at once
			return nil
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			r.store(ctx, msg)
		}()
	}
}

// giveBack stops the subscription and hands the messages it had pulled
// but not stored back to the server, so the next start (or another
// subscriber on the same consumer) gets them at once instead of after
// AckWait.
func giveBack(nc *nats.Conn, it jetstream.MessagesContext) {
	if !nc.IsConnected() {
		it.Stop() // nobody to give them to: they come back after AckWait
		return
	}
	it.Drain()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for {
		msg, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			return
		}
		msg.Nak()
	}
}

// store keeps one message in the local store, acknowledging it only once
// it is committed (or already there).
func (r *Relay) store(ctx context.Context, msg jetstream.Msg) {
	h := msg.Headers()
	if h.Get(hdrInstance) == r.o.Instance {
		msg.Ack() // this process published it: it is in the store already
		return
	}
	id := h.Get(jetstream.MsgIDHeader)
	rec, _, err := decode(id, h, msg.Data())
	if err != nil {
		msg.Term() // no hookscope sent this: never stored, never sent again
		return
	}
	judge(rec, r.o.Schemes, r.o.Provider, r.o.Secrets)
	var owed []inspect.Owed
	if r.o.Owed != nil {
		owed = r.o.Owed(rec)
	}
	if err := r.o.Store.Insert(ctx, rec, owed...); err != nil {
		if _, gerr := r.o.Store.Get(ctx, id); gerr == nil {
			// Already here (the id is the row's key): a redelivery, a
			// second subscription, or this store's own capture.
			msg.Ack()
			return
		}
		if ctx.Err() != nil {
			msg.Nak() // stopping: the next start takes it at once
			return
		}
		msg.NakWithDelay(time.Second) // the store is busy: try again soon
		return
	}
	msg.Ack()
	if len(owed) > 0 && r.o.Wake != nil {
		r.o.Wake()
	}
	if r.o.Bus != nil {
		r.o.Bus.Publish(inspect.Event{Type: inspect.Captured, Record: rec})
	}
}

// judge gives a relayed capture the verdict this machine's secrets give
// it, as the capture engine does: nothing judged elsewhere is trusted.
func judge(rec *inspect.Record, schemes []signature.Scheme, provider string, secrets []string) {
	if schemes == nil {
		schemes = signature.Default()
	}
	hdr := make(http.Header, len(rec.Headers))
	for _, h := range rec.Headers {
		hdr.Add(h.Name, h.Value)
	}
	rec.Signature = signature.Judge(schemes, provider, hdr, rec.Body, secrets)
	rec.Event = payload.Decode(rec.Body).Event
}
