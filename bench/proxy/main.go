// Command proxy is the baseline for `hookscope forward`: the standard
// library's ReverseProxy with a Transport tuned for one busy local backend
// (the default keeps only 2 idle connections per host), adding
// X-Forwarded-* headers as hookscope does. With -keep it is the forward
// anchor: the same, keeping each request and answer as hookscope does.
package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"

	"github.com/hookscope/hookscope/bench/internal/keep"
	"github.com/hookscope/hookscope/bench/internal/ready"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on")
	addrFile := flag.String("addrfile", "", "write the listening address here once ready")
	to := flag.String("to", "", "backend URL, e.g. http://127.0.0.1:3000")
	keepSpec := flag.String("keep", "", "keep every request before proxying it, and every answer: sqlite:PATH, store:PATH or log:PATH (bench/internal/keep)")
	flag.Parse()

	target, err := url.Parse(*to)
	if err != nil || target.Host == "" {
		log.Fatalf("-to %q: want a URL like http://127.0.0.1:3000", *to)
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
	}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(target)
			r.SetXForwarded()
		},
		Transport: tr,
	}
	var handler http.Handler = rp
	var k *keep.Keeper
	if *keepSpec != "" {
		if k, err = keep.Open(*keepSpec); err != nil {
			log.Fatal(err)
		}
		handler = keeping(k, rp)
	}
	if err := ready.Serve(*addr, *addrFile, handler); err != nil {
		log.Fatal(err)
	}
	if k != nil {
		if err := k.Close(); err != nil {
			log.Fatal(err)
		}
	}
}

type refKey struct{}

// keeping is the forward anchor: the request is kept before it is proxied
// (as hookscope commits before it forwards), and the handler's answer is
// queued as an attempt without holding up the reply (as hookscope records
// one).
func keeping(k *keep.Keeper, rp *httputil.ReverseProxy) http.Handler {
	rp.ModifyResponse = func(resp *http.Response) error {
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		k.Attempt(resp.Request.Context().Value(refKey{}).(keep.Ref), resp.StatusCode, resp.Header, body)
		return nil
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := keep.ReadBody(r)
		if err != nil {
			http.Error(w, "could not read the body", http.StatusBadRequest)
			return
		}
		ref, err := k.Request(r, body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		rp.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), refKey{}, ref)))
	})
}
