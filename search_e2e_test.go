package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
)

// listIDs runs `list --json` with args and returns the ids, newest first.
func (e *env) listIDs(args ...string) []string {
	e.t.Helper()
	var items []struct {
		ID            string `json:"id"`
		ForwardStatus *int   `json:"forward_status"`
	}
	out := e.mustRun(append([]string{"list", "--json"}, args...)...)
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		e.t.Fatalf("list %v: %v\n%s", args, err, out)
	}
	ids := []string{}
	for _, it := range items {
		ids = append(ids, it.ID)
	}
	return ids
}

func TestSearchAndReplayWhatFailed(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	// The handler fails bodies that say fail-me until it is fixed.
	var mu sync.Mutex
	fixed := false
	var got []string
	h := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, string(b))
		if !fixed && strings.Contains(string(b), "fail-me") {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer h.Close()

	p := e.start([]string{"forward", "--to", h.URL + "/hook"})
	sends := []struct {
		body string
		hdr  map[string]string
	}{
		{`{"event":"video.processed","data":{"track":"Captions-EN"}}`, nil}, // a word in the body only
		{`{"event":"video.processed","data":{}}`, map[string]string{"X-Trace": "blue-whale-77"}},
		{`{"event":"video.failed","data":{"note":"fail-me 1"}}`, nil},
		{`{"event":"video.failed","data":{"note":"fail-me 2"}}`, nil},
		{`{"event":"video.processed","data":{"n":5}}`, nil},
	}
	var ids []string
	for _, s := range sends {
		post(t, p.URL+"/webhooks", []byte(s.body), s.hdr)
		ids = append(ids, p.next("request")["id"].(string))
		p.next("forward")
	}
	p.stop()

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"--search", "captions"}, []string{ids[0]}},            // body only, case ignored
		{[]string{"--search", "BLUE-WHALE-77"}, []string{ids[1]}},       // a header value
		{[]string{"--search", "x-trace: blue"}, []string{ids[1]}},       // as the header reads
		{[]string{"-s", "fail-me"}, []string{ids[3], ids[2]}},           // newest first
		{[]string{"--search", "absent-word"}, []string{}},               //
		{[]string{"--status", "5xx"}, []string{ids[3], ids[2]}},         //
		{[]string{"--status", "500"}, []string{ids[3], ids[2]}},         //
		{[]string{"--status", "2xx"}, []string{ids[4], ids[1], ids[0]}}, //
		{[]string{"--status", "none"}, []string{}},                      // every one was forwarded
		{[]string{"--status", "5xx", "--search", "fail-me 2"}, []string{ids[3]}},
		{[]string{"--status", "failed", "--event", "video.processed"}, []string{}},
	} {
		if got := e.listIDs(c.args...); !slices.Equal(got, c.want) {
			t.Errorf("list %v = %v, want %v", c.args, got, c.want)
		}
	}
	if _, errOut, code := e.run([]string{"list", "--status", "5xy"}); code != 2 || !strings.Contains(errOut, "--status") {
		t.Errorf("list --status 5xy: exit %d %q", code, errOut)
	}

	// Fixed: replay --status 5xx re-sends exactly the failed ones, oldest
	// first, to the handler they were forwarded to.
	mu.Lock()
	fixed, got = true, nil
	mu.Unlock()
	out, errOut, code := e.run([]string{"replay", "--status", "5xx", "--json"})
	if code != 0 {
		t.Fatalf("replay --status 5xx: exit %d\n%s%s", code, out, errOut)
	}
	var replayed []string
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil || m["status"] != float64(200) {
			t.Fatalf("replay line %q: %v", l, err)
		}
		replayed = append(replayed, m["id"].(string))
	}
	mu.Lock()
	sent := slices.Clone(got)
	mu.Unlock()
	if !slices.Equal(replayed, []string{ids[2], ids[3]}) || len(sent) != 2 ||
		!strings.Contains(sent[0], "fail-me 1") || !strings.Contains(sent[1], "fail-me 2") {
		t.Errorf("replayed %v, handler got %q", replayed, sent)
	}
	// They answered 200 now: nothing is left to re-send.
	if got := e.listIDs("--status", "5xx"); len(got) != 0 {
		t.Errorf("after the replay, 5xx lists %v", got)
	}
	if _, errOut, code := e.run([]string{"replay", "--status", "5xx"}); code == 0 || !strings.Contains(errOut, "no captured request matches") {
		t.Errorf("second replay --status 5xx: exit %d %q", code, errOut)
	}
	if _, errOut, code := e.run([]string{"replay", ids[0], "--status", "5xx"}); code != 2 || !strings.Contains(errOut, "not both") {
		t.Errorf("ids with --status: exit %d %q", code, errOut)
	}
}
