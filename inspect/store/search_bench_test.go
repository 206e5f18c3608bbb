package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
)

// searchWords make bodies of varied text, so a search (or an index, in
// BenchmarkInsertSearchIndex) works as hard as on real payloads; padding
// of one repeated byte would flatter both.
var searchWords = strings.Fields(`video upload processed ready transcode thumbnail duration width height bitrate
 codec h264 aac stream playlist manifest segment rendition quality poster title description channel owner account
 region storage bucket object status pending complete error retry attempt webhook delivery signature timestamp
 label tag category language english french spanish subtitle audio track chapter marker progress percent`)

// searchRecord is capture i of a 100 000-row store: a body of about 1 KB,
// "Captions" in every tenth (common), "zanzibar" in capture 5 only (rare,
// and near the oldest end: a newest-first scan meets it last), a unique
// request id header.
func searchRecord(i int) *inspect.Record {
	rng := rand.New(rand.NewPCG(uint64(i), 1))
	var b strings.Builder
	fmt.Fprintf(&b, `{"event":"video.processed","id":"evt_%08d","data":{"video_id":"vid_%08d","text":"`, i, i)
	for b.Len() < 950 {
		b.WriteString(searchWords[rng.IntN(len(searchWords))])
		b.WriteByte(' ')
	}
	if i%10 == 0 {
		b.WriteString("Captions ")
	}
	if i == 5 {
		b.WriteString("zanzibar ")
	}
	b.WriteString(`"}}`)
	body := b.String()
	return &inspect.Record{ReceivedAt: time.Now(), Method: "POST", Path: "/webhooks", Body: []byte(body), Size: int64(len(body)),
		Headers: []inspect.Header{{Name: "Host", Value: "127.0.0.1"}, {Name: "Content-Type", Value: "application/json"},
			{Name: "X-Request-Id", Value: fmt.Sprintf("req-%08d", i)},
			{Name: "X-VideoNest-Signature", Value: fmt.Sprintf("%016x", rng.Uint64())}},
		Signature: signature.Verdict{Status: signature.Valid, Scheme: "videonest"}, Event: "video.processed"}
}

// insertConcurrently commits captures from..to-1 with 64 in flight, as a
// burst arrives.
func insertConcurrently(tb testing.TB, s *Store, from, to int) {
	insertMany(tb, s, from, to, searchRecord)
}

// insertMany commits records from..to-1, made by rec and owed owed, with
// 64 in flight.
func insertMany(tb testing.TB, s *Store, from, to int, rec func(int) *inspect.Record, owed ...inspect.Owed) {
	ctx := context.Background()
	var wg sync.WaitGroup
	work := make(chan int)
	for w := 0; w < 64; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				if err := s.Insert(ctx, rec(i), owed...); err != nil {
					tb.Error(err)
					return
				}
			}
		}()
	}
	for i := from; i < to; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
}

// BenchmarkSearch reads first pages from 100 000 captures of about 1 KB:
// `list --search` (20 rows), the TUI's filtered first page (100 rows and
// the count), `list --status 5xx`. Compare each with unfiltered/list, the
// same read without a filter, and unfiltered/count, a plain scan of every
// row, from the same run.
func BenchmarkSearch(b *testing.B) {
	const n = 100000
	s := open(b)
	insertConcurrently(b, s, 0, n)
	ctx := context.Background()
	// Every hundredth capture was forwarded and got a 500; the rest got 200
	// (every tenth) or were never forwarded.
	all, err := s.List(ctx, Query{Oldest: true})
	if err != nil || len(all) != n {
		b.Fatalf("%d rows, %v", len(all), err)
	}
	for i := 0; i < n; i += 10 {
		st := 200
		if i%100 == 0 {
			st = 500
		}
		s.QueueAttempt(&inspect.Attempt{RequestID: all[i].ID, At: time.Now(), URL: "http://127.0.0.1:1/h", Status: st}, nil)
	}
	if err := s.AddAttempt(ctx, &inspect.Attempt{RequestID: all[n-1].ID, At: time.Now(), URL: "http://127.0.0.1:1/h", Status: 200}); err != nil {
		b.Fatal(err)
	}
	fiveXX, _ := inspect.ParseStatusFilter("5xx")
	page := func(name string, q Query, count bool) {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				recs, err := s.List(ctx, q)
				if err != nil || len(recs) == 0 {
					b.Fatalf("%d rows, %v", len(recs), err)
				}
				if count && len(recs) == q.Limit { // as the TUI: a page not full is the count
					if _, err := s.Count(ctx, q); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
	// The floor of any scan: count(*) reads every page of the table.
	b.Run("unfiltered/count", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := s.Count(ctx, Query{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	page("unfiltered/list", Query{Limit: 20}, false)
	page("unfiltered/tui", Query{Limit: 100}, true)
	page("common/list", Query{Limit: 20, Text: "captions"}, false)
	page("common/tui", Query{Limit: 100, Text: "captions"}, true)
	page("rare/list", Query{Limit: 20, Text: "zanzibar"}, false)
	page("rare/tui", Query{Limit: 100, Text: "zanzibar"}, true)
	page("header/list", Query{Limit: 20, Text: "req-00000007"}, false)
	page("status5xx/list", Query{Limit: 20, Status: fiveXX}, false)
	page("status5xx/tui", Query{Limit: 100, Status: fiveXX}, true)
}

// BenchmarkInsertSearchIndex is capture throughput with the FTS5 indexes
// free-text search could have used, kept in the capture's transaction by
// a trigger, against none: what decided for scanning (search.go).
func BenchmarkInsertSearchIndex(b *testing.B) {
	const trigger = `CREATE TRIGGER search_ai AFTER INSERT ON requests BEGIN
 INSERT INTO search(rowid, t) VALUES (new.id, new.path || ' ' || CAST(new.headers AS TEXT) || ' ' || CAST(new.body AS TEXT));
END;`
	for _, c := range []struct{ name, ddl string }{
		{"none", ""},
		{"fts5-words", `CREATE VIRTUAL TABLE search USING fts5(t, content='', contentless_delete=1);` + trigger},
		{"fts5-trigram", `CREATE VIRTUAL TABLE search USING fts5(t, content='', contentless_delete=1, tokenize='trigram');` + trigger},
	} {
		b.Run(c.name, func(b *testing.B) {
			s := open(b)
			if c.ddl != "" {
				if _, err := s.w.Exec(c.ddl); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			insertConcurrently(b, s, 0, b.N)
		})
	}
}
