package main

import (
	"bytes"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

func TestVerdictsEndToEnd(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "s3cret"})
	body := []byte(sampleBody)
	cases := []struct {
		name string
		hdr  map[string]string
		want string
	}{
		{"valid", map[string]string{"X-VideoNest-Signature": sign(body, "s3cret")}, "valid"},
		{"valid upper-case hex", map[string]string{"X-VideoNest-Signature": strings.ToUpper(sign(body, "s3cret"))}, "valid"},
		{"wrong secret", map[string]string{"X-VideoNest-Signature": sign(body, "other")}, "invalid"},
		{"malformed", map[string]string{"X-VideoNest-Signature": "abc"}, "invalid"},
		{"missing", nil, "missing"},
	}
	for _, tc := range cases {
		code, resp := post(t, p.URL+"/webhooks", body, tc.hdr)
		if code != 200 {
			t.Fatalf("%s: status %d %s", tc.name, code, resp)
		}
		ev := p.next("request")
		if ev["signature"] != tc.want || ev["event"] != "video.processed" || ev["id"] != idOf(t, resp) {
			t.Errorf("%s: got event line %v, want signature %s", tc.name, ev, tc.want)
		}
		if ev["size"].(float64) != float64(len(body)) || ev["method"] != "POST" || ev["path"] != "/webhooks" {
			t.Errorf("%s: bad line %v", tc.name, ev)
		}
	}
	// The secret never reaches the output.
	p.stop()
	if strings.Contains(p.errb.String(), "s3cret") {
		t.Errorf("secret printed on stderr: %s", p.errb.String())
	}

	// Without any secret, the verdict is "unchecked".
	p2 := e.start([]string{"listen"})
	code, _ := post(t, p2.URL+"/", body, map[string]string{"X-VideoNest-Signature": sign(body, "s3cret")})
	if ev := p2.next("request"); code != 200 || ev["signature"] != "unchecked" {
		t.Errorf("no secret: status %d, line %v", code, ev)
	}
	p2.stop()

	// The verdicts are stored: list --signature filters on them.
	var items []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("list", "--json", "--signature", "invalid")), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 2 {
		t.Errorf("list --signature invalid: %d items, want 2", len(items))
	}
	// And the secret is nowhere in the store file.
	raw, _ := os.ReadFile(e.db)
	wal, _ := os.ReadFile(e.db + "-wal")
	if bytes.Contains(raw, []byte("s3cret")) || bytes.Contains(wal, []byte("s3cret")) {
		t.Error("the secret was written to the store")
	}
}

func TestSecretRotationAndEnv(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	body := []byte(sampleBody)
	p := e.start([]string{"listen", "--secret", "new-secret", "--secret", "old-secret"})
	for i, s := range []string{"new-secret", "old-secret"} {
		post(t, p.URL+"/", body, map[string]string{"X-VideoNest-Signature": sign(body, s)})
		ev := p.next("request")
		if ev["signature"] != "valid" {
			t.Errorf("secret #%d: %v", i, ev)
		}
		out := e.mustRun("show", ev["id"].(string), "--json")
		var rec map[string]any
		json.Unmarshal([]byte(out), &rec)
		sig := rec["signature"].(map[string]any)
		if sig["secret_index"].(float64) != float64(i) || sig["scheme"] != "videonest" {
			t.Errorf("secret #%d: stored signature %v", i, sig)
		}
	}
	p.stop()

	// VIDEONEST_WEBHOOK_SECRET is used when no flag is given; a flag wins over it.
	p = e.start([]string{"listen"}, "VIDEONEST_WEBHOOK_SECRET=env-secret")
	post(t, p.URL+"/", body, map[string]string{"X-VideoNest-Signature": sign(body, "env-secret")})
	if ev := p.next("request"); ev["signature"] != "valid" {
		t.Errorf("env secret: %v", ev)
	}
	p.stop()
	p = e.start([]string{"listen", "--secret", "flag-secret"}, "VIDEONEST_WEBHOOK_SECRET=env-secret")
	post(t, p.URL+"/", body, map[string]string{"X-VideoNest-Signature": sign(body, "env-secret")})
	if ev := p.next("request"); ev["signature"] != "invalid" {
		t.Errorf("flag should beat env: %v", ev)
	}
	p.stop()

	// The config file is the last resort.
	e.mustRun("config", "set", "secret", "file-secret")
	p = e.start([]string{"listen"})
	post(t, p.URL+"/", body, map[string]string{"X-VideoNest-Signature": sign(body, "file-secret")})
	if ev := p.next("request"); ev["signature"] != "valid" {
		t.Errorf("config secret: %v", ev)
	}
}

