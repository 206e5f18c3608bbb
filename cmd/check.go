package cmd

import (
	"fmt"
	"time"

	"github.com/hookscope/hookscope/inspect/conformance"
	"github.com/hookscope/hookscope/inspect/forward"
	"github.com/hookscope/hookscope/inspect/jsonview"
	"github.com/spf13/cobra"
)

type checkOptions struct {
	to      string
	secrets []string
	timeout time.Duration
	json    bool
}

func newCheckCmd(f *Factory) *cobra.Command {
	o := &checkOptions{}
	c := &cobra.Command{
		Use:   "check --to URL",
		Short: "Check your handler against what VideoNest will send it, for CI",
		Long: `check sends your handler what VideoNest will send it and says, one line per
check, whether it behaved:

  deliver EVENT          a correctly signed sample of each event gets a 2xx
                         within --timeout (VideoNest waits 10s, then retries)
  reject …               a wrong signature, no signature, a signature made with
                         another secret and a tampered body each get a non-2xx
                         (VideoNest's page: "Reject requests that do not match")
  accept duplicate …     the same delivery twice, and several copies at once,
                         still get 2xx: VideoNest's signature has no timestamp, so
                         a captured delivery stays valid forever and retries
                         resend the same bytes; your handler must dedupe
  accept out-of-order    video.published before video.processed still gets 2xx
  accept unknown event   a warning only: a type you do not handle should get 2xx
  latency                p50 and max of the accepted deliveries

Nothing is stored. Exit status: 0 when every check passed (warnings allowed),
1 when one failed, 2 for bad flags.`,
		Example: `  hookscope check --to localhost:3000/webhooks --secret "$VIDEONEST_WEBHOOK_SECRET"
  hookscope check --to :3000/webhooks --json | jq 'select(.status=="fail")'
  hookscope check --to :3000/webhooks --timeout 2s   # stricter than VideoNest`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error { return checkRun(c, f, o) },
	}
	fs := c.Flags()
	fs.StringVar(&o.to, "to", "", "your handler: 3000, :3000/webhooks, http://localhost:3000/webhooks, https://…")
	fs.StringArrayVar(&o.secrets, "secret", nil, "the signing secret your handler verifies with (env VIDEONEST_WEBHOOK_SECRET)")
	addSecretFileFlag(fs, &o.secrets)
	fs.DurationVar(&o.timeout, "timeout", forward.ProviderTimeout, "how long a delivery may take before VideoNest would retry it")
	fs.BoolVar(&o.json, "json", false, `print one {"type":"check",…} line per check, then a {"type":"summary",…} line`)
	return c
}

func checkRun(c *cobra.Command, f *Factory, o *checkOptions) error {
	if o.to == "" {
		return usageErrorf("check needs your handler's URL: --to localhost:3000/webhooks")
	}
	if o.timeout <= 0 {
		return usageErrorf("--timeout must be more than 0 (VideoNest waits 10s)")
	}
	t, err := forward.ParseTarget(o.to)
	if err != nil {
		return usageError{err}
	}
	secrets, _, err := f.Secrets(o.secrets)
	if err != nil {
		return err
	}
	if len(secrets) == 0 {
		return usageErrorf("check needs the signing secret your handler verifies with: pass --secret or set VIDEONEST_WEBHOOK_SECRET")
	}
	warnRemote(f, []forward.Target{t})
	url := t.URLFor("/", "", false)
	if !o.json {
		fmt.Fprintf(f.IO.ErrOut, "Checking %s as VideoNest would (timeout %s)…\n", url, o.timeout)
	}
	enc := jsonview.NewEncoder(f.IO.Out)
	sum := conformance.Run(c.Context(), conformance.Config{URL: url, Secret: secrets[0], Timeout: o.timeout},
		func(r conformance.Result) {
			if o.json {
				enc.Encode(map[string]any{"type": "check", "check": r.Check, "status": r.Status, "detail": r.Detail,
					"http_status": r.HTTPStatus, "latency_ms": float64(r.Latency.Microseconds()) / 1000})
				return
			}
			label := map[conformance.Status]string{conformance.Pass: "PASS", conformance.Fail: "FAIL", conformance.Warn: "WARN"}[r.Status]
			fmt.Fprintf(f.IO.Out, "%s  %-30s  %s\n", label, r.Check, r.Detail)
		})
	if o.json {
		enc.Encode(map[string]any{"type": "summary", "url": url, "passed": sum.Passed, "failed": sum.Failed,
			"warnings": sum.Warnings, "p50_ms": float64(sum.P50.Microseconds()) / 1000,
			"max_ms": float64(sum.Max.Microseconds()) / 1000, "unreachable": sum.Unreachable})
	} else {
		fmt.Fprintf(f.IO.Out, "%d passed, %d failed, %d %s\n", sum.Passed, sum.Failed, sum.Warnings, plural(sum.Warnings, "warning"))
	}
	if c.Context().Err() != nil {
		return fmt.Errorf("interrupted; the checks did not finish")
	}
	if sum.Failed > 0 {
		return exitError{exitFail}
	}
	return nil
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}
