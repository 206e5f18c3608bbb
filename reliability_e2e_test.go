package main

// Reliability, proven against the built binary: nothing acknowledged is lost
// when listen is killed under load, store faults (a held lock, a full or
// failing disk, a damaged file) answer 503 in time and clear without a
// restart, a damaged file is never written to, replays and listen share a
// store without "database is locked" reaching anyone, and secrets stay out of
// every output and file.

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// providerTimeout is how long VideoNest waits for an answer before it gives
// up on a delivery and schedules a retry.
const providerTimeout = 10 * time.Second

// loadBody returns the body of request n of a load run: VideoNest JSON
// events, text with CR LF and escape sequences, binary with NULs, empty, from
// 0 bytes to 64 KiB, so byte-exactness is checked on every shape.
func loadBody(rng *rand.Rand, n int) []byte {
	switch n % 6 {
	case 0:
		return []byte(fmt.Sprintf(`{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_%d","title":%q,"duration":%d}}`,
			n, strings.Repeat("t", rng.IntN(2000)), rng.IntN(1e6)))
	case 1:
		b := make([]byte, rng.IntN(16<<10))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	case 2:
		return nil
	case 3:
		return []byte(fmt.Sprintf("line one\r\n\x1b[31mred\x1b[0m \x00 %d\r\n", n))
	case 4:
		b := make([]byte, 32<<10+rng.IntN(32<<10))
		for i := range b {
			b[i] = "abcdef\n\x00\xff"[rng.IntN(9)]
		}
		return b
	}
	return []byte(fmt.Sprintf(`{"event":"distribution.failed","data":{"n":%d,"e":"\u001b]52;c;aGk=\u0007"}}`, n))
}

// sent is one request of a load run as the client saw it.
type sent struct {
	body []byte
	id   string // from the 200 answer
}

// loadRun is the outcome of a load run.
type loadRun struct {
	mu       sync.Mutex
	acked    map[string]sent // by path: every request answered 2xx
	codes    map[int]int     // other answers
	noAnswer int             // connection failed or cut before an answer
	acks     atomic.Int64
}

// runLoad sends clients*each POSTs to base, each to its own path under
// prefix, clients at a time. onAck, if set, is called after every 2xx with the
// count so far. It returns once every client has finished or given up.
func runLoad(t *testing.T, base, prefix string, clients, each int, seed uint64, onAck func(n int64)) *loadRun {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 2 * providerTimeout}
	lr := &loadRun{acked: map[string]sent{}, codes: map[int]int{}}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(seed, uint64(c)))
			for i := 0; i < each; i++ {
				path := fmt.Sprintf("%s/c%02d/r%04d", prefix, c, i)
				body := loadBody(rng, c*each+i)
				req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-VideoNest-Signature", sign(body, "load"))
				resp, err := client.Do(req)
				if err != nil {
					lr.mu.Lock()
					lr.noAnswer++
					lr.mu.Unlock()
					if errors.Is(err, syscall.ECONNREFUSED) {
						return // listen is gone: the rest would be refused too
					}
					continue
				}
				rb, err := io.ReadAll(resp.Body)
				resp.Body.Close()
				lr.mu.Lock()
				switch {
				case err != nil:
					lr.noAnswer++
				case resp.StatusCode/100 == 2:
					var m struct{ ID string }
					json.Unmarshal(rb, &m)
					lr.acked[path] = sent{body: body, id: m.ID}
				default:
					lr.codes[resp.StatusCode]++
				}
				lr.mu.Unlock()
				if err == nil && resp.StatusCode/100 == 2 {
					n := lr.acks.Add(1)
					if onAck != nil {
						onAck(n)
					}
				}
			}
		}(c)
	}
	wg.Wait()
	return lr
}

// storedRow is one row of the store, read with SQLite itself.
type storedRow struct {
	id      string
	body    []byte
	refused int
}

// idOfKey spells a row key as the id users see: the store keys rows by the
// id's 60-bit number, 12 Crockford base32 characters.
func idOfKey(k int64) string {
	const alphabet = "0123456789abcdefghjkmnpqrstvwxyz"
	b := make([]byte, 12)
	for i := 11; i >= 0; i-- {
		b[i] = alphabet[k&31]
		k >>= 5
	}
	return string(b)
}