func TestBinaryBodiesRoundTripExactly(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k"})
	bodies := map[string][]byte{
		"binary":       {0x00, 0x01, 0xff, 0xfe, 0x1b, '[', '3', '1', 'm', 0x00, '\r', '\n'},
		"invalid-utf8": []byte("caf\xc3\x28 \xff\xfe plain"),
		"escape-json":  []byte(`{"event":"video.failed","data":{"title":"\u001b[2J evil` + "\x1b]52;c;aGk=\x07" + `"}}`),
		"empty":        {},
		"bignum":       []byte(`{"event":"video.processed","data":{"duration":12345678901234567890.000000000000000001}}`),
	}
	ids := map[string]string{}
	for name, b := range bodies {
		code, resp := post(t, p.URL+"/raw/"+name, b, map[string]string{"X-VideoNest-Signature": sign(b, "k")})
		if code != 200 {
			t.Fatalf("%s: %d %s", name, code, resp)
		}
		ids[name] = idOf(t, resp)
		if ev := p.next("request"); ev["signature"] != "valid" {
			t.Errorf("%s: signature %v", name, ev["signature"])
		}
	}
	for name, b := range bodies {
		out := e.mustRun("show", ids[name], "--raw")
		if out != string(b) {
			t.Errorf("%s: show --raw = %q, want %q", name, out, b)
		}
		var rec map[string]any
		json.Unmarshal([]byte(e.mustRun("show", ids[name], "--json")), &rec)
		got, _ := base64.StdEncoding.DecodeString(rec["body_base64"].(string))
		if !bytes.Equal(got, b) {
			t.Errorf("%s: body_base64 differs", name)
		}
		// The view for people never carries a raw escape byte.
		human := e.mustRun("show", ids[name])
		if strings.ContainsAny(human, "\x1b\x00\x07") {
			t.Errorf("%s: show printed raw control bytes: %q", name, human)
		}
	}
	human := e.mustRun("show", ids["escape-json"])
	if !strings.Contains(human, `\x1b`) && !strings.Contains(human, `\u001b`) {
		t.Errorf("escape sequence not shown visibly: %s", human)
	}
	if !strings.Contains(e.mustRun("show", ids["bignum"]), "12345678901234567890.000000000000000001") {
		t.Error("pretty-printing lost number precision")
	}
}

