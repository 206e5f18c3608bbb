package cmd

import (
	"github.com/spf13/cobra"
)

func newForwardCmd(f *Factory) *cobra.Command {
	o := &listenOptions{}
	c := &cobra.Command{
		Use:   "forward --to URL",
		Short: "Capture webhooks and forward each one, byte for byte, to your local handler",
		Long: `forward is listen plus forwarding: every request is stored first, then sent to
the handler with the same method, body and headers (hop-by-hop headers
dropped, X-Forwarded-For/-Host/-Proto added), so the handler's own
X-VideoNest-Signature check passes.

Targets: 3000, :3000, localhost:3000, localhost:3000/webhooks, http(s)://host:port/path.
Paths: a target without a path receives the incoming path (:3000 gets /webhooks
for a POST to /webhooks); a target with a path receives exactly that path
(:3000/hooks gets /hooks whatever the incoming path). --append-path appends the
incoming path instead (:3000/api + /webhooks → /api/webhooks). The query is kept.

Answers: by default the sender gets the handler's own status, headers and body,
so VideoNest sees what production would; 502 when the handler is down, 504 when
it is slower than --forward-timeout. --ack answers 200 once stored and forwards
in the background. With several --to, each gets a copy and the first one's
answer is relayed. --routes FILE maps event types to handlers:

    video.*              -> :3000/videos
    distribution.failed  -> :4000/alerts

Every delivery is recorded as an attempt (see show).`,
		Example: `  hookscope forward --to localhost:3000/webhooks
  hookscope forward --to 3000 --ack                 # handler down? VideoNest still sees 200
  hookscope forward --to :3000 --to :4000           # fan out
  hookscope forward --routes routes.txt --no-tui
  hookscope forward --to :3000 --forward-timeout 0  # debugging at a breakpoint`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			if len(o.forwardTo) == 0 && o.routes == "" {
				return usageErrorf("forward needs a handler: --to localhost:3000 (or --routes FILE)")
			}
			return listenRun(c, f, o)
		},
	}
	addListenFlags(c, o)
	c.Flags().StringArrayVar(&o.forwardTo, "to", nil, "the handler to forward to (repeat to fan out); same as --forward-to")
	return c
}
