package cmd

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hookscope/hookscope/inspect"
	"github.com/hookscope/hookscope/inspect/edit"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/jsonview"
	"github.com/hookscope/hookscope/inspect/payload"
	"github.com/spf13/cobra"
)

type replayOptions struct {
	to         []string
	resign     bool
	secrets    []string
	edit       bool
	sets       []string
	json       bool
	last       int
	event      string
	since      time.Duration
	signature  string
	status     string
	search     string
	timeout    time.Duration
	appendPath bool
	skipVerify bool
}

func newReplayCmd(f *Factory) *cobra.Command {
	o := &replayOptions{}
	c := &cobra.Command{
		Use:   "replay [ID...]",
		Short: "Send captured requests to your handler again, as captured or edited and re-signed",
		Long: `replay sends captured requests again, from the store: it works whether or not
listen runs. Each replay is recorded as an attempt.

Target: --to (repeatable), else the URL the request was last forwarded to, else
the config's forward-to. Path rules are forward's (see hookscope forward --help).

Selection: IDs (any unique prefix), or without IDs a batch chosen by --last N,
--event GLOB, --since DURATION, --signature VERDICT, --status ANSWER and
--search TEXT (combined), sent oldest first. --status is the latest delivery's
answer (the FORWARD column of list): 500, 5xx, failed (no 2xx), err (no answer),
none (never sent); or the outbox's state: pending, undelivered, delivered. A
request replayed with success no longer matches --status 5xx, so running the
same command again sends only what still fails.

Edits: --set data.status=failed changes one field (repeatable; the value is JSON
when it parses, else a string); --edit opens $VISUAL/$EDITOR on the pretty body
(save unchanged or empty to cancel). A changed body is re-signed with the current
secret; --resign re-signs an unchanged one (after a secret rotation).

Exit status: 0 when every replay got a 2xx, 1 otherwise.`,
		Example: `  hookscope replay 0k3m
  hookscope replay 0k3m --to localhost:3000/webhooks
  hookscope replay --last 5
  hookscope replay --event video.failed --since 1h
  hookscope replay --status 5xx --since 1h   # re-send what your handler failed on
  hookscope replay 0k3m --set data.status=failed
  hookscope replay 0k3m --edit
  hookscope replay 0k3m --resign --secret "$NEW_SECRET"`,
		RunE: func(c *cobra.Command, args []string) error { return replayRun(c, f, o, args) },
	}
	fs := c.Flags()
	fs.StringArrayVar(&o.to, "to", nil, "handler to send to (repeat for several)")
	fs.BoolVar(&o.resign, "resign", false, "recompute X-VideoNest-Signature with the current secret")
	fs.StringArrayVar(&o.secrets, "secret", nil, "signing secret for --resign and edits (env VIDEONEST_WEBHOOK_SECRET); the first is used")
	addSecretFileFlag(fs, &o.secrets)
	fs.BoolVar(&o.edit, "edit", false, "edit the body in $VISUAL/$EDITOR before sending (re-signed)")
	fs.StringArrayVar(&o.sets, "set", nil, "edit a field before sending: data.status=failed (repeatable; re-signed)")
	fs.BoolVar(&o.json, "json", false, `print one {"type":"forward",…} line per attempt`)
	fs.IntVar(&o.last, "last", 0, "replay the N most recent requests (with the other filters)")
	fs.StringVar(&o.event, "event", "", "replay requests of this event type (glob: video.*)")
	fs.Var((*ageValue)(&o.since), "since", "replay requests newer than this (e.g. 1h, 7d)")
	fs.StringVar(&o.signature, "signature", "", "replay requests with this verdict")
	fs.StringVar(&o.status, "status", "", "replay requests whose latest delivery got this: 500, 5xx, failed, err, none, pending, undelivered")
	fs.StringVar(&o.search, "search", "", "replay requests with this text in the body, a header, the path or the event")
	fs.DurationVar(&o.timeout, "timeout", forward.ProviderTimeout, "give up on the handler after this long (0 = wait forever)")
	fs.BoolVar(&o.appendPath, "append-path", false, "append the incoming path to the target's path")
	fs.BoolVar(&o.skipVerify, "skip-verify", false, "accept self-signed certificates on https handlers")
	return c
}

// batchCap bounds a filter-selected batch that has no --last.
const batchCap = 100