func TestHeadersKeptInOrderWithCasing(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen"})
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"event":"video.published"}`
	fmt.Fprintf(conn, "POST /hook?x=1&y=%%20 HTTP/1.1\r\nHost: example\r\nX-Zeta: 1\r\nx-alpha: two\r\nX-Zeta: 3\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	resp, err := http.ReadResponse(bufioReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	id := idOf(t, b)
	var rec struct {
		Headers []struct{ Name, Value string }
		Query   string
		Event   string
	}
	json.Unmarshal([]byte(e.mustRun("show", id, "--json")), &rec)
	var got []string
	for _, h := range rec.Headers {
		got = append(got, h.Name+"="+h.Value)
	}
	want := "Host=example,X-Zeta=1,x-alpha=two,X-Zeta=3,Content-Length=27"
	if strings.Join(got, ",") != want {
		t.Errorf("headers %v, want %s", got, want)
	}
	if rec.Query != "x=1&y=%20" || rec.Event != "video.published" {
		t.Errorf("query %q event %q", rec.Query, rec.Event)
	}
}

func TestOversizedBodyGets413AndIsRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--max-body", "1KiB"})
	big := bytes.Repeat([]byte("a"), 4096)
	code, resp := post(t, p.URL+"/big", big, nil)
	if code != http.StatusRequestEntityTooLarge || !strings.Contains(string(resp), "--max-body") {
		t.Fatalf("got %d %s, want 413 naming --max-body", code, resp)
	}
	ev := p.next("request")
	if ev["refused"].(float64) != 413 || ev["size"].(float64) != 4096 {
		t.Errorf("refusal line %v", ev)
	}
	// Exactly at the limit is fine.
	if code, _ := post(t, p.URL+"/ok", big[:1024], nil); code != 200 {
		t.Errorf("1024 bytes at a 1KiB limit: %d", code)
	}
	// A chunked body (no Content-Length) over the limit is refused too.
	req, _ := http.NewRequest("POST", p.URL+"/chunked", io.MultiReader(bytes.NewReader(big)))
	req.ContentLength = -1
	r2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 413 {
		t.Errorf("chunked oversized: %d", r2.StatusCode)
	}
	out := e.mustRun("list")
	if !strings.Contains(out, "/big") || !strings.Contains(out, "\t413\t") {
		t.Errorf("list does not show the refusal:\n%s", out)
	}
}

// testHelperProcess is the other process of TestStoreLockedGives503: it
// takes SQLite's write lock on the store and holds it until stdin closes.
func testHelperProcess() int {
	db, err := sql.Open("sqlite", "file:"+os.Getenv("HOOKSCOPE_TEST_DB")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	conn, err := db.Conn(contextBackground())
	if err != nil {
		fmt.Println("error", err)
		return 1
	}
	if _, err := conn.ExecContext(contextBackground(), "BEGIN IMMEDIATE"); err != nil {
		fmt.Println("error", err)
		return 1
	}
	fmt.Println("locked")
	io.Copy(io.Discard, os.Stdin)
	conn.ExecContext(contextBackground(), "ROLLBACK")
	return 0
}

func TestStoreLockedGives503(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen"})
	if code, _ := post(t, p.URL+"/before", []byte(sampleBody), nil); code != 200 {
		t.Fatalf("before lock: %d", code)
	}
	p.next("request")

	holder := exec.Command(os.Args[0])
	holder.Env = append(os.Environ(), "HOOKSCOPE_TEST_HELPER=1", "HOOKSCOPE_TEST_DB="+e.db)
	stdin, _ := holder.StdinPipe()
	out, _ := holder.StdoutPipe()
	if err := holder.Start(); err != nil {
		t.Fatal(err)
	}
	defer holder.Wait()
	defer stdin.Close()
	line := make([]byte, 7)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "locked\n" {
		t.Fatalf("lock holder said %q (%v)", line, err)
	}

	start := time.Now()
	code, resp := post(t, p.URL+"/during", []byte(sampleBody), nil)
	took := time.Since(start)
	if code != http.StatusServiceUnavailable || !strings.Contains(string(resp), "locked") {
		t.Fatalf("while locked: %d %s, want 503 saying the store is locked", code, resp)
	}
	if took > 9*time.Second {
		t.Errorf("503 took %s: VideoNest would have timed out first", took)
	}
	if ev := p.next("store_error"); !strings.Contains(ev["error"].(string), "locked") {
		t.Errorf("store_error line %v", ev)
	}

	// Recovery without a restart once the lock is gone.
	stdin.Close()
	holder.Wait()
	code, resp = post(t, p.URL+"/after", []byte(sampleBody), nil)
	if code != 200 {
		t.Fatalf("after unlock: %d %s", code, resp)
	}
	// Nothing acknowledged is missing, nothing refused was stored.
	listed := e.mustRun("list", "--json")
	if !strings.Contains(listed, "/before") || !strings.Contains(listed, "/after") || strings.Contains(listed, "/during") {
		t.Errorf("list after the lock: %s", listed)
	}
}

func TestKilledListenLosesNothingAcknowledged(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen"})
	const clients, each = 8, 40
	var mu sync.Mutex
	var acked []string
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				path := fmt.Sprintf("/c%d/r%d", c, i)
				resp, err := http.Post(p.URL+path, "application/json", strings.NewReader(sampleBody))
				if err != nil {
					return // the process is gone
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode == 200 {
					mu.Lock()
					acked = append(acked, path)
					mu.Unlock()
				}
			}
		}(c)
	}
	time.Sleep(150 * time.Millisecond)
	p.kill()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("nothing was acknowledged before the kill; the test proves nothing")
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("list", "--json", "--limit", "0")), &items); err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, it := range items {
		stored[it["path"].(string)] = true
	}
	for _, path := range acked {
		if !stored[path] {
			t.Errorf("acknowledged %s is not in the store after SIGKILL", path)
		}
	}
	t.Logf("acknowledged %d, stored %d", len(acked), len(items))
}

func TestListAndShowWhileListening(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--secret", "k"})
	var ids []string
	for i, ev := range []string{"video.processed", "video.failed", "distribution.failed"} {
		b := []byte(fmt.Sprintf(`{"event":%q,"data":{"id":"vid_%d"}}`, ev, i))
		_, resp := post(t, p.URL+"/webhooks", b, map[string]string{"X-VideoNest-Signature": sign(b, "k")})
		ids = append(ids, idOf(t, resp))
	}
	var items []map[string]any
	if err := json.Unmarshal([]byte(e.mustRun("list", "--json")), &items); err != nil {
		t.Fatal(err)
	}
	if len(items) != 3 || items[0]["id"] != ids[2] || items[2]["id"] != ids[0] {
		t.Fatalf("list --json not newest first: %v", items)
	}
	for _, k := range []string{"id", "received_at", "method", "path", "event", "signature", "size", "forward_status"} {
		if _, ok := items[0][k]; !ok {
			t.Errorf("list --json item lacks %q", k)
		}
	}
	if out := e.mustRun("list", "--json", "--event", "video.*"); strings.Count(out, `"id"`) != 2 {
		t.Errorf("--event video.*: %s", out)
	}
	if out := e.mustRun("list", "--json", "--limit", "1"); strings.Count(out, `"id"`) != 1 {
		t.Errorf("--limit 1: %s", out)
	}
	// People get a table with the verdict symbol.
	out := e.mustRun("list")
	if !strings.Contains(out, "video.failed") || !strings.Contains(out, "valid") {
		t.Errorf("list:\n%s", out)
	}
	show := e.mustRun("show", ids[1])
	for _, want := range []string{ids[1], "video.failed", "✓ valid", "X-Videonest-Signature", `"event": "video.failed"`} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}
}

func TestIDPrefixes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen"})
	var ids []string
	for i := 0; i < 3; i++ {
		_, resp := post(t, p.URL+fmt.Sprintf("/n%d", i), []byte(sampleBody), nil)
		ids = append(ids, idOf(t, resp))
	}
	for _, id := range ids {
		if len(id) != 12 {
			t.Errorf("id %q is not 12 characters", id)
		}
	}
	if !(ids[0] < ids[1] && ids[1] < ids[2]) {
		t.Errorf("ids do not sort by arrival: %v", ids)
	}
	// A unique prefix works, in any case: one character past what the first
	// id shares with the second.
	n := 0
	for ids[0][n] == ids[1][n] {
		n++
	}
	if out := e.mustRun("show", strings.ToUpper(ids[0][:n+1]), "--raw"); out != sampleBody || n+1 > 12 {
		t.Errorf("prefix %s gave %q", ids[0][:n+1], out)
	}
	// The shared leading characters are ambiguous.
	_, errOut, code := e.run([]string{"show", ids[0][:4]})
	if code != 1 || !strings.Contains(errOut, "ambiguous") || !strings.Contains(errOut, ids[0]) {
		t.Errorf("ambiguous prefix: exit %d, %q", code, errOut)
	}
	_, errOut, code = e.run([]string{"show", "zzzzzz"})
	if code != 1 || !strings.Contains(errOut, "no request with id") {
		t.Errorf("unknown id: exit %d, %q", code, errOut)
	}
	_, errOut, code = e.run([]string{"show", "not-an-id!"})
	if code != 1 || !strings.Contains(errOut, "not a request id") {
		t.Errorf("bad id: exit %d, %q", code, errOut)
	}
	// IDs stay unique and ordered across a restart.
	p.stop()
	p = e.start([]string{"listen"})
	_, resp := post(t, p.URL+"/later", []byte(sampleBody), nil)
	if later := idOf(t, resp); later <= ids[2] {
		t.Errorf("id after restart %s does not sort after %s", later, ids[2])
	}
}
