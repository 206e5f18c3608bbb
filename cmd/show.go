package cmd

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/jsonview"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/hookscope/hookscope/tui/styles"
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
	st, err := f.ExistingStore()
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
	if rec.Answered != "" {
		fmt.Fprintf(w, "  Answered   %s\n", san(rec.Answered))
	} else if a := liveAttempt(atts); a != nil {
		fmt.Fprintf(w, "  Answered   %s (the sender got the handler's answer: %s)\n", liveAnswer(a), payload.SanitizeLine(a.URL))
	}
	if rec.Duplicate {
		fmt.Fprintln(w, "  Duplicate  "+duplicateNote(rec))
	}
	fmt.Fprintln(w, "\nHeaders")
	for _, h := range rec.Headers {
		fmt.Fprintf(w, "  %s: %s\n", san(h.Name), san(h.Value))
	}
	fmt.Fprintln(w, "\nBody")
	if len(rec.Body) == 0 {
		fmt.Fprintln(w, "  (empty)")
	} else {
		fmt.Fprintln(w, indent(f.prettyBody(rec.Body), "  "))
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
				fmt.Fprintln(w, indent(f.prettyBody(a.SentBody), "      "))
			}
			// The handler's answer whole: show is where a person reads it.
			if b := strings.TrimSpace(payload.Pretty(a.RespBody)); len(a.RespBody) > 0 && b != "" {
				fmt.Fprintln(w, indent(f.prettyBody(a.RespBody), "      "))
				if len(a.RespBody) >= forward.MaxStoredResponse {
					fmt.Fprintf(w, "      … the answer was longer: hookscope keeps its first %s\n", payload.HumanSize(forward.MaxStoredResponse))
				}
			}
		}
	}
	return nil
}

// prettyBody is payload.Pretty, coloured as the TUI colours JSON when
// stdout is a terminal that wants colour (NO_COLOR unset).
func (f *Factory) prettyBody(b []byte) string {
	s := strings.TrimRight(payload.Pretty(b), "\n")
	if f.IO.NoColor || !f.IO.OutTTY || payload.Decode(b).Kind != payload.JSON {
		return s
	}
	return payload.Highlight(s, styles.Default().Palette())
}

// liveAttempt is the forward whose answer went back to the sender (nil
// under --ack, or when the request was never forwarded live).
func liveAttempt(atts []inspect.Attempt) *inspect.Attempt {
	for i := range atts {
		if !atts[i].Replay && atts[i].DeliveryID == 0 {
			return &atts[i]
		}
	}
	return nil
}

func liveAnswer(a *inspect.Attempt) string {
	if a.Status != 0 {
		return fmt.Sprint(a.Status)
	}
	if strings.Contains(a.Error, "did not answer within") {
		return "504 from hookscope"
	}
	return "502 from hookscope"
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

// cutLines keeps the first n lines of s and says how many more there are
// and where to read them.
func cutLines(s string, n int, id string) string {
	lines := strings.Split(s, "\n")
	if len(lines) <= n {
		return s
	}
	more := len(lines) - n
	word := "lines"
	if more == 1 {
		word = "line"
	}
	return strings.Join(lines[:n], "\n") + fmt.Sprintf("\n… %d more %s: hookscope show %s", more, word, id)
}
