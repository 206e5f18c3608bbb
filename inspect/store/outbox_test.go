package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
)

// TestDueAndFinishDeliveries: due rows come oldest first and only for the
// sinks asked for; a batch finished together leaves only the rest due, and
// each row says how it went.
func TestDueAndFinishDeliveries(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	var ids []string
	for i := 0; i < 4; i++ {
		r := rec("/webhooks", fmt.Sprintf(`{"n":%d}`, i))
		if err := s.Insert(ctx, r, inspect.Owed{Sink: inspect.SinkPublish, Target: "nats://team"},
			inspect.Owed{Sink: inspect.SinkForward, Target: "http://127.0.0.1:3000"}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	due, err := s.Due(ctx, time.Now(), 10, inspect.SinkPublish)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 4 {
		t.Fatalf("%d publish rows due, want 4", len(due))
	}
	for i, d := range due {
		if d.RequestID != ids[i] || d.Sink != inspect.SinkPublish {
			t.Fatalf("due row %d is %+v, want the publish of %s", i, d, ids[i])
		}
	}
	var fin []*inspect.Delivery
	for _, d := range due[:3] {
		d.Tries, d.State, d.DoneAt, d.LastStatus = 1, inspect.Delivered, time.Now(), 200
		fin = append(fin, &d)
	}
	if err := s.FinishDeliveries(ctx, fin); err != nil {
		t.Fatal(err)
	}
	due, err = s.Due(ctx, time.Now(), 10, inspect.SinkPublish)
	if err != nil || len(due) != 1 || due[0].RequestID != ids[3] {
		t.Fatalf("after finishing three, due: %+v (%v)", due, err)
	}
	if n, _ := s.Pending(ctx, inspect.SinkForward); n != 4 {
		t.Errorf("%d forwards pending, want all 4: finishing publishes touched them", n)
	}
	ds, err := s.Deliveries(ctx, ids[0])
	if err != nil || len(ds) != 2 {
		t.Fatalf("deliveries of %s: %+v (%v)", ids[0], ds, err)
	}
	if ds[0].State != inspect.Delivered || ds[0].Tries != 1 || ds[0].LastStatus != 200 {
		t.Errorf("finished publish reads %+v", ds[0])
	}
}
