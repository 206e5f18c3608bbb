package main

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// tmuxSession runs the built binary in a real terminal (tmux) so the TUI
// is exercised as a person would see it.
type tmuxSession struct {
	t    *testing.T
	name string
}

func (s *tmuxSession) tmux(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", args...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (s *tmuxSession) screen() string {
	return s.tmux("capture-pane", "-p", "-t", s.name)
}

// waitFor polls the screen until it contains want, or fails with what is
// on it.
func (s *tmuxSession) waitFor(want string) string {
	s.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	var scr string
	for time.Now().Before(deadline) {
		scr = s.screen()
		if strings.Contains(scr, want) {
			return scr
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.t.Fatalf("screen never showed %q; it shows:\n%s", want, scr)
	return ""
}

func (s *tmuxSession) keys(k ...string) {
	s.tmux(append([]string{"send-keys", "-t", s.name}, k...)...)
}

func TestTUIInTmux(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed: skipping the terminal UI end-to-end test (.ci/run installs it)")
	}
	e := newEnv(t)
	h := newHandler(t, "k", 200)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	s := &tmuxSession{t: t, name: fmt.Sprintf("hookscope-e2e-%d", port)}
	env := []string{}
	for _, kv := range e.environ("TERM=xterm-256color") {
		env = append(env, "-e", kv)
	}
	args := append([]string{"new-session", "-d", "-s", s.name, "-x", "140", "-y", "40"}, env...)
	args = append(args, hookscopeBin, "forward", "--port", fmt.Sprint(port), "--to", h.URL+"/webhooks", "--secret", "k", "--tunnel", "none")
	s.tmux(args...)
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", s.name).Run() })
	s.tmux("set-option", "-t", s.name, "remain-on-exit", "on")

	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	scr := s.waitFor(url)
	if !strings.Contains(scr, "NGROK_AUTHTOKEN") {
		t.Errorf("the header does not say how to get a public URL:\n%s", scr)
	}

	body := []byte(sampleBody)
	post(t, url+"/webhooks", body, map[string]string{"X-VideoNest-Signature": sign(body, "k")})
	evil := []byte(`{"event":"video.failed","data":{"title":"` + "\x1b]0;pwned\x07\x1b[2J" + `"}}`)
	post(t, url+"/evil%1B%5B31m", evil, map[string]string{"X-VideoNest-Signature": "bad"})
	scr = s.waitFor("video.failed")
	if !strings.Contains(scr, "video.processed") || !strings.Contains(scr, "✓") || !strings.Contains(scr, "✗") {
		t.Errorf("list rows lack events or verdict marks:\n%s", scr)
	}
	if strings.Contains(scr, "pwned") && !strings.Contains(scr, `\x1b`) {
		t.Errorf("escape sequence reached the terminal raw:\n%s", scr)
	}

	// Down to the valid request, open it, replay it with r.
	s.keys("j")
	s.keys("Enter")
	s.waitFor(`"channel_id"`)
	before := h.count()
	s.keys("r")
	deadline := time.Now().Add(10 * time.Second)
	for h.count() == before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if h.count() != before+1 {
		t.Fatalf("r did not replay: handler saw %d, want %d\n%s", h.count(), before+1, s.screen())
	}
	got, valid, _, _ := h.last()
	if string(got) != sampleBody || !valid {
		t.Errorf("replayed %q valid %v", got, valid)
	}

	// Help, then quit; the process ends and the terminal is restored.
	// Each key waits for the last one's effect: an Escape followed within
	// 50 ms by another key is read as alt+that key, as in any terminal.
	s.keys("Escape")
	s.waitFor("─ Detail") // the list has the focus again
	s.keys("?")
	s.waitFor("any key closes this help")
	s.keys("Escape")
	s.waitFor("─ Requests")
	s.keys("q")
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_dead}")) == "1" {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if dead := strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{pane_dead}")); dead != "1" {
		t.Fatalf("q did not quit:\n%s", s.screen())
	}
	if alt := strings.TrimSpace(s.tmux("display-message", "-p", "-t", s.name, "#{alternate_on}")); alt != "0" {
		t.Errorf("terminal left in the alternate screen")
	}
	// Everything shown was captured and the replay recorded.
	if out := e.mustRun("list", "--json"); strings.Count(out, `"id"`) != 2 {
		t.Errorf("list after the TUI: %s", out)
	}
}
