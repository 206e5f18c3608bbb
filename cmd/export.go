package cmd

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect/fixture"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/spf13/cobra"
)

type exportOptions struct {
	format    string
	to        string
	last      int
	event     string
	since     time.Duration
	signature string
}

func newExportCmd(f *Factory) *cobra.Command {
	o := &exportOptions{}
	c := &cobra.Command{
		Use:   "export [ID...]",
		Short: "Write captured requests as JSONL fixtures, a HAR file or curl commands",
		Long: `export writes captured requests to stdout, oldest first: the ones named by id
(any unique prefix), or those matching --last/--event/--since/--signature, or
all of them.

Formats:
  jsonl  one record a line: method, path, headers in arrival order, body_base64,
         the signature verdict, and source/relay as show --json has them (a
         request the team relay brought names the hookscope that captured
         it). Lossless; "hookscope import" reads it back, so captures become
         fixtures you can commit and share.
  har    HAR 1.2, for browser dev tools and HTTP tools; the response is the
         handler's answer to the latest delivery, else hookscope's own.
         hookscope's fields (id, verdict, relay) are under "_hookscope".
  curl   one command per request, the signature header included, the body
         byte for byte; --to sends them somewhere else (path rules as forward).

Exports hold what arrived and hookscope's verdict: never a secret (hookscope
does not store them) and nothing from the config file. Payloads may still hold
customer data.`,
		Example: `  hookscope export --last 5 > fixtures.jsonl
  hookscope export 0k3m --format curl --to localhost:3000
  hookscope export --event 'video.*' --since 1h --format har > hooks.har`,
		RunE: func(c *cobra.Command, args []string) error { return exportRun(c, f, o, args) },
	}
	fs := c.Flags()
	fs.StringVar(&o.format, "format", "jsonl", "jsonl, har or curl")
	fs.StringVar(&o.to, "to", "", "with --format curl: send to this handler instead of where the request arrived")
	fs.IntVar(&o.last, "last", 0, "the N most recent requests (with the other filters)")
	fs.StringVar(&o.event, "event", "", "requests of this event type (glob: video.*)")
	fs.Var((*ageValue)(&o.since), "since", "requests newer than this (e.g. 1h, 7d)")
	fs.StringVar(&o.signature, "signature", "", "requests with this verdict: valid, invalid, missing, unchecked")
	return c
}

func exportRun(c *cobra.Command, f *Factory, o *exportOptions, args []string) error {
	ctx := c.Context()
	// One record at a time, but a starved collector can let garbage pile
	// up: a soft limit keeps a big store's export small whatever the load.
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(64 << 20)
	}
	format := strings.ToLower(o.format)
	switch format {
	case "jsonl", "har", "curl":
	default:
		return usageErrorf("--format must be jsonl, har or curl, not %q", o.format)
	}
	filtered := o.last > 0 || o.event != "" || o.since > 0 || o.signature != ""
	switch {
	case len(args) > 0 && filtered:
		return usageErrorf("give either ids or --last/--event/--since/--signature, not both")
	case o.last < 0:
		return usageErrorf("--last must be positive")
	case o.to != "" && format != "curl":
		return usageErrorf("--to only applies with --format curl")
	}
	status, err := parseStatus(o.signature)
	if err != nil {
		return err
	}
	var target *forward.Target
	if o.to != "" {
		t, err := forward.ParseTarget(o.to)
		if err != nil {
			return usageError{err}
		}
		target = &t
	}
	st, err := f.ExistingStore()
	if err != nil {
		return err
	}
	sel := selection{last: o.last, event: o.event, since: o.since, status: status}
	ids, err := sel.ids(ctx, st, args, 0)
	if err != nil {
		return err
	}

	// One record at a time, from the store to the output: an export of a
	// large store holds one body in memory, never the whole store.
	w := bufio.NewWriter(f.IO.Out)
	var har *fixture.HARWriter
	if format == "har" {
		if har, err = fixture.NewHARWriter(w, version); err != nil {
			return fmt.Errorf("cannot write the export: %v", err)
		}
	}
	for _, id := range ids {
		rec, err := st.Get(ctx, id)
		if err != nil {
			return err
		}
		switch format {
		case "jsonl":
			err = fixture.WriteJSONLine(w, rec)
		case "har":
			atts, aerr := st.Attempts(ctx, id)
			if aerr != nil {
				return aerr
			}
			err = har.Add(fixture.Entry{Record: rec, Attempts: atts})
		case "curl":
			url := fixture.URL(rec)
			if target != nil {
				url = target.URLFor(rec.Path, rec.Query, false)
			}
			ev := rec.Event
			if ev == "" {
				ev = "-"
			}
			fmt.Fprintf(w, "# %s  %s  %s  signature %s (%s)\n", rec.ID, payload.SanitizeLine(ev),
				rec.ReceivedAt.UTC().Format(time.RFC3339), payload.SanitizeLine(string(rec.Signature.Status)), payload.SanitizeLine(rec.Signature.Scheme))
			if !rec.BodyKept() {
				fmt.Fprintf(w, "# hookscope refused it (%d) and kept no body: the command sends none\n", rec.Refused)
			}
			fmt.Fprintln(w, fixture.Curl(rec, url))
			_, err = fmt.Fprintln(w)
		}
		if err != nil {
			return fmt.Errorf("cannot write the export: %v", err)
		}
	}
	if har != nil {
		err = har.Close()
	}
	if err == nil {
		err = w.Flush()
	}
	if err != nil {
		return fmt.Errorf("cannot write the export: %v", err)
	}
	fmt.Fprintf(f.IO.ErrOut, "Exported %d %s as %s.\n", len(ids), plural(len(ids), "request"), format)
	return nil
}
