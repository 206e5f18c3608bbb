// Command seed fills a hookscope store with N captured webhooks, straight
// through the store package (store.Open + concurrent Insert, so group
// commit batches them) rather than over HTTP: 100 000 rows in seconds. Rows
// look like real captures: 1 KB signed VideoNest bodies, distinct per row,
// five event types, mostly valid signatures, and a forward attempt on every
// fourth row so list's attempt lookups have something to find.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
)

var events = []string{"video.processed", "video.published", "video.failed", "distribution.completed", "distribution.failed"}

func main() {
	db := flag.String("db", "", "store file to create or extend")
	n := flag.Int("n", 100000, "rows to insert")
	workers := flag.Int("workers", 64, "concurrent inserters")
	secret := flag.String("secret", "k", "signing secret for the bodies")
	flag.Parse()
	if *db == "" || *n <= 0 || *workers <= 0 {
		log.Fatal("usage: seed -db PATH [-n 100000] [-workers 64]")
	}
	st, err := store.Open(*db, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	start := time.Now()
	base := start.Add(-time.Duration(*n) * 10 * time.Millisecond)
	var next atomic.Int64
	var failed atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= *n {
					return
				}
				rec := record(i, base.Add(time.Duration(i)*10*time.Millisecond), *secret)
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				err := st.Insert(ctx, rec)
				if err == nil && i%4 == 0 {
					err = st.AddAttempt(ctx, &inspect.Attempt{RequestID: rec.ID, At: rec.ReceivedAt,
						URL: "http://127.0.0.1:3000" + rec.Path, Status: 200, Latency: 800 * time.Microsecond,
						RespHeaders: []inspect.Header{{Name: "Content-Type", Value: "application/json"}},
						RespBody:    []byte(`{"received":true}` + "\n")})
				}
				cancel()
				if err != nil && failed.Add(1) <= 3 {
					log.Printf("row %d: %v", i, err)
				}
			}
		}()
	}
	wg.Wait()
	stats := st.Stats()
	if err := st.Close(); err != nil {
		log.Fatal(err)
	}
	if f := failed.Load(); f > 0 {
		log.Fatalf("%d of %d rows failed", f, *n)
	}
	fmt.Printf("seeded %d rows (+%d attempts) in %s: %d commits\n", *n, (*n+3)/4,
		time.Since(start).Round(time.Millisecond), stats.Commits)
}

// record builds row i as the capture engine would have: same verdict and
// envelope code, a 1 KB body that differs per row.
func record(i int, at time.Time, secret string) *inspect.Record {
	ev := events[i%len(events)]
	head := fmt.Sprintf(`{"event":%q,"timestamp":%q,"data":{"id":"vid_%08d","title":"Seeded video %d","status":"ready","duration":%d,"channel_id":"ch_abc123","description":"`,
		ev, at.UTC().Format(time.RFC3339), i, i, 30+i%600)
	const tail = `"}}`
	pad := 1024 - len(head) - len(tail)
	body := []byte(head + strings.Repeat("x", max(pad, 0)) + tail)

	sig := signature.VideoNest{}.Compute(body, secret)
	switch i % 20 {
	case 7:
		sig = strings.Repeat("0", 64) // invalid
	case 13:
		sig = "" // missing
	}
	hs := []inspect.Header{
		{Name: "Host", Value: "127.0.0.1:7717"},
		{Name: "User-Agent", Value: "VideoNest-Webhooks/1.0"},
		{Name: "Content-Length", Value: fmt.Sprint(len(body))},
		{Name: "Content-Type", Value: "application/json"},
	}
	h := http.Header{"Content-Type": {"application/json"}}
	if sig != "" {
		hs = append(hs, inspect.Header{Name: "X-VideoNest-Signature", Value: sig})
		h.Set(signature.VideoNestHeader, sig)
	}
	return &inspect.Record{
		ReceivedAt: at,
		Method:     "POST",
		Path:       fmt.Sprintf("/webhooks/%d", i),
		Proto:      "HTTP/1.1",
		Host:       "127.0.0.1:7717",
		RemoteAddr: "127.0.0.1:50000",
		Headers:    hs,
		Body:       body,
		Size:       int64(len(body)),
		Event:      payload.Decode(body).Event,
		Signature:  signature.Judge(signature.Default(), "", h, body, []string{secret}),
	}
}
