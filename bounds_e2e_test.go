package main

// The capture endpoint is public: each attack here drives a sender at one
// of listen's ceilings and measures the process's peak resident memory
// (VmHWM), which must stay under the ceiling, beside a real webhook that
// must still be answered.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// rssCeiling is the promise: peak RSS under every attack with
// default flags.
const rssCeiling = 256 << 20

// peakRSS is a process's peak resident memory (VmHWM), or 0 where /proc
// does not say.
func peakRSS(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	var kb int64
	for _, line := range strings.Split(string(b), "\n") {
		if _, err := fmt.Sscanf(line, "VmHWM: %d kB", &kb); err == nil {
			return kb << 10
		}
	}
	return 0
}

func checkPeak(t *testing.T, p *proc, what string) {
	t.Helper()
	peak := peakRSS(p.cmd.Process.Pid)
	if peak == 0 {
		t.Skip("no /proc/PID/status VmHWM on this system: cannot measure peak memory")
	}
	t.Logf("%s: peak RSS %d MiB", what, peak>>20)
	if peak > rssCeiling {
		t.Errorf("%s: peak RSS %d MiB, over the %d MiB ceiling", what, peak>>20, rssCeiling>>20)
	}
}

// realWebhook sends one signed webhook and fails unless it is stored; it
// returns how long the answer took.
func realWebhook(t *testing.T, p *proc, i int) time.Duration {
	t.Helper()
	body := []byte(sampleBody)
	start := time.Now()
	code, resp := post(t, fmt.Sprintf("%s/real/%d", p.URL, i), body,
		map[string]string{"X-VideoNest-Signature": sign(body, "k"), "Connection": "close"})
	if code != 200 {
		t.Fatalf("a real webhook beside the attack: %d %s", code, resp)
	}
	return time.Since(start)
}

// TestDeclaredBodiesAreNotAllocated: 200 connections per round declare a
// 10 MiB body and send 2 bytes, five rounds: nothing is allocated for what
// never arrives.
func TestDeclaredBodiesAreNotAllocated(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k"})
	for round := range 5 {
		var conns []net.Conn
		for i := range 200 {
			c, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(c, "POST /declared/%d/%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n{\"", round, i, 10<<20)
			conns = append(conns, c)
		}
		lat := realWebhook(t, p, round)
		t.Logf("round %d: a real webhook took %s beside 200 declared 10 MiB bodies", round, lat)
		for _, c := range conns {
			c.Close()
		}
	}
	checkPeak(t, p, "200 × declared 10 MiB × 5 rounds")
}

// TestHugeDeclaredLengthUnderHugeMaxBody: even with --max-body 1TiB (and a
// budget to match) a request declaring 100 GiB costs what it sends.
func TestHugeDeclaredLengthUnderHugeMaxBody(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k", "--max-body", "1TiB", "--body-budget", "1TiB"})
	c, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /huge HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", int64(100)<<30)
	chunk := bytes.Repeat([]byte("a"), 1<<20)
	for range 16 {
		c.Write(chunk)
	}
	realWebhook(t, p, 0)
	checkPeak(t, p, "one request declaring 100 GiB, 16 MiB sent")

	// A --max-body past the budget could never be held: refused at start.
	_, errOut, code := e.run([]string{"listen", "--port", "0", "--max-body", "1TiB"})
	if code != 2 || !strings.Contains(errOut, "--body-budget") {
		t.Errorf("--max-body over the budget: exit %d, %q; want 2 naming --body-budget", code, errOut)
	}
}

// TestUnfinishedHeaderBlocks: connections that hold almost-full header
// blocks cost at most the header limit each, and a real webhook is still
// answered beside them.
func TestUnfinishedHeaderBlocks(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k"})
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	filler := strings.Repeat("a", 30<<10)
	for i := range 1000 {
		c, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST /slow/%d HTTP/1.1\r\nHost: x\r\nX-Filler: %s", i, filler)
		conns = append(conns, c)
	}
	lat := realWebhook(t, p, 0)
	t.Logf("a real webhook took %s beside 1000 unfinished 30 KiB header blocks", lat)
	if lat > 2*time.Second {
		t.Errorf("a real webhook took %s beside unfinished header blocks", lat)
	}
	checkPeak(t, p, "1000 × unfinished 30 KiB header blocks")
}