func replayRun(c *cobra.Command, f *Factory, o *replayOptions, args []string) error {
	ctx := c.Context()
	filtered := o.last > 0 || o.event != "" || o.since > 0 || o.signature != "" || o.status != "" || o.search != ""
	switch {
	case len(args) == 0 && !filtered:
		return usageErrorf("replay needs request ids, or a selection: --last N, --event E, --since D, --signature S, --status 5xx, --search TEXT")
	case len(args) > 0 && filtered:
		return usageErrorf("give either ids or --last/--event/--since/--signature/--status/--search, not both")
	case o.last < 0:
		return usageErrorf("--last must be positive")
	case o.edit && !f.IO.InTTY && os.Getenv("VISUAL") == "" && os.Getenv("EDITOR") == "":
		return usageErrorf("--edit needs $VISUAL or $EDITOR set")
	}
	status, err := parseStatus(o.signature)
	if err != nil {
		return err
	}
	answer, err := parseAnswer(o.status)
	if err != nil {
		return err
	}
	var targets []forward.Target
	for _, r := range o.to {
		t, err := forward.ParseTarget(r)
		if err != nil {
			return usageError{err}
		}
		targets = append(targets, t)
	}
	warnRemote(f, targets)
	secrets, _, err := f.Secrets(o.secrets)
	if err != nil {
		return err
	}
	st, err := f.ExistingStore()
	if err != nil {
		return err
	}

	sel := selection{last: o.last, event: o.event, since: o.since, status: status, answer: answer, search: o.search}
	ids, err := sel.ids(ctx, st, args, batchCap)
	if err != nil {
		return err
	}
	if len(args) == 0 && o.last == 0 && len(ids) > batchCap {
		return usageErrorf("more than %d requests match; narrow the selection or say how many with --last N", batchCap)
	}
	if o.edit && len(ids) != 1 {
		return usageErrorf("--edit works on one request at a time")
	}

	fwd := forward.New(forward.Options{Timeout: o.timeout, Store: st, SkipVerify: o.skipVerify})
	defer fwd.Close()
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	rp := &forward.Replayer{Store: st, Forwarder: fwd, Fallback: cfg.ForwardTo, AppendPath: o.appendPath}
	if len(secrets) > 0 {
		rp.Secret = secrets[0]
	}
	allOK := true
	for _, id := range ids {
		req := forward.ReplayRequest{ID: id, To: targets, Edit: forward.Edit{Sets: o.sets, Resign: o.resign}}
		if o.edit {
			rec, err := st.Get(ctx, id)
			if err != nil {
				return err
			}
			if rec.BodyKept() {
				body, cancelled, err := editBody(f, rec)
				if err != nil {
					return err
				}
				if cancelled {
					fmt.Fprintln(f.IO.ErrOut, "Edit cancelled (file unchanged or empty); nothing sent.")
					return exitError{exitFail}
				}
				req.Edit.Body = body
			}
		}
		out, err := rp.Replay(ctx, req)
		switch {
		case errors.Is(err, forward.ErrRefused):
			fmt.Fprintf(f.IO.ErrOut, "%s: skipped: hookscope refused it and kept no body\n", id)
			allOK = false
			continue
		case errors.Is(err, forward.ErrNoTarget):
			return usageError{err}
		case out == nil && err != nil:
			return err
		case err != nil:
			fmt.Fprintf(f.IO.ErrOut, "Warning: %v\n", err)
		}
		for _, n := range out.Notes {
			fmt.Fprintln(f.IO.ErrOut, "Note: "+n)
		}
		for _, res := range out.Results {
			a := res.Attempt
			if a.Status < 200 || a.Status > 299 {
				allOK = false
			}
			printReplay(f, o.json, a, res.Body)
		}
	}
	if !allOK {
		return exitError{exitFail}
	}
	return nil
}

func printReplay(f *Factory, asJSON bool, a *inspect.Attempt, body []byte) {
	if asJSON {
		jsonview.NewEncoder(f.IO.Out).Encode(jsonview.ForwardEvent(a))
		return
	}
	res := fmt.Sprint(a.Status)
	if a.Error != "" {
		res = payload.SanitizeLine(a.Error)
	}
	fmt.Fprintf(f.IO.Out, "%s → %s  %s  %s\n", a.RequestID, payload.SanitizeLine(a.URL), res, inspect.FormatLatency(a.Latency))
	if a.TimedOutForProvider {
		fmt.Fprintln(f.IO.Out, "  VideoNest would have timed out after 10s and retried this delivery.")
	}
	if b := strings.TrimSpace(payload.Pretty(body)); len(body) > 0 && b != "" {
		fmt.Fprintln(f.IO.Out, indent(cutLines(b, 5, a.RequestID), "  "))
	}
}

// editBody opens the user's editor on the body as edit.Text lays it out.
// It reports cancelled when the file comes back unchanged or empty.
func editBody(f *Factory, rec *inspect.Record) ([]byte, bool, error) {
	text, ext, err := edit.Text(rec.Body)
	if err != nil {
		return nil, false, usageError{err}
	}
	path, err := edit.TempFile(rec.ID, text, ext)
	if err != nil {
		return nil, false, err
	}
	defer os.Remove(path)
	cmd := edit.Command(path)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, f.IO.ErrOut, f.IO.ErrOut
	if err := cmd.Run(); err != nil {
		return nil, false, fmt.Errorf("the editor (%s) failed: %v", edit.Editor(), err)
	}
	saved, err := os.ReadFile(path)
	if err != nil {
		return nil, false, err
	}
	body, cancelled := edit.Result(rec.Body, text, saved)
	return body, cancelled != "", nil
}
