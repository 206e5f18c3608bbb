package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckPassesAVerifyingHandler(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := newHandler(t, "whsec_ci", 200) // verifies, answers 401 on a mismatch
	out, errOut, code := e.run([]string{"check", "--to", h.URL + "/webhooks", "--secret", "whsec_ci"})
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines[:len(lines)-1] {
		if !strings.HasPrefix(l, "PASS  ") {
			t.Errorf("not a pass: %q", l)
		}
	}
	for _, want := range []string{"deliver video.processed", "deliver distribution.failed", "reject wrong signature",
		"reject missing signature", "reject other secret", "reject tampered body", "accept duplicate delivery",
		"accept concurrent copies", "accept out-of-order events", "latency", "p50 ", "no timestamp"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(out), "0 failed, 0 warnings") {
		t.Errorf("summary: %q", lines[len(lines)-1])
	}
	if !strings.Contains(errOut, "Checking "+h.URL+"/webhooks") {
		t.Errorf("stderr %q", errOut)
	}
	// Nothing is stored: check is synthetic (it does not even create a store).
	if _, err := os.Stat(e.db); !os.IsNotExist(err) {
		t.Errorf("check created or wrote the store %s", e.db)
	}
}

func TestCheckFailsAHandlerThatAcceptsEverything(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	lax := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.Copy(io.Discard, r.Body) }))
	defer lax.Close()
	out, _, code := e.run([]string{"check", "--to", lax.URL, "--json"}, "VIDEONEST_WEBHOOK_SECRET=whsec_env")
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, out)
	}
	var checks []map[string]any
	var summary map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("not NDJSON: %q", sc.Text())
		}
		if m["type"] == "summary" {
			summary = m
		} else {
			checks = append(checks, m)
		}
	}
	failed := map[string]string{}
	for _, c := range checks {
		if c["status"] == "fail" {
			failed[c["check"].(string)] = c["detail"].(string)
		}
	}
	for name, want := range map[string]string{"reject wrong signature": "accepts forged events", "reject missing signature": "accepts unsigned requests",
		"reject other secret": "accepts forged events", "reject tampered body": "accepts forged events"} {
		if !strings.Contains(failed[name], want) {
			t.Errorf("%s: %q", name, failed[name])
		}
	}
	if len(failed) != 4 || summary["failed"] != float64(4) || summary["passed"].(float64) < 10 {
		t.Errorf("failed %v, summary %v", failed, summary)
	}
}

func TestCheckUsageAndUnreachable(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	for _, args := range [][]string{{"check"}, {"check", "--to", ":3000"}, {"check", "--to", "ftp://x", "--secret", "k"}} {
		_, errOut, code := e.run(args)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	out, _, code := e.run([]string{"check", "--to", url, "--secret", "k"})
	if code != 1 || !strings.Contains(out, "connection refused (is it running?)") || !strings.Contains(out, "0 passed, 1 failed") {
		t.Errorf("unreachable: exit %d\n%s", code, out)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	file := filepath.Join(e.dir, "body.json")
	os.WriteFile(file, []byte(sampleBody), 0o644)
	good := sign([]byte(sampleBody), "k")
	cases := []struct {
		args []string
		code int
		out  string
	}{
		{[]string{"verify", "--secret", "k", "--signature", good, file}, 0, "valid: matched the configured secret"},
		{[]string{"verify", "--secret", "new", "--secret", "k", "--signature", strings.ToUpper(good), file}, 0, "matched secret #2 of 2"},
		{[]string{"verify", "--secret", "k", "--signature", good[:63], file}, 1, "invalid: length 63, expected 64 hex chars"},
		{[]string{"verify", "--secret", "other", "--signature", good, file}, 1, "invalid: mismatch: expected"},
		{[]string{"verify", "--secret", "k", "--signature", strings.Repeat("g", 64), file}, 1, "not hex"},
		{[]string{"verify", "--secret", "k", "--signature", "", file}, 1, "empty signature"},
	}
	for _, c := range cases {
		out, errOut, code := e.run(c.args)
		if code != c.code || !strings.Contains(out, c.out) {
			t.Errorf("%v: exit %d %q %q", c.args, code, out, errOut)
		}
	}
	// The body from stdin, the secret from the environment.
	cmd := []string{"verify", "--signature", good, "-"}
	c := devkitCommand(t, e, cmd, "VIDEONEST_WEBHOOK_SECRET=k")
	c.Stdin = strings.NewReader(sampleBody)
	if out, err := c.Output(); err != nil || strings.TrimSpace(string(out)) != "valid: matched the configured secret" {
		t.Errorf("stdin: %q %v", out, err)
	}
	for _, args := range [][]string{{"verify", "--secret", "k", file}, {"verify", "--signature", good, file}} {
		_, errOut, code := e.run(args)
		if code != 2 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d %q", args, code, errOut)
		}
	}
}

// devkitCommand is a hookscope command in e's environment, for tests that
// need its stdin.
func devkitCommand(t *testing.T, e *env, args []string, extraEnv ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	c := exec.CommandContext(ctx, hookscopeBin, args...)
	c.Env = e.environ(extraEnv...)
	return c
}
