package main

// Hostile clients and hostile content, against the built binary: stalled
// and oversized requests cost a real webhook nothing, pipelined requests are
// captured and answered in order, smuggling shapes are refused and never
// reach the handler, and nothing that came off the network is obeyed by the
// terminal of the person reading it.

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"
)

func dialListen(t *testing.T, p *proc) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// closedWithin reads c until the server closes it, for at most limit. It
// returns what was read and how long the close took.
func closedWithin(c net.Conn, limit time.Duration) ([]byte, time.Duration, error) {
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	b, err := io.ReadAll(c)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return b, time.Since(start), fmt.Errorf("still open after %s", limit)
		}
		// A reset is a close too.
	}
	return b, time.Since(start), nil
}

// TestStalledClientsDoNotDelayWebhooks opens 300 connections that never
// finish their headers and 100 whose 10 MiB bodies never come, then times
// real webhooks, sends oversized headers, and checks the stalled ones are
// dropped by the server's deadlines, not kept for a minute.
func TestStalledClientsDoNotDelayWebhooks(t *testing.T) {
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k"})
	opened := time.Now()
	var stalled []net.Conn
	defer func() {
		for _, c := range stalled {
			c.Close()
		}
	}()
	for i := 0; i < 300; i++ {
		c := dialListen(t, p)
		fmt.Fprintf(c, "POST /stalled/%d HTTP/1.1\r\nHost: x\r\nX-Never-Ends: ", i)
		stalled = append(stalled, c)
	}
	var bodies []net.Conn
	for i := 0; i < 100; i++ {
		c := dialListen(t, p)
		fmt.Fprintf(c, "POST /stalled-body/%d HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n{\"event\":", i, 10<<20)
		bodies = append(bodies, c)
		stalled = append(stalled, c)
	}
	bodyStalled := time.Now()

	// Real webhooks, each on a fresh connection as VideoNest would open.
	var lat []time.Duration
	for i := 0; i < 20; i++ {
		body := []byte(sampleBody)
		start := time.Now()
		code, resp := post(t, fmt.Sprintf("%s/real/%d", p.URL, i), body, map[string]string{"X-VideoNest-Signature": sign(body, "k"), "Connection": "close"})
		lat = append(lat, time.Since(start))
		if code != 200 {
			t.Fatalf("real webhook %d beside the stalled connections: %d %s", i, code, resp)
		}
	}
	slices.Sort(lat)
	if lat[len(lat)-1] > 2*time.Second {
		t.Errorf("a real webhook took %s with 400 stalled connections open", lat[len(lat)-1])
	}
	rss := residentBytes(p.cmd.Process.Pid)
	if rss > 512<<20 {
		t.Errorf("listen holds %d MiB with 100 bodies of 10 MiB announced and never sent", rss>>20)
	}

	// Headers over 32 KiB (net/http allows 4 KiB of slack past
	// MaxHeaderBytes): 431, and the server is none the worse.
	c := dialListen(t, p)
	fmt.Fprintf(c, "POST /huge-headers HTTP/1.1\r\nHost: x\r\nX-Big: %s\r\nContent-Length: 2\r\n\r\n{}", strings.Repeat("a", 32<<10+8<<10))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("40 KiB of headers: %v %v, want 431", resp, err)
	}
	c.Close()
	if code, _ := post(t, p.URL+"/after-huge", []byte(sampleBody), nil); code != 200 {
		t.Errorf("after oversized headers: %d", code)
	}

	// The stalled body is cut off once it stops arriving, well before the
	// server's 60 s ReadTimeout, with a 400 and a closed connection.
	got, _, err := closedWithin(bodies[0], 20*time.Second)
	dropBody := time.Since(bodyStalled)
	if err != nil || !bytes.HasPrefix(got, []byte("HTTP/1.1 400")) {
		t.Errorf("stalled body: %v, got %q", err, got)
	} else if dropBody > 15*time.Second {
		t.Errorf("a body stalled since %s ago was only dropped now", dropBody)
	}
	// The stalled headers are dropped by ReadHeaderTimeout (10 s).
	if _, _, err := closedWithin(stalled[0], 15*time.Second); err != nil {
		t.Errorf("connection stalled in its headers: %v", err)
	}
	dropHeaders := time.Since(opened)
	for i, c := range bodies[1:] {
		if _, _, err := closedWithin(c, 5*time.Second); err != nil {
			t.Errorf("stalled body %d: %v", i+1, err)
			break
		}
	}

	// None of them was acknowledged or stored; the real ones were.
	stored := readStore(t, e.db)
	for path := range stored {
		if strings.HasPrefix(path, "/stalled") {
			t.Errorf("%s was stored", path)
		}
	}
	if len(stored) != 21 {
		t.Errorf("%d requests stored, want the 21 real ones", len(stored))
	}
	t.Logf("stalled clients: 300 connections stalled in headers + 100 in 10 MiB bodies; real webhook latency min %s, median %s, max %s; listen RSS %d MiB; stalled bodies dropped after %s, stalled headers after %s",
		lat[0].Round(time.Microsecond), lat[len(lat)/2].Round(time.Microsecond), lat[len(lat)-1].Round(time.Microsecond), rss>>20,
		dropBody.Round(100*time.Millisecond), dropHeaders.Round(100*time.Millisecond))
}