// readStore opens the store file read-only and returns every request by path.
func readStore(t *testing.T, db string) map[string]storedRow {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query(`SELECT id, path, body, refused FROM requests`)
	if err != nil {
		t.Fatalf("reading the store: %v", err)
	}
	defer rows.Close()
	out := map[string]storedRow{}
	for rows.Next() {
		var r storedRow
		var path string
		var key int64
		if err := rows.Scan(&key, &path, &r.body, &r.refused); err != nil {
			t.Fatal(err)
		}
		r.id = idOfKey(key)
		out[path] = r
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestKillMidLoadLosesNothingAcknowledged SIGKILLs listen twice in the middle
// of a load of 16 concurrent clients, restarts it, and checks that every
// request that got a 2xx is in the store with its exact body.
func TestKillMidLoadLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const clients, each, rounds = 16, 250, 2
	killAt := int64(clients * each * 2 / 5) // 40% in: mid-load
	acked := map[string]sent{}
	total := map[string]int{}
	for round := 0; round < rounds; round++ {
		p := e.start([]string{"listen", "--secret", "load"})
		var once sync.Once
		kill := func(n int64) {
			if n >= killAt {
				once.Do(func() { go p.kill() })
			}
		}
		lr := runLoad(t, p.URL, fmt.Sprintf("/k%d", round), clients, each, uint64(round), kill)
		once.Do(p.kill) // in case the whole load finished first
		<-p.done
		for path, s := range lr.acked {
			acked[path] = s
		}
		total["acked"] += len(lr.acked)
		total["no answer"] += lr.noAnswer
		for code, n := range lr.codes {
			total[fmt.Sprint(code)] += n
		}
		if lr.acks.Load() < killAt {
			t.Errorf("round %d: only %d acknowledged before the kill; the test needs a kill mid-load", round, lr.acks.Load())
		}
	}

	// Restarted on the killed store: it recovers and captures again.
	p := e.start([]string{"listen"})
	if code, resp := post(t, p.URL+"/after-restart", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("after the restart: %d %s", code, resp)
	}
	stored := readStore(t, e.db)
	lost, differ := 0, 0
	for path, s := range acked {
		row, ok := stored[path]
		switch {
		case !ok:
			lost++
			if lost <= 5 {
				t.Errorf("acknowledged %s (id %s) is not in the store", path, s.id)
			}
		case row.id != s.id || !bytes.Equal(row.body, s.body):
			differ++
			if differ <= 5 {
				t.Errorf("%s: stored id %s, %d bytes; acknowledged id %s, %d bytes", path, row.id, len(row.body), s.id, len(s.body))
			}
		}
	}
	// The CLI agrees with SQLite, byte for byte, on a sample.
	paths := make([]string, 0, len(acked))
	for path := range acked {
		paths = append(paths, path)
	}
	slices.Sort(paths)
	for i := 0; i < len(paths); i += len(paths)/4 + 1 {
		s := acked[paths[i]]
		if out := e.mustRun("show", s.id, "--raw"); out != string(s.body) {
			t.Errorf("show %s --raw differs from what was sent to %s", s.id, paths[i])
		}
		var rec struct {
			Path       string
			BodyBase64 string `json:"body_base64"`
		}
		json.Unmarshal([]byte(e.mustRun("show", s.id, "--json")), &rec)
		if b, _ := base64.StdEncoding.DecodeString(rec.BodyBase64); rec.Path != paths[i] || !bytes.Equal(b, s.body) {
			t.Errorf("show %s --json: path %q, body differs", s.id, rec.Path)
		}
	}
	var items []json.RawMessage
	json.Unmarshal([]byte(e.mustRun("list", "--json", "--limit", "0")), &items)
	if len(items) != len(stored) {
		t.Errorf("list --json has %d items, the store %d rows", len(items), len(stored))
	}
	t.Logf("kill test: %d requests sent over %d kills, %d acknowledged, %d lost, %d differing; unanswered %d; rows stored %d; answers %v",
		rounds*clients*each, rounds, len(acked), lost, differ, total["no answer"], len(stored), total)
}

// holdLock starts another process that takes SQLite's write lock on db and
// keeps it until the returned release is called.
func holdLock(t *testing.T, db string) (release func()) {
	t.Helper()
	holder := exec.Command(os.Args[0])
	holder.Env = append(os.Environ(), "HOOKSCOPE_TEST_HELPER=1", "HOOKSCOPE_TEST_DB="+db)
	stdin, _ := holder.StdinPipe()
	out, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	line := make([]byte, 7)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "locked\n" {
		stdin.Close()
		holder.Wait()
		t.Fatalf("lock holder said %q (%v)", line, err)
	}
	var once sync.Once
	release = func() { once.Do(func() { stdin.Close(); holder.Wait() }) }
	t.Cleanup(release)
	return release
}

// TestHeldLockUnderLoad: while another process holds the write lock, every
// webhook of a concurrent burst gets a 503 inside VideoNest's 10 s, the user
// is told why, none is acknowledged nor stored after the fact, a replay
// waits the lock out, and captures resume without a restart.
func TestHeldLockUnderLoad(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen"})
	code, resp := post(t, p.URL+"/before", []byte(sampleBody), nil)
	if code != 200 {
		t.Fatalf("before the lock: %d", code)
	}
	before := idOf(t, resp)
	var replayed atomic.Int64
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { replayed.Add(1) }))
	defer h.Close()
	release := holdLock(t, e.db)

	// A replay started now sends at once and outwaits the lock to record
	// its attempt: it is not on VideoNest's clock, and "locked" is no
	// answer for a person.
	type result struct {
		out, errOut string
		code        int
	}
	replayDone := make(chan result, 1)
	go func() {
		out, errOut, code := e.run([]string{"replay", before, "--to", h.URL})
		replayDone <- result{out, errOut, code}
	}()

	// More than one group commit holds (512): the last ones wait behind a
	// batch that is itself waiting for the lock, and must not be committed
	// after they were answered 503.
	const clients, each = 600, 1
	var mu sync.Mutex
	var took []time.Duration
	codes := map[int]int{}
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				start := time.Now()
				resp, err := http.Post(fmt.Sprintf("%s/during/%d/%d", p.URL, c, i), "application/json", strings.NewReader(sampleBody))
				d := time.Since(start)
				mu.Lock()
				if err != nil {
					codes[0]++
				} else {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					codes[resp.StatusCode]++
					took = append(took, d)
				}
				mu.Unlock()
			}
		}(c)
	}
	wg.Wait()
	slices.Sort(took)
	if codes[503] != clients*each {
		t.Errorf("while locked: answers %v, want %d × 503", codes, clients*each)
	}
	if len(took) > 0 && took[len(took)-1] >= providerTimeout {
		t.Errorf("slowest 503 took %s: VideoNest gives up at %s", took[len(took)-1], providerTimeout)
	}
	if ev := p.next("store_error"); !strings.Contains(ev["error"].(string), "locked by another process") {
		t.Errorf("the user is not told the store is locked: %v", ev)
	}
	release()
	if code, resp := post(t, p.URL+"/after", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("after the lock was released: %d %s", code, resp)
	}
	r := <-replayDone
	if r.code != 0 || strings.Contains(r.out+r.errOut, "locked") || replayed.Load() != 1 {
		t.Errorf("replay during the lock: exit %d, handler got %d\n%s%s", r.code, replayed.Load(), r.out, r.errOut)
	}
	var rec struct{ Attempts []json.RawMessage }
	json.Unmarshal([]byte(e.mustRun("show", before, "--json")), &rec)
	if len(rec.Attempts) != 1 {
		t.Errorf("the replay made during the lock recorded %d attempts, want 1", len(rec.Attempts))
	}
	stored := readStore(t, e.db)
	phantoms := 0
	for path := range stored {
		if strings.HasPrefix(path, "/during/") {
			phantoms++
		}
	}
	if phantoms > 0 {
		t.Errorf("%d requests answered 503 were stored once the lock went: VideoNest will send them again", phantoms)
	}
	if _, ok := stored["/before"]; !ok {
		t.Error("/before is missing")
	}
	if _, ok := stored["/after"]; !ok {
		t.Error("/after is missing")
	}
	if len(took) > 0 {
		t.Logf("held lock: %d concurrent webhooks, 503 after min %s, median %s, max %s (store busy timeout 2.5s, VideoNest waits 10s)",
			len(took), took[0].Round(time.Millisecond), took[len(took)/2].Round(time.Millisecond), took[len(took)-1].Round(time.Millisecond))
	}
}

