package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
)

func TestDeleteAndPruneCascade(t *testing.T) {
	ctx := context.Background()
	s, err := Open(filepath.Join(t.TempDir(), "h.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	base := time.Now().Add(-100 * time.Hour)
	var ids []string
	for i := range 1200 {
		r := &inspect.Record{ReceivedAt: base.Add(time.Duration(i) * time.Minute), Method: "POST", Path: "/",
			Body: []byte{byte(i), byte(i >> 8)}, Size: 2, Signature: signature.Verdict{Status: signature.Missing, SecretIndex: -1}}
		var owed []inspect.Owed
		if i%2 == 0 {
			owed = []inspect.Owed{{Sink: inspect.SinkForward, Target: "http://127.0.0.1:1/"}}
		}
		if err := s.Insert(ctx, r, owed...); err != nil {
			t.Fatal(err)
		}
		if err := s.AddAttempt(ctx, &inspect.Attempt{RequestID: r.ID, At: r.ReceivedAt, URL: "http://127.0.0.1:1/", Status: 200}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	count := func(table string) int {
		var n int
		s.r.QueryRow(`SELECT count(*) FROM ` + table).Scan(&n)
		return n
	}
	n, err := s.Delete(ctx, []string{ids[0], ids[1]})
	if err != nil || n != 2 {
		t.Fatalf("delete: %d %v", n, err)
	}
	if count("requests") != 1198 || count("attempts") != 1198 || count("outbox") != 599 {
		t.Errorf("after delete: %d requests, %d attempts, %d outbox rows", count("requests"), count("attempts"), count("outbox"))
	}
	// Older than: rows 2..599 are older than base+600m.
	n, err = s.Prune(ctx, base.Add(600*time.Minute), 0)
	if err != nil || n != 598 {
		t.Fatalf("prune by age: %d %v", n, err)
	}
	n, err = s.Prune(ctx, time.Time{}, 100)
	if err != nil || n != 500 {
		t.Fatalf("prune by count: %d %v", n, err)
	}
	all, _ := s.List(ctx, Query{})
	if len(all) != 100 || all[0].ID != ids[1199] || all[99].ID != ids[1100] {
		t.Errorf("kept %d, newest %s oldest %s", len(all), all[0].ID, all[len(all)-1].ID)
	}
	if count("attempts") != 100 || count("outbox") != 50 {
		t.Errorf("cascade: %d attempts, %d outbox rows", count("attempts"), count("outbox"))
	}
	if n, _ := s.Prune(ctx, time.Time{}, 100); n != 0 {
		t.Errorf("a second prune deleted %d", n)
	}
}
