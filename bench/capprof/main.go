// Command capprof runs hookscope's capture engine in-process, wired exactly
// as cmd/listen.go wires it (capture.New, capture.NewServer over
// wire.WrapListener, a headless printer draining the bus into /dev/null, and
// with -forward-to the forward package as relay), plus net/http/pprof on a
// second loopback port, so bench/run.sh --profile can take a CPU profile of
// capture under wrk load. hookscope itself has no pprof endpoint.
package main

import (
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof" // on http.DefaultServeMux, served only on -pprof-addrfile's port
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/hookscope/hookscope/bench/internal/ready"
	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/capture"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/hookscope/hookscope/inspect/wire"
)

func main() {
	db := flag.String("db", "", "store file")
	addrFile := flag.String("addrfile", "", "write the capture address here once ready")
	pprofFile := flag.String("pprof-addrfile", "", "write the pprof address here once ready")
	forwardTo := flag.String("forward-to", "", "forward to this handler, as `hookscope forward --to`")
	mutex := flag.Int("mutex-fraction", 0, "runtime.SetMutexProfileFraction (0 = off)")
	flag.Parse()
	// As listen does (cmd/listen.go, captureGCPercent).
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
	if *db == "" || *addrFile == "" || *pprofFile == "" {
		log.Fatal("usage: capprof -db PATH -addrfile FILE -pprof-addrfile FILE [-forward-to URL]")
	}
	if *mutex > 0 {
		runtime.SetMutexProfileFraction(*mutex)
		runtime.SetBlockProfileRate(10000) // one sample per 10µs blocked
	}

	st, err := store.Open(*db, store.Options{})
	if err != nil {
		log.Fatal(err)
	}
	eng := capture.New(capture.Config{Store: st, Secrets: []string{"k"}})
	var fwd *forward.Forwarder
	if *forwardTo != "" {
		t, err := forward.ParseTarget(*forwardTo)
		if err != nil {
			log.Fatal(err)
		}
		fwd = forward.New(forward.Options{Targets: []forward.Target{t}, Timeout: forward.ProviderTimeout,
			Store: st, Bus: eng.Bus()})
		eng.SetForwarder(fwd, nil)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := capture.NewServer(eng, forward.ProviderTimeout+30*time.Second)
	pln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(pln, nil)

	// The headless printer of `listen --no-tui > /dev/null`: same drain
	// loop, same line formatting, real writes.
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		log.Fatal(err)
	}
	sub := eng.Bus().Subscribe()
	stop := make(chan struct{})
	printed := make(chan struct{})
	go func() {
		defer close(printed)
		for {
			select {
			case <-sub.Ready():
				printEvents(devnull, sub.Drain())
			case <-stop:
				return
			}
		}
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(wire.WrapListener(ln)) }()
	if err := ready.WriteAddr(*pprofFile, pln.Addr().String()); err != nil {
		log.Fatal(err)
	}
	if err := ready.WriteAddr(*addrFile, ln.Addr().String()); err != nil {
		log.Fatal(err)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
	case err := <-serveErr:
		log.Print(err)
	}
	srv.Close()
	close(stop)
	<-printed
	if fwd != nil {
		fwd.Close()
	}
	s := st.Stats()
	st.Close()
	if s.Commits > 0 {
		// Attempts share the writer's transactions, so with -forward-to a
		// row is a capture or an attempt.
		fmt.Fprintf(os.Stderr, "store: %d rows in %d commits (%.1f rows per commit)\n",
			s.Rows, s.Commits, float64(s.Rows)/float64(s.Commits))
	}
}

func printEvents(w *os.File, evs []inspect.Event) {
	for _, e := range evs {
		switch e.Type {
		case inspect.Captured:
			r := e.Record
			ev := r.Event
			if ev == "" {
				ev = "-"
			}
			fmt.Fprintf(w, "%s  %s  %-6s %s  %s  %s  %s\n",
				r.ReceivedAt.Local().Format("15:04:05.000"), r.ID, payload.SanitizeLine(r.Method),
				payload.SanitizeLine(r.URI()), payload.SanitizeLine(ev), label(r.Signature.Status), payload.HumanSize(r.Size))
		case inspect.Forwarded:
			a := e.Attempt
			fmt.Fprintf(w, "%s  %s  → %s  %d  %dµs\n", a.At.Local().Format("15:04:05.000"), a.RequestID,
				payload.SanitizeLine(a.URL), a.Status, a.Latency.Microseconds())
		}
	}
}

func label(s signature.Status) string {
	if s == signature.Valid {
		return "✓ valid"
	}
	return string(s)
}
