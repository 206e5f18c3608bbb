package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestVerifyOnlyRefusalsAreRecorded: --verify-only without a secret would
// refuse everything, so it does not start; with one, a refused request is
// recorded as refused 401 with its body, and replay still sends it.
func TestVerifyOnlyRefusalsAreRecorded(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	_, errOut, code := e.run([]string{"listen", "--port", "0", "--no-tui", "--verify-only"})
	if code != 2 || !strings.Contains(errOut, "--verify-only needs a signing secret") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
		t.Fatalf("verify-only without a secret: exit %d %q", code, errOut)
	}
	h := newHandler(t, "k", 200)
	p := e.start([]string{"listen", "--secret", "k", "--verify-only"})
	code, resp := post(t, p.URL+"/webhooks", []byte(sampleBody), map[string]string{"X-VideoNest-Signature": strings.Repeat("0", 64)})
	if code != 401 {
		t.Fatalf("forged: %d %s", code, resp)
	}
	id := idOf(t, resp)
	if ev := p.next("request"); ev["refused"] != 401.0 || ev["size"] != float64(len(sampleBody)) {
		t.Errorf("--json line: %v", ev)
	}
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &items)
	if len(items) != 1 || items[0]["refused"] != 401.0 {
		t.Errorf("list --json: %v", items)
	}
	if out := e.mustRun("show", id, "--raw"); out != sampleBody {
		t.Errorf("show --raw of a 401: %q", out)
	}
	if out := e.mustRun("show", id); !strings.Contains(out, "(refused 401)") {
		t.Errorf("show:\n%s", out)
	}
	out, errOut, code := e.run([]string{"replay", id, "--to", h.URL})
	if code != 1 || !strings.Contains(errOut, "refused by --verify-only") || h.count() != 1 {
		t.Errorf("replay of a 401: exit %d, stdout %q, stderr %q, handler saw %d", code, out, errOut, h.count())
	}
	if b, _, _, _ := h.last(); !bytes.Equal(b, []byte(sampleBody)) {
		t.Errorf("replayed body %q", b)
	}
}

// TestRefusedBodySizes: a refused body reads "recorded, body not kept" and
// its size is the announced one, never "-1 B".
func TestRefusedBodySizes(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--max-body", "1KiB"})
	code, resp := post(t, p.URL+"/big", bytes.Repeat([]byte("a"), 4096), nil)
	var m map[string]any
	json.Unmarshal(resp, &m)
	if code != 413 || m["recorded"] != true || !strings.Contains(m["error"].(string), "recorded, body not kept") || strings.Contains(string(resp), "not captured") {
		t.Errorf("413 answer: %s", resp)
	}
	// CL+TE: refused before the body is read; no length is trusted.
	c := dialListen(t, p)
	c.Write([]byte("POST /ambiguous HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"))
	closedWithin(c, 10e9)
	c.Close()
	p.stop()
	out := e.mustRun("list")
	if strings.Contains(out, "-1 B") || !strings.Contains(out, "4096\t413") {
		t.Errorf("list (piped):\n%s", out)
	}
	var items []map[string]any
	json.Unmarshal([]byte(e.mustRun("list", "--json")), &items)
	for _, it := range items {
		if it["path"] == "/ambiguous" {
			show := e.mustRun("show", it["id"].(string))
			if strings.Contains(show, "-1 B") || !strings.Contains(show, "Size       – (refused 400, body not kept)") {
				t.Errorf("show of a CL+TE refusal:\n%s", show)
			}
		}
		if it["path"] == "/big" {
			show := e.mustRun("show", it["id"].(string))
			if !strings.Contains(show, "4.0 KiB announced (refused 413, body not kept)") {
				t.Errorf("show of a 413:\n%s", show)
			}
		}
	}
}

// TestDuplicateMarkInPipedList: the piped list's last column marks a
// duplicate; show words it as what it is (the same body), not a re-send.
func TestDuplicateMarkInPipedList(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	p := e.start([]string{"listen", "--path", "/webhooks"})
	if p.Ready["path"] != "/webhooks" {
		t.Errorf("ready line: %v", p.Ready)
	}
	post(t, p.URL+"/webhooks", []byte(sampleBody), nil)
	_, resp := post(t, p.URL+"/webhooks", []byte(sampleBody), nil)
	dup := idOf(t, resp)
	p.stop()
	lines := strings.Split(strings.TrimSpace(e.mustRun("list")), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "\tduplicate") || strings.HasSuffix(lines[1], "duplicate") {
		t.Errorf("piped list:\n%s", strings.Join(lines, "\n"))
	}
	if out := e.mustRun("show", dup); !strings.Contains(out, "Duplicate  same body as an earlier request") || strings.Contains(out, "re-sent") {
		t.Errorf("show:\n%s", out)
	}
}
