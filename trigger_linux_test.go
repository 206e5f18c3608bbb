//go:build linux

package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestTriggerIgnoresAReusedPID leaves a listen's state file whose pid now
// belongs to another process, started after the file was written, and
// whose port another program answers on: trigger must not post there.
func TestTriggerIgnoresAReusedPID(t *testing.T) {
	e := newEnv(t)
	var hits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer other.Close()
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Skipf("cannot start sleep: %v", err)
	}
	defer func() { sleeper.Process.Kill(); sleeper.Wait() }()
	db, _ := filepath.Abs(e.db)
	dir := filepath.Join(filepath.Dir(db), "listening")
	os.MkdirAll(dir, 0o700)
	file := filepath.Join(dir, strconv.Itoa(sleeper.Process.Pid)+".json")
	write := func(started time.Time) {
		b, _ := json.Marshal(map[string]any{"pid": sleeper.Process.Pid, "url": other.URL, "db": db,
			"started_at": started.UTC(), "version": "dev"})
		if err := os.WriteFile(file, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	// Control: a file written after its process started is trusted.
	write(time.Now().Add(time.Hour))
	e.run([]string{"trigger", "video.processed", "--secret", "k"})
	if hits.Load() != 1 {
		t.Fatalf("control: trigger posted %d times to the listen its state file names, want 1", hits.Load())
	}

	// The file predates its process by an hour: that pid was reused.
	write(time.Now().Add(-time.Hour))
	_, errOut, code := e.run([]string{"trigger", "video.processed", "--secret", "k"})
	if hits.Load() != 1 {
		t.Errorf("trigger posted to whatever listens on a dead listen's port (reused pid)")
	}
	if code != 1 || !strings.Contains(errOut, "no hookscope listen is running") {
		t.Errorf("reused pid: exit %d %q, want 1 saying no listen runs", code, errOut)
	}
	if _, err := os.Stat(file); err == nil {
		t.Errorf("the stale state file was kept")
	}
}
