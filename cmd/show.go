package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/jsonview"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/spf13/cobra"
)

type showOptions struct {
	json bool
	raw  bool
}

func newShowCmd(f *Factory) *cobra.Command {
	o := &showOptions{}
	c := &cobra.Command{
		Use:   "show ID",
		Short: "Show one captured request: headers, signature verdict, payload, attempts",
		Long: `show prints one captured request. ID may be any unique prefix of the id.
--raw writes the exact body bytes (pipe it to a file or a tool); --json the
whole record, body base64-encoded.`,
		Example: `  hookscope show 0k3m
  hookscope show 0k3m --raw > body.json
  hookscope show 0k3m --json | jq .signature`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error { return showRun(c, f, o, args[0]) },
	}
	c.Flags().BoolVar(&o.json, "json", false, "print the whole record as JSON")
	c.Flags().BoolVar(&o.raw, "raw", false, "write the exact body bytes")
	c.MarkFlagsMutuallyExclusive("json", "raw")
	return c
}

func showRun(c *cobra.Command, f *Factory, o *showOptions, prefix string) error {
	st, err := f.Store()
	if err != nil {
		return err
	}
	id, err := st.Resolve(c.Context(), prefix)
	if err != nil {
		return err
	}
	rec, err := st.Get(c.Context(), id)
	if err != nil {
		return err
	}
	if o.raw {
		_, err := f.IO.Out.Write(rec.Body)
		return err
	}
	atts, err := st.Attempts(c.Context(), id)
	if err != nil {
		return err
	}
	dels, err := st.Deliveries(c.Context(), id)
	if err != nil {
		return err
	}
	if o.json {
		enc := jsonview.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(jsonview.Record(rec, atts, dels))
	}
	w := f.IO.Out
	san := payload.SanitizeLine
	fmt.Fprintf(w, "Request %s\n", rec.ID)
	fmt.Fprintf(w, "  Received   %s\n", rec.ReceivedAt.Local().Format("2006-01-02 15:04:05.000000000 MST"))
	fmt.Fprintf(w, "  Request    %s %s %s\n", san(rec.Method), san(rec.URI()), san(rec.Proto))
	fmt.Fprintf(w, "  From       %s\n", san(rec.RemoteAddr))
	if rec.Relay != "" {
		fmt.Fprintf(w, "  Via        the team relay, captured by %s (signature judged here)\n", san(rec.Relay))
	}
	ev := rec.Event
	if ev == "" {
		ev = "-"
	}
	fmt.Fprintf(w, "  Event      %s\n", san(ev))
	fmt.Fprintf(w, "  Signature  %s", rec.Signature.Status.Label())
	if rec.Signature.Scheme != "" {
		fmt.Fprintf(w, " (%s)", san(rec.Signature.Scheme))
	}
	if rec.Signature.Detail != "" {
		fmt.Fprintf(w, ": %s", san(rec.Signature.Detail))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  Size       %s\n", sizeLabel(rec))
	if rec.Duplicate {
		fmt.Fprintf(w, "  Duplicate  same body as %s (VideoNest re-sent it?)\n", rec.DuplicateOf)
	}
	fmt.Fprintln(w, "\nHeaders")
	for _, h := range rec.Headers {
		fmt.Fprintf(w, "  %s: %s\n", san(h.Name), san(h.Value))
	}
	fmt.Fprintln(w, "\nBody")
	if len(rec.Body) == 0 {
		fmt.Fprintln(w, "  (empty)")
	} else {
		fmt.Fprintln(w, indent(payload.Pretty(rec.Body), "  "))
	}
	if len(dels) > 0 {
		fmt.Fprintln(w, "\nDeliveries (outbox)")
		for _, d := range dels {
			fmt.Fprintln(w, "  "+deliveryLine(&d, time.Now()))
		}
	}
	if len(atts) > 0 {
		fmt.Fprintln(w, "\nAttempts")
		for _, a := range atts {
			fmt.Fprintln(w, "  "+attemptLine(&a))
			if a.Edited {
				fmt.Fprintln(w, "      sent an edited body:")
				fmt.Fprintln(w, indent(firstLines(payload.Pretty(a.SentBody), 5), "      "))
			}
			if b := strings.TrimSpace(payload.Pretty(a.RespBody)); len(a.RespBody) > 0 && b != "" {
				fmt.Fprintln(w, indent(firstLines(b, 5), "      "))
			}
		}
	}
	return nil
}

// deliveryLine says where one owed delivery stands, for people.
func deliveryLine(d *inspect.Delivery, now time.Time) string {
	return fmt.Sprintf("%s → %s  %s", d.Sink, payload.SanitizeLine(d.Target), payload.SanitizeLine(inspect.DeliverySummary(d, now)))
}

func attemptLine(a *inspect.Attempt) string {
	kind := "forward"
	switch {
	case a.Replay && a.Edited:
		kind = "replay (edited)"
	case a.Replay:
		kind = "replay "
	case a.DeliveryID != 0:
		kind = "outbox "
	}
	res := fmt.Sprint(a.Status)
	if a.Error != "" {
		res = payload.SanitizeLine(a.Error)
	}
	s := fmt.Sprintf("%s  %s  %s  %s  %s", a.At.Local().Format("15:04:05.000"), kind,
		payload.SanitizeLine(a.URL), res, inspect.FormatLatency(a.Latency))
	if a.TimedOutForProvider {
		s += "  (VideoNest would have timed out after 10s)"
	}
	return s
}

func indent(s, pre string) string {
	s = strings.TrimRight(s, "\n")
	return pre + strings.ReplaceAll(s, "\n", "\n"+pre)
}

func firstLines(s string, n int) string {
	lines := strings.SplitN(s, "\n", n+1)
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}