// TestPipelinedRequests sends five requests in one write, one of them
// chunked and one whose body looks like a request: all are captured in
// order, with their own headers and bodies, and answered in order.
func TestPipelinedRequests(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen"})
	type req struct {
		path, body string
		headers    []string // as sent, in order
		chunked    bool
	}
	reqs := []req{
		{path: "/pipe/1", body: `{"event":"video.processed"}`, headers: []string{"X-Order: 1", "x-lower: kept"}},
		{path: "/pipe/2", body: "hello, chunked world", headers: []string{"X-Order: 2"}, chunked: true},
		{path: "/pipe/3", body: "", headers: []string{"X-Order: 3"}},
		{path: "/pipe/4", body: "\r\n\r\nGET /inner HTTP/1.1\r\nHost: x\r\n\r\n", headers: []string{"X-Order: 4"}},
		{path: "/pipe/5", body: `{"event":"video.failed"}`, headers: []string{"X-Order: 5", "Connection: close"}},
	}
	var wire bytes.Buffer
	for _, r := range reqs {
		fmt.Fprintf(&wire, "POST %s HTTP/1.1\r\nHost: pipe\r\n", r.path)
		for _, h := range r.headers {
			wire.WriteString(h + "\r\n")
		}
		if r.chunked {
			half := len(r.body) / 2
			fmt.Fprintf(&wire, "Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", half, r.body[:half], len(r.body)-half, r.body[half:])
		} else {
			fmt.Fprintf(&wire, "Content-Length: %d\r\n\r\n%s", len(r.body), r.body)
		}
	}
	c := dialListen(t, p)
	defer c.Close()
	if _, err := c.Write(wire.Bytes()); err != nil { // one write: all five at once
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(15 * time.Second))
	br := bufio.NewReader(c)
	var ids []string
	for i := range reqs {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v", i+1, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("answer %d: %d %s", i+1, resp.StatusCode, b)
		}
		ids = append(ids, idOf(t, b))
	}
	if rest, _, err := closedWithin(c, 5*time.Second); err != nil || len(rest) != 0 {
		t.Errorf("after Connection: close: %v, %q more", err, rest)
	}
	if !slices.IsSorted(ids) {
		t.Errorf("ids %v are not in arrival order", ids)
	}
	for i, r := range reqs {
		var rec struct {
			Path       string
			BodyBase64 string `json:"body_base64"`
			Headers    []struct{ Name, Value string }
		}
		json.Unmarshal([]byte(e.mustRun("show", ids[i], "--json")), &rec)
		body, _ := base64.StdEncoding.DecodeString(rec.BodyBase64)
		var hs []string
		for _, h := range rec.Headers {
			hs = append(hs, h.Name+": "+h.Value)
		}
		if rec.Path != r.path || string(body) != r.body || !slices.Equal(hs[1:1+len(r.headers)], r.headers) {
			t.Errorf("answer %d (id %s) is for %s %q %v; sent %s %q %v", i+1, ids[i], rec.Path, body, hs, r.path, r.body, r.headers)
		}
	}
	if n := len(readStore(t, e.db)); n != len(reqs) {
		t.Errorf("%d requests stored, want %d (a body is not a request)", n, len(reqs))
	}
}

