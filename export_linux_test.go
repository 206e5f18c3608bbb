//go:build linux

package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"testing"
)

// TestExportStreams exports a store of 200 bodies of 1 MiB beside 1000
// small requests, checks every record in the output, and that the export
// process never held the store's bodies in memory (it once held them twice:
// 507 MiB of resident memory for this store, as JSONL).
func TestExportStreams(t *testing.T) {
	e := newEnv(t)
	p := e.start([]string{"listen"})
	const large, small = 200, 1000
	big := bytes.Repeat([]byte("m"), 1<<20)
	tr := &http.Transport{MaxIdleConnsPerHost: 8}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	work := make(chan int)
	var wg sync.WaitGroup
	var failed sync.Once
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				body := []byte(fmt.Sprintf(`{"n":%d}`, i))
				if i < large {
					body = append([]byte(fmt.Sprintf("%08d", i)), big[8:]...)
				}
				resp, err := client.Post(fmt.Sprintf("%s/r/%d", p.URL, i), "application/json", bytes.NewReader(body))
				if err == nil {
					resp.Body.Close()
				}
				if err != nil || resp.StatusCode != 200 {
					failed.Do(func() { t.Errorf("seeding request %d: %v %v", i, err, resp) })
				}
			}
		}()
	}
	for i := 0; i < large+small; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	p.stop()
	if t.Failed() {
		return
	}

	c := exec.Command(hookscopeBin, "export")
	c.Env = e.environ()
	out, err := c.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 4<<20), 4<<20)
	n, bigs := 0, 0
	// VmHWM of the export's own memory, read while it runs: rusage's
	// maxrss would also count the test process it was forked from.
	var peak int64
	for sc.Scan() {
		peak = max(peak, peakRSS(c.Process.Pid))
		// Only the body's length is checked: decoding 270 MB of JSON
		// under the race detector would take most of the test's time.
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte(`{"id":"`)) || !bytes.HasSuffix(line, []byte("}")) {
			t.Fatalf("line %d is not an export record: %.80q", n+1, line)
		}
		_, rest, ok := bytes.Cut(line, []byte(`"body_base64":"`))
		enc, _, ok2 := bytes.Cut(rest, []byte(`"`))
		if !ok || !ok2 {
			t.Fatalf("line %d has no body_base64: %.80q", n+1, line)
		}
		if base64.StdEncoding.DecodedLen(len(enc)) >= 1<<20 {
			bigs++
		}
		n++
	}
	if err := c.Wait(); err != nil {
		t.Fatalf("export: %v", err)
	}
	if n != large+small || bigs != large {
		t.Errorf("exported %d records (%d of 1 MiB), want %d (%d)", n, bigs, large+small, large)
	}
	t.Logf("export of %d MiB of bodies: peak RSS %d MiB", large, peak>>20)
	if peak >= large<<20 {
		t.Errorf("export peaked at %d MiB for a store of %d MiB of bodies: it holds the store in memory", peak>>20, large)
	}
}
