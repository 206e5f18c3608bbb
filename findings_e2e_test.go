package main

// Smaller findings of the hostile-load review, against the built binary:
// secrets kept off the command line, refused when blank, and what came from
// outside (captures and imports alike) never reaching a terminal or a shell
// as anything but text.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecretFile reads the secret from a file (so ps never shows it),
// and refuses a missing, empty or blank secret with one sentence.
func TestSecretFile(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(e.dir, "secret")
	os.WriteFile(file, []byte("\n  from-file\r\n\n"), 0o600)
	p := e.start([]string{"listen", "--secret-file", file})
	body := []byte(sampleBody)
	if code, resp := post(t, p.URL+"/signed", body, map[string]string{"X-VideoNest-Signature": sign(body, "from-file")}); code != 200 {
		t.Fatalf("signed with the file's secret: %d %s", code, resp)
	}
	if ev := p.next("request"); ev["signature"] != "valid" {
		t.Errorf("signed with the file's secret: %v, want valid", ev["signature"])
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", p.cmd.Process.Pid))
	if strings.Contains(string(cmdline), "from-file") {
		t.Errorf("the secret is on listen's command line: %q", cmdline)
	}
	p.stop()
	bodyFile := filepath.Join(e.dir, "body.json")
	os.WriteFile(bodyFile, body, 0o600)
	if out, errOut, code := e.run([]string{"verify", "--secret-file", file, "--signature", sign(body, "from-file"), bodyFile}); code != 0 {
		t.Errorf("verify --secret-file: exit %d %s %s, want 0 (valid)", code, out, errOut)
	}

	blank := filepath.Join(e.dir, "blank")
	os.WriteFile(blank, []byte(" \n\t\n"), 0o600)
	for _, c := range []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"listen", "--secret-file", filepath.Join(e.dir, "missing")}, "", "cannot read the secret file"},
		{[]string{"listen", "--secret-file", blank}, "", "holds no secret"},
		{[]string{"listen", "--secret", "  "}, "", "only whitespace"},
		{[]string{"verify", "--signature", "00", "-"}, "VIDEONEST_WEBHOOK_SECRET= \t", "only whitespace"},
		{[]string{"config", "set", "secret", " , "}, "", "only whitespace"},
	} {
		var extra []string
		if c.env != "" {
			extra = append(extra, c.env)
		}
		_, errOut, code := e.run(c.args, extra...)
		if code == 0 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 1 {
			t.Errorf("hookscope %q: exit %d, stderr %q; want a failure saying %q", c.args, code, errOut, c.want)
		}
	}
}

// TestImportedFieldsAreShownNotObeyed imports a record whose every text
// field carries escape sequences and bidi marks, and checks that show,
// list and the curl export print them as visible escapes.
func TestImportedFieldsAreShownNotObeyed(t *testing.T) {
	e := newEnv(t)
	evil := "\x1b]0;pwned\x07\u009b2J\u202e\u200e\u200f\u061c"
	line, _ := json.Marshal(map[string]any{
		"id": "0m8x3k2v9a1c", "received_at": "2026-03-30T10:15:00Z", "method": "POST",
		"path": "/p" + evil, "query": "q=" + evil, "host": "h" + evil, "remote_addr": "r" + evil,
		"headers":     []map[string]string{{"name": "X-Evil" + evil, "value": evil}},
		"body_base64": base64.StdEncoding.EncodeToString([]byte(`{"event":"video.` + evil + `"}`)),
		"signature":   map[string]any{"status": "invalid", "scheme": "videonest" + evil, "detail": "d" + evil},
	})
	file := filepath.Join(e.dir, "evil.jsonl")
	os.WriteFile(file, append(line, '\n'), 0o600)
	e.mustRun("import", file)
	for _, args := range [][]string{{"show", "0m8x"}, {"list"}, {"export", "--format", "curl"}} {
		out := e.mustRun(args...)
		if bad := terminalUnsafe(out); bad != "" {
			t.Errorf("hookscope %v printed %s", args, bad)
		}
	}
	if out := e.mustRun("show", "0m8x"); !strings.Contains(out, `videonest\x1b]0;pwned\x07`) {
		t.Errorf("show does not show the scheme's escape visibly:\n%s", out)
	}
}

// TestImportRefusesAFarFutureTime: a time the store cannot hold would wrap
// to 1677; the import says so and stores nothing.
func TestImportRefusesAFarFutureTime(t *testing.T) {
	e := newEnv(t)
	file := filepath.Join(e.dir, "future.jsonl")
	os.WriteFile(file, []byte(`{"id":"0m8x3k2v9a1c","received_at":"2026-03-30T10:15:00Z","body_base64":"e30="}
{"received_at":"9999-12-31T23:59:59Z","body_base64":"e30="}
`), 0o600)
	_, errOut, code := e.run([]string{"import", file})
	if code != 1 || !strings.Contains(errOut, "outside the years 1678 to 2262") || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
		t.Errorf("import of a year-9999 time: exit %d, %q; want exit 1 and one sentence", code, errOut)
	}
	if out, _, _ := e.run([]string{"list", "--json"}); strings.Contains(out, "0m8x3k2v9a1c") {
		t.Errorf("a refused file was partly imported: %s", out)
	}
}