// TestSmugglingIsRefusedAndNeverForwarded sends request-smuggling shapes
// through `forward --to` a handler that counts what reaches it: each gets a
// non-2xx answer on a connection that is then closed, those net/http lets
// through are recorded as refused, and the handler sees none of them.
func TestSmugglingIsRefusedAndNeverForwarded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mu sync.Mutex
	var paths []string
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
	}))
	defer h.Close()
	p := e.start([]string{"forward", "--to", h.URL})
	smuggled := "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	var answers []string
	cases := []struct {
		name, head string
		recorded   bool // reaches hookscope's handler (net/http refuses the rest itself)
	}{
		{"cl-te", "POST /smuggle/cl-te HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nTransfer-Encoding: chunked\r\n\r\n", true},
		{"te-cl", "POST /smuggle/te-cl HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n", true},
		{"http10", "POST /smuggle/http10 HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n", true},
		{"folded-te", "POST /smuggle/folded-te HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nTransfer-Encoding:\r\n chunked\r\n\r\n", true},
		{"two-lengths", "POST /smuggle/two-lengths HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nContent-Length: 0\r\n\r\n", false},
		{"te-list", "POST /smuggle/te-list HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\nContent-Length: %d\r\n\r\n", false},
		{"te-twice", "POST /smuggle/te-twice HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\nContent-Length: %d\r\n\r\n", false},
	}
	for _, tc := range cases {
		c := dialListen(t, p)
		fmt.Fprintf(c, tc.head+smuggled, len(smuggled))
		got, _, err := closedWithin(c, 10*time.Second)
		c.Close()
		resp, rerr := http.ReadResponse(bufio.NewReader(bytes.NewReader(got)), nil)
		switch {
		case err != nil:
			t.Errorf("%s: connection not closed: %v (got %q)", tc.name, err, got)
		case rerr != nil:
			t.Errorf("%s: no answer: %v (got %q)", tc.name, rerr, got)
		case resp.StatusCode < 400:
			t.Errorf("%s: answered %d, want a refusal", tc.name, resp.StatusCode)
		case bytes.Count(got, []byte("HTTP/1.")) != 1:
			t.Errorf("%s: the smuggled request was answered too: %q", tc.name, got)
		default:
			answers = append(answers, fmt.Sprintf("%s %d", tc.name, resp.StatusCode))
		}
	}
	// A plain request still goes through, so zero above means refused.
	if code, _ := post(t, p.URL+"/plain", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("plain request: %d", code)
	}
	p.stop()
	mu.Lock()
	if len(paths) != 1 || paths[0] != "/plain" {
		t.Errorf("the handler was reached by %v; want only /plain", paths)
	}
	mu.Unlock()
	stored := readStore(t, e.db)
	for _, tc := range cases {
		row, ok := stored["/smuggle/"+tc.name]
		if tc.recorded && (!ok || row.refused != 400 || len(row.body) != 0) {
			t.Errorf("%s: not recorded as refused with 400: %+v (stored %v)", tc.name, row, ok)
		}
		if ok && row.refused == 0 {
			t.Errorf("%s: stored as an accepted request", tc.name)
		}
	}
	if _, ok := stored["/smuggled"]; ok {
		t.Error("the smuggled request was captured")
	}
	out := e.mustRun("list")
	if !strings.Contains(out, "/smuggle/cl-te") || !strings.Contains(out, "\t400\t") {
		t.Errorf("list does not show the refusals:\n%s", out)
	}
	var recorded []string
	for path, row := range stored {
		if row.refused != 0 {
			recorded = append(recorded, path)
		}
	}
	slices.Sort(recorded)
	t.Logf("smuggling: answers %v; recorded as refused %v; handler reached by %v", answers, recorded, paths)
}

// terminalUnsafe names the first character in s that a terminal could obey:
// C0 controls but newline and tab (a CR only as part of CR LF, which a
// terminal's line discipline adds), DEL, C1 controls, bidi controls, and
// bytes that are not UTF-8 (a lone 0x9b is CSI to 8-bit terminals).
func terminalUnsafe(s string) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError && !strings.HasPrefix(s[i:], "\xef\xbf\xbd"):
			return fmt.Sprintf("byte %#x at %d", s[i], i)
		case r == '\r' && strings.HasPrefix(s[i:], "\r\n"), r == '\n', r == '\t':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return fmt.Sprintf("%U at %d: %q", r, i, s[max(0, i-20):min(len(s), i+20)])
		}
	}
	return ""
}

// runOnTerminal runs hookscope with a pseudo-terminal as stdout, so it
// prints its output for people, and returns what the terminal received.
func runOnTerminal(t *testing.T, e *env, args ...string) string {
	t.Helper()
	ptm, pts := openPTY(t)
	c := exec.Command(hookscopeBin, args...)
	c.Env = e.environ("COLUMNS=200")
	c.Stdout = pts
	var errb bytes.Buffer
	c.Stderr = &errb
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pts.Close() // the child holds the terminal side now
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, ptm); close(done) }() // ends with EIO once the child exits
	c.Wait()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("hookscope %v: terminal output never ended", args)
	}
	if errb.Len() > 0 {
		t.Logf("hookscope %v stderr: %s", args, errb.String())
	}
	return out.String()
}