// expectNotStored posts to path and requires a 503 inside VideoNest's
// patience whose reason contains why.
func expectNotStored(t *testing.T, p *proc, path string, body []byte, why string) {
	t.Helper()
	start := time.Now()
	code, resp := post(t, p.URL+path, body, nil)
	took := time.Since(start)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(resp), why) {
		t.Fatalf("%s: %d %s, want 503 saying %q", path, code, resp, why)
	}
	if took >= providerTimeout {
		t.Errorf("%s: the 503 took %s", path, took)
	}
	if ev := p.next("store_error"); ev["path"] != path || !strings.Contains(ev["error"].(string), why) {
		t.Errorf("%s: store_error line %v", path, ev)
	}
}

// TestFullDiskGives503AndRecovers puts the store on a 4 MiB tmpfs, fills it,
// and empties it again while listen runs.
func TestFullDiskGives503AndRecovers(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	dir := filepath.Join(e.dir, "small")
	os.MkdirAll(dir, 0o700)
	mountTmpfs(t, dir, 4<<20)
	db := filepath.Join(dir, "hookscope.db")
	p := e.start([]string{"listen", "--db", db})
	for i := 0; i < 3; i++ {
		if code, resp := post(t, fmt.Sprintf("%s/before/%d", p.URL, i), []byte(sampleBody), nil); code != 200 {
			t.Fatalf("before the disk filled: %d %s", code, resp)
		}
	}
	filler, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 64<<10)
	for i := 0; i < 128; i++ { // 8 MiB at most: more than the tmpfs holds
		if _, err := filler.Write(chunk); err != nil {
			break
		}
	}
	filler.Close()
	big := bytes.Repeat([]byte("x"), 48<<10)
	for i := 0; i < 3; i++ {
		expectNotStored(t, p, fmt.Sprintf("/full/%d", i), big, "the disk is full")
	}
	os.Remove(filler.Name())
	if code, resp := post(t, p.URL+"/after", big, nil); code != 200 {
		t.Fatalf("after space came back: %d %s", code, resp)
	}
	p.stop()
	stored := readStore(t, db)
	for _, path := range []string{"/before/0", "/before/1", "/before/2", "/after"} {
		if _, ok := stored[path]; !ok {
			t.Errorf("acknowledged %s is missing", path)
		}
	}
	for path := range stored {
		if strings.HasPrefix(path, "/full/") {
			t.Errorf("%s was answered 503 but stored", path)
		}
	}
}

