package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/fixture"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/spf13/cobra"
)

type importOptions struct {
	secrets []string
}

func newImportCmd(f *Factory) *cobra.Command {
	o := &importOptions{}
	c := &cobra.Command{
		Use:   "import FILE.jsonl | -",
		Short: "Load requests exported with `hookscope export` (JSONL) into the store",
		Long: `import reads records written by "hookscope export" (or "show --json") and
stores them, so shared fixtures can be listed, shown and replayed.

Ids: a record keeps its id when it is free, so it sorts where it arrived; a
record already in the store (same id, same body) is skipped, so importing a
file twice changes nothing; a record whose id is taken by another request gets
a new id from its own arrival time. Each stored id is printed, one a line, in
the file's order.

Verdicts are kept as exported (they record what the sender's secret said at
capture time); a record without one is judged with your current secret.

A request the team relay brought stays marked: list says (team) and show names
the hookscope that captured it. A relay that is not a hookscope instance id
(letters, digits, '-', '_', '.'; at most 64 bytes) refuses the file.`,
		Example: `  hookscope import fixtures.jsonl
  hookscope export --last 3 --db other.db | hookscope import -
  hookscope import fixtures.jsonl | xargs hookscope replay --to :3000`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return importRun(c, f, o, args[0]) },
	}
	c.Flags().StringArrayVar(&o.secrets, "secret", nil, "judge records that carry no verdict with this secret (env VIDEONEST_WEBHOOK_SECRET)")
	addSecretFileFlag(c.Flags(), &o.secrets)
	return c
}

func importRun(c *cobra.Command, f *Factory, o *importOptions, file string) error {
	ctx := c.Context()
	var r io.Reader = f.IO.In
	if file != "-" {
		fh, err := os.Open(file)
		if err != nil {
			return fmt.Errorf("cannot read %s: %v", file, err)
		}
		defer fh.Close()
		r = fh
	}
	recs, err := fixture.ReadJSONL(r)
	if err != nil {
		return fmt.Errorf("%s: %v; nothing was imported", file, err)
	}
	if len(recs) == 0 {
		return fmt.Errorf("%s holds no records; nothing was imported", file)
	}
	secrets, _, err := f.Secrets(o.secrets)
	if err != nil {
		return err
	}
	st, err := f.Store()
	if err != nil {
		return err
	}
	var kept, renamed, present int
	for _, rec := range recs {
		prepareImport(rec, secrets)
		id, state, err := importOne(ctx, st, rec)
		if err != nil {
			return fmt.Errorf("cannot import record %s: %v (%d imported before it)", rec.ID, err, kept+renamed)
		}
		switch state {
		case "kept":
			kept++
		case "renamed":
			renamed++
		case "present":
			present++
		}
		fmt.Fprintln(f.IO.Out, id)
	}
	msg := fmt.Sprintf("Imported %d %s", kept+renamed, plural(kept+renamed, "request"))
	if renamed > 0 {
		msg += fmt.Sprintf(" (%d with a new id: theirs was taken)", renamed)
	}
	if present > 0 {
		msg += fmt.Sprintf("; %d already in the store", present)
	}
	fmt.Fprintln(f.IO.ErrOut, msg+".")
	return nil
}

// prepareImport fills what an exported record may lack.
func prepareImport(rec *inspect.Record, secrets []string) {
	if rec.ReceivedAt.IsZero() {
		rec.ReceivedAt = time.Now()
	}
	if rec.Signature.Status == "" {
		h := http.Header{}
		for _, x := range rec.Headers {
			h.Add(x.Name, x.Value)
		}
		rec.Signature = signature.Judge(signature.Default(), "", h, rec.Body, secrets)
	}
	if rec.BodyKept() {
		rec.Event = inspect.EventOf(rec.Signature.Scheme, rec.Headers, rec.Body)
	}
}

// importOne stores rec under its own id when it is free, and reports
// "kept", "renamed" or "present" (already imported).
func importOne(ctx context.Context, st *store.Store, rec *inspect.Record) (string, string, error) {
	state := "kept"
	if n, err := store.NormalizePrefix(rec.ID); err != nil || n != rec.ID || len(rec.ID) != 12 {
		rec.ID, state = "", "renamed"
	} else if old, err := st.Get(ctx, rec.ID); err == nil {
		if sameCapture(old, rec) {
			return old.ID, "present", nil
		}
		rec.ID, state = "", "renamed"
	} else if !errors.Is(err, store.ErrNotFound) {
		return "", "", err
	}
	// A fresh id (rec.ID left empty) comes from the record's own time, so
	// it sorts where it arrived, and the store retries one another process
	// took; a kept id that listen took meanwhile is renamed here.
	for try := 0; ; try++ {
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := st.Insert(cctx, rec)
		cancel()
		if err == nil {
			return rec.ID, state, nil
		}
		if try == 2 || !isDuplicateID(err) {
			return "", "", err
		}
		rec.ID, state = "", "renamed"
	}
}

// sameCapture says whether two records are one request: what arrived and
// when. Verdicts may differ (judged with other secrets) and still be one.
func sameCapture(a, b *inspect.Record) bool {
	return a.ReceivedAt.Equal(b.ReceivedAt) && a.Method == b.Method && a.Path == b.Path && a.Query == b.Query &&
		bytes.Equal(a.Body, b.Body)
}

// isDuplicateID spots the store's primary-key clash (listen may have
// taken the id meanwhile), the one failure another id cures.
func isDuplicateID(err error) bool { return strings.Contains(err.Error(), "already stored") }
