package forward

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
)

func TestParseTarget(t *testing.T) {
	cases := []struct{ in, want string }{
		{"3000", "http://localhost:3000"},
		{"3000/webhooks", "http://localhost:3000/webhooks"},
		{":3000/webhooks?x=1", "http://localhost:3000/webhooks?x=1"},
		{":3000", "http://localhost:3000"},
		{"localhost:3000", "http://localhost:3000"},
		{"localhost:3000/webhooks", "http://localhost:3000/webhooks"},
		{"http://127.0.0.1:8080/a/b?x=1", "http://127.0.0.1:8080/a/b?x=1"},
		{"https://example.test/hooks", "https://example.test/hooks"},
		{"[::1]:3000", "http://[::1]:3000"},
		{"localhost:3000/", "http://localhost:3000"},
	}
	for _, c := range cases {
		got, err := ParseTarget(c.in)
		if err != nil || got.String() != c.want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %s", c.in, got.URL, err, c.want)
		}
	}
	for _, bad := range []string{"", "ftp://x", "localhost:99999", "http://", "http://u:p@localhost:1"} {
		if _, err := ParseTarget(bad); err == nil {
			t.Errorf("ParseTarget(%q) accepted", bad)
		}
	}
}

func TestURLFor(t *testing.T) {
	cases := []struct {
		target, path, query string
		appendPath          bool
		want                string
	}{
		{":3000", "/webhooks", "", false, "http://localhost:3000/webhooks"},
		{":3000", "/", "a=1", false, "http://localhost:3000/?a=1"},
		{":3000/hooks", "/anything", "", false, "http://localhost:3000/hooks"},
		{":3000/hooks?k=v", "/x", "a=1", false, "http://localhost:3000/hooks?k=v&a=1"},
		{":3000/api", "/webhooks", "", true, "http://localhost:3000/api/webhooks"},
		{":3000/api/", "/webhooks", "", true, "http://localhost:3000/api/webhooks"},
		{":3000", "/a%2Fb", "", false, "http://localhost:3000/a%2Fb"},
	}
	for _, c := range cases {
		tg, _ := ParseTarget(c.target)
		if got := tg.URLFor(c.path, c.query, c.appendPath); got != c.want {
			t.Errorf("%s + %s?%s (append %v) = %s, want %s", c.target, c.path, c.query, c.appendPath, got, c.want)
		}
	}
}

