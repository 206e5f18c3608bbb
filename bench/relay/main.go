// Command relay measures the team relay on this machine, in one process on
// 127.0.0.1: a JetStream server (embedded, file store in a temp dir), one
// publishing hookscope session and 1 or 4 subscribing ones, each with its
// own SQLite store.
//
//	go run ./bench/relay                 # 20000 webhooks, 16 connections
//	go run ./bench/relay -n 5000 -lat 500
//
// It prints local capture throughput (the same session without the relay),
// webhooks/s from the publisher's capture to the last subscriber's commit
// with 1 and 4 subscribers, and the latency the relay adds at one
// connection: the publisher's 200 to the subscriber's commit, p50 and p99.
// Everything shares the machine's cores, the NATS server included.
package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/relay"
	"github.com/hookscope/hookscope/inspect/session"
	"github.com/hookscope/hookscope/inspect/store"
)

const secret = "whsec_bench"

func main() {
	n := flag.Int("n", 20000, "webhooks per throughput run")
	conns := flag.Int("c", 16, "concurrent connections for throughput")
	lat := flag.Int("lat", 1000, "webhooks for the latency run (one connection)")
	prof := flag.String("cpuprofile", "", "write a CPU profile of the relay runs (not the local one) here")
	subs := flag.String("subs", "1,4", "subscriber counts to run, comma-separated")
	flag.Parse()
	// As listen and forward do (cmd/listen.go, captureGCPercent): every
	// hookscope here, publisher and subscribers, runs with it.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
	var counts []int
	for _, f := range strings.Split(*subs, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bench/relay: -subs %q: want counts like 1,4\n", *subs)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bench/relay:", err)
			os.Exit(1)
		}
		profile = f
	}
	defer pprof.StopCPUProfile()
	if err := run(*n, *conns, *lat, counts); err != nil {
		fmt.Fprintln(os.Stderr, "bench/relay:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

type node struct {
	sess   *session.Session
	st     *store.Store
	url    string
	sub    *inspect.Sub
	cancel context.CancelFunc
	done   chan error
}

func (n *node) stop() {
	n.cancel()
	<-n.done
	n.sub.Close()
	n.st.Close()
}

func start(dir string, ro *relay.Options, serve bool) (*node, error) {
	st, err := store.Open(filepath.Join(dir, "hookscope.db"), store.Options{})
	if err != nil {
		return nil, err
	}
	s := session.New(session.Config{Store: st, Secrets: []string{secret}, Relay: ro, EventQueue: 1 << 20})
	n := &node{sess: s, st: st, sub: s.Subscribe(), done: make(chan error, 1)}
	if serve {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		s.Serve(l, true)
		n.url = "http://" + l.Addr().String()
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel = cancel
	go func() { n.done <- s.Run(ctx) }()
	return n, nil
}

// profile receives the CPU profile of the relay runs, when asked for.
var profile *os.File

func run(total, conns, latN int, counts []int) error {
	dir, err := os.MkdirTemp("", "hookscope-bench-relay-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ns, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: -1, JetStream: true,
		StoreDir: filepath.Join(dir, "nats"), NoSigs: true, NoLog: true})
	if err != nil {
		return err
	}
	ns.Start()
	defer ns.Shutdown()
	if !ns.ReadyForConnections(10 * time.Second) {
		return errors.New("nats server not ready")
	}
	natsURL := ns.ClientURL()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conns}}

	fmt.Printf("team relay, %d webhooks of ~200 B, %d connections, GOMAXPROCS=%d, NATS in-process\n", total, conns, runtimeProcs())

	// Local capture: the same session without the relay.
	local, err := start(filepath.Join(dir, "local"), nil, true)
	if err != nil {
		return err
	}
	cpu0 := cpuTime()
	el, err := load(client, local.url, "local", total, conns)
	cpu := cpuTime() - cpu0
	local.stop()
	if err != nil {
		return err
	}
	localRate := float64(total) / el.Seconds()
	fmt.Printf("local capture                         %8.0f webhooks/s, %s CPU per webhook\n", localRate, perHook(cpu, total))

	if profile != nil {
		if err := pprof.StartCPUProfile(profile); err != nil {
			return err
		}
	}
	for i, subs := range counts {
		channel := fmt.Sprintf("run%d", i)
		stream := "BENCH" // one stream holds hookscope.>; each run its own channel
		pub, err := start(filepath.Join(dir, channel, "pub"), &relay.Options{URL: natsURL, Publish: true, Stream: stream, Channel: channel}, true)
		if err != nil {
			return err
		}
		sub, err := subscribers(filepath.Join(dir, channel), natsURL, stream, channel, fmt.Sprint("dev", i), subs)
		if err != nil {
			return err
		}
		t0, cpu0 := time.Now(), cpuTime()
		if _, err := load(client, pub.url, channel, total, conns); err != nil {
			return err
		}
		captured := time.Since(t0)
		if err := waitAll(sub, total); err != nil {
			return err
		}
		el, cpu := time.Since(t0), cpuTime()-cpu0
		rate := float64(total) / el.Seconds()
		fmt.Printf("relay, %d subscriber(s): capture→commit %8.0f webhooks/s (%.2f × local; publisher captured at %.0f/s), %s CPU per webhook, lost 0\n",
			subs, rate, rate/localRate, float64(total)/captured.Seconds(), perHook(cpu, total))

		if subs == 1 {
			if err := latency(client, pub, sub[0], latN); err != nil {
				return err
			}
		}
		pub.stop()
		for _, s := range sub {
			s.stop()
		}
	}
	return stages(dir, natsURL, client, total, conns, localRate, counts)
}

