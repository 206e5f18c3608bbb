package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
)

func open(t testing.TB) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "sub", "h.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func rec(path string, body string) *inspect.Record {
	return &inspect.Record{ReceivedAt: time.Now(), Method: "POST", Path: path, Body: []byte(body), Size: int64(len(body)),
		Headers:   []inspect.Header{{Name: "X-B", Value: "1"}, {Name: "x-a", Value: "2"}, {Name: "X-B", Value: "3"}},
		Signature: signature.Verdict{Status: signature.Valid, Scheme: "videonest", SecretIndex: 1}, Event: "video.processed"}
}

func TestInsertGetRoundTrip(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r := rec("/a", "\x00\xff{binary")
	r.Query = "x=1"
	if err := s.Insert(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Body, r.Body) || got.Query != "x=1" || got.Signature != r.Signature || got.Event != r.Event {
		t.Errorf("got %+v", got)
	}
	if !got.ReceivedAt.Equal(r.ReceivedAt) {
		t.Errorf("time %v != %v (ns precision lost)", got.ReceivedAt, r.ReceivedAt)
	}
	if fmt.Sprint(got.Headers) != fmt.Sprint(r.Headers) {
		t.Errorf("headers %v != %v", got.Headers, r.Headers)
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fresh")
	s, err := Open(filepath.Join(dir, "h.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, _ := os.Stat(dir)
	if st.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", st.Mode().Perm())
	}
	st, _ = os.Stat(filepath.Join(dir, "h.db"))
	if st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", st.Mode().Perm())
	}
}

func TestGroupCommitBatchesConcurrentInserts(t *testing.T) {
	s := open(t)
	const n = 2000
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- s.Insert(context.Background(), rec(fmt.Sprintf("/%d", i), "{}"))
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Rows != n {
		t.Fatalf("rows %d", st.Rows)
	}
	if st.Commits >= n/2 {
		t.Errorf("%d commits for %d concurrent rows: not batching", st.Commits, n)
	}
	c, _ := s.Count(context.Background(), Query{})
	if c != n {
		t.Errorf("count %d", c)
	}
	t.Logf("%d rows in %d commits", st.Rows, st.Commits)
}

func TestListPagingAndFilters(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	var ids []string
	for i := 0; i < 10; i++ {
		r := rec(fmt.Sprintf("/p%d", i), fmt.Sprintf(`{"n":%d}`, i%3))
		if i%2 == 1 {
			r.Event = "distribution.failed"
			r.Signature.Status = signature.Invalid
		}
		if err := s.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	page, _ := s.List(ctx, Query{Limit: 3})
	if len(page) != 3 || page[0].ID != ids[9] {
		t.Fatalf("first page %v", page)
	}
	next, _ := s.List(ctx, Query{Limit: 3, Before: page[2].ID})
	if next[0].ID != ids[6] {
		t.Errorf("second page starts at %s, want %s", next[0].ID, ids[6])
	}
	f, _ := s.List(ctx, Query{Event: "distribution.*", Signature: signature.Invalid})
	if len(f) != 5 {
		t.Errorf("filtered %d", len(f))
	}
	// Same body as an earlier request: marked duplicate.
	all, _ := s.List(ctx, Query{Oldest: true})
	dups := 0
	for i, r := range all {
		if r.Duplicate {
			dups++
			// Bodies cycle through three: the first of each is ids[i%3].
			if r.DuplicateOf != ids[i%3] {
				t.Errorf("%s: duplicate of %q, want %s", r.ID, r.DuplicateOf, ids[i%3])
			}
		}
	}
	if all[0].Duplicate || dups != 7 {
		t.Errorf("duplicates %d (first %v)", dups, all[0].Duplicate)
	}
}

func TestAttempts(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	r := rec("/a", "{}")
	s.Insert(ctx, r)
	for i, st := range []int{0, 500, 200} {
		a := &inspect.Attempt{RequestID: r.ID, At: time.Now(), URL: "http://127.0.0.1:3000/a", Status: st,
			Latency: time.Duration(i+1) * time.Millisecond, Replay: i > 0, RespBody: []byte("ok"),
			RespHeaders: []inspect.Header{{Name: "Content-Type", Value: "text/plain"}}}
		if st == 0 {
			a.Error = "connection refused"
		}
		if err := s.AddAttempt(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	atts, _ := s.Attempts(ctx, r.ID)
	if len(atts) != 3 || atts[0].Error != "connection refused" || !atts[2].Replay || atts[2].Latency != 3*time.Millisecond {
		t.Errorf("%+v", atts)
	}
	got, _ := s.List(ctx, Query{})
	if !got[0].Forwarded || got[0].ForwardStatus != 200 {
		t.Errorf("latest forward %+v", got[0])
	}
	u, _ := s.LastTarget(ctx, r.ID)
	if u != "http://127.0.0.1:3000/a" {
		t.Errorf("last target %q", u)
	}
}

func TestResolve(t *testing.T) {
	s := open(t)
	ctx := context.Background()
	a, b := rec("/a", "1"), rec("/b", "2")
	a.ID, b.ID = "0aaaaaaaa001", "0aaaaaaaa002"
	s.Insert(ctx, a)
	s.Insert(ctx, b)
	if id, err := s.Resolve(ctx, "0AAAAAAAA001"); err != nil || id != a.ID {
		t.Errorf("full id: %q %v", id, err)
	}
	if id, err := s.Resolve(ctx, "0aaaaaaaa0O2"); err != nil || id != b.ID {
		t.Errorf("o for 0: %q %v", id, err)
	}
	if _, err := s.Resolve(ctx, "0aaa"); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("ambiguous: %v", err)
	}
	if _, err := s.Resolve(ctx, "zz"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown: %v", err)
	}
	if _, err := s.Resolve(ctx, "a!"); !errors.Is(err, ErrNotFound) {
		t.Errorf("garbage: %v", err)
	}
}

func TestForeignFilesAreRefusedAndUntouched(t *testing.T) {
	dir := t.TempDir()
	text := filepath.Join(dir, "notes.txt")
	os.WriteFile(text, []byte("my precious notes\n"), 0o644)
	if _, err := Open(text, Options{}); err == nil {
		t.Error("opened a text file as a store")
	}
	if b, _ := os.ReadFile(text); string(b) != "my precious notes\n" {
		t.Error("text file changed")
	}

	other := filepath.Join(dir, "other.db")
	db, _ := sql.Open("sqlite", other)
	if _, err := db.Exec("CREATE TABLE customers(name TEXT); INSERT INTO customers VALUES ('ann')"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	before, _ := os.ReadFile(other)
	if _, err := Open(other, Options{}); err == nil {
		t.Error("opened another program's database")
	}
	after, _ := os.ReadFile(other)
	if !bytes.Equal(before, after) {
		t.Error("foreign database was modified")
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	p := filepath.Join(t.TempDir(), "h.db")
	s, err := Open(p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.w.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion+1))
	s.Close()
	if _, err := Open(p, Options{}); err == nil {
		t.Error("opened a store from a newer hookscope")
	}
}

func TestIDsMonotonic(t *testing.T) {
	var g IDGen
	now := time.Now()
	prev := ""
	for i := 0; i < 100000; i++ {
		id := g.Next(now) // the same millisecond every time
		if id <= prev || len(id) != idLen {
			t.Fatalf("id %q after %q", id, prev)
		}
		prev = id
	}
	if ts, ok := IDTime(prev); !ok || ts.Before(now.Add(-time.Second)) {
		t.Errorf("IDTime %v", ts)
	}
}

func FuzzHeaders(f *testing.F) {
	f.Add("X-A", "1", "b", "")
	f.Add("", "\x00\n\r", "\xff", "long value")
	f.Fuzz(func(t *testing.T, n1, v1, n2, v2 string) {
		hs := []inspect.Header{{Name: n1, Value: v1}, {Name: n2, Value: v2}}
		got, err := DecodeHeaders(EncodeHeaders(hs))
		if err != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", hs) {
			t.Fatalf("round trip %q -> %q (%v)", hs, got, err)
		}
		DecodeHeaders([]byte(n1 + v1)) // arbitrary bytes never panic
	})
}

func FuzzNormalizePrefix(f *testing.F) {
	f.Add("0k3m")
	f.Add("OIL")
	f.Add("ü!")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := NormalizePrefix(s)
		if err != nil {
			return
		}
		for i := 0; i < len(p); i++ {
			if !bytes.ContainsRune([]byte(idAlphabet), rune(p[i])) {
				t.Fatalf("%q normalised to %q", s, p)
			}
		}
	})
}

// Under continuous inserts a background checkpoint never reaches the WAL's
// end by itself; the checkpointer must still get the WAL started over,
// holding the writer only for the last frames. The writer's own backstop
// checkpoint is off here, so only the checkpointer can do it.
func TestWALStartsOverUnderContinuousLoad(t *testing.T) {
	for _, c := range []struct {
		name    string
		restart int
		want    bool
	}{{"checkpointer", 200, true}, {"control: restarts disabled", 1 << 30, false}} {
		t.Run(c.name, func(t *testing.T) {
			s := open(t)
			s.ckRestart, s.ckFinish = c.restart, 20
			if _, err := s.w.Exec(`PRAGMA wal_autocheckpoint = 0`); err != nil {
				t.Fatal(err)
			}
			drops, maxLog := walUnderLoad(t, s, 2*time.Second)
			t.Logf("WAL started over %d times, at most %d frames", drops, maxLog)
			if c.want && drops < 2 {
				t.Errorf("the WAL was started over %d times in 2 s of inserts (grew to %d frames)", drops, maxLog)
			}
			if !c.want && drops > 0 {
				t.Errorf("the WAL was started over %d times with restarts disabled: this test cannot tell", drops)
			}
		})
	}
}

// walUnderLoad inserts from 8 goroutines for d and counts the times the
// WAL's frame count went down, which only a restart does.
func walUnderLoad(t *testing.T, s *Store, d time.Duration) (drops, maxLog int) {
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.Insert(ctx, rec("/load", fmt.Sprintf(`{"w":%d,"i":%d,"pad":"%0900d"}`, w, i, 0))); err != nil {
					t.Error(err)
					return
				}
			}
		}(w)
	}
	last := 0
	for end := time.Now().Add(d); time.Now().Before(end); {
		time.Sleep(10 * time.Millisecond)
		log := walFrames(t, s.Path())
		if log < last {
			drops++
		}
		last, maxLog = log, max(maxLog, log)
	}
	close(stop)
	wg.Wait()
	n, err := s.Count(ctx, Query{})
	if rows := s.Stats().Rows; err != nil || int64(n) != rows {
		t.Errorf("%d rows readable, %d committed (%v)", n, rows, err)
	}
	return drops, maxLog
}

