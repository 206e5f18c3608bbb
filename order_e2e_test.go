package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawHandler is a handler that keeps the exact bytes of each request's
// header block, as a strict signature check or a proxy behind it would see
// them, and answers 200.
func rawHandler(t *testing.T) (addr string, blocks <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan string, 16)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					var block strings.Builder
					for {
						l, err := br.ReadString('\n')
						if err != nil {
							return
						}
						block.WriteString(l)
						if l == "\r\n" {
							break
						}
					}
					req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(block.String())))
					if err != nil {
						return
					}
					io.CopyN(io.Discard, br, req.ContentLength)
					ch <- block.String()
					io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	return ln.Addr().String(), ch
}

// TestForwardKeepsHeaderOrderAndCase: the handler receives the captured
// header lines in arrival order and spelling, repeated names in their
// order, and a lower-case x-forwarded-for appended to rather than doubled;
// the same holds for a replay.
func TestForwardKeepsHeaderOrderAndCase(t *testing.T) {
	t.Parallel()
	addr, blocks := rawHandler(t)
	e := newEnv(t)
	p := e.start([]string{"forward", "--to", addr + "/hook", "--secret", "k"})
	body := sampleBody
	c, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /webhooks HTTP/1.1\r\nHost: example.test\r\nX-Dup: 2\r\nzeta: last-alphabetically\r\nx-dup: 1\r\n"+
		"x-forwarded-for: 203.0.113.9\r\nX-VideoNest-Signature: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		sign([]byte(body), "k"), len(body), body)
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("forward: %v %v", resp, err)
	}
	check := func(what, block string) {
		t.Helper()
		lines := strings.Split(block, "\r\n")
		var names []string
		for _, l := range lines[1:] {
			if n, _, ok := strings.Cut(l, ":"); ok {
				names = append(names, n)
			}
		}
		got := strings.Join(names, ",")
		want := "Host,X-Dup,zeta,x-dup,x-forwarded-for,X-VideoNest-Signature,Content-Type,"
		if !strings.HasPrefix(got, want) {
			t.Errorf("%s: header names in order %q, want them to start %q\n%s", what, got, want, block)
		}
		if !strings.Contains(block, "\r\nX-Dup: 2\r\nzeta: last-alphabetically\r\nx-dup: 1\r\n") {
			t.Errorf("%s: repeated header out of order:\n%s", what, block)
		}
		if strings.Count(strings.ToLower(block), "x-forwarded-for:") != 1 || !strings.Contains(block, "x-forwarded-for: 203.0.113.9, 127.0.0.1\r\n") {
			t.Errorf("%s: x-forwarded-for not appended to in place:\n%s", what, block)
		}
		if what == "live forward" && !strings.Contains(block, "\r\nVia: 1.1 hookscope-") {
			t.Errorf("%s: no Via naming hookscope:\n%s", what, block)
		}
	}
	select {
	case b := <-blocks:
		check("live forward", b)
	case <-time.After(10 * time.Second):
		t.Fatal("the handler got nothing")
	}
	id := resp.Header.Get("X-Hookscope-Id")
	if out, errOut, code := e.run([]string{"replay", id}); code != 0 {
		t.Fatalf("replay: %d %s %s", code, out, errOut)
	}
	select {
	case b := <-blocks:
		check("replay", b)
	case <-time.After(10 * time.Second):
		t.Fatal("the replay got nothing")
	}
}
