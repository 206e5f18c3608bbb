package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
)

type showJSON struct {
	ID         string `json:"id"`
	ReceivedAt string `json:"received_at"`
	Event      string `json:"event"`
	BodyBase64 string `json:"body_base64"`
	Headers    []struct{ Name, Value string }
	Signature  struct{ Status, Scheme, Detail string }
	Source     string `json:"source"`
	Relay      string `json:"relay"`
}

func showRecord(t *testing.T, e *env, id string) showJSON {
	t.Helper()
	var s showJSON
	if err := json.Unmarshal([]byte(e.mustRun("show", id, "--json")), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	src := newEnv(t)
	p := src.start([]string{"listen", "--secret", "k"})
	bodies := [][]byte{[]byte(sampleBody), {0, 1, 2, 0xff, '\n', '\'', '$', '`'}, []byte("Zoë\u202e ✓ \x1b[2J")}
	var ids []string
	for _, b := range bodies {
		_, resp := post(t, p.URL+"/webhooks?x=1", b, map[string]string{"X-VideoNest-Signature": sign(b, "k"), "X-Custom": "kept"})
		ids = append(ids, idOf(t, resp))
	}
	p.stop()

	jsonl := src.mustRun("export")
	if n := strings.Count(jsonl, "\n"); n != 3 {
		t.Fatalf("%d lines:\n%s", n, jsonl)
	}
	if strings.Contains(jsonl, "\"k\"") || strings.Contains(jsonl, "secret\":") {
		t.Errorf("the export mentions the secret:\n%s", jsonl)
	}
	file := filepath.Join(src.dir, "fixtures.jsonl")
	os.WriteFile(file, []byte(jsonl), 0o644)

	dst := newEnv(t)
	out := dst.mustRun("import", file)
	if strings.Fields(out)[0] != ids[0] || len(strings.Fields(out)) != 3 {
		t.Fatalf("import printed %q, want ids %v", out, ids)
	}
	for _, id := range ids {
		a, b := showRecord(t, src, id), showRecord(t, dst, id)
		if a.BodyBase64 != b.BodyBase64 || a.ReceivedAt != b.ReceivedAt || a.Signature != b.Signature ||
			len(a.Headers) != len(b.Headers) || a.Event != b.Event || b.Source != "local" || b.Relay != "" {
			t.Errorf("%s differs after import:\n%+v\n%+v", id, a, b)
		}
		for i := range a.Headers {
			if a.Headers[i] != b.Headers[i] {
				t.Errorf("%s header %d: %v vs %v", id, i, a.Headers[i], b.Headers[i])
			}
		}
	}
	// Importing again changes nothing.
	_, errOut, code := dst.run([]string{"import", file})
	if code != 0 || !strings.Contains(errOut, "3 already in the store") {
		t.Errorf("re-import: exit %d %q", code, errOut)
	}
	// A different record under a taken id gets a new one, sorted by its own time.
	edited := strings.Replace(jsonl, `"method":"POST"`, `"method":"PUT"`, 1)
	os.WriteFile(file, []byte(strings.SplitN(edited, "\n", 2)[0]+"\n"), 0o644)
	out, errOut, _ = dst.run([]string{"import", file})
	if id := strings.TrimSpace(out); id == ids[0] || len(id) != 12 || !strings.Contains(errOut, "1 with a new id") {
		t.Errorf("taken id: %q %q", out, errOut)
	}
	// A broken file imports nothing.
	os.WriteFile(file, []byte(jsonl+"{\"body_base64\":\"%%\"}\n"), 0o644)
	_, errOut, code = newEnv(t).run([]string{"import", file})
	if code != 1 || !strings.Contains(errOut, "record 4") || !strings.Contains(errOut, "nothing was imported") {
		t.Errorf("broken file: exit %d %q", code, errOut)
	}
}

// TestExportImportKeepsTheTeamRelay: a request the team relay brought is
// still marked as the team's, naming the same hookscope, after a JSONL
// export and import, and after an import of its show --json; HAR names it
// too. A local capture stays local, and a relay that is not an instance id
// refuses the file, naming the record.
func TestExportImportKeepsTheTeamRelay(t *testing.T) {
	t.Parallel()
	const publisher = "hookscope-3f9a0c12d4e5"
	src := newEnv(t)
	st, err := store.Open(src.db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	local := &inspect.Record{ReceivedAt: now.Add(-time.Minute), Method: "POST", Path: "/webhooks", Proto: "HTTP/1.1",
		Body: []byte(`{"n":1}`), Size: 7, Signature: signature.Verdict{Status: signature.Missing, SecretIndex: -1}}
	relayed := &inspect.Record{ReceivedAt: now, Method: "POST", Path: "/webhooks", Proto: "HTTP/1.1", RemoteAddr: "team relay",
		Body: []byte(`{"n":2}`), Size: 7, Signature: signature.Verdict{Status: signature.Missing, SecretIndex: -1}, Relay: publisher}
	for _, r := range []*inspect.Record{local, relayed} {
		if err := st.Insert(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	origin := func(e *env, how string) {
		t.Helper()
		if got := showRecord(t, e, relayed.ID); got.Source != "team" || got.Relay != publisher {
			t.Errorf("%s: the relayed record says source %q relay %q, want team %s", how, got.Source, got.Relay, publisher)
		}
		if out := e.mustRun("show", relayed.ID); !strings.Contains(out, "captured by "+publisher) {
			t.Errorf("%s: show does not name the publisher:\n%s", how, out)
		}
	}

	jsonl := src.mustRun("export")
	file := filepath.Join(src.dir, "fixtures.jsonl")
	os.WriteFile(file, []byte(jsonl), 0o600)
	dst := newEnv(t)
	dst.mustRun("import", file)
	origin(dst, "jsonl")
	if got := showRecord(t, dst, local.ID); got.Source != "local" || got.Relay != "" {
		t.Errorf("jsonl: the local record says source %q relay %q", got.Source, got.Relay)
	}

	os.WriteFile(file, []byte(src.mustRun("show", relayed.ID, "--json")), 0o600)
	one := newEnv(t)
	one.mustRun("import", file)
	origin(one, "show --json")

	var har struct {
		Log struct {
			Entries []struct {
				Hookscope struct{ ID, Relay string } `json:"_hookscope"`
			}
		}
	}
	if err := json.Unmarshal([]byte(src.mustRun("export", "--format", "har")), &har); err != nil {
		t.Fatal(err)
	}
	if en := har.Log.Entries; len(en) != 2 || en[0].Hookscope.Relay != "" || en[1].Hookscope != (struct{ ID, Relay string }{relayed.ID, publisher}) {
		t.Errorf("har _hookscope: %+v", en)
	}

	bad := strings.Replace(jsonl, `"relay":"`+publisher+`"`, `"relay":"hookscope-\u001b]0;x\u0007"`, 1)
	os.WriteFile(file, []byte(bad), 0o600)
	fresh := newEnv(t)
	_, errOut, code := fresh.run([]string{"import", file})
	if code != 1 || !strings.Contains(errOut, "record 2: relay") || !strings.Contains(errOut, "nothing was imported") ||
		!strings.Contains(errOut, `relay "hookscope-\x1b]0;x\a"`) {
		t.Errorf("a bad relay: exit %d, %q; want exit 1 naming record 2, the relay escaped", code, errOut)
	}
	if out, _, _ := fresh.run([]string{"list", "--json"}); strings.Contains(out, local.ID) {
		t.Errorf("a refused file was partly imported: %s", out)
	}
}

func TestExportHARAndFilters(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	h := newHandler(t, "k", 202)
	p := e.start([]string{"forward", "--to", h.URL + "/in", "--secret", "k"})
	for _, ev := range []string{"video.processed", "video.failed"} {
		b := []byte(strings.Replace(sampleBody, "video.processed", ev, 1))
		post(t, p.URL+"/webhooks", b, map[string]string{"X-VideoNest-Signature": sign(b, "k")})
		p.next("forward")
	}
	p.stop()
	var har struct {
		Log struct {
			Version string
			Entries []struct {
				StartedDateTime string
				Request         struct {
					Method, URL string
					PostData    struct{ MimeType, Text string }
				}
				Response struct{ Status int }
			}
		}
	}
	if err := json.Unmarshal([]byte(e.mustRun("export", "--format", "har", "--event", "video.failed")), &har); err != nil {
		t.Fatal(err)
	}
	if har.Log.Version != "1.2" || len(har.Log.Entries) != 1 {
		t.Fatalf("har %+v", har)
	}
	en := har.Log.Entries[0]
	if en.Response.Status != 202 || !strings.Contains(en.Request.PostData.Text, "video.failed") || !strings.HasSuffix(en.Request.URL, "/webhooks") {
		t.Errorf("entry %+v", en)
	}
	if _, err := time.Parse(time.RFC3339, en.StartedDateTime); err != nil {
		t.Errorf("startedDateTime %q", en.StartedDateTime)
	}
	for _, args := range [][]string{{"export", "--format", "xml"}, {"export", "--to", ":3000"}, {"export", "x", "--last", "1"}} {
		if _, _, code := e.run(args); code != 2 {
			t.Errorf("%v: exit %d", args, code)
		}
	}
	if _, errOut, code := e.run([]string{"export", "--event", "distribution.*"}); code != 1 || !strings.Contains(errOut, "no captured request matches") {
		t.Errorf("empty selection: exit %d %q", code, errOut)
	}
}

// The exported curl commands, run by bash, deliver the same bytes with a
// signature that still verifies.
func TestExportCurlResendsExactBytes(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed: skipping the curl export round trip")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl is not installed: skipping the curl export round trip")
	}
	src := newEnv(t)
	p := src.start([]string{"listen", "--secret", "k"})
	bodies := [][]byte{[]byte(sampleBody), {0, 1, 2, 0xff, '\n', '\'', '%', '\\'}, []byte("tab\there\r\n\x1b[31m")}
	for _, b := range bodies {
		post(t, p.URL+"/webhooks", b, map[string]string{"X-VideoNest-Signature": sign(b, "k")})
		p.next("request")
	}
	// Without --globoff, curl would expand this query into 3 × 2 requests.
	post(t, p.URL+"/globbed?q=[1-3]&r={a,b}", []byte(sampleBody), nil)
	p.next("request")
	p.stop()

	dst := newEnv(t)
	q := dst.start([]string{"listen", "--secret", "k"})
	script := src.mustRun("export", "--format", "curl", "--to", strings.TrimPrefix(q.URL, "http://"))
	if strings.ContainsAny(script, "\x00\x1b\r") {
		t.Fatalf("script holds raw control bytes:\n%q", script)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, bash, "-e", "-c", script).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s\nscript:\n%s", err, out, script)
	}
	for _, b := range bodies {
		got := q.next("request")
		if got["signature"] != "valid" || got["size"] != float64(len(b)) {
			t.Errorf("resent: %v", got)
		}
		raw := dst.mustRun("show", got["id"].(string), "--raw")
		if !bytes.Equal([]byte(raw), b) {
			t.Errorf("resent body %q, want %q", raw, b)
		}
	}
	q.stop()
	var resent []map[string]any
	json.Unmarshal([]byte(dst.mustRun("list", "--json", "--limit", "0")), &resent)
	if len(resent) != len(bodies)+1 || resent[0]["query"] != "q=[1-3]&r={a,b}" {
		t.Errorf("the script sent %d requests, want %d, the last with its query as captured: %v", len(resent), len(bodies)+1, resent[0])
	}
}