// stages measures the relay's two halves one at a time, each with the
// machine to itself, as they run for a team: the publisher capturing and
// publishing with nobody subscribed yet, then subscribers that slept
// through it catching up. On separate machines the relay moves at the
// slower of the two.
func stages(dir, natsURL string, client *http.Client, total, conns int, localRate float64, counts []int) error {
	const channel, stream = "stages", "BENCH"
	pub, err := start(filepath.Join(dir, channel, "pub"), &relay.Options{URL: natsURL, Publish: true, Stream: stream, Channel: channel}, true)
	if err != nil {
		return err
	}
	t0, cpu0 := time.Now(), cpuTime()
	if _, err := load(client, pub.url, channel, total, conns); err != nil {
		return err
	}
	for end := time.Now().Add(2 * time.Minute); ; time.Sleep(time.Millisecond) {
		n, err := pub.st.Pending(context.Background(), inspect.SinkPublish)
		if err != nil {
			return err
		}
		if n == 0 {
			break
		}
		if time.Now().After(end) {
			return fmt.Errorf("%d captures still wait to be published", n)
		}
	}
	el, cpu := time.Since(t0), cpuTime()-cpu0
	pub.stop()
	pubRate := float64(total) / el.Seconds()
	fmt.Printf("publisher alone: capture→PubAck         %8.0f webhooks/s (%.2f × local), %s CPU per webhook\n",
		pubRate, pubRate/localRate, perHook(cpu, total))
	for i, subs := range counts {
		t0, cpu0 := time.Now(), cpuTime()
		sub, err := subscribers(filepath.Join(dir, channel, fmt.Sprint("late", i)), natsURL, stream, channel, fmt.Sprint("late", i), subs)
		if err != nil {
			return err
		}
		if err := waitAll(sub, total); err != nil {
			return err
		}
		el, cpu := time.Since(t0), cpuTime()-cpu0
		rate := float64(total) / el.Seconds()
		fmt.Printf("%d subscriber(s) catching up at once:  %8.0f webhooks/s each (%.2f × local), %s CPU per webhook per subscriber\n",
			subs, rate, rate/localRate, perHook(cpu, total*subs))
		for _, s := range sub {
			s.stop()
		}
	}
	return nil
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }

// cpuTime is the CPU this process (load generator, NATS and every store
// included) has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func perHook(cpu time.Duration, n int) string {
	return inspect.FormatLatency(cpu / time.Duration(n))
}

