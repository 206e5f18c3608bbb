package tui

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/fixture"
	"github.com/hookscope/hookscope/tui/internal/tuitest"
)

// editWith points $VISUAL at a shell script and returns a driver whose
// editor runs inline: the driver cannot hand the terminal over, so the
// test plays Bubble Tea's part of ExecProcess.
func editWith(t *testing.T, script string, canResign bool) (*tuitest.Driver, *recorder) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "editor.sh")
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+script+"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", path)
	o, st := fixtureOptions(t)
	rec := &recorder{st: st, status: 200}
	o.Replay, o.CanResign = rec.replay, canResign
	d := drive(t, o, 100, 30)
	d.Skip = func(msg tea.Msg) bool {
		if ready, ok := msg.(editReadyMsg); ok {
			err := ready.editor.Run()
			d.Send(editDoneMsg{editReadyMsg: ready, err: err})
			return true
		}
		return false
	}
	return d, rec
}

func TestEditAndReplay(t *testing.T) {
	d, rec := editWith(t, `echo "$1" > "$(dirname "$0")/path"; sed -i 's/"ready"/"failed"/' "$1"`, true)
	d.Keys(selectFixture(1)...)
	d.Keys("e")
	if len(rec.bodies) != 1 {
		t.Fatalf("replays: %d; status %q", len(rec.bodies), root(d).footer.Status())
	}
	got := string(rec.bodies[0])
	// Compacted back like the capture (as replay --edit does), numbers
	// exactly as written.
	if !strings.Contains(got, `"status":"failed"`) || !strings.HasPrefix(got, `{"event":"video.ready",`) || !strings.Contains(got, `"duration":12.50`) || strings.Contains(got, "\n") {
		t.Fatalf("edited body:\n%s", got)
	}
	if s := root(d).footer.Status(); !strings.Contains(s, "edited replay of "+tuitest.ID(1)+" → 200") || strings.Contains(s, "no secret") {
		t.Errorf("status %q", s)
	}
	b, _ := os.ReadFile(filepath.Join(filepath.Dir(os.Getenv("VISUAL")), "path"))
	if tmp := strings.TrimSpace(string(b)); !strings.HasSuffix(tmp, ".json") {
		t.Errorf("the temp file %q should say it holds JSON", tmp)
	} else if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the temp file was left behind: %v", err)
	}
}

func TestEditWithoutSecretWarns(t *testing.T) {
	d, rec := editWith(t, `printf 'changed' > "$1"`, false)
	d.Keys("e")
	if len(rec.bodies) != 1 || string(rec.bodies[0]) != "changed" {
		t.Fatalf("replays: %q", rec.bodies)
	}
	if s := root(d).footer.Status(); !strings.Contains(s, "no secret configured") || !strings.Contains(s, "does not match") {
		t.Errorf("status %q", s)
	}
}

func TestEditCancelled(t *testing.T) {
	for name, script := range map[string]string{
		"unchanged": `true`,
		"emptied":   `: > "$1"`,
		"failed":    `exit 3`,
	} {
		t.Run(name, func(t *testing.T) {
			d, rec := editWith(t, script, true)
			d.Keys("e")
			if len(rec.bodies) != 0 {
				t.Fatalf("replayed %q", rec.bodies)
			}
			s := root(d).footer.Status()
			want := map[string]string{"unchanged": "not changed", "emptied": "left empty", "failed": "the editor failed"}[name]
			if !strings.Contains(s, want) {
				t.Errorf("status %q, want %q", s, want)
			}
		})
	}
}

func TestEditRefusesBinaryAndRefused(t *testing.T) {
	d, rec := editWith(t, `printf x > "$1"`, true)
	d.Keys(selectFixture(4)...)
	d.Keys("e")
	if s := root(d).footer.Status(); len(rec.bodies) != 0 || !strings.Contains(s, "binary") {
		t.Errorf("binary: %q", s)
	}
	d.Keys("k", "k")
	d.Keys("e")
	if s := root(d).footer.Status(); len(rec.bodies) != 0 || !strings.Contains(s, "refused") {
		t.Errorf("refused: %q", s)
	}
}

func TestCopyActions(t *testing.T) {
	t.Parallel()
	o, _ := fixtureOptions(t)
	d := drive(t, o, 100, 30)
	var clip []string
	m := root(d)
	m.clipboard = func(s string) error { clip = append(clip, s); return nil }
	d.M = m
	d.Keys(selectFixture(1)...)
	d.Keys("y", "u", "c")
	if len(clip) != 3 {
		t.Fatalf("clipboard writes: %q", clip)
	}
	if clip[0] != tuitest.ID(1) || clip[1] != "http://127.0.0.1:8080" {
		t.Errorf("id, URL: %q", clip[:2])
	}
	want := `curl -sS -X POST http://localhost:3000/webhooks -H 'Content-Type: application/json' -H 'X-VideoNest-Signature: 5f2b6f0e9c1d4a7b8e3f2a1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e' -H 'User-Agent: VideoNest-Webhooks/2.1' -H Accept: --data-binary '{"event":"video.ready",`
	if !strings.HasPrefix(clip[2], want) {
		t.Errorf("curl:\n%s", clip[2])
	}
	if s := root(d).footer.Status(); !strings.Contains(s, "copied a curl command") {
		t.Errorf("status %q", s)
	}
	// Without a terminal there is no clipboard, and the UI says so.
	d2 := drive(t, o, 100, 30)
	d2.Keys("y")
	if s := root(d2).footer.Status(); !strings.Contains(s, "no terminal clipboard") {
		t.Errorf("status %q", s)
	}
}

// TestCurlReproducesRequest runs the copied command in bash against a
// local server: what arrives must be the captured bytes, signature
// header included, for hostile and binary bodies too.
func TestCurlReproducesRequest(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skip(tool + " not installed")
		}
	}
	type got struct {
		method string
		header http.Header
		body   []byte
	}
	ch := make(chan got, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		ch <- got{r.Method, r.Header, b}
	}))
	defer srv.Close()
	for i, rec := range tuitest.Fixtures() {
		if rec.Refused != 0 {
			continue
		}
		// curl cannot send raw control characters in a header value (nor
		// can net/http receive them): keep those out of this round trip.
		var hs []inspect.Header
		for _, h := range rec.Headers {
			if !strings.ContainsAny(h.Value, "\x1b\x07") {
				hs = append(hs, h)
			}
		}
		rec.Headers = hs
		cmd := fixture.Curl(&rec, srv.URL+"/x")
		if strings.ContainsAny(cmd, "\x00\x1b\x07\r") {
			t.Fatalf("fixture %d: the command holds raw control bytes: %q", i+1, cmd)
		}
		out, err := exec.Command("bash", "-c", cmd).CombinedOutput()
		if err != nil {
			t.Fatalf("fixture %d: %v: %s\n%s", i+1, err, out, cmd)
		}
		g := <-ch
		if g.method != rec.Method || !bytes.Equal(g.body, rec.Body) {
			t.Errorf("fixture %d: got %s %q, want %s %q", i+1, g.method, g.body, rec.Method, rec.Body)
		}
		for _, h := range rec.Headers {
			if g.header.Get(h.Name) != h.Value {
				t.Errorf("fixture %d: header %s = %q, want %q", i+1, h.Name, g.header.Get(h.Name), h.Value)
			}
		}
	}
}
