package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hookscope/hookscope/internal/proc"
)

// A running listen leaves a small state file beside its store, so that
// `hookscope trigger` can find it without guessing ports: one file per
// process (several listens may share a store), removed on exit, and
// ignored (and cleaned up) once its process is gone, e.g. after a kill -9.
type listenInstance struct {
	PID       int       `json:"pid"`
	URL       string    `json:"url"`
	Path      string    `json:"path,omitempty"` // listen --path: where VideoNest is told to post
	DB        string    `json:"db"`
	StartedAt time.Time `json:"started_at"`
	Version   string    `json:"version"`
}

func instanceDir(db string) string { return filepath.Join(filepath.Dir(db), "listening") }

func absDB(db string) string {
	if a, err := filepath.Abs(db); err == nil {
		return a
	}
	return db
}

// announceListen records this listen for trigger; the returned function
// removes the record. Failing to write it costs only trigger's discovery,
// so it warns and carries on.
func announceListen(f *Factory, db, localURL, hookPath string) func() {
	db = absDB(db)
	dir := instanceDir(db)
	path := filepath.Join(dir, strconv.Itoa(os.Getpid())+".json")
	b, _ := json.Marshal(listenInstance{PID: os.Getpid(), URL: localURL, Path: hookPath, DB: db, StartedAt: time.Now().UTC(), Version: version})
	err := os.MkdirAll(dir, 0o700)
	if err == nil {
		// Through a temporary file, so trigger never reads half a record.
		tmp := path + ".tmp"
		if err = os.WriteFile(tmp, b, 0o600); err == nil {
			err = os.Rename(tmp, path)
		}
	}
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "Warning: cannot record this listen for `hookscope trigger` (%v); use trigger --to %s instead.\n", err, localURL)
		return func() {}
	}
	return func() { os.Remove(path) }
}

// runningListens returns the live listens on store db, newest first.
func runningListens(db string) []listenInstance {
	db = absDB(db)
	dir := instanceDir(db)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []listenInstance
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		var in listenInstance
		if json.Unmarshal(b, &in) != nil || in.URL == "" {
			continue
		}
		if in.DB != db {
			continue // another store in the same directory
		}
		if !processAlive(in.PID) || reused(in) {
			os.Remove(path) // left by a listen that was killed
			continue
		}
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].StartedAt.After(out[j].StartedAt) })
	return out
}

func processAlive(pid int) bool { return proc.Alive(pid) }

// reused reports a state file whose pid now belongs to another process,
// one that started after the listen wrote the file: trigger must not post
// to whatever now listens on the old port.
func reused(in listenInstance) bool {
	after, ok := startedAfter(in.PID, in.StartedAt)
	return ok && after
}