// TestFailingWritesGive503AndRecover limits the running listen's file size
// (RLIMIT_FSIZE) below the store's, so every write fails as on a failing or
// read-only disk, then lifts the limit.
func TestFailingWritesGive503AndRecover(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen"})
	if code, _ := post(t, p.URL+"/before", []byte(sampleBody), nil); code != 200 {
		t.Fatal("before the fault")
	}
	setFileSizeLimit(t, p.cmd.Process.Pid, 4096)
	for i := 0; i < 3; i++ {
		expectNotStored(t, p, fmt.Sprintf("/failing/%d", i), bytes.Repeat([]byte("y"), 8<<10), "disk I/O error (is the disk full, read-only or failing?)")
	}
	setFileSizeLimit(t, p.cmd.Process.Pid, ^uint64(0))
	if code, resp := post(t, p.URL+"/after", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("after the fault cleared: %d %s", code, resp)
	}
	p.stop()
	stored := readStore(t, e.db)
	if _, ok := stored["/before"]; !ok {
		t.Error("/before is missing")
	}
	if _, ok := stored["/after"]; !ok {
		t.Error("/after is missing")
	}
	for path := range stored {
		if strings.HasPrefix(path, "/failing/") {
			t.Errorf("%s was answered 503 but stored", path)
		}
	}
}