// TestConcurrentLargeBodiesAreTruthful: 100 bodies of 10 MiB arrive at
// once, each over about a second. Every one is either answered 200 and in
// the store, or answered 503 and not in it; and memory stays bounded.
func TestConcurrentLargeBodiesAreTruthful(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k"})
	type outcome struct {
		code int
		id   string
		path string
	}
	out := make(chan outcome, 100)
	var wg sync.WaitGroup
	for i := range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/big/%d", i)
			pr, pw := io.Pipe()
			go func() {
				chunk := bytes.Repeat([]byte{'x'}, 1<<20)
				for range 10 {
					if _, err := pw.Write(chunk); err != nil {
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
				pw.Close()
			}()
			req, _ := http.NewRequest("POST", p.URL+path, pr)
			req.ContentLength = 10 << 20
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				pr.CloseWithError(err)
				out <- outcome{0, "", path}
				return
			}
			var m map[string]any
			json.NewDecoder(resp.Body).Decode(&m)
			resp.Body.Close()
			id, _ := m["id"].(string)
			out <- outcome{resp.StatusCode, id, path}
		}()
	}
	wg.Wait()
	close(out)
	realWebhook(t, p, 0)
	checkPeak(t, p, "100 × 10 MiB bodies at once")

	var listed []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("list", "--json", "--limit", "0")), &listed); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, r := range listed {
		stored[r["path"].(string)] = true
	}
	ok, refused := 0, 0
	for o := range out {
		switch o.code {
		case 200:
			ok++
			if !stored[o.path] {
				t.Errorf("%s answered 200 but is not in the store", o.path)
			}
		case 503:
			refused++
			if stored[o.path] {
				t.Errorf("%s answered 503 (not stored) but is in the store", o.path)
			}
		case 0:
			// The server closed a refused upload early: not stored either.
			if stored[o.path] {
				t.Errorf("%s got no answer but is in the store", o.path)
			}
		default:
			t.Errorf("%s: %d", o.path, o.code)
		}
	}
	t.Logf("100 × 10 MiB at once: %d stored, %d refused with 503", ok, refused)
	if ok == 0 {
		t.Error("not one large body was stored")
	}
}

// TestForwardLoopsAreRefused: a target that is hookscope's own listener is
// refused at start, and two hookscopes forwarding to each other stop at
// the first round trip (508) instead of multiplying one webhook.
func TestForwardLoopsAreRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	port := freeLoopbackPort(t)
	_, errOut, code := e.run([]string{"forward", "--port", port, "--to", "localhost:" + port, "--json"})
	if code != 2 || !strings.Contains(errOut, "own address") {
		t.Fatalf("forward to itself: exit %d %q; want 2 naming its own address", code, errOut)
	}

	pa, pb := freeLoopbackPort(t), freeLoopbackPort(t)
	ea, eb := newEnv(t), newEnv(t)
	a := ea.startOn(pa, []string{"forward", "--to", "127.0.0.1:" + pb, "--secret", "k"})
	b := eb.startOn(pb, []string{"forward", "--to", "127.0.0.1:" + pa, "--secret", "k"})
	body := []byte(sampleBody)
	code, resp := post(t, a.URL+"/webhooks", body, map[string]string{"X-VideoNest-Signature": sign(body, "k")})
	if code != http.StatusLoopDetected {
		t.Errorf("a webhook sent round a loop: %d %s, want 508", code, resp)
	}
	time.Sleep(300 * time.Millisecond)
	var la, lb []map[string]any
	json.Unmarshal([]byte(ea.mustRun("list", "--json")), &la)
	json.Unmarshal([]byte(eb.mustRun("list", "--json")), &lb)
	if len(la) != 2 || len(lb) != 1 {
		t.Errorf("after one webhook round a loop: %d rows in A, %d in B; want 2 and 1", len(la), len(lb))
	}
	_ = b
}

func freeLoopbackPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// startOn is start on a fixed port.
func (e *env) startOn(port string, args []string) *proc {
	e.t.Helper()
	return e.start(append(args, "--port", port))
}
