//go:build linux

package main

// Memory under a backlog, proven against the built binary: a front end that
// stops reading (a paused `| jq`, a stopped terminal) and a handler that
// never answers cost bounded memory however much arrives, every webhook is
// still answered 200 once stored, SIGTERM still ends the process, and the
// backlog is delivered after a restart. Peak memory is the kernel's
// high-water mark (VmHWM), so a spike between two samples is not missed.

import (
	"bytes"
	"database/sql"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"
)

const (
	backlogN       = 1000
	backlogSize    = 1 << 20
	backlogWorkers = 8
)

// backlogBody is the 1 MiB body of webhook n: a VideoNest event padded to
// size, distinct from every other n (so none is taken for a duplicate).
func backlogBody(n int) []byte {
	head := fmt.Sprintf(`{"event":"video.processed","data":{"id":"vid_%06d"},"pad":"`, n)
	b := bytes.Repeat([]byte{'x'}, backlogSize)
	copy(b, head)
	binary.BigEndian.PutUint64(b[len(head):], uint64(n)*0x9E3779B97F4A7C15|0x8080808080808080) // not ASCII: raw bytes too
	copy(b[backlogSize-2:], `"}`)
	return b
}

// unreadProc is a hookscope whose stdout is a pipe nobody reads after the
// ready line.
type unreadProc struct {
	cmd    *exec.Cmd
	URL    string
	stdout io.ReadCloser // kept open and unread: the pipe fills, the printer blocks
	errb   *syncBuffer
	done   chan struct{}
}

func (e *env) startUnread(args ...string) *unreadProc {
	e.t.Helper()
	c := exec.Command(hookscopeBin, append(args, "--port", "0", "--json")...)
	c.Env = e.environ()
	stdout, err := c.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	p := &unreadProc{cmd: c, stdout: stdout, errb: &syncBuffer{}, done: make(chan struct{})}
	c.Stderr = p.errb
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { c.Wait(); close(p.done) }()
	e.t.Cleanup(func() {
		c.Process.Kill()
		<-p.done
		stdout.Close()
	})
	// The ready line, a byte at a time so nothing past it is consumed.
	var line []byte
	one := make([]byte, 1)
	readDone := make(chan error, 1)
	go func() {
		for {
			if _, err := stdout.Read(one); err != nil {
				readDone <- err
				return
			}
			if one[0] == '\n' {
				readDone <- nil
				return
			}
			line = append(line, one[0])
		}
	}()
	select {
	case err := <-readDone:
		if err != nil {
			e.t.Fatalf("no ready line from hookscope %v: %v\nstderr: %s", args, err, p.errb.String())
		}
	case <-time.After(20 * time.Second):
		e.t.Fatalf("hookscope %v not ready after 20s\nstderr: %s", args, p.errb.String())
	}
	i := bytes.Index(line, []byte(`"local_url":"`))
	if i < 0 {
		e.t.Fatalf("ready line without local_url: %s", line)
	}
	rest := line[i+len(`"local_url":"`):]
	p.URL = string(rest[:bytes.IndexByte(rest, '"')])
	return p
}

// terminate sends SIGTERM and reports how long the process took to exit,
// killing it after limit (ok false: it hung).
func (p *unreadProc) terminate(limit time.Duration) (took time.Duration, ok bool) {
	start := time.Now()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return time.Since(start), true
	case <-time.After(limit):
		p.cmd.Process.Kill()
		<-p.done
		return time.Since(start), false
	}
}

// pushBacklog sends backlogN signed 1 MiB webhooks, backlogWorkers at a
// time, and returns the answers that were not 200 (by request number).
func pushBacklog(t *testing.T, url, secret string) map[int]string {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: backlogWorkers, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var mu sync.Mutex
	bad := map[int]string{}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < backlogWorkers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				body := backlogBody(n)
				req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/webhooks/%d", url, n), bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("X-VideoNest-Signature", sign(body, secret))
				resp, err := client.Do(req)
				var why string
				if err != nil {
					why = err.Error()
				} else {
					rb, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 || !bytes.Contains(rb, []byte(`"stored":true`)) {
						why = fmt.Sprintf("%d %s", resp.StatusCode, rb)
					}
				}
				if why != "" {
					mu.Lock()
					bad[n] = why
					mu.Unlock()
				}
			}
		}()
	}
	for n := 0; n < backlogN; n++ {
		next <- n
	}
	close(next)
	wg.Wait()
	return bad
}