// TestHostileContentIsShownNotObeyed sends escape sequences, C1 controls,
// bidi overrides and invalid UTF-8 in paths, queries, header values, event
// names, bodies and a handler's answer, and reads every view for people:
// listen's plain lines, list and show piped and on a terminal, replay. None
// may pass such a character through; --raw and --json stay exact.
func TestHostileContentIsShownNotObeyed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	evilAnswer := "\x1b]52;c;cHduZWQ=\x07\x1b[2J\x9b31m\xc2\x9b\xe2\x80\xae answer"
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("X-Evil", "\xc2\x9b\xe2\x80\xae")
		io.WriteString(w, evilAnswer)
	}))
	defer h.Close()

	// listen --no-tui prints plain lines; read them as they come.
	c := exec.Command(hookscopeBin, "forward", "--to", h.URL, "--port", "0", "--no-tui", "--secret", "k")
	c.Env = e.environ()
	stdout, _ := c.StdoutPipe()
	var stderr syncBuffer
	c.Stderr = &stderr
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { c.Process.Signal(os.Interrupt); c.Wait() }()
	lines := bufio.NewScanner(stdout)
	lines.Scan()
	url := plainReadyURL(lines.Text())
	if url == "" {
		t.Fatalf("no ready line: %q %s", lines.Text(), stderr.String())
	}
	addr := strings.TrimPrefix(url, "http://")

	evilJSON := `{"event":"video.\u001b[2J\u001b]0;pwned\u0007processed\u009b31m\u202e","data":{"title":"\u001b]52;c;aGk=\u0007 \u202etxt.exe"}}`
	evilText := "text\x1b]52;c;aGk=\x07\x1b[2J\r overwritten \x9b31m \xc2\x9b \xe2\x80\xae \x7f\x00 end\n"
	evilBinary := []byte("\x00\x01\x1b[2J\x9b\xff\xfe binary")
	type sentReq struct {
		target string
		hdr    string
		body   []byte
		id     string
	}
	reqs := []*sentReq{
		{target: "/evil%1b[2J/json?q=\x9b2J&r=\xc2\x9b31m&s=\xe2\x80\xae&t=%1b", hdr: "X-Evil: a\x9bb\xc2\x9bc\xe2\x80\xaed\r\nX-VideoNest-Signature: \xc2\x9b2J\xe2\x80\xae" + strings.Repeat("0", 57), body: []byte(evilJSON)},
		{target: "/evil/text", hdr: "X-Evil: \xe2\x81\xa6isolate", body: []byte(evilText)},
		{target: "/evil/binary", hdr: "X-Evil: \xff\xfe", body: evilBinary},
		// Indenting grows with the square of the depth: 20 KB would print 190 MB.
		{target: "/evil/deep", hdr: "X-Evil: deep", body: []byte(strings.Repeat("[", 9999) + strings.Repeat("]", 9999))},
	}
	for _, r := range reqs {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: x\r\n%s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", r.target, r.hdr, len(r.body), r.body)
		conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", r.target, err)
		}
		resp.Body.Close()
		conn.Close()
		if r.id = resp.Header.Get("X-Hookscope-Id"); r.id == "" {
			t.Fatalf("%s: answered %d without an id", r.target, resp.StatusCode)
		}
	}
	// Two lines per request: the capture and its forward.
	var plain []string
	for len(plain) < 2*len(reqs) && lines.Scan() {
		plain = append(plain, lines.Text())
	}
	for _, l := range plain {
		if bad := terminalUnsafe(l); bad != "" {
			t.Errorf("listen --no-tui line carries %s", bad)
		}
	}
	if len(plain) < 2*len(reqs) {
		t.Errorf("listen --no-tui printed %d lines, want %d", len(plain), 2*len(reqs))
	} else if !strings.Contains(plain[0], `\u009b`) && !strings.Contains(plain[0], `\x9b`) {
		t.Errorf("the escape is not shown visibly: %s", plain[0])
	}

	views := map[string]string{}
	out, errOut, code := e.run([]string{"replay", reqs[0].id})
	if code != 0 {
		t.Errorf("replay: exit %d %s", code, errOut)
	}
	views["replay"] = out + errOut
	views["list (piped)"] = e.mustRun("list")
	views["list (terminal)"] = runOnTerminal(t, e, "list")
	for _, r := range reqs {
		views["show "+r.target+" (piped)"] = e.mustRun("show", r.id)
		views["show "+r.target+" (terminal)"] = runOnTerminal(t, e, "show", r.id)
		views["show --json "+r.target+" (terminal)"] = runOnTerminal(t, e, "show", r.id, "--json")
	}
	views["list --json (terminal)"] = runOnTerminal(t, e, "list", "--json")
	if v := views["show /evil/deep (piped)"]; len(v) > 1<<20 {
		t.Errorf("show of a 20 KB body nested 9999 deep printed %d MB", len(v)>>20)
	}
	views["listen stderr"] = stderr.String()
	for name, v := range views {
		if bad := terminalUnsafe(v); bad != "" {
			t.Errorf("%s carries %s", name, bad)
		}
	}
	if !strings.Contains(views["list (terminal)"], "/evil/text") || !strings.Contains(views["show /evil/text (terminal)"], "Request "+reqs[1].id) {
		t.Errorf("the terminal views lack the requests:\n%s\n%s", views["list (terminal)"], views["show /evil/text (terminal)"])
	}
	if v := views["show "+reqs[0].target+" (piped)"]; !strings.Contains(v, "cHduZWQ=") || !strings.Contains(v, "replay") {
		t.Errorf("show does not include the handler's answers:\n%s", v)
	}

	// --raw and --json are exact.
	for _, r := range reqs {
		if got := e.mustRun("show", r.id, "--raw"); got != string(r.body) {
			t.Errorf("show %s --raw = %q, want %q", r.target, got, r.body)
		}
		var rec struct {
			Path, Query string
			QueryBase64 string `json:"query_base64"`
			BodyBase64  string `json:"body_base64"`
			Headers     []struct {
				Name, Value string
				ValueBase64 string `json:"value_base64"`
			}
		}
		if err := json.Unmarshal([]byte(e.mustRun("show", r.id, "--json")), &rec); err != nil {
			t.Fatal(err)
		}
		body, _ := base64.StdEncoding.DecodeString(rec.BodyBase64)
		query := rec.Query
		if rec.QueryBase64 != "" {
			b, _ := base64.StdEncoding.DecodeString(rec.QueryBase64)
			query = string(b)
		}
		uri := rec.Path
		if query != "" {
			uri += "?" + query
		}
		var hdr strings.Builder
		for _, h := range rec.Headers {
			v := h.Value
			if h.ValueBase64 != "" {
				b, _ := base64.StdEncoding.DecodeString(h.ValueBase64)
				v = string(b)
			}
			if h.Name != "Host" && h.Name != "Content-Length" && h.Name != "Connection" {
				if hdr.Len() > 0 {
					hdr.WriteString("\r\n")
				}
				hdr.WriteString(h.Name + ": " + v)
			}
		}
		if !bytes.Equal(body, r.body) || uri != r.target || hdr.String() != r.hdr {
			t.Errorf("show --json is not exact for %q:\n uri %q\n headers %q, sent %q\n body %q", r.target, uri, hdr.String(), r.hdr, body)
		}
	}
}