func TestParseRoutes(t *testing.T) {
	rs, err := ParseRoutes(strings.NewReader("# routes\nvideo.* -> :3000/videos\n\ndistribution.failed -> 4000/alerts # pager\n"))
	if err != nil || len(rs) != 2 {
		t.Fatalf("%v %v", rs, err)
	}
	if !rs[0].Match("video.failed") || rs[0].Match("distribution.failed") || !rs[1].Match("distribution.failed") {
		t.Error("matching")
	}
	for _, bad := range []string{"video.*", "-> :3000", "[ -> :3000", "x -> ftp://a"} {
		if _, err := ParseRoutes(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "line 1") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func newStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "h.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func captured(t *testing.T, st *store.Store, body string) *inspect.Record {
	t.Helper()
	r := &inspect.Record{ReceivedAt: time.Now(), Method: "POST", Path: "/webhooks", Query: "a=1", RemoteAddr: "10.1.2.3:5555",
		Host: "abc.ngrok.app", Body: []byte(body), Size: int64(len(body)),
		Headers: []inspect.Header{
			{Name: "Host", Value: "abc.ngrok.app"},
			{Name: "x-videonest-signature", Value: signature.VideoNest{}.Compute([]byte(body), "k")},
			{Name: "Content-Type", Value: "application/json"},
			{Name: "Connection", Value: "keep-alive, X-Drop"},
			{Name: "X-Drop", Value: "hop"},
			{Name: "Content-Length", Value: fmt.Sprint(len(body))},
			{Name: "X-Multi", Value: "1"}, {Name: "X-Multi", Value: "2"},
		}}
	if err := st.Insert(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSendIsByteExact(t *testing.T) {
	var got *http.Request
	var gotBody []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r
		gotBody, _ = io.ReadAll(r.Body)
		w.Header().Set("X-Handler", "yes")
		w.WriteHeader(201)
		io.WriteString(w, "created")
	}))
	defer srv.Close()
	st := newStore(t)
	body := "{\"event\":\"video.failed\",\"n\":1.0000000000000001}\n\x00\xff"
	rec := captured(t, st, body)
	f := New(Options{Store: st})
	defer f.Close()
	tg, _ := ParseTarget(srv.URL)
	res := f.Send(context.Background(), rec, tg.URLFor(rec.Path, rec.Query, false), false)
	a := res.Attempt
	if a.Status != 201 || string(res.Body) != "created" || a.Error != "" {
		t.Fatalf("attempt %+v", a)
	}
	if !bytes.Equal(gotBody, []byte(body)) {
		t.Errorf("body %q", gotBody)
	}
	if got.URL.RawQuery != "a=1" || got.URL.Path != "/webhooks" || got.Method != "POST" {
		t.Errorf("request %s %s", got.Method, got.URL)
	}
	if v := (signature.VideoNest{}).Verify(got.Header, gotBody, []string{"k"}); v.Status != signature.Valid {
		t.Errorf("signature does not verify after forward: %+v", v)
	}
	if got.Header.Get("X-Drop") != "" || got.Header.Get("User-Agent") != "" || got.Header.Get("Accept-Encoding") != "" {
		t.Errorf("hop-by-hop or added headers: %v", got.Header)
	}
	if strings.Join(got.Header.Values("X-Multi"), ",") != "1,2" {
		t.Errorf("repeated header %v", got.Header.Values("X-Multi"))
	}
	if got.Header.Get("X-Forwarded-For") != "10.1.2.3" || got.Header.Get("X-Forwarded-Host") != "abc.ngrok.app" ||
		got.Header.Get("X-Forwarded-Proto") != "http" {
		t.Errorf("forwarded headers %v", got.Header)
	}
}

