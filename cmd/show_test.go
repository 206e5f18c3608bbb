package cmd

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
)

// storeWith makes a real store in a temp dir holding recs.
func storeWith(t *testing.T, recs ...*inspect.Record) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "hookscope.db")
	st, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.ReceivedAt.IsZero() {
			r.ReceivedAt = time.Now()
		}
		if r.Signature.Status == "" {
			r.Signature = signature.Verdict{Status: signature.Missing, SecretIndex: -1}
		}
		if err := st.Insert(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	return db
}

// TestShowColoursJSONOnATerminal: show colours a JSON body as the TUI does
// on a terminal, and never under NO_COLOR or into a pipe.
func TestShowColoursJSONOnATerminal(t *testing.T) {
	t.Parallel()
	rec := &inspect.Record{Method: "POST", Path: "/", Body: []byte(`{"event":"video.failed","n":1}`), Size: 30}
	db := storeWith(t, rec)
	for _, tc := range []struct {
		tty, noColor, want bool
	}{{true, false, true}, {true, true, false}, {false, true, false}} {
		io, out, errOut := Test()
		io.OutTTY, io.NoColor = tc.tty, tc.noColor
		if code := run(io, []string{"--db", db, "show", rec.ID}); code != 0 {
			t.Fatalf("show: %d %s", code, errOut)
		}
		if got := strings.Contains(out.String(), "\x1b["); got != tc.want {
			t.Errorf("tty %v NO_COLOR %v: coloured %v\n%q", tc.tty, tc.noColor, got, out)
		}
		if !strings.Contains(out.String(), "video.failed") {
			t.Errorf("body missing: %q", out)
		}
	}
}