// TestDamagedStoreIsNeverWritten gives listen, list, show and replay stores
// damaged in different ways and checks that each is refused with a clear
// message and left byte for byte as it was.
func TestDamagedStoreIsNeverWritten(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen"})
	var ids []string
	rng := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 150; i++ {
		b := make([]byte, 3000)
		for j := range b {
			b[j] = 'a' + byte(rng.IntN(26))
		}
		_, resp := post(t, fmt.Sprintf("%s/seed/%d", p.URL, i), b, nil)
		ids = append(ids, idOf(t, resp))
	}
	p.stop()
	good, err := os.ReadFile(e.db)
	if err != nil {
		t.Fatal(err)
	}
	pageSize := int(binary.BigEndian.Uint16(good[16:18]))
	pages := len(good) / pageSize
	if pages < 20 {
		t.Fatalf("the seeded store has only %d pages", pages)
	}
	damage := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	garbage := func(b []byte, page int) []byte {
		copy(b[(page-1)*pageSize:page*pageSize], bytes.Repeat([]byte{0xde, 0xad}, pageSize/2))
		return b
	}
	foreign := filepath.Join(e.dir, "foreign.db")
	if db, err := sql.Open("sqlite", "file:"+foreign); err == nil {
		db.Exec(`CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('precious')`)
		db.Close()
	}
	foreignBytes, _ := os.ReadFile(foreign)
	cases := []struct {
		name  string
		bytes []byte
		want  string
	}{
		{"header magic", damage(func(b []byte) []byte { copy(b, "SQLite format 9"); return b }), "not a hookscope store"},
		{"page count in header", damage(func(b []byte) []byte { binary.BigEndian.PutUint32(b[28:], uint32(pages/2)); return b }), "damaged"},
		{"a middle page", damage(func(b []byte) []byte { return garbage(b, pages/2) }), "damaged"},
		{"the last page", damage(func(b []byte) []byte { return garbage(b, pages) }), "damaged"},
		{"truncated", good[:len(good)/2], "damaged"},
		{"another program's database", foreignBytes, "not a hookscope store"},
		{"a text file", []byte("my notes\n"), "not a hookscope store"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(e.dir, fmt.Sprintf("damaged-%d.db", i))
			if err := os.WriteFile(db, tc.bytes, 0o600); err != nil {
				t.Fatal(err)
			}
			// listen refuses to start; it would otherwise bury the damage
			// under new pages or truncate what SQLite thinks is past the end.
			out, errOut, code := runBounded(t, e, []string{"listen", "--db", db, "--port", "0", "--json"}, 15*time.Second)
			if code != 1 || !strings.Contains(errOut, tc.want) || !strings.Contains(errOut, db) || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
				t.Errorf("listen: exit %d, stdout %q, stderr %q; want exit 1 and one sentence naming the file and saying %q", code, out, errOut, tc.want)
			}
			// A replay records attempts, so it must not write either.
			e.run([]string{"replay", "--db", db, ids[0], "--to", "1"})
			// Reading is harmless: list and show may work or fail, clearly.
			for _, args := range [][]string{{"list"}, {"show", ids[len(ids)-1]}} {
				_, errOut, code := e.run(append(args, "--db", db))
				if code != 0 && !strings.Contains(errOut, "damaged") && !strings.Contains(errOut, "not a hookscope store") && !strings.Contains(errOut, "no request") {
					t.Errorf("%v: exit %d %q", args, code, errOut)
				}
			}
			if got, _ := os.ReadFile(db); !bytes.Equal(got, tc.bytes) {
				t.Errorf("the damaged file was changed (%d bytes, was %d)", len(got), len(tc.bytes))
			}
		})
	}
}

// runBounded runs hookscope and kills it if it has not exited in limit: a
// listen that should have refused to start must not hang the test.
func runBounded(t *testing.T, e *env, args []string, limit time.Duration) (string, string, int) {
	t.Helper()
	c := exec.Command(hookscopeBin, args...)
	c.Env = e.environ()
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(limit):
		c.Process.Signal(os.Interrupt)
		err = <-done
		errb.WriteString("[still running after " + limit.String() + "]")
	}
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	return out.String(), errb.String(), code
}