// storedCount counts the requests in the store (read-only, with SQLite).
func storedCount(t *testing.T, db string) int {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM requests WHERE refused = 0`).Scan(&n); err != nil {
		t.Fatalf("counting the store: %v", err)
	}
	return n
}

func reportBad(t *testing.T, bad map[int]string) {
	t.Helper()
	if len(bad) == 0 {
		return
	}
	shown := 0
	for n, why := range bad {
		if shown++; shown > 3 {
			break
		}
		t.Errorf("webhook %d: %s", n, why)
	}
	t.Errorf("%d of %d webhooks were not answered 200 stored", len(bad), backlogN)
}

// TestPausedConsumerCostsBoundedMemory: listen --json with a stdout nobody
// reads still answers 1 000 webhooks of 1 MiB with 200, stays under the
// memory ceiling, stores them all, and ends on SIGTERM.
func TestPausedConsumerCostsBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes 1 GiB of webhooks (about 30 s)")
	}
	e := newEnv(t)
	p := e.startUnread("listen", "--secret", "k")
	start := time.Now()
	bad := pushBacklog(t, p.URL, "k")
	pushed := time.Since(start)
	reportBad(t, bad)
	peak := peakRSS(p.cmd.Process.Pid)
	if peak == 0 {
		t.Fatal("cannot read VmHWM from /proc")
	}
	if peak > rssCeiling {
		t.Errorf("listen peaked at %d MiB resident with its stdout unread, over the %d MiB ceiling", peak>>20, rssCeiling>>20)
	}
	took, ok := p.terminate(10 * time.Second)
	if !ok {
		t.Errorf("listen did not exit within 10 s of SIGTERM with its stdout unread\nstderr: %s", p.errb.String())
	}
	if n := storedCount(t, e.db); n != backlogN {
		t.Errorf("%d requests stored, want %d", n, backlogN)
	}
	t.Logf("paused consumer: %d × 1 MiB pushed in %s, peak RSS %d MiB, exit %s after SIGTERM",
		backlogN, pushed.Round(100*time.Millisecond), peak>>20, took.Round(10*time.Millisecond))
}

// TestHungHandlerBacklogCostsBoundedMemory: forward --ack to a handler that
// takes the connection and never answers acknowledges 1 000 webhooks of
// 1 MiB within the memory ceiling, ends on SIGTERM although tries are in
// flight, and after a restart with a handler that answers delivers all of
// them, each once and correctly signed.
func TestHungHandlerBacklogCostsBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("pushes and delivers 1 GiB of webhooks (about 100 s under -race)")
	}
	e := newEnv(t)
	const secret = "k"
	hole, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := hole.Addr().(*net.TCPAddr).Port
	var conns sync.WaitGroup
	var held []net.Conn
	var heldMu sync.Mutex
	go func() {
		for {
			c, err := hole.Accept()
			if err != nil {
				return
			}
			heldMu.Lock()
			held = append(held, c)
			heldMu.Unlock()
			conns.Add(1)
			go func() { defer conns.Done(); io.Copy(io.Discard, c) }()
		}
	}()
	closeHole := func() {
		hole.Close()
		heldMu.Lock()
		for _, c := range held {
			c.Close()
		}
		held = nil
		heldMu.Unlock()
		conns.Wait()
	}
	defer closeHole()

	args := []string{"forward", "--ack", "--to", fmt.Sprintf("127.0.0.1:%d/hook", port), "--secret", secret}
	p := e.startUnread(args...)
	start := time.Now()
	bad := pushBacklog(t, p.URL, secret)
	pushed := time.Since(start)
	reportBad(t, bad)
	peak := peakRSS(p.cmd.Process.Pid)
	if peak > rssCeiling {
		t.Errorf("forward --ack peaked at %d MiB resident with a hung handler, over the %d MiB ceiling", peak>>20, rssCeiling>>20)
	}
	took, ok := p.terminate(10 * time.Second)
	if !ok {
		t.Errorf("forward --ack did not exit within 10 s of SIGTERM with tries in flight to a hung handler\nstderr: %s", p.errb.String())
	}
	closeHole()

	// The restart delivers the backlog to a handler that answers.
	h := serveHandlerOn(t, port, secret, 200)
	p2 := e.startUnread(args...)
	up := time.Now()
	if !waitFor(5*time.Minute, func() bool { return h.total() >= backlogN }) {
		t.Errorf("%d of %d delivered within 5 minutes of the restart", h.total(), backlogN)
	}
	delivered := time.Since(up)
	time.Sleep(time.Second) // room for a duplicate to show
	peak2 := peakRSS(p2.cmd.Process.Pid)
	if peak2 > rssCeiling {
		t.Errorf("delivering the backlog peaked at %d MiB resident, over the %d MiB ceiling", peak2>>20, rssCeiling>>20)
	}
	p2.terminate(10 * time.Second)
	h.mu.Lock()
	distinct, invalid, total := len(h.perBody), h.invalid, len(h.at)
	h.mu.Unlock()
	if distinct != backlogN || invalid != 0 || total != backlogN {
		t.Errorf("handler got %d deliveries of %d distinct bodies (%d badly signed), want each of %d once and valid", total, distinct, invalid, backlogN)
	}
	for _, n := range []int{0, backlogN / 2, backlogN - 1} {
		if c := h.times(backlogBody(n)); c != 1 {
			t.Errorf("webhook %d delivered %d times, want once byte for byte", n, c)
		}
	}
	t.Logf("hung handler: %d × 1 MiB acknowledged in %s, peak RSS %d MiB, exit %s after SIGTERM; after restart all delivered in %s, peak RSS %d MiB",
		backlogN, pushed.Round(100*time.Millisecond), peak>>20, took.Round(10*time.Millisecond), delivered.Round(100*time.Millisecond), peak2>>20)
}
