package main

// The store's answers under hostile load and hostile file systems, against
// the built binary: a 200 only for a request that is in the store, a 503 only
// for one that is not, whatever the load or the file under the process.

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// storedSizes returns the body size of every stored request by path,
// without loading the bodies.
func storedSizes(t *testing.T, db string) map[string]int {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT path, length(body) FROM requests`)
	if err != nil {
		t.Fatalf("reading the store: %v", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var path string
		var n int
		if err := rows.Scan(&path, &n); err != nil {
			t.Fatal(err)
		}
		out[path] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestLargeBodiesTogetherAnswerTruthfully sends 100 bodies of 10 MiB at once,
// with small webhooks among them, and checks the answers against the store:
// every 200 is stored, every 503 is not, and the small webhooks are not
// starved behind the large ones.
func TestLargeBodiesTogetherAnswerTruthfully(t *testing.T) {
	e := newEnv(t)
	p := e.start([]string{"listen", "--max-body", "10MiB"})
	const large, size, small = 100, 10 << 20, 24
	shared := bytes.Repeat([]byte("v"), size-16)
	tr := &http.Transport{MaxConnsPerHost: large + small, MaxIdleConnsPerHost: large + small}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 2 * time.Minute}
	codes := map[string]int{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	send := func(path string, body io.Reader, n int) {
		defer wg.Done()
		req, _ := http.NewRequest(http.MethodPost, p.URL+path, body)
		req.ContentLength = int64(n)
		code := 0
		if resp, err := client.Do(req); err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			code = resp.StatusCode
		}
		mu.Lock()
		codes[path] = code
		mu.Unlock()
	}
	for i := 0; i < large; i++ {
		wg.Add(1)
		prefix := fmt.Sprintf("%016d", i) // bodies differ, so none is a duplicate
		go send(fmt.Sprintf("/large/%d", i), io.MultiReader(bytes.NewReader([]byte(prefix)), bytes.NewReader(shared)), size)
	}
	for i := 0; i < small; i++ {
		wg.Add(1)
		go send(fmt.Sprintf("/small/%d", i), bytes.NewReader([]byte(sampleBody)), len(sampleBody))
	}
	wg.Wait()
	p.stop()

	stored := storedSizes(t, e.db)
	count := map[int]int{}
	for path, code := range codes {
		count[code]++
		n, ok := stored[path]
		switch code {
		case http.StatusOK:
			if !ok {
				t.Errorf("%s was answered 200 but is not in the store", path)
			} else if want := size; path[:6] == "/large" && n != want {
				t.Errorf("%s stored with %d bytes, want %d", path, n, want)
			}
		case http.StatusServiceUnavailable:
			if ok {
				t.Errorf("%s was answered 503 but is in the store", path)
			}
		default:
			t.Errorf("%s: answer %d, want 200 or 503", path, code)
		}
		if path[:6] == "/small" && code != http.StatusOK {
			t.Errorf("small webhook %s starved behind the large bodies: %d", path, code)
		}
	}
	t.Logf("answers: %v (of %d large, %d small)", count, large, small)
}

// TestDuplicateNamesTheOriginal re-sends a delivery and checks that list
// --json and show --json say which request it repeats.
func TestDuplicateNamesTheOriginal(t *testing.T) {
	e := newEnv(t)
	p := e.start([]string{"listen"})
	_, first := post(t, p.URL+"/hook", []byte(sampleBody), nil)
	_, again := post(t, p.URL+"/hook", []byte(sampleBody), nil)
	_, other := post(t, p.URL+"/hook", []byte(sampleBody+" "), nil)
	p.stop()
	orig, dup, diff := idOf(t, first), idOf(t, again), idOf(t, other)
	var items []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("list", "--json")), &items); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{orig: nil, dup: orig, diff: nil}
	for _, it := range items {
		id := it["id"].(string)
		if it["duplicate_of"] != want[id] || it["duplicate"] != (want[id] != nil) {
			t.Errorf("list --json %s: duplicate %v, duplicate_of %v; want of %v", id, it["duplicate"], it["duplicate_of"], want[id])
		}
	}
	var rec map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("show", dup, "--json")), &rec); err != nil {
		t.Fatal(err)
	}
	if rec["duplicate_of"] != orig {
		t.Errorf("show --json: duplicate_of %v, want %s", rec["duplicate_of"], orig)
	}
	if out := e.mustRun("show", dup); !strings.Contains(out, "same body as "+orig) {
		t.Errorf("show does not name the original:\n%s", out)
	}
}

// TestReadOnlyStoreAtStartRecovers starts listen on a store file it may
// not write (immutable: what a 0400 file is to its non-root owner, made
// with chattr since tests run as root), then makes it writable: listen
// answers 503 meanwhile and 200 afterwards, without a restart.
func TestReadOnlyStoreAtStartRecovers(t *testing.T) {
	e := newEnv(t)
	p := e.start([]string{"listen"})
	if code, resp := post(t, p.URL+"/before", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("before: %d %s", code, resp)
	}
	p.stop()
	immutable(t, e.db, true)
	p = e.start([]string{"listen"})
	for i := 0; i < 2; i++ {
		expectNotStored(t, p, fmt.Sprintf("/readonly/%d", i), []byte(sampleBody), "read-only")
	}
	immutable(t, e.db, false)
	if code, resp := post(t, p.URL+"/after", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("after the file became writable: %d %s\nstderr: %s", code, resp, p.errb.String())
	}
	p.stop()
	stored := storedSizes(t, e.db)
	for _, path := range []string{"/before", "/after"} {
		if _, ok := stored[path]; !ok {
			t.Errorf("acknowledged %s is missing", path)
		}
	}
	for path := range stored {
		if strings.HasPrefix(path, "/readonly/") {
			t.Errorf("%s was answered 503 but stored", path)
		}
	}
}

// immutable sets or clears a file's immutable attribute (chattr), which
// keeps even root from opening it for writing; it skips the test where the
// file system or the process cannot.
func immutable(t *testing.T, path string, on bool) {
	t.Helper()
	flag := "-i"
	if on {
		flag = "+i"
	}
	if out, err := exec.Command("chattr", flag, path).CombinedOutput(); err != nil {
		if on {
			t.Skipf("chattr +i %s: %v %s (needs root and ext4, xfs or btrfs)", path, err, out)
		}
		t.Fatalf("chattr -i %s: %v %s", path, err, out)
	}
	if on {
		t.Cleanup(func() { exec.Command("chattr", "-i", path).Run() })
	}
}

// TestStoreFileReplacedUnderListen moves the store file away, puts it back,
// and replaces it with another file while listen runs: listen acknowledges
// only while the path names the file it opened.
func TestStoreFileReplacedUnderListen(t *testing.T) {
	e := newEnv(t)
	p := e.start([]string{"listen"})
	if code, resp := post(t, p.URL+"/before", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("before: %d %s", code, resp)
	}
	moved := e.db + ".moved"
	if err := os.Rename(e.db, moved); err != nil {
		t.Fatal(err)
	}
	expectNotStored(t, p, "/moved", []byte(sampleBody), "deleted or moved")
	if err := os.Rename(moved, e.db); err != nil {
		t.Fatal(err)
	}
	if code, resp := post(t, p.URL+"/back", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("with the file back in place: %d %s", code, resp)
	}
	if err := os.Rename(e.db, moved); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.db, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	expectNotStored(t, p, "/replaced", []byte(sampleBody), "replaced by another file")
	p.stop()

	if fi, err := os.Stat(e.db); err != nil || fi.Size() != 0 {
		t.Errorf("the file put in the store's place was written to: %v %v", fi, err)
	}
	stored := storedSizes(t, moved)
	for _, path := range []string{"/before", "/back"} {
		if _, ok := stored[path]; !ok {
			t.Errorf("acknowledged %s is missing", path)
		}
	}
	for _, path := range []string{"/moved", "/replaced"} {
		if _, ok := stored[path]; ok {
			t.Errorf("%s was answered 503 but stored", path)
		}
	}
}