// TestReplaysAndListenShareTheStore runs several replay processes while
// listen captures under load: every replay is recorded, and "database is
// locked" reaches neither the senders nor the person replaying.
func TestReplaysAndListenShareTheStore(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var handled atomic.Int64
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		handled.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer h.Close()
	p := e.start([]string{"listen"})
	var ids []string
	for i := 0; i < 12; i++ {
		_, resp := post(t, fmt.Sprintf("%s/replayable/%d", p.URL, i), []byte(sampleBody), nil)
		ids = append(ids, idOf(t, resp))
	}

	const replayers, rounds = 4, 3
	loadDone := make(chan *loadRun, 1)
	go func() { loadDone <- runLoad(t, p.URL, "/busy", 16, 120, 3, nil) }()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for r := 0; r < replayers; r++ {
		wg.Add(1)
		go func(r int) {
			defer wg.Done()
			for k := 0; k < rounds; k++ {
				out, errOut, code := e.run(append([]string{"replay", "--to", h.URL, "--json"}, ids...))
				if code != 0 || strings.Contains(out+errOut, "locked") || strings.Contains(out+errOut, "busy") {
					mu.Lock()
					failures = append(failures, fmt.Sprintf("replayer %d round %d: exit %d\n%s%s", r, k, code, out, errOut))
					mu.Unlock()
				}
			}
		}(r)
	}
	wg.Wait()
	lr := <-loadDone
	for _, f := range failures {
		t.Error(f)
	}
	if len(lr.codes) > 0 || lr.noAnswer > 0 {
		t.Errorf("senders during the replays: %d acknowledged, other answers %v, %d unanswered", len(lr.acked), lr.codes, lr.noAnswer)
	}
	if got, want := handled.Load(), int64(replayers*rounds*len(ids)); got != want {
		t.Errorf("the handler got %d replays, want %d", got, want)
	}
	p.stop()
	conn, err := sql.Open("sqlite", "file:"+e.db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var attempts int
	conn.QueryRow(`SELECT count(*) FROM attempts WHERE replay`).Scan(&attempts)
	if attempts != replayers*rounds*len(ids) {
		t.Errorf("%d replay attempts recorded, want %d", attempts, replayers*rounds*len(ids))
	}
	t.Logf("concurrency: %d replay processes × %d runs × %d ids (%d attempts recorded) beside listen taking %d webhooks from 16 clients",
		replayers, rounds, len(ids), attempts, len(lr.acked))
}

// TestSecretsNeverLeak runs listen, forward, replay --resign, --set edits,
// failures and a goroutine dump with a signing secret and an ngrok token
// set, then searches every output stream and every file hookscope wrote
// (store, WAL, logs) for them. Only the config file, 0600, may hold them.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	const secret = "whsec_LeakCanary_5f3a9c1e7b"
	const token = "2LeakCanaryNgrokToken_9d8e7f"
	var streams []string
	keep := func(s ...string) { streams = append(streams, s...) }
	run := func(args []string, extra ...string) (string, string, int) {
		out, errOut, code := e.run(args, append([]string{"NGROK_AUTHTOKEN=" + token}, extra...)...)
		keep(out, errOut)
		return out, errOut, code
	}

	keep(e.mustRun("config", "set", "secret", secret))
	keep(e.mustRun("config", "set", "ngrok-authtoken", token))
	out, _, _ := run([]string{"config", "get"})
	if strings.Contains(out, secret[:10]) {
		t.Errorf("config get shows the secret: %q", out)
	}

	h := newHandler(t, secret, 200)
	p := e.start([]string{"forward", "--to", h.URL + "/hooks", "--secret", secret, "--tunnel", "none"}, "NGROK_AUTHTOKEN="+token)
	body := []byte(sampleBody)
	post(t, p.URL+"/valid", body, map[string]string{"X-VideoNest-Signature": sign(body, secret)})
	post(t, p.URL+"/invalid", body, map[string]string{"X-VideoNest-Signature": sign(body, "guess")})
	post(t, p.URL+"/malformed", body, map[string]string{"X-VideoNest-Signature": "zz" + secret[:6]})
	var lines []string
	var id string
	for i := 0; i < 6; i++ { // a request and a forward line for each
		m := p.next([]string{"request", "forward"}[i%2])
		if id == "" {
			id = m["id"].(string)
		}
		b, _ := json.Marshal(m)
		lines = append(lines, string(b))
	}
	keep(strings.Join(lines, "\n"))
	// A goroutine dump is what a crash prints.
	p.cmd.Process.Signal(syscall.SIGQUIT)
	<-p.done
	keep(p.errb.String())
	if !strings.Contains(p.errb.String(), "goroutine") {
		t.Errorf("no goroutine dump after SIGQUIT: %q", p.errb.String())
	}

	// Plain lines, with the secret from the environment and from the config.
	for _, extra := range [][]string{{"VIDEONEST_WEBHOOK_SECRET=" + secret}, nil} {
		c := exec.Command(hookscopeBin, "listen", "--port", "0", "--no-tui", "--tunnel", "none")
		c.Env = e.environ(append(extra, "NGROK_AUTHTOKEN="+token)...)
		var stdout, stderr syncBuffer
		c.Stdout, c.Stderr = &stdout, &stderr
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		var url string
		for deadline := time.Now().Add(15 * time.Second); url == "" && time.Now().Before(deadline); {
			time.Sleep(20 * time.Millisecond)
			url = plainReadyURL(stdout.String())
		}
		if url == "" {
			t.Fatalf("listen --no-tui printed no ready line: %q %q", stdout.String(), stderr.String())
		}
		post(t, url+"/plain", body, map[string]string{"X-VideoNest-Signature": sign(body, secret)})
		c.Process.Signal(os.Interrupt)
		c.Wait()
		keep(stdout.String(), stderr.String())
		if !strings.Contains(stdout.String(), "✓ valid") {
			t.Errorf("plain listen did not judge with the secret: %q %q", stdout.String(), stderr.String())
		}
	}

	// Replays that sign with it, and ones that fail.
	if _, errOut, code := run([]string{"replay", id, "--resign", "--secret", secret}); code != 0 {
		t.Errorf("replay --resign: exit %d %s", code, errOut)
	}
	run([]string{"replay", id, "--set", "data.status=failed", "--json"})
	run([]string{"replay", id, "--set", "data.status=failed"}, "VIDEONEST_WEBHOOK_SECRET="+secret)
	run([]string{"replay", id, "--to", "ftp://nowhere", "--secret", secret})
	run([]string{"replay", id, "--resign", "--secret", secret, "--to", "1"})
	run([]string{"replay", id, "--set", "nokey", "--secret", secret})
	run([]string{"listen", "--secret", secret, "--max-body", "lots"})
	run([]string{"listen", "--secret", secret, "--port", "99999"})
	run([]string{"show", "zzzz", "--secret", secret})
	out, _, _ = run([]string{"show", id, "--json"})
	run([]string{"show", id})
	run([]string{"list", "--json"})
	run([]string{"list"})
	if !strings.Contains(out, `"attempts"`) {
		t.Errorf("show --json: %s", out)
	}

	for i, s := range streams {
		for _, leak := range []string{secret, token} {
			if strings.Contains(s, leak) {
				t.Errorf("output stream %d carries %q:\n%s", i, leak, s)
			}
		}
	}
	cfgPath := filepath.Join(e.dir, "config", "hookscope", "config.toml")
	var files int
	filepath.WalkDir(e.dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		files++
		b, _ := os.ReadFile(path)
		held := bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(token))
		switch {
		case path == cfgPath && !held:
			t.Errorf("the config file does not hold the secret: the test proves nothing")
		case path != cfgPath && held:
			t.Errorf("%s holds a secret", path)
		}
		return nil
	})
	if files < 2 { // the config file and the store at least
		t.Errorf("only %d files written under the test's home", files)
	}

	// Modes: the config file and the store's files 0600, their directories 0700,
	// both for --db/HOOKSCOPE_DB and for the XDG default.
	// (list no longer creates a missing store: an import does.)
	one := filepath.Join(e.dir, "one.jsonl")
	os.WriteFile(one, []byte(`{"method":"POST","path":"/","body_base64":"e30="}`+"\n"), 0o600)
	e.run([]string{"import", one}, "HOOKSCOPE_DB=")
	for path, want := range map[string]os.FileMode{
		cfgPath: 0o600, filepath.Dir(cfgPath): 0o700,
		e.db: 0o600, filepath.Dir(e.db): 0o700,
		filepath.Join(e.dir, "xdgdata", "hookscope"): 0o700, filepath.Join(e.dir, "xdgdata", "hookscope", "hookscope.db"): 0o600,
	} {
		if st, err := os.Stat(path); err != nil || st.Mode().Perm() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, st.Mode().Perm(), err, want)
		}
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if st, err := os.Stat(e.db + suffix); err == nil && st.Mode().Perm() != 0o600 {
			t.Errorf("%s%s: mode %v, want 0600", e.db, suffix, st.Mode().Perm())
		}
	}
}

// plainReadyURL finds the local URL in the ready line of listen --no-tui
// ("hookscope dev ready: http://127.0.0.1:PORT  …"), or "".
func plainReadyURL(out string) string {
	_, rest, ok := strings.Cut(out, "ready: ")
	if f := strings.Fields(rest); ok && len(f) > 0 && strings.HasPrefix(f[0], "http://") {
		return f[0]
	}
	return ""
}
