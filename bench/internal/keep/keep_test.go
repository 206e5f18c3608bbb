package keep

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// An anchor that dropped rows would measure less than the store costs and
// make hookscope's ratio to it look worse than it is, or, if it answered
// before keeping, flatter the store: every acknowledged request must be there.
func keepConcurrently(t *testing.T, spec string, n int) {
	t.Helper()
	k, err := Open(spec)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, _ := http.NewRequest("POST", "http://127.0.0.1/webhooks", nil)
			r.Header.Set("X-VideoNest-Signature", "ab")
			body := fmt.Appendf(nil, `{"n":%d}`, i)
			ref, err := k.Request(r, body)
			if err != nil {
				errs <- err
				return
			}
			k.Attempt(ref, 200, http.Header{"Content-Type": {"application/json"}}, []byte(`{"ok":true}`))
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if err := k.Close(); err != nil {
		t.Fatal(err)
	}
}

// hookscope's store and the plain anchor name their tables alike.
func TestSQLiteAndStoreKeepEveryRequestAndAnswer(t *testing.T) {
	for _, mode := range []string{"sqlite", "store"} {
		t.Run(mode, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "anchor.db")
			keepConcurrently(t, mode+":"+path, 300)
			db, err := sql.Open("sqlite", path)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var reqs, distinct, atts, orphans int
			if err := db.QueryRow(`SELECT count(*), count(DISTINCT body) FROM requests`).Scan(&reqs, &distinct); err != nil {
				t.Fatal(err)
			}
			if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE request_id NOT IN (SELECT id FROM requests)) FROM attempts`).Scan(&atts, &orphans); err != nil {
				t.Fatal(err)
			}
			if reqs != 300 || distinct != 300 || atts != 300 || orphans != 0 {
				t.Fatalf("kept %d requests (%d distinct bodies) and %d attempts (%d orphaned); want 300, 300, 300, 0", reqs, distinct, atts, orphans)
			}
		})
	}
}

func TestLogKeepsEveryRequestAndAnswer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "anchor.log")
	keepConcurrently(t, "log:"+path, 300)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[byte]int{}
	rd := bytes.NewReader(b)
	for rd.Len() > 0 {
		kind, _ := rd.ReadByte()
		binary.ReadUvarint(rd)
		binary.ReadVarint(rd)
		binary.ReadUvarint(rd)
		for range 4 {
			n, err := binary.ReadUvarint(rd)
			if err != nil || uint64(rd.Len()) < n {
				t.Fatalf("record %d is cut short", counts['r']+counts['a'])
			}
			rd.Seek(int64(n), 1)
		}
		counts[kind]++
	}
	if counts['r'] != 300 || counts['a'] != 300 || len(counts) != 2 {
		t.Fatalf("log holds %v; want 300 requests (r) and 300 attempts (a)", counts)
	}
}

func TestOpenRefusesAnUnknownSpec(t *testing.T) {
	for _, spec := range []string{"", "sqlite:", "memory:x", "x.db"} {
		if _, err := Open(spec); err == nil {
			t.Errorf("Open(%q) succeeded; want an error naming sqlite:PATH or log:PATH", spec)
		}
	}
}
