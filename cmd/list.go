package cmd

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/jsonview"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/inspect/signature"
	"github.com/hookscope/hookscope/inspect/store"
	"github.com/spf13/cobra"
)

type listOptions struct {
	json      bool
	limit     int
	event     string
	signature string
	status    string
	search    string
	since     time.Duration
}

func newListCmd(f *Factory) *cobra.Command {
	o := &listOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List captured requests, newest first",
		Long: `list prints captured requests, newest first: a table for people, tab-separated
lines when piped, a JSON array with --json. Works while listen runs.`,
		Example: `  hookscope list
  hookscope list --limit 5 --event 'video.*'
  hookscope list --signature invalid
  hookscope list --search captions          # in bodies, headers, paths, events
  hookscope list --status 5xx               # what your handler failed on
  hookscope list --json | jq '.[0].id'`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error { return listRun(c, f, o) },
	}
	c.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	c.Flags().IntVarP(&o.limit, "limit", "n", 20, "how many requests (0 = all)")
	c.Flags().StringVar(&o.event, "event", "", "only this event type (glob: video.*)")
	c.Flags().StringVar(&o.signature, "signature", "", "only this verdict: valid, invalid, missing, unchecked")
	c.Flags().StringVar(&o.status, "status", "", "only this latest delivery answer: 500, 5xx, ok, failed, err, none, pending, undelivered, delivered")
	c.Flags().StringVarP(&o.search, "search", "s", "", "only requests with this text in the body, a header, the path or the event (ASCII case ignored)")
	c.Flags().Var((*ageValue)(&o.since), "since", "only requests newer than this (e.g. 1h, 7d)")
	return c
}

// parseAnswer reads --status: the latest delivery's answer or the
// outbox's state.
func parseAnswer(s string) (inspect.StatusFilter, error) {
	f, err := inspect.ParseStatusFilter(s)
	if err != nil {
		return f, usageErrorf("--status: %v", err)
	}
	return f, nil
}

func parseStatus(s string) (signature.Status, error) {
	switch st := signature.Status(strings.ToLower(s)); st {
	case "", signature.Valid, signature.Invalid, signature.Missing, signature.Unchecked:
		return st, nil
	}
	return "", usageErrorf("--signature must be valid, invalid, missing or unchecked, not %q", s)
}

func listRun(c *cobra.Command, f *Factory, o *listOptions) error {
	if o.limit < 0 {
		return usageErrorf("--limit must be 0 or more")
	}
	status, err := parseStatus(o.signature)
	if err != nil {
		return err
	}
	answer, err := parseAnswer(o.status)
	if err != nil {
		return err
	}
	st, err := f.ExistingStore()
	if err != nil {
		return err
	}
	q := store.Query{Limit: o.limit, Event: o.event, Signature: status, Status: answer, Text: o.search}
	if o.since > 0 {
		q.Since = time.Now().Add(-o.since)
	}
	recs, err := st.List(c.Context(), q)
	if err != nil {
		return err
	}
	if o.json {
		items := make([]map[string]any, len(recs))
		for i := range recs {
			items[i] = jsonview.Summary(&recs[i])
		}
		enc := jsonview.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(items)
	}
	if len(recs) == 0 {
		if f.IO.OutTTY {
			if q.Event != "" || q.Signature != "" || q.Status.Active() || q.Text != "" || o.since > 0 {
				fmt.Fprintln(f.IO.ErrOut, "No captured request matches those filters.")
			} else {
				fmt.Fprintln(f.IO.ErrOut, "No requests captured yet. Run `hookscope listen` and send one.")
			}
		}
		return nil
	}
	if !f.IO.OutTTY {
		// For scripts: tab-separated, RFC 3339 times, no padding; then the
		// status hookscope refused the request with, if any, and last the
		// duplicate mark, if any.
		for i := range recs {
			r := &recs[i]
			refused := ""
			if r.Refused != 0 {
				refused = fmt.Sprint(r.Refused)
			}
			fmt.Fprintf(f.IO.Out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.ReceivedAt.UTC().Format(time.RFC3339Nano),
				payload.SanitizeLine(r.Method), payload.SanitizeLine(r.URI()), payload.SanitizeLine(r.Event),
				r.Signature.Status, forwardLabel(r), r.Size, refused, duplicateField(r))
		}
		return nil
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tRECEIVED\tMETHOD\tPATH\tEVENT\tSIGNATURE\tFORWARD\tSIZE")
	for i := range recs {
		r := &recs[i]
		ev := r.Event
		if ev == "" {
			ev = "-"
		}
		if r.Duplicate {
			ev += " (dup)"
		}
		if r.Relay != "" {
			ev += " (team)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, humanTime(r.ReceivedAt),
			payload.SanitizeLine(r.Method), truncate(payload.SanitizeLine(r.URI()), 40),
			payload.SanitizeLine(ev), r.Signature.Status.Label(), forwardLabel(r), sizeLabel(r))
	}
	return tw.Flush()
}

// duplicateNote is how every view words the duplicate mark. The mark
// matches bodies only, not signatures or senders: it says no more than that.
func duplicateNote(r *inspect.Record) string {
	if r.DuplicateOf != "" {
		return "same body as " + r.DuplicateOf
	}
	return "same body as an earlier request"
}

// duplicateField is the piped list's last column: empty, or the mark.
func duplicateField(r *inspect.Record) string {
	if !r.Duplicate {
		return ""
	}
	if r.DuplicateOf != "" {
		return "duplicate of " + r.DuplicateOf
	}
	return "duplicate"
}

func forwardLabel(r *inspect.Record) string {
	switch {
	case !r.Forwarded:
		return "-"
	case r.ForwardStatus == 0:
		return "error"
	}
	return fmt.Sprint(r.ForwardStatus)
}

func sizeLabel(r *inspect.Record) string {
	s := r.SizeLabel()
	switch {
	case r.Refused != 0 && !r.BodyKept():
		s += fmt.Sprintf(" (refused %d, body not kept)", r.Refused)
	case r.Refused != 0:
		s += fmt.Sprintf(" (refused %d)", r.Refused)
	}
	return s
}

func humanTime(t time.Time) string {
	t = t.Local()
	if time.Since(t) < 20*time.Hour {
		return t.Format("15:04:05")
	}
	return t.Format("2006-01-02 15:04")
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