func TestFaults(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{"event":"video.processed"}`)

	// A closed port: refused, one line.
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	closed := "http://" + l.Addr().String()
	l.Close()
	f := New(Options{Store: st, Timeout: 300 * time.Millisecond})
	defer f.Close()
	a := f.Send(context.Background(), rec, closed, false).Attempt
	if a.Status != 0 || !strings.Contains(a.Error, "refused the connection") || strings.Contains(a.Error, "\n") {
		t.Errorf("closed port: %+v", a)
	}
	w := httptest.NewRecorder()
	relay(w, rec, &Result{Attempt: a})
	if w.Code != 502 {
		t.Errorf("closed port relayed as %d", w.Code)
	}

	// A slow handler: 504.
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	a = f.Send(context.Background(), rec, slow.URL, false).Attempt
	if a.Status != 0 || !strings.Contains(a.Error, "did not answer within 300ms") {
		t.Errorf("slow handler: %+v", a)
	}
	w = httptest.NewRecorder()
	relay(w, rec, &Result{Attempt: a})
	if w.Code != 504 {
		t.Errorf("slow handler relayed as %d", w.Code)
	}
}

func TestNoTimeoutMarksLateAnswers(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(150 * time.Millisecond)
		w.WriteHeader(204)
	}))
	defer srv.Close()
	f := New(Options{Store: st, Timeout: 0, ProviderTimeout: 100 * time.Millisecond})
	defer f.Close()
	a := f.Send(context.Background(), rec, srv.URL, false).Attempt
	if a.Status != 204 || !a.TimedOutForProvider {
		t.Errorf("%+v", a)
	}
}

func TestNoLeaksAfterManyForwards(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{"event":"video.processed"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(200)
	}))
	defer srv.Close()
	before := runtime.NumGoroutine()
	f := New(Options{Store: st, Timeout: 5 * time.Second})
	var wg sync.WaitGroup
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if a := f.Send(context.Background(), rec, srv.URL, false).Attempt; a.Status != 200 {
					t.Errorf("%+v", a)
					return
				}
			}
		}()
	}
	wg.Wait()
	f.Close()
	srv.CloseClientConnections()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before+2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before+2 {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines before, %d after 800 forwards:\n%s", before, n, buf[:runtime.Stack(buf, true)])
	}
}

func TestPrepareResignsInPlace(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{"event":"video.processed","data":{"status":"ready","duration":142}}`)
	out, notes, err := Prepare(rec, Edit{Sets: []string{"data.status=failed"}, Secret: "new"})
	if err != nil || len(notes) != 0 {
		t.Fatal(err, notes)
	}
	if string(out.Body) != `{"event":"video.processed","data":{"status":"failed","duration":142}}` {
		t.Errorf("body %s", out.Body)
	}
	if out.Headers[1].Name != "x-videonest-signature" || out.Headers[1].Value != (signature.VideoNest{}).Compute(out.Body, "new") {
		t.Errorf("signature header %+v", out.Headers[1])
	}
	if string(rec.Body) == string(out.Body) || rec.Headers[1].Value == out.Headers[1].Value {
		t.Error("Prepare changed the captured record")
	}
	// No secret: the body changes, the note says the signature will not verify.
	_, notes, err = Prepare(rec, Edit{Sets: []string{"data.status=failed"}})
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "will not verify") {
		t.Errorf("%v %v", notes, err)
	}
	if _, _, err := Prepare(rec, Edit{Resign: true}); err == nil {
		t.Error("--resign without a secret accepted")
	}
	if _, _, err := Prepare(rec, Edit{Sets: []string{"nokey"}}); err == nil {
		t.Error("bad --set accepted")
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"3000", ":3000", "localhost:3000/webhooks", "https://a.b/c?d#e", "[::1]:1", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		u := tg.URLFor("/p", "q=1", true)
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			t.Fatalf("%q -> %q", s, u)
		}
	})
}

func TestPrepareResignsWithTheCapturesScheme(t *testing.T) {
	st := newStore(t)
	rec := captured(t, st, `{"type":"invoice.paid"}`)
	rec.Headers = append(rec.Headers, inspect.Header{Name: "Stripe-Signature", Value: "t=1,v1=00"})
	rec.Signature.Scheme = "stripe"
	out, _, err := Prepare(rec, Edit{Resign: true, Secret: "whsec_x"})
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	for _, x := range out.Headers {
		h.Add(x.Name, x.Value)
	}
	if v := (signature.Stripe{}).Verify(h, out.Body, []string{"whsec_x"}); v.Status != signature.Valid {
		t.Errorf("re-signed Stripe capture: %+v", v)
	}
}

// TestPointsAt: every spelling of this machine's own listener is a loop,
// a neighbouring port or another host is not.
func TestPointsAt(t *testing.T) {
	lo := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 7717}
	any := &net.TCPAddr{IP: net.IPv4zero, Port: 7717}
	for _, tc := range []struct {
		target string
		addr   *net.TCPAddr
		want   bool
	}{
		{"localhost:7717", lo, true},
		{"127.0.0.1:7717/hook", lo, true},
		{"0.0.0.0:7717", lo, true},
		{"http://[::]:7717", lo, true},
		{"127.0.0.1:7717", any, true},
		{"127.0.0.1:7718", lo, false},
		{"http://192.0.2.1:7717", lo, false},
		{"http://example.test:7717", any, false},
	} {
		tg, err := ParseTarget(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		if got := PointsAt(tg, tc.addr); got != tc.want {
			t.Errorf("PointsAt(%s, %s) = %v, want %v", tc.target, tc.addr, got, tc.want)
		}
	}
}
