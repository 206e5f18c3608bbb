package main

// End-to-end tests: they build the real hookscope binary, run it as a
// subprocess on 127.0.0.1 with a real SQLite file, and talk HTTP to it.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var hookscopeBin string

func TestMain(m *testing.M) {
	if os.Getenv("HOOKSCOPE_TEST_HELPER") != "" {
		os.Exit(testHelperProcess())
	}
	dir, err := os.MkdirTemp("", "hookscope-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	hookscopeBin = filepath.Join(dir, "hookscope")
	build := exec.Command("go", "build", "-o", hookscopeBin, ".")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building hookscope:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// env is an isolated home for one test: its own store, config and data dirs,
// and no secrets leaking in from the developer's shell.
type env struct {
	t   testing.TB
	dir string
	db  string
	bin string // another build of hookscope; "" is the one TestMain built
}

func (e *env) binary() string {
	if e.bin != "" {
		return e.bin
	}
	return hookscopeBin
}

func newEnv(t testing.TB) *env {
	t.Helper()
	dir := t.TempDir()
	return &env{t: t, dir: dir, db: filepath.Join(dir, "data", "hookscope.db")}
}

func (e *env) environ(extra ...string) []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "VIDEONEST_WEBHOOK_SECRET=") || strings.HasPrefix(kv, "NGROK_AUTHTOKEN=") ||
			strings.HasPrefix(kv, "HOOKSCOPE_DB=") || strings.HasPrefix(kv, "XDG_") || strings.HasPrefix(kv, "HOME=") {
			continue
		}
		out = append(out, kv)
	}
	out = append(out, "HOME="+e.dir, "XDG_CONFIG_HOME="+filepath.Join(e.dir, "config"),
		"XDG_DATA_HOME="+filepath.Join(e.dir, "xdgdata"), "HOOKSCOPE_DB="+e.db, "NO_COLOR=1")
	return append(out, extra...)
}

// run runs a short hookscope command and returns stdout, stderr, exit code.
func (e *env) run(args []string, extraEnv ...string) (string, string, int) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := exec.CommandContext(ctx, e.binary(), args...)
	c.Env = e.environ(extraEnv...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("hookscope %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// mustRun runs a command that must succeed.
func (e *env) mustRun(args ...string) string {
	e.t.Helper()
	out, errOut, code := e.run(args)
	if code != 0 {
		e.t.Fatalf("hookscope %v: exit %d\nstderr: %s", args, code, errOut)
	}
	return out
}

// proc is a running `hookscope listen --json`.
type proc struct {
	t     testing.TB
	cmd   *exec.Cmd
	URL   string
	Ready map[string]any
	lines chan map[string]any
	errb  *syncBuffer
	done  chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs `hookscope <args> --port 0 --json` and waits for its ready line.
func (e *env) start(args []string, extraEnv ...string) *proc {
	e.t.Helper()
	args = append([]string{}, args...)
	if !slices.Contains(args, "--port") {
		args = append(args, "--port", "0")
	}
	args = append(args, "--json")
	c := exec.Command(e.binary(), args...)
	c.Env = e.environ(extraEnv...)
	stdout, err := c.StdoutPipe()
	if err != nil {
		e.t.Fatal(err)
	}
	p := &proc{t: e.t, cmd: c, lines: make(chan map[string]any, 10000), errb: &syncBuffer{}, done: make(chan struct{})}
	c.Stderr = p.errb
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() {
		defer close(p.lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				m = map[string]any{"type": "unparsable", "line": sc.Text()}
			}
			p.lines <- m
		}
	}()
	go func() { c.Wait(); close(p.done) }()
	e.t.Cleanup(p.stop)
	select {
	case m, ok := <-p.lines:
		if !ok || m["type"] != "ready" {
			e.t.Fatalf("no ready line from hookscope %v (got %v)\nstderr: %s", args, m, p.errb.String())
		}
		p.Ready = m
		p.URL = m["local_url"].(string)
	case <-time.After(20 * time.Second):
		e.t.Fatalf("hookscope %v not ready after 20s\nstderr: %s", args, p.errb.String())
	}
	return p
}

// next returns the next NDJSON event of the given type.
func (p *proc) next(typ string) map[string]any {
	p.t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		select {
		case m, ok := <-p.lines:
			if !ok {
				p.t.Fatalf("hookscope exited while waiting for a %q line\nstderr: %s", typ, p.errb.String())
			}
			if m["type"] == typ {
				return m
			}
		case <-deadline:
			p.t.Fatalf("no %q line within 15s\nstderr: %s", typ, p.errb.String())
		}
	}
}

func (p *proc) stop() {
	if p.cmd.Process == nil {
		return
	}
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) kill() {
	p.cmd.Process.Kill()
	<-p.done
}

func sign(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// post sends body with optional headers and returns status and response body.
func post(t testing.TB, url string, body []byte, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func idOf(t testing.TB, respBody []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(respBody, &m); err != nil {
		t.Fatalf("response %q is not JSON: %v", respBody, err)
	}
	id, _ := m["id"].(string)
	if id == "" {
		t.Fatalf("response %q has no id", respBody)
	}
	return id
}

const sampleBody = `{"event":"video.processed","timestamp":"2026-03-30T10:15:00Z","data":{"id":"vid_abc123","title":"My Video Title","status":"ready","duration":142,"channel_id":"ch_abc123"}}`

func bufioReader(r io.Reader) *bufio.Reader { return bufio.NewReader(r) }

func contextBackground() context.Context { return context.Background() }

// runUntil starts a long-running command, waits until stdout contains want
// (or the timeout), then interrupts it and returns what it printed.
func (e *env) runUntil(args []string, want string, timeout time.Duration) (string, string, int) {
	e.t.Helper()
	c := exec.Command(hookscopeBin, args...)
	c.Env = e.environ()
	var out, errb syncBuffer
	c.Stdout, c.Stderr = &out, &errb
	if err := c.Start(); err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(timeout)
	for !strings.Contains(out.String(), want) && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let stderr catch up
	c.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { c.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		<-done
	}
	return out.String(), errb.String(), c.ProcessState.ExitCode()
}