// walFrames reads the WAL's frame count (mxFrame) from the WAL index in the
// -shm file: asking SQLite (PRAGMA wal_checkpoint) would checkpoint, and
// could itself start the WAL over.
func walFrames(t *testing.T, db string) int {
	f, err := os.Open(db + "-shm")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var hdr [20]byte
	if _, err := f.ReadAt(hdr[:], 0); err != nil {
		t.Fatal(err)
	}
	return int(binary.NativeEndian.Uint32(hdr[16:20]))
}

// Two processes sharing a store whose id generators happen to agree: the
// second one's ids are taken, and it retries with later ones instead of
// refusing the webhooks.
func TestIDClashAcrossStoresIsRetried(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	a, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	at := time.Now()
	ctx := context.Background()
	var first []string
	for i := 0; i < 5; i++ {
		r := rec(fmt.Sprintf("/a/%d", i), "{}")
		r.ReceivedAt = at
		if err := a.Insert(ctx, r); err != nil {
			t.Fatal(err)
		}
		first = append(first, r.ID)
	}
	// b starts where a started, so its next five ids are a's.
	b.ids.mu.Lock()
	k, _ := idNumber(first[0])
	b.ids.lastMS, b.ids.seq = k>>idSeqBits, uint32(k&(1<<idSeqBits-1))-1
	b.ids.mu.Unlock()
	if got := b.NewID(at); got != first[0] {
		t.Fatalf("test setup: b's next id %s, want a's first %s", got, first[0])
	}
	b.ids.mu.Lock()
	b.ids.seq--
	b.ids.mu.Unlock()
	seen := map[string]bool{}
	for _, id := range first {
		seen[id] = true
	}
	for i := 0; i < 5; i++ {
		r := rec(fmt.Sprintf("/b/%d", i), "{}")
		r.ReceivedAt = at
		if err := b.Insert(ctx, r); err != nil {
			t.Fatalf("insert %d whose id was taken by the other store: %v, want a retry with another id", i, err)
		}
		if seen[r.ID] {
			t.Fatalf("insert %d reports id %s, which is the other store's row", i, r.ID)
		}
		seen[r.ID] = true
		got, err := b.Get(ctx, r.ID)
		if err != nil || got.Path != r.Path {
			t.Fatalf("id %s reported for /b/%d holds %v (%v)", r.ID, i, got, err)
		}
		if tm, _ := IDTime(r.ID); tm.Before(at.Truncate(time.Millisecond)) {
			t.Errorf("retried id %s sorts before its arrival", r.ID)
		}
	}
}
