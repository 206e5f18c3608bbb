package store

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
)

func benchRecord(i int) *inspect.Record {
	body := fmt.Sprintf(`{"event":"video.processed","n":%d,"pad":%q}`, i, strings.Repeat("x", 900))
	return &inspect.Record{ReceivedAt: time.Now(), Method: "POST", Path: "/webhooks", Body: []byte(body), Size: int64(len(body)),
		Headers:   []inspect.Header{{Name: "Host", Value: "127.0.0.1"}, {Name: "Content-Type", Value: "application/json"}, {Name: "X-VideoNest-Signature", Value: strings.Repeat("a", 64)}},
		Signature: signature.Verdict{Status: signature.Valid, Scheme: "videonest"}, Event: "video.processed"}
}

// BenchmarkInsertSingle commits one capture at a time: the idle case.
func BenchmarkInsertSingle(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := s.Insert(ctx, benchRecord(i)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(s.Stats().Rows)/float64(s.Stats().Commits), "rows/commit")
}

// BenchmarkInsertBatched has 64 captures in flight: group commit shares
// transactions between them.
func BenchmarkInsertBatched(b *testing.B) {
	s := open(b)
	b.ResetTimer()
	insertMany(b, s, 0, b.N, benchRecord)
	b.ReportMetric(float64(s.Stats().Rows)/float64(s.Stats().Commits), "rows/commit")
}

// BenchmarkOutboxDue asks for the due rows of a store with 16 pending
// deliveries, behind none and behind 20 000 delivered ones: the two
// should cost about the same, since a worker asks after every batch.
func BenchmarkOutboxDue(b *testing.B) {
	for _, delivered := range []int{0, 20000} {
		b.Run(fmt.Sprint("delivered=", delivered), func(b *testing.B) {
			s := open(b)
			ctx := context.Background()
			insertMany(b, s, 0, delivered+16, benchRecord, inspect.Owed{Sink: inspect.SinkPublish, Target: "nats://x"})
			if _, err := s.w.Exec(`UPDATE outbox SET state = 'delivered' WHERE id <= ?`, delivered); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rows, err := s.Due(ctx, time.Now(), 256, inspect.SinkPublish)
				if err != nil || len(rows) != 16 {
					b.Fatalf("due: %d rows, %v", len(rows), err)
				}
			}
		})
	}
}

// BenchmarkInsertOwed is BenchmarkInsertBatched for captures owed a
// delivery: the outbox row rides in the same transaction.
func BenchmarkInsertOwed(b *testing.B) {
	s := open(b)
	b.ResetTimer()
	insertMany(b, s, 0, b.N, benchRecord, inspect.Owed{Sink: inspect.SinkPublish, Target: "nats://team"})
	b.ReportMetric(float64(s.Stats().Rows)/float64(s.Stats().Commits), "rows/commit")
}