// TestOddRequestShapesAreRecorded: OPTIONS * is captured like any request
// (not answered by net/http behind hookscope's back), an HTTP/2 cleartext
// preface gets a 505 that says why and is recorded, and trailer fields
// after a chunked body are kept.
func TestOddRequestShapesAreRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k"})
	exchange := func(raw string) string {
		c := dialListen(t, p)
		defer c.Close()
		io.WriteString(c, raw)
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("%q: %v", raw, err)
		}
		return resp.Status
	}
	if s := exchange("OPTIONS * HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"); !strings.HasPrefix(s, "200") {
		t.Errorf("OPTIONS *: %s", s)
	}
	if s := exchange("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"); !strings.HasPrefix(s, "505") {
		t.Errorf("h2c preface: %s, want 505", s)
	}
	if s := exchange("POST /chunked HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n2\r\n{}\r\n0\r\nX-Checksum: abc\r\n\r\n"); !strings.HasPrefix(s, "200") {
		t.Errorf("chunked with a trailer: %s", s)
	}
	var recs []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &recs)
	got := map[string]map[string]any{}
	for _, r := range recs {
		got[r["method"].(string)+" "+r["path"].(string)] = r
	}
	if got["OPTIONS *"] == nil || got["PRI *"] == nil || got["POST /chunked"] == nil {
		t.Fatalf("recorded: %v", got)
	}
	if got["PRI *"]["refused"] != float64(505) {
		t.Errorf("h2c preface recorded as %v, want refused 505", got["PRI *"])
	}
	show := e.mustRun("show", got["POST /chunked"]["id"].(string))
	if !strings.Contains(show, "X-Checksum: abc") {
		t.Errorf("the trailer is not kept:\n%s", show)
	}
}