// load posts total signed webhooks over conns connections and returns how
// long it took for every one to be acknowledged.
func load(client *http.Client, url, prefix string, total, conns int) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	t0 := time.Now()
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(total) {
					return
				}
				if _, err := post(client, url, prefix, int(i)); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return time.Since(t0), nil
}

func post(client *http.Client, url, prefix string, i int) (string, error) {
	body := fmt.Appendf(nil, `{"event":"video.encoded","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_%s_%d","status":"ready","duration":142}}`, prefix, i)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	req, _ := http.NewRequest(http.MethodPost, url+"/webhooks", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-VideoNest-Signature", hex.EncodeToString(m.Sum(nil)))
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("webhook %d: %d %s", i, resp.StatusCode, b)
	}
	var r struct{ ID string }
	json.Unmarshal(b, &r)
	return r.ID, nil
}

// subscribers starts n subscribing sessions, each with its own store
// under dir and its own durable consumer named prefix_j.
func subscribers(dir, natsURL, stream, channel, prefix string, n int) ([]*node, error) {
	var out []*node
	for j := 0; j < n; j++ {
		s, err := start(filepath.Join(dir, fmt.Sprint("sub", j)), &relay.Options{URL: natsURL, Subscribe: true,
			Stream: stream, Channel: channel, Consumer: fmt.Sprint(prefix, "_", j)}, false)
		if err != nil {
			return out, err
		}
		out = append(out, s)
	}
	return out, nil
}

// waitAll waits until every subscriber has committed want webhooks.
func waitAll(subs []*node, want int) error {
	for _, s := range subs {
		if err := waitCount(s, want, 2*time.Minute); err != nil {
			return err
		}
	}
	return nil
}

// waitCount waits until the subscriber has committed want webhooks. It
// counts the Captured events sent after each commit, and asks the store
// once at the end: polling count(*) would scan the table again and again
// and take the cores being measured.
func waitCount(n *node, want int, limit time.Duration) error {
	deadline := time.After(limit)
	for got := 0; got < want; {
		select {
		case <-n.sub.Ready():
		case <-deadline:
			return fmt.Errorf("a subscriber got %d of %d webhooks within %s", got, want, limit)
		}
		for _, e := range n.sub.Drain() {
			if e.Type == inspect.Captured {
				got++
			}
		}
	}
	c, err := n.st.Count(context.Background(), inspect.Query{})
	if err == nil && c != want {
		err = fmt.Errorf("a subscriber's store holds %d webhooks, want %d", c, want)
	}
	return err
}

// latency posts one webhook at a time and times the publisher's 200 to the
// subscriber's commit (its Captured event, sent right after the commit).
func latency(client *http.Client, pub, sub *node, n int) error {
	sub.sub.Drain()
	var added []time.Duration
	pending := map[string]time.Time{}
	for i := 0; i < n; i++ {
		id, err := post(client, pub.url, "lat", i)
		if err != nil {
			return err
		}
		acked := time.Now()
		pending[id] = acked
		deadline := time.After(10 * time.Second)
		for pending[id] == acked {
			select {
			case <-sub.sub.Ready():
			case <-deadline:
				return fmt.Errorf("webhook %s never reached the subscriber", id)
			}
			now := time.Now()
			for _, e := range sub.sub.Drain() {
				if e.Type != inspect.Captured {
					continue
				}
				if at, ok := pending[e.Record.ID]; ok {
					added = append(added, now.Sub(at))
					delete(pending, e.Record.ID)
				}
			}
			if _, ok := pending[id]; !ok {
				break
			}
		}
	}
	slices.Sort(added)
	p := func(q float64) time.Duration { return added[int(q*float64(len(added)-1))] }
	fmt.Printf("relay latency at 1 connection (publisher's 200 → subscriber's commit), %d webhooks: p50 %s  p99 %s  max %s\n",
		len(added), inspect.FormatLatency(p(0.50)), inspect.FormatLatency(p(0.99)), inspect.FormatLatency(added[len(added)-1]))
	return nil
}
