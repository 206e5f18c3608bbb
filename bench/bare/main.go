// Command bare is the benchmark's baseline: plain net/http that reads the
// whole body and answers 200, the least any webhook handler does. It is
// also the handler behind `hookscope forward`, the proxy and replay. With
// -keep it is the durability anchor: the same, keeping every request first.
package main

import (
	"flag"
	"io"
	"log"
	"net/http"

	"github.com/hookscope/hookscope/bench/internal/keep"
	"github.com/hookscope/hookscope/bench/internal/ready"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	addrFile := flag.String("addrfile", "", "write the listening address here once ready")
	keepSpec := flag.String("keep", "", "keep every request before answering: sqlite:PATH, store:PATH or log:PATH (bench/internal/keep)")
	flag.Parse()

	var k *keep.Keeper
	if *keepSpec != "" {
		var err error
		if k, err = keep.Open(*keepSpec); err != nil {
			log.Fatal(err)
		}
	}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k == nil {
			if _, err := io.Copy(io.Discard, r.Body); err != nil {
				http.Error(w, "could not read the body", http.StatusBadRequest)
				return
			}
		} else {
			body, err := keep.ReadBody(r)
			if err != nil {
				http.Error(w, "could not read the body", http.StatusBadRequest)
				return
			}
			if _, err := k.Request(r, body); err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"received":true}`+"\n")
	})
	if err := ready.Serve(*addr, *addrFile, handler); err != nil {
		log.Fatal(err)
	}
	if k != nil {
		if err := k.Close(); err != nil {
			log.Fatal(err)
		}
	}
}
