package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestKillsDuringABurstLoseNoAcknowledgedDelivery: forward --ack with a
// live handler is killed -9 at a random moment of a burst, five times
// over one store; a last start delivers every webhook that got a 200 at
// least once.
func TestKillsDuringABurstLoseNoAcknowledgedDelivery(t *testing.T) {
	t.Parallel()
	const secret, rounds, senders, perSender = "k", 5, 4, 40
	e := newEnv(t)
	port := freePort(t)
	h := serveHandlerOn(t, port, secret, 200)
	args := []string{"forward", "--ack", "--to", fmt.Sprintf("127.0.0.1:%d/hook", port), "--secret", secret}
	var mu sync.Mutex
	var acked [][]byte
	client := &http.Client{Timeout: 10 * time.Second}
	n := 0
	for round := range rounds {
		p := e.start(args)
		var wg sync.WaitGroup
		for s := range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range perSender {
					body, hdr := signedEvent(10000*round+1000*s+i+n, secret)
					req, _ := http.NewRequest("POST", p.URL+"/webhooks", bytes.NewReader(body))
					for k, v := range hdr {
						req.Header.Set(k, v)
					}
					resp, err := client.Do(req)
					if err != nil {
						return // killed
					}
					resp.Body.Close()
					if resp.StatusCode == 200 {
						mu.Lock()
						acked = append(acked, body)
						mu.Unlock()
					}
				}
			}()
		}
		time.Sleep(time.Duration(20+rand.IntN(300)) * time.Millisecond)
		p.kill()
		wg.Wait()
	}
	p := e.start(args)
	defer p.stop()
	missing := func() (m int) {
		for _, b := range acked {
			if h.times(b) == 0 {
				m++
			}
		}
		return m
	}
	if !waitFor(60*time.Second, func() bool { return missing() == 0 }) {
		t.Fatalf("%d of %d acknowledged webhooks never reached the handler after %d kills -9", missing(), len(acked), rounds)
	}
	h.mu.Lock()
	invalid := h.invalid
	h.mu.Unlock()
	if invalid > 0 {
		t.Errorf("%d deliveries were not correctly signed", invalid)
	}
	t.Logf("%d acknowledged, %d deliveries", len(acked), h.total())
}

// TestOutboxWorkerKilledAnotherTakesOver: two processes on one store, the
// one working the outbox killed -9 with a backlog owed to a handler that
// was down; the other delivers the backlog once the handler is up.
func TestOutboxWorkerKilledAnotherTakesOver(t *testing.T) {
	t.Parallel()
	const secret, n = "k", 30
	e := newEnv(t)
	port := freePort(t)
	first := e.start([]string{"forward", "--ack", "--to", fmt.Sprintf("127.0.0.1:%d/hook", port), "--secret", secret})
	var bodies [][]byte
	for i := range n {
		body, hdr := signedEvent(500+i, secret)
		if code, resp := post(t, first.URL+"/webhooks", body, hdr); code != 200 {
			t.Fatalf("--ack answered %d %s", code, resp)
		}
		bodies = append(bodies, body)
	}
	second := e.start([]string{"listen"})
	defer second.stop()
	time.Sleep(1500 * time.Millisecond) // the first keeps the outbox: it is alive
	first.kill()
	h := serveHandlerOn(t, port, secret, 200)
	if !waitFor(60*time.Second, func() bool { return h.total() >= n }) {
		t.Fatalf("after the outbox's worker was killed -9 the other process delivered %d of %d\nstderr: %s", h.total(), n, second.errb.String())
	}
	for _, b := range bodies {
		if h.times(b) != 1 {
			t.Errorf("delivered %d times: %s", h.times(b), b)
		}
	}
}

// TestShowSanitisesADeliverysLastError: a handler's malformed answer puts
// its own bytes in the delivery's last error (net/textproto quotes the bad
// line raw); `show` prints the outbox row for people, and must not hand a
// terminal the handler's escape sequences.
func TestShowSanitisesADeliverysLastError(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				if r, err := http.ReadRequest(br); err == nil {
					io.Copy(io.Discard, r.Body)
					io.WriteString(c, "HTTP/1.1 200 OK\r\n\x1b]0;owned\x07\x1b[2J no colon\r\n\r\n")
				}
			}()
		}
	}()
	e := newEnv(t)
	p := e.start([]string{"forward", "--ack", "--to", "http://" + l.Addr().String() + "/hook"})
	defer p.stop()
	code, resp := post(t, p.URL+"/webhooks", []byte(sampleBody), nil)
	if code != 200 {
		t.Fatalf("%d %s", code, resp)
	}
	id := idOf(t, resp)
	var out string
	if !waitFor(20*time.Second, func() bool {
		out = e.mustRun("show", id)
		return strings.Contains(out, "malformed")
	}) {
		t.Fatalf("no try recorded:\n%s", out)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("show printed the handler's control bytes:\n%q", out)
	}
}

// TestWebhookSizedBodiesBesideStalledLargeOnes: 160 connections declare
// 1 MiB bodies, send 60 KiB and stall, more than an 8 MiB --body-budget
// holds; webhooks of 1 KiB and of exactly 64 KiB, declared and chunked,
// arriving beside them are every one stored (200): the reserve is theirs.
func TestWebhookSizedBodiesBesideStalledLargeOnes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k", "--body-budget", "8MiB", "--max-body", "2MiB"})
	addr := strings.TrimPrefix(p.URL, "http://")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 160 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				return
			}
			defer c.Close()
			fmt.Fprintf(c, "POST /large/%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", i, 1<<20)
			c.Write(bytes.Repeat([]byte{'m'}, 60<<10))
			select { // stalled, within the server's 10 s body idle timeout
			case <-stop:
			case <-time.After(8 * time.Second):
			}
		}()
	}
	defer func() { close(stop); wg.Wait() }()
	time.Sleep(500 * time.Millisecond) // the stalled bodies have taken what they may
	for i, size := range []int{1 << 10, 64 << 10} {
		for _, chunked := range []bool{false, true} {
			body := bytes.Repeat([]byte{'s'}, size)
			var rd io.Reader = bytes.NewReader(body)
			if chunked {
				rd = io.MultiReader(rd) // no length: sent chunked
			}
			req, _ := http.NewRequest("POST", fmt.Sprintf("%s/small/%d/%v", p.URL, i, chunked), rd)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			msg, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("a %d-byte webhook (chunked %v) beside stalled large bodies: %d %s", size, chunked, resp.StatusCode, msg)
			}
		}
	}
}
